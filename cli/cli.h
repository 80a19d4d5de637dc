/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#ifndef MSCAN_CLI_H
#define MSCAN_CLI_H

#include <stdio.h>

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

#endif
