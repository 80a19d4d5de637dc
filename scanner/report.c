/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report_private.h"
#include "scan_private.h"

const char *ms_result_verdict(const ms_result *res, ms_severity fail_on)
{
	if (ms_result_max_severity(res) >= (int)fail_on) return "findings";
	if (ms_result_error(res)->code != MS_OK) return "error";
	return "clean";
}

void ms_report_path(char *dst, size_t dstlen, const char *path)
{
	ms_printable(dst, dstlen, (const uint8_t *)path, strlen(path));
}

const char *ms_global_use_name(ms_global_use use)
{
	switch (use) {
	case MS_USE_CALLED: return "called";
	case MS_USE_INSTANTIATED: return "instantiated";
	case MS_USE_REFERENCED: break;
	}
	return "referenced";
}

ms_err ms_report_cjson(FILE *out, cJSON *root)
{
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text) return MS_ERR_NOMEM;
	ms_err rc = fputs(text, out) < 0 || fputc('\n', out) == EOF ? MS_ERR_IO : MS_OK;
	free(text);
	return rc;
}

ms_err ms_report_write(FILE *out, ms_report_format fmt, const ms_result *const *results,
                       size_t n, const ms_report_opts *opts)
{
	ms_err rc;
	switch (fmt) {
	case MS_REPORT_JSON: rc = ms_report_json(out, results, n, opts); break;
	case MS_REPORT_SARIF: rc = ms_report_sarif(out, results, n, opts); break;
	default: rc = ms_report_text(out, results, n, opts); break;
	}
	if (rc == MS_OK && (fflush(out) != 0 || ferror(out))) rc = MS_ERR_IO;
	return rc;
}
