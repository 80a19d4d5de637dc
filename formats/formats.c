/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include <string.h>

#include "format.h"
#include "../scanner/limits.h"
#include "fmt_private.h"

static const ms_format *const fmt_all[] = {
#define MS_FORMAT(n) &ms_format_##n,
#include "format_list.h"
#undef MS_FORMAT
};

static const ms_format *fmt_pick(const ms_src *src)
{
	const ms_format *best = NULL;
	unsigned best_bid = 0;
	for (size_t i = 0; i < sizeof fmt_all / sizeof fmt_all[0]; i++) {
		unsigned b = fmt_all[i]->bid(src->data, src->len);
		if (b > best_bid) {
			best_bid = b;
			best = fmt_all[i];
		}
	}
	return best;
}

ms_err ms_job_scan_as(ms_job *job, const ms_src *src, const char *format)
{
	for (size_t i = 0; i < sizeof fmt_all / sizeof fmt_all[0]; i++)
		if (strcmp(fmt_all[i]->name, format) == 0) {
			if (src->depth == 0) ms_job_set_format(job, fmt_all[i]->name);
			return fmt_all[i]->scan(job, src);
		}
	return ms_job_error(job, src, 0, MS_ERR_ARG, "no reader named '%s'", format);
}

const char *fmt_recognise(const ms_src *src)
{
	const ms_format *f = fmt_pick(src);
	return f ? f->name : NULL;
}

ms_err ms_job_scan_blob(ms_job *job, const ms_src *src)
{
	if (src->depth > MS_MAX_NEST_DEPTH)
		return ms_job_error(job, src, 0, MS_ERR_LIMIT,
		                    "containers nested deeper than %u levels", MS_MAX_NEST_DEPTH);
	const ms_format *f = fmt_pick(src);
	if (src->depth == 0) ms_job_set_format(job, f ? f->name : "unknown");
	if (!f) {
		/* A member nobody recognises is plain data (a config, a tokenizer); only the
		 * top-level file must be something we understand. */
		if (src->depth == 0)
			return ms_job_error(job, src, 0, MS_ERR_UNSUPPORTED, "unrecognized format");
		return ms_job_yara(job, src, "data");
	}
	ms_err rc = f->scan(job, src);
	/* --yara-all-bytes: the whole file once more as one blob, tensor payloads included (what
	 * `mscan rules check` shows); findings found this way still count. */
	if (src->depth == 0 && job->ctx->opts.yara_all_bytes) {
		ms_err yr = ms_job_yara(job, src, "data");
		if (rc == MS_OK) rc = yr;
	}
	return rc;
}
