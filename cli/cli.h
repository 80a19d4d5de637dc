/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#ifndef MSCAN_CLI_H
#define MSCAN_CLI_H

#include <stdio.h>

#include "mscan/mscan.h"

#define CLI_EXIT_CLEAN 0
#define CLI_EXIT_FINDINGS 1
#define CLI_EXIT_ERROR 2

typedef struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *help;
} cli_command;

int cmd_scan(int argc, char **argv);
int cmd_dis(int argc, char **argv);
int cmd_rules(int argc, char **argv); /* cmd_rules.c */

/* Prints "mscan: <msg>" and "Try 'mscan --help'." to stderr; returns CLI_EXIT_ERROR. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "mscan: <msg>" to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Option values shared by commands. *seen counts the option, which may be given once. Each
 * returns -1 when arg is good (stored), else the usage error's exit status. */
int cli_opt_format(const char *arg, int *seen, ms_report_format *fmt);   /* text|json|sarif */
int cli_opt_fail_on(const char *arg, int *seen, ms_severity *sev);
/* Makes the scan context: built-in policy and rules plus only the explicit --policy (may be
 * NULL) and --rules paths. Returns 0, or CLI_EXIT_ERROR after saying why; either way the
 * caller frees *ctx (possibly NULL) with ms_ctx_free. */
int cli_ctx_new(const ms_scan_opts *opts, const char *policy, const char *const *rules,
                size_t nrules, ms_ctx **ctx);
/* Exit status over results: findings at or above fail_on win over errors (a result's, or
 * other_errors != 0 for files that made no result). */
int cli_exit_status(ms_result *const *rs, size_t n, ms_severity fail_on, int other_errors);

#endif
