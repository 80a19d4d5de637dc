/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* JSON report, schema "mscan-scan/1" (docs/json.md). Built with cJSON so every string is
 * escaped; strings from the scan are already printable ASCII. */
#include <string.h>

#include <cjson/cJSON.h>

#include "limits.h"
#include "report_private.h"

#define JSON_SCHEMA "mscan-scan/1"

static cJSON *json_finding(const ms_finding *f)
{
	cJSON *o = cJSON_CreateObject();
	if (!o) return NULL;
	cJSON_AddStringToObject(o, "rule_id", f->rule_id);
	cJSON_AddStringToObject(o, "severity", ms_severity_name(f->severity));
	cJSON_AddStringToObject(o, "member", f->member);
	cJSON_AddNumberToObject(o, "offset", (double)f->offset);
	if (f->file_offset == UINT64_MAX)
		cJSON_AddNullToObject(o, "file_offset");
	else
		cJSON_AddNumberToObject(o, "file_offset", (double)f->file_offset);
	cJSON_AddStringToObject(o, "module", f->module);
	cJSON_AddStringToObject(o, "name", f->name);
	cJSON_AddStringToObject(o, "message", f->message);
	return o;
}

static cJSON *json_global(const ms_global *g)
{
	cJSON *o = cJSON_CreateObject();
	if (!o) return NULL;
	cJSON_AddStringToObject(o, "member", g->member);
	cJSON_AddNumberToObject(o, "offset", (double)g->offset);
	cJSON_AddStringToObject(o, "module", g->module);
	cJSON_AddStringToObject(o, "name", g->name);
	cJSON_AddStringToObject(o, "fq_module", g->fq_module);
	cJSON_AddStringToObject(o, "fq_name", g->fq_name);
	cJSON_AddStringToObject(o, "use", ms_global_use_name(g->use));
	if (g->args)
		cJSON_AddStringToObject(o, "args", g->args);
	else
		cJSON_AddNullToObject(o, "args");
	return o;
}

static cJSON *json_file(const ms_result *r, const ms_report_opts *opts)
{
	char path[MS_MAX_REPORT_PATH];
	ms_report_path(path, sizeof path, ms_result_path(r));
	cJSON *o = cJSON_CreateObject();
	if (!o) return NULL;
	cJSON_AddStringToObject(o, "path", path);
	cJSON_AddStringToObject(o, "format", ms_result_format(r));
	cJSON_AddStringToObject(o, "verdict", ms_result_verdict(r, opts->fail_on));
	int max = ms_result_max_severity(r);
	if (max < 0)
		cJSON_AddNullToObject(o, "max_severity");
	else
		cJSON_AddStringToObject(o, "max_severity", ms_severity_name((ms_severity)max));
	const ms_error *e = ms_result_error(r);
	if (e->code == MS_OK) {
		cJSON_AddNullToObject(o, "error");
	} else {
		cJSON *err = cJSON_AddObjectToObject(o, "error");
		if (err) {
			cJSON_AddStringToObject(err, "code", ms_strerror(e->code));
			cJSON_AddStringToObject(err, "message", e->message);
		}
	}
	cJSON *fs = cJSON_AddArrayToObject(o, "findings");
	for (size_t i = 0; fs && i < ms_result_count(r); i++)
		cJSON_AddItemToArray(fs, json_finding(ms_result_get(r, i)));
	if (opts->list_globals) {
		cJSON *gs = cJSON_AddArrayToObject(o, "globals");
		for (size_t i = 0; gs && i < ms_result_global_count(r); i++)
			cJSON_AddItemToArray(gs, json_global(ms_result_global(r, i)));
	}
	return o;
}

ms_err ms_report_json(FILE *out, const ms_result *const *results, size_t n,
                      const ms_report_opts *opts)
{
	cJSON *root = cJSON_CreateObject();
	if (!root) return MS_ERR_NOMEM;
	cJSON_AddStringToObject(root, "schema", JSON_SCHEMA);
	cJSON_AddStringToObject(root, "version", MSCAN_VERSION);
	cJSON_AddStringToObject(root, "fail_on", ms_severity_name(opts->fail_on));
	cJSON *files = cJSON_AddArrayToObject(root, "files");
	size_t counts[3] = {0, 0, 0};
	for (size_t i = 0; files && i < n; i++) {
		cJSON_AddItemToArray(files, json_file(results[i], opts));
		const char *v = ms_result_verdict(results[i], opts->fail_on);
		counts[v[0] == 'f' ? 1 : v[0] == 'e' ? 2 : 0]++;
	}
	cJSON *sum = cJSON_AddObjectToObject(root, "summary");
	if (sum) {
		cJSON_AddNumberToObject(sum, "files", (double)n);
		cJSON_AddNumberToObject(sum, "clean", (double)counts[0]);
		cJSON_AddNumberToObject(sum, "findings", (double)counts[1]);
		cJSON_AddNumberToObject(sum, "errors", (double)counts[2]);
	}
	return ms_report_cjson(out, root);
}
