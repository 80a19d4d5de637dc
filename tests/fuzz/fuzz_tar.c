/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the tar reader (tarfile semantics, legacy torch tar records): the whole scan path over arbitrary bytes (format
 * recognition included, so mutations that leave the format are exercised too). */
#include <stddef.h>
#include <stdint.h>

#include "mscan/mscan.h"

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
	return 0;
}
