/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/) as GitHub code scanning takes
 * it: one run, rules for the ids seen, results with a file-level location (byte offsets are
 * in the message and properties: model files have no lines), partialFingerprints, and file
 * errors as tool execution notifications. */
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "limits.h"
#include "report_private.h"
#include "rule_ids_private.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SARIF_INFO_URI "https://github.com/mscan/mscan"

/* GitHub maps error/warning/note; security-severity drives its severity column. */
static const char *sarif_level(ms_severity s)
{
	return s >= MS_SEV_HIGH ? "error" : s == MS_SEV_MEDIUM ? "warning" : "note";
}

static const char *sarif_security_severity(ms_severity s)
{
	static const char *const v[] = {"0.0", "2.0", "5.0", "8.0", "9.5"};
	return v[s];
}

/* Relative URI reference: percent-encode everything outside unreserved and '/'. */
static void sarif_uri(char *dst, size_t dstlen, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	if (path[0] == '.' && path[1] == '/') path += 2;
	for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < dstlen; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p)) {
			dst[o++] = (char)*p;
		} else {
			dst[o++] = '%';
			dst[o++] = hex[*p >> 4];
			dst[o++] = hex[*p & 15];
		}
	}
	dst[o] = 0;
	if (path[0] == '/' && o + 8 < dstlen) { /* absolute: make it a file URI */
		memmove(dst + 7, dst, o + 1);
		memcpy(dst, "file://", 7);
	}
}

/* Rule metadata: for a built-in rule, its row of scanner/rule_list.h; for a YARA rule, its id
 * and the first finding's message. The level is the finding's (a --policy override applies). */
static cJSON *sarif_rule(const ms_finding *f)
{
	const ms_rule_row *row = ms_rule_row_find(f->rule_id);
	const char *doc = !row ? "rules-yara.md"
	                  : !strncmp(f->rule_id, "MS-PKL-", 7) ? "rules-pickle.md" : "rules-formats.md";
	char uri[128];
	snprintf(uri, sizeof uri, "%s/blob/main/docs/%s", SARIF_INFO_URI, doc);
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "id", f->rule_id);
	cJSON_AddStringToObject(r, "name", f->rule_id);
	cJSON *sd = cJSON_AddObjectToObject(r, "shortDescription");
	cJSON_AddStringToObject(sd, "text", row ? row->text : f->rule_id);
	cJSON *fd = cJSON_AddObjectToObject(r, "fullDescription");
	cJSON_AddStringToObject(fd, "text", row ? row->text : f->message);
	cJSON *help = cJSON_AddObjectToObject(r, "help");
	cJSON_AddStringToObject(help, "text", row ? row->text : f->message);
	cJSON *dc = cJSON_AddObjectToObject(r, "defaultConfiguration");
	cJSON_AddStringToObject(dc, "level", sarif_level(f->severity));
	cJSON_AddStringToObject(r, "helpUri", uri);
	cJSON *props = cJSON_AddObjectToObject(r, "properties");
	cJSON_AddStringToObject(props, "security-severity", sarif_security_severity(f->severity));
	cJSON *tags = cJSON_AddArrayToObject(props, "tags");
	cJSON_AddItemToArray(tags, cJSON_CreateString("security"));
	return r;
}

/* Index of rule id in the rules array, adding it when new. */
static int sarif_rule_index(cJSON *rules, const ms_finding *f)
{
	int i = 0;
	for (cJSON *r = rules->child; r; r = r->next, i++)
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "id")), f->rule_id)) return i;
	cJSON_AddItemToArray(rules, sarif_rule(f));
	return i;
}

static cJSON *sarif_location(const char *uri)
{
	cJSON *loc = cJSON_CreateObject();
	cJSON *pl = cJSON_AddObjectToObject(loc, "physicalLocation");
	cJSON *al = cJSON_AddObjectToObject(pl, "artifactLocation");
	cJSON_AddStringToObject(al, "uri", uri);
	return loc;
}

static void sarif_result(cJSON *results, cJSON *rules, const char *uri, const ms_finding *f)
{
	cJSON *res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "ruleId", f->rule_id);
	cJSON_AddNumberToObject(res, "ruleIndex", sarif_rule_index(rules, f));
	cJSON_AddStringToObject(res, "level", sarif_level(f->severity));
	char text[MS_MAX_REPORT_TEXT];
	snprintf(text, sizeof text, "%s%s%s at offset %llu: %s", f->member[0] ? "member " : "",
	         f->member, f->member[0] ? "," : "", (unsigned long long)f->offset, f->message);
	cJSON *msg = cJSON_AddObjectToObject(res, "message");
	cJSON_AddStringToObject(msg, "text", text);
	cJSON *locs = cJSON_AddArrayToObject(res, "locations");
	cJSON_AddItemToArray(locs, sarif_location(uri));
	/* Stable across runs for the same file content: lets GitHub track an alert. */
	char fp_in[MS_MAX_REPORT_TEXT], fp[2 * 16 + 1];
	unsigned char h[16];
	snprintf(fp_in, sizeof fp_in, "%s|%s|%s|%llu|%s.%s", uri, f->rule_id, f->member,
	         (unsigned long long)f->offset, f->module, f->name);
	crypto_generichash(h, sizeof h, (const unsigned char *)fp_in, strlen(fp_in), NULL, 0);
	sodium_bin2hex(fp, sizeof fp, h, sizeof h);
	cJSON *pf = cJSON_AddObjectToObject(res, "partialFingerprints");
	cJSON_AddStringToObject(pf, "mscanFinding/v1", fp);
	cJSON *props = cJSON_AddObjectToObject(res, "properties");
	cJSON_AddStringToObject(props, "severity", ms_severity_name(f->severity));
	cJSON_AddStringToObject(props, "member", f->member);
	cJSON_AddNumberToObject(props, "offset", (double)f->offset);
	if (f->module[0]) cJSON_AddStringToObject(props, "global", f->module);
	if (f->name[0]) cJSON_AddStringToObject(props, "name", f->name);
	cJSON_AddItemToArray(results, res);
}

ms_err ms_report_sarif(FILE *out, const ms_result *const *rs, size_t n,
                       const ms_report_opts *opts)
{
	cJSON *root = cJSON_CreateObject();
	if (!root) return MS_ERR_NOMEM;
	cJSON_AddStringToObject(root, "$schema", SARIF_SCHEMA);
	cJSON_AddStringToObject(root, "version", "2.1.0");
	cJSON *runs = cJSON_AddArrayToObject(root, "runs");
	cJSON *run = cJSON_CreateObject();
	cJSON_AddItemToArray(runs, run);
	cJSON *driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
	cJSON_AddStringToObject(driver, "name", "mscan");
	cJSON_AddStringToObject(driver, "version", MSCAN_VERSION);
	cJSON_AddStringToObject(driver, "semanticVersion", MSCAN_VERSION);
	cJSON_AddStringToObject(driver, "informationUri", SARIF_INFO_URI);
	cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
	cJSON *results = cJSON_AddArrayToObject(run, "results");
	cJSON *inv = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(run, "invocations"), inv);
	cJSON *notes = cJSON_AddArrayToObject(inv, "toolExecutionNotifications");
	int ok = 1;
	for (size_t i = 0; i < n; i++) {
		char path[MS_MAX_REPORT_PATH], uri[MS_MAX_REPORT_PATH * 3];
		ms_report_path(path, sizeof path, ms_result_path(rs[i]));
		sarif_uri(uri, sizeof uri, path);
		for (size_t k = 0; k < ms_result_count(rs[i]); k++) {
			const ms_finding *f = ms_result_get(rs[i], k);
			if (f->severity == MS_SEV_INFO && !opts->verbose) continue;
			sarif_result(results, rules, uri, f);
		}
		const ms_error *err = ms_result_error(rs[i]);
		if (err->code != MS_OK) {
			ok = 0;
			cJSON *note = cJSON_CreateObject();
			cJSON_AddStringToObject(note, "level", "error");
			cJSON *m = cJSON_AddObjectToObject(note, "message");
			char text[MS_MAX_REPORT_TEXT];
			snprintf(text, sizeof text, "%.4000s: %.4000s", path, err->message);
			cJSON_AddStringToObject(m, "text", text);
			cJSON_AddItemToArray(cJSON_AddArrayToObject(note, "locations"), sarif_location(uri));
			cJSON_AddItemToArray(notes, note);
		}
	}
	cJSON_AddBoolToObject(inv, "executionSuccessful", ok);
	return ms_report_cjson(out, root);
}
