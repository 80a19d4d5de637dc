/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* One line per finding: PATH[!MEMBER]@OFFSET: SEVERITY RULE-ID [module.name] message */
#include <string.h>

#include "limits.h"
#include "report_private.h"

static void txt_location(FILE *out, const char *path, const char *member, unsigned long long off)
{
	if (member[0])
		fprintf(out, "%s!%s@%llu", path, member, off);
	else
		fprintf(out, "%s@%llu", path, off);
}

static void txt_file(FILE *out, const ms_result *r, const ms_report_opts *o, size_t *counts)
{
	char path[MS_MAX_REPORT_PATH];
	ms_report_path(path, sizeof path, ms_result_path(r));
	const char *verdict = ms_result_verdict(r, o->fail_on);
	counts[verdict[0] == 'f' ? 1 : verdict[0] == 'e' ? 2 : 0]++;
	for (size_t i = 0; i < ms_result_count(r); i++) {
		const ms_finding *f = ms_result_get(r, i);
		if (f->severity == MS_SEV_INFO && !o->verbose) continue;
		txt_location(out, path, f->member, (unsigned long long)f->offset);
		fprintf(out, ": %s %s", ms_severity_name(f->severity), f->rule_id);
		if (f->module[0] || f->name[0]) fprintf(out, " [%s.%s]", f->module, f->name);
		fprintf(out, " %s\n", f->message);
	}
	const ms_error *err = ms_result_error(r);
	if (err->code != MS_OK) fprintf(out, "%s: ERROR %s\n", path, err->message);
	if (o->list_globals) {
		for (size_t i = 0; i < ms_result_global_count(r); i++) {
			const ms_global *g = ms_result_global(r, i);
			txt_location(out, path, g->member, (unsigned long long)g->offset);
			fprintf(out, ": global %s %s", g->module, g->name);
			if (strcmp(g->module, g->fq_module) || strcmp(g->name, g->fq_name))
				fprintf(out, " (%s.%s)", g->fq_module, g->fq_name);
			fprintf(out, " %s", ms_global_use_name(g->use));
			if (g->args) fprintf(out, " args=%s", g->args);
			fputc('\n', out);
		}
	}
	if (o->verbose && verdict[0] == 'c')
		fprintf(out, "%s: OK (%s)\n", path, ms_result_format(r));
}

ms_err ms_report_text(FILE *out, const ms_result *const *results, size_t n,
                      const ms_report_opts *o)
{
	size_t counts[3] = {0, 0, 0}; /* clean, findings, error */
	for (size_t i = 0; i < n; i++) txt_file(out, results[i], o, counts);
	if (!o->quiet)
		fprintf(out, "scanned %zu file%s: %zu clean, %zu with findings, %zu error%s\n", n,
		        n == 1 ? "" : "s", counts[0], counts[1], counts[2], counts[2] == 1 ? "" : "s");
	return MS_OK;
}
