/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* PLACEHOLDER until the pickle machine lands: refuses every stream (fail closed). */
#include "pickle_private.h"

ms_err pkl_run(ms_job *job, const ms_src *src, ms_arena *arena, pkl_stream *out)
{
	(void)arena; (void)out;
	return ms_job_error(job, src, 0, MS_ERR_UNSUPPORTED, "pickle machine not built yet");
}
ms_err pkl_run_one(ms_job *job, const ms_src *src, ms_arena *arena, pv **root, size_t *consumed)
{
	(void)arena; (void)root; (void)consumed;
	return ms_job_error(job, src, 0, MS_ERR_UNSUPPORTED, "pickle machine not built yet");
}
bool pv_is_global(const pv *v, const char *m, const char *n) { (void)v; (void)m; (void)n; return false; }
void pv_render(const pv *v, char *buf, size_t buflen) { (void)v; if (buflen) buf[0] = 0; }
