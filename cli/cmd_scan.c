/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* PLACEHOLDER: replaced by the full scan command. */
#include <stdio.h>

#include "cli.h"
#include "mscan/mscan.h"

int cmd_scan(int argc, char **argv)
{
	ms_ctx *ctx;
	ms_scan_opts o = {0};
	if (ms_ctx_new(&o, &ctx) != MS_OK) return 2;
	int worst = 0;
	for (int i = 1; i < argc; i++) {
		ms_result *r;
		ms_scan_file(ctx, argv[i], &r);
		const char *msg;
		for (size_t k = 0; k < ms_result_count(r); k++) {
			const ms_finding *f = ms_result_get(r, k);
			printf("%s: %s %s %s\n", f->file, ms_severity_name(f->severity), f->rule_id, f->message);
		}
		if (ms_result_error(r, &msg) != MS_OK) { printf("%s: error: %s\n", argv[i], msg); if (worst < 2) worst = 2; }
		if (ms_result_max_severity(r) >= MS_SEV_HIGH) worst = 1;
		ms_result_free(r);
	}
	ms_ctx_free(ctx);
	return worst;
}
int cmd_dis(int argc, char **argv) { (void)argc; (void)argv; return 2; }
