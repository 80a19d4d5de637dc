/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the safetensors reader: the whole scan path over arbitrary bytes (format
 * recognition included, so mutations that leave the format are exercised too). */
#include <stddef.h>
#include <stdint.h>

#include "mscan/mscan.h"
#include "formats/safetensors_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ms_ctx *ctx;
	if (!ctx) {
		ms_scan_opts o = {.no_yara = 1};
		if (ms_ctx_new(&o, &ctx) != MS_OK) return 0;
	}
	ms_result *r = NULL;
	if (ms_scan_buffer(ctx, "fuzz", data, size, &r) == MS_OK) ms_result_free(r);
	st_header h;
	if (st_parse(data, size, &h, NULL, 0, NULL) == MS_OK) {
		/* Invariant: the tensors tile the data region exactly. */
		uint64_t at = 0;
		for (size_t i = 0; i < h.ntensors; i++) {
			if (h.tensors[i].begin != at) __builtin_trap();
			at = h.tensors[i].end;
		}
		if (h.data_start + at != size) __builtin_trap();
	}
	st_header_free(&h);
	return 0;
}
