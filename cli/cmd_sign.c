/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* mscan keygen / sign / verify-sig: minisign-compatible keys and detached signatures. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_convert.h"
#include "mscan/mscan.h"

#define SIGN_MSG 2048

static const char *sign_password(void)
{
	const char *p = getenv("MSCAN_PASSWORD");
	return p && *p ? p : NULL;
}

static int sign_dup(const char *opt, const char *have)
{
	if (have) {
		cli_usage_error("option --%s given twice", opt);
		return 1;
	}
	return 0;
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"pubkey", required_argument, NULL, 'p'},
		{"seckey", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *pub = NULL, *sec = NULL;
	int force = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "fhp:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'p': if (sign_dup("pubkey", pub)) return CLI_EXIT_ERROR; pub = optarg; break;
		case 's': if (sign_dup("seckey", sec)) return CLI_EXIT_ERROR; sec = optarg; break;
		case 'h':
			printf("usage: mscan keygen [-p PUBKEY] [-s SECKEY] [--force]\n\n"
			       "Creates a minisign-compatible Ed25519 key pair (default files\n"
			       "mscan.pub and mscan.key in the current folder). The secret key file is\n"
			       "created with mode 0600. If MSCAN_PASSWORD is set, the secret key is\n"
			       "encrypted with it (scrypt, as minisign); otherwise it is unencrypted, like\n"
			       "'minisign -G -W'.\n\n"
			       "  -p, --pubkey FILE   public key file (default mscan.pub)\n"
			       "  -s, --seckey FILE   secret key file (default mscan.key)\n"
			       "  -f, --force         replace existing key files\n");
			return CLI_EXIT_CLEAN;
		default: return cli_usage_error("keygen: bad option");
		}
	}
	if (optind != argc) return cli_usage_error("keygen: unexpected argument '%s'", argv[optind]);
	ms_error msg;
	char id[17];
	ms_err rc = ms_sign_keygen(pub ? pub : "mscan.pub", sec ? sec : "mscan.key", sign_password(),
	                           force, id, &msg);
	if (rc != MS_OK) {
		cli_warn("%s", msg.message);
		return CLI_EXIT_ERROR;
	}
	printf("key id %s\npublic key: %s\nsecret key: %s\n", id, pub ? pub : "mscan.pub",
	       sec ? sec : "mscan.key");
	return CLI_EXIT_CLEAN;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"key", required_argument, NULL, 'k'},
		{"seckey", required_argument, NULL, 's'},
		{"trusted-comment", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *tc = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hk:s:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
		case 's': if (sign_dup("key", key)) return CLI_EXIT_ERROR; key = optarg; break;
		case 't': if (sign_dup("trusted-comment", tc)) return CLI_EXIT_ERROR; tc = optarg; break;
		case 'h':
			printf("usage: mscan sign FILE|FOLDER... --key SECKEY [-t COMMENT]\n\n"
			       "Writes FILE.minisig (minisign format, prehashed \"ED\" signature). For a\n"
			       "folder, writes " MS_SIGN_MANIFEST " (BLAKE2b-512 and size of every file)\n"
			       "and signs it, so a modified, swapped, missing or added file fails\n"
			       "verification. Encrypted keys take their password from MSCAN_PASSWORD.\n\n"
			       "  -k, --key FILE              secret key (minisign or mscan keygen)\n"
			       "  -t, --trusted-comment TEXT  signed one-line comment (default:\n"
			       "                              timestamp:T<TAB>file:NAME<TAB>hashed)\n");
			return CLI_EXIT_CLEAN;
		default: return cli_usage_error("sign: bad option");
		}
	}
	if (!key) return cli_usage_error("sign: --key is required");
	if (optind == argc) return cli_usage_error("sign: nothing to sign");
	int status = CLI_EXIT_CLEAN;
	for (int i = optind; i < argc; i++) {
		ms_error msg;
		if (ms_sign_path(argv[i], key, sign_password(), tc, &msg) != MS_OK) {
			cli_warn("%s", msg.message);
			status = CLI_EXIT_ERROR;
		}
	}
	return status;
}

int cmd_verify_sig(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"pubkey", required_argument, NULL, 'p'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	const char *pub = NULL;
	int c, quiet = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hp:q", opts, NULL)) != -1) {
		switch (c) {
		case 'p': if (sign_dup("pubkey", pub)) return CLI_EXIT_ERROR; pub = optarg; break;
		case 'q': quiet = 1; break;
		case 'h':
			printf("usage: mscan verify-sig FILE|FOLDER... --pubkey PUBKEY [-q]\n\n"
			       "Checks FILE.minisig (made by mscan or minisign), or a folder's signed\n"
			       "manifest and every file it lists. Exit 0 valid, 1 bad signature or a\n"
			       "modified/missing/extra file, 2 error.\n\n"
			       "  -p, --pubkey FILE   minisign public key\n"
			       "  -q, --quiet         print nothing on success\n");
			return CLI_EXIT_CLEAN;
		default: return cli_usage_error("verify-sig: bad option");
		}
	}
	if (!pub) return cli_usage_error("verify-sig: --pubkey is required");
	if (optind == argc) return cli_usage_error("verify-sig: nothing to verify");
	int status = CLI_EXIT_CLEAN;
	for (int i = optind; i < argc; i++) {
		ms_error msg;
		char tc[8192];
		ms_err rc = ms_sign_verify(argv[i], pub, tc, sizeof tc, &msg);
		if (rc == MS_OK) {
			if (!quiet) printf("%s: signature verified\ntrusted comment: %s\n", argv[i], tc);
		} else if (rc == MS_ERR_MISMATCH) {
			printf("%s: BAD SIGNATURE: %s\n", argv[i], msg.message);
			status = CLI_EXIT_FINDINGS;
		} else {
			cli_warn("%s", msg.message);
			if (status != CLI_EXIT_FINDINGS) status = CLI_EXIT_ERROR;
		}
	}
	return status;
}
