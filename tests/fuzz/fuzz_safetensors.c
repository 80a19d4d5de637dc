/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the safetensors reader (reader "safetensors", see fuzz_reader.h), with
 * the validator's invariant: an accepted header's tensors tile the data region exactly. */
#include <stddef.h>
#include <stdint.h>

#include "formats/safetensors_private.h"

static void st_check(const uint8_t *data, size_t size)
{
	st_header h;
	if (st_parse(data, size, &h, NULL, 0, NULL) == MS_OK) {
		uint64_t at = 0;
		for (size_t i = 0; i < h.ntensors; i++) {
			if (h.tensors[i].begin != at) __builtin_trap();
			at = h.tensors[i].end;
		}
		if (h.data_start + at != size) __builtin_trap();
	}
	st_header_free(&h);
}

#define FUZZ_FORMAT "safetensors"
#define FUZZ_CHECK st_check
#include "fuzz_reader.h"
