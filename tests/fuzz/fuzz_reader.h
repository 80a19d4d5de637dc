/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Body of the per-reader libFuzzer targets. Each input goes through the whole scan path
 * (format recognition included, so mutations that leave the format are exercised too), then
 * through the one reader FUZZ_FORMAT alone, bid or not, so inputs whose magic a mutation
 * broke still reach that reader's parser. A target is: #define FUZZ_FORMAT "tar" and this;
 * one that also checks invariants of its reader defines FUZZ_CHECK(data, size) first. */
#include <stddef.h>
#include <stdint.h>

#include "mscan/mscan.h"
#include "scanner/scan_private.h"

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
	if (ms_scan_buffer_as(ctx, FUZZ_FORMAT, data, size, &r) == MS_OK) ms_result_free(r);
#ifdef FUZZ_CHECK
	FUZZ_CHECK(data, size);
#endif
	return 0;
}
