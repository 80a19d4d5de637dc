/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include "arena_private.h"
#include "limits.h"
#include "pickle_private.h"
#include "scan_private.h"

ms_err ms_job_yara_pickle(ms_job *job, const ms_src *src, const uint8_t *strings, size_t len)
{
	/* Rules see the raw stream even when the machine stopped early: a payload may sit
	 * before the point where the stream breaks. */
	ms_err rc = ms_job_yara(job, src, "pickle");
	/* Then the constants the machine decoded (escapes, base64, codecs arguments), which the
	 * raw bytes hide from rules. */
	if (len) {
		ms_src child = ms_src_child(job, src, strings, len, "");
		child.member = src->member;
		child.depth = src->depth;
		ms_err r2 = ms_job_yara(job, &child, "pickle-strings");
		if (rc == MS_OK) rc = r2;
	}
	return rc;
}

ms_err ms_job_scan_pickle(ms_job *job, const ms_src *src)
{
	ms_arena *arena = ms_arena_new(MS_MAX_ARENA_BYTES);
	if (!arena) return ms_job_error(job, src, 0, MS_ERR_NOMEM, "no memory for the pickle machine");
	pkl_stream st;
	ms_err rc = pkl_run(job, src, arena, &st);
	ms_err yrc = ms_job_yara_pickle(job, src, st.strings, st.strings_len);
	ms_arena_free(arena);
	return rc != MS_OK ? rc : yrc;
}
