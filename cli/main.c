/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* mscan: one binary, one subcommand per job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <yara.h>
#include <zip.h>

#include "cli.h"
#include "cli_convert.h" /* declarations for the rows of commands.h */
#include "mscan/mscan.h"

static const cli_command commands[] = {
	{"scan", cmd_scan, "scan model files and folders for code that loading would run"},
	{"dis", cmd_dis, "show a pickle stream opcode by opcode with resolved globals"},
#define CLI_EXTRA_COMMANDS
#include "commands.h"
#undef CLI_EXTRA_COMMANDS
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mscan COMMAND [OPTIONS] ARGS...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'mscan COMMAND --help' describes a command; 'man mscan' has the details.\n"
	           "Exit status: 0 clean/success, 1 findings/mismatch/bad signature, 2 error.\n");
}

static void version(void)
{
	printf("mscan %s (libyara %d.%d.%d, libzip %s, cJSON %s, libsodium %s)\n", MSCAN_VERSION,
	       YR_MAJOR_VERSION, YR_MINOR_VERSION, YR_MICRO_VERSION, LIBZIP_VERSION,
	       cJSON_Version(), sodium_version_string());
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_ERROR;
	}
	/* libzip turns every member's DOS time into a time_t with mktime(), and glibc's tzset()
	 * stats /etc/localtime on each call while TZ is unset: 10^4 members cost 10^4 stats. The
	 * same zone named explicitly is loaded once. */
	if (!getenv("TZ")) setenv("TZ", ":/etc/localtime", 0);
	/* libcrypto is here only for libyara's pe and hash modules. Its implicit start-up reads
	 * openssl.cnf (or whatever OPENSSL_CONF names, which may load engines and providers) and
	 * registers every error string: an eighth of a small file's scan, and nothing mscan uses.
	 * The first initialisation decides, so it is made here, before libyara's. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		version();
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(cmd, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
	return cli_usage_error("unknown command '%s'", cmd);
}
