/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include "arena_private.h"
#include "limits.h"
#include "pickle_private.h"
#include "scan_private.h"

ms_err ms_job_scan_pickle(ms_job *job, const ms_src *src)
{
	ms_arena *arena = ms_arena_new(MS_MAX_ARENA_BYTES);
	if (!arena) return ms_job_error(job, src, 0, MS_ERR_NOMEM, "no memory for the pickle machine");
	ms_err rc = pkl_run(job, src, arena, NULL);
	ms_arena_free(arena);
	/* Rules see the raw stream even when the machine stopped early: a payload may sit
	 * before the point where the stream breaks. */
	ms_err yrc = ms_job_yara(job, src, "pickle");
	return rc != MS_OK ? rc : yrc;
}
