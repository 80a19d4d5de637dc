/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer entry for the pickle machine: the whole scan path (format bid, pickle machine,
 * policy, disassembly) over arbitrary bytes, twice: with the disassembly recorded (so the
 * disassembler and pv_render run on every opcode, on the general path of pkl_step) and
 * without (pkl_run_fast takes the common opcodes). The two must agree on the error, every
 * finding and every global, or the input traps: the fast path is a copy of the general
 * one's semantics. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mscan/mscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_result(const ms_result *a, const ms_result *b)
{
	const ms_error *ea = ms_result_error(a), *eb = ms_result_error(b);
	if (ea->code != eb->code || !same_str(ea->message, eb->message) ||
	    ms_result_count(a) != ms_result_count(b) ||
	    ms_result_global_count(a) != ms_result_global_count(b))
		return false;
	for (size_t i = 0; i < ms_result_count(a); i++) {
		const ms_finding *x = ms_result_get(a, i), *y = ms_result_get(b, i);
		if (!same_str(x->rule_id, y->rule_id) || x->severity != y->severity ||
		    x->offset != y->offset || !same_str(x->message, y->message))
			return false;
	}
	for (size_t i = 0; i < ms_result_global_count(a); i++) {
		const ms_global *x = ms_result_global(a, i), *y = ms_result_global(b, i);
		if (!same_str(x->module, y->module) || !same_str(x->name, y->name) ||
		    x->offset != y->offset || x->use != y->use)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ms_ctx *ctx[2][2]; /* [weights_only][record_ops] */
	if (!ctx[0][0]) {
		for (int wo = 0; wo < 2; wo++)
			for (int dis = 0; dis < 2; dis++) {
				ms_scan_opts o = {.record_ops = dis, .no_yara = 1, .weights_only = wo};
				if (ms_ctx_new(&o, &ctx[wo][dis]) != MS_OK) return 0;
			}
	}
	/* the first byte picks weights-only mode, so both paths are explored */
	int wo = size && (data[0] & 1);
	ms_result *plain = NULL, *dis = NULL;
	if (ms_scan_buffer(ctx[wo][1], "fuzz", data, size, &dis) != MS_OK) return 0;
	for (size_t i = 0; i < ms_result_count(dis); i++) {
		const ms_finding *f = ms_result_get(dis, i);
		if (!f->rule_id || !f->message) __builtin_trap();
	}
	const char *d = ms_result_disassembly(dis);
	if (d) (void)strlen(d);
	if (ms_scan_buffer(ctx[wo][0], "fuzz", data, size, &plain) == MS_OK) {
		if (!same_result(plain, dis)) __builtin_trap();
		ms_result_free(plain);
	}
	ms_result_free(dis);
	return 0;
}
