/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* mscan verify: a converted safetensors file (or folder) against its original, bitwise. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_convert.h"
#include "mscan/mscan.h"

static void verify_notice(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "mscan: notice: %s\n", msg);
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"against", required_argument, NULL, 'a'},
		{"byteorder", required_argument, NULL, 'b'},
		{"device", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"key", required_argument, NULL, 'k'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	const char *against = NULL, *device = NULL;
	ms_convert_opts o = {0};
	int c, quiet = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "a:b:d:hk:q", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (against) return cli_usage_error("verify: --against given twice");
			against = optarg;
			break;
		case 'b':
			if (o.byteorder) return cli_usage_error("verify: --byteorder given twice");
			if (!strcmp(optarg, "little")) o.byteorder = 1;
			else if (!strcmp(optarg, "big")) o.byteorder = 2;
			else return cli_usage_error("verify: --byteorder must be little or big");
			break;
		case 'd':
			if (device) return cli_usage_error("verify: --device given twice");
			device = optarg;
			break;
		case 'k':
			if (o.key) return cli_usage_error("verify: --key given twice");
			o.key = optarg;
			break;
		case 'q': quiet = 1; break;
		case 'h':
			printf("usage: mscan verify CONVERTED --against ORIGINAL [--device auto|cpu|cuda]\n\n"
			       "Checks that every tensor of ORIGINAL (a PyTorch checkpoint or sharded\n"
			       "folder) is in CONVERTED (safetensors file or folder) with the same dtype,\n"
			       "shape and bits, and that CONVERTED holds nothing else. Tied tensors are\n"
			       "found through their __metadata__ alias. The first mismatch is named with its\n"
			       "element index and both values.\n\n"
			       "  -a, --against ORIGINAL  the checkpoint that was converted\n"
			       "  -d, --device DEV        auto (GPU when present, else CPU), cpu, cuda\n"
			       "  -k, --key KEY           as given to convert\n"
			       "  -b, --byteorder little|big  as given to convert\n"
			       "  -q, --quiet             print nothing on success\n\n"
			       "Exit status: 0 identical, 1 mismatch, 2 error.\n");
			return CLI_EXIT_CLEAN;
		default: return cli_usage_error("verify: bad option");
		}
	}
	ms_device dev = MS_DEVICE_AUTO;
	if (device) {
		if (!strcmp(device, "auto")) dev = MS_DEVICE_AUTO;
		else if (!strcmp(device, "cpu")) dev = MS_DEVICE_CPU;
		else if (!strcmp(device, "cuda")) dev = MS_DEVICE_CUDA;
		else return cli_usage_error("verify: --device must be auto, cpu or cuda");
	}
	if (!against) return cli_usage_error("verify: --against ORIGINAL is required");
	if (optind == argc) return cli_usage_error("verify: CONVERTED is required");
	if (argc - optind > 1) return cli_usage_error("verify: one CONVERTED at a time");
	o.notice = quiet ? NULL : verify_notice;
	ms_error msg;
	ms_err rc = ms_verify(argv[optind], against, dev, &o, &msg);
	if (rc == MS_OK) {
		if (!quiet) printf("%s: every tensor matches %s bit for bit\n", argv[optind], against);
		return CLI_EXIT_CLEAN;
	}
	if (rc == MS_ERR_MISMATCH) {
		printf("%s: MISMATCH: %s\n", argv[optind], msg.message);
		return CLI_EXIT_FINDINGS;
	}
	cli_warn("%s", msg.message);
	return CLI_EXIT_ERROR;
}
