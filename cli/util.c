/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* What several commands share: diagnostics, option values, the scan context, the exit status. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void cli_vwarn(const char *fmt, va_list ap)
{
	fputs("mscan: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vwarn(fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vwarn(fmt, ap);
	va_end(ap);
	fputs("Try 'mscan --help'.\n", stderr);
	return CLI_EXIT_ERROR;
}

int cli_opt_format(const char *arg, int *seen, ms_report_format *fmt)
{
	if ((*seen)++) return cli_usage_error("--format given twice");
	if (!strcmp(arg, "text")) *fmt = MS_REPORT_TEXT;
	else if (!strcmp(arg, "json")) *fmt = MS_REPORT_JSON;
	else if (!strcmp(arg, "sarif")) *fmt = MS_REPORT_SARIF;
	else return cli_usage_error("unknown format '%s' (text, json, sarif)", arg);
	return -1;
}

int cli_opt_fail_on(const char *arg, int *seen, ms_severity *sev)
{
	if ((*seen)++) return cli_usage_error("--fail-on given twice");
	if (ms_severity_parse(arg, sev) != MS_OK) return cli_usage_error("unknown severity '%s'", arg);
	return -1;
}

int cli_ctx_new(const ms_scan_opts *opts, const char *policy, const char *const *rules,
                size_t nrules, ms_ctx **ctx)
{
	ms_err rc = ms_ctx_new(opts, ctx);
	if (rc != MS_OK) {
		cli_warn("cannot set up: %s%s%s", ms_strerror(rc), *ctx ? ": " : "",
		         *ctx ? ms_ctx_error(*ctx)->message : "");
		return CLI_EXIT_ERROR;
	}
	if (policy && ms_ctx_load_policy(*ctx, policy) != MS_OK) {
		cli_warn("%s", ms_ctx_error(*ctx)->message);
		return CLI_EXIT_ERROR;
	}
	for (size_t i = 0; i < nrules; i++)
		if (ms_ctx_add_rules(*ctx, rules[i]) != MS_OK) {
			cli_warn("%s", ms_ctx_error(*ctx)->message);
			return CLI_EXIT_ERROR;
		}
	return 0;
}

int cli_exit_status(ms_result *const *rs, size_t n, ms_severity fail_on, int other_errors)
{
	int findings = 0, errors = other_errors;
	for (size_t i = 0; i < n; i++) {
		const char *v = ms_result_verdict(rs[i], fail_on);
		findings |= v[0] == 'f';
		errors |= v[0] == 'e' || ms_result_error(rs[i])->code != MS_OK;
	}
	return findings ? CLI_EXIT_FINDINGS : errors ? CLI_EXIT_ERROR : CLI_EXIT_CLEAN;
}
