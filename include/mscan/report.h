/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#ifndef MSCAN_REPORT_H
#define MSCAN_REPORT_H

#include <stdio.h>

#include "scan.h"

typedef enum {
	MS_REPORT_TEXT = 0,
	MS_REPORT_JSON = 1,   /* schema "mscan-scan/1", documented in docs/json.md */
	MS_REPORT_SARIF = 2,  /* SARIF 2.1.0 for GitHub code scanning */
} ms_report_format;

typedef struct ms_report_opts {
	ms_severity fail_on;  /* a file with a finding at or above this is "findings" */
	int list_globals;     /* include every resolved global */
	int verbose;          /* text: also clean files and info findings */
	int quiet;            /* text: findings and errors only, no summary */
} ms_report_opts;

/* Verdict of one result under fail_on: "findings", "error" or "clean". Static string. */
MS_API const char *ms_result_verdict(const ms_result *res, ms_severity fail_on);

/* Writes the results in order. Borrows everything.
 * Returns MS_OK, MS_ERR_NOMEM, or MS_ERR_IO when writing failed. */
MS_API ms_err ms_report_write(FILE *out, ms_report_format fmt, const ms_result *const *results,
                              size_t n, const ms_report_opts *opts);

#endif
