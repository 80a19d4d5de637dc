/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer entry for the pickle machine: the whole scan path (format bid, pickle machine,
 * policy, disassembly) over arbitrary bytes, with record_ops on so the disassembler and
 * pv_render run on every opcode. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mscan/mscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ms_ctx *ctx, *ctx_wo;
	if (!ctx) {
		ms_scan_opts o = {.record_ops = 1, .no_yara = 1};
		ms_scan_opts w = {.record_ops = 1, .no_yara = 1, .weights_only = 1};
		if (ms_ctx_new(&o, &ctx) != MS_OK || ms_ctx_new(&w, &ctx_wo) != MS_OK) return 0;
	}
	ms_result *r = NULL;
	/* the first byte picks weights-only mode, so both paths are explored */
	ms_ctx *c = size && (data[0] & 1) ? ctx_wo : ctx;
	if (ms_scan_buffer(c, "fuzz", data, size, &r) != MS_OK) return 0;
	for (size_t i = 0; i < ms_result_count(r); i++) {
		const ms_finding *f = ms_result_get(r, i);
		if (!f->rule_id || !f->message) __builtin_trap();
	}
	const char *d = ms_result_disassembly(r);
	if (d) (void)strlen(d);
	ms_result_free(r);
	return 0;
}
