/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The one strict UTF-8 validator: the pickle machine (BINUNICODE, GLOBAL names, Python 2 str)
 * and the safetensors header (Rust's str::from_utf8) read text through it. */
#ifndef MSCAN_UTF8_PRIVATE_H
#define MSCAN_UTF8_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Checks p[0..n) as strict UTF-8: no overlong forms, nothing above U+10FFFF, no truncated
 * sequence; surrogates (ED A0..BF) only when allow_surr (Python's "surrogatepass").
 * Returns the offset of the first byte of the first invalid sequence, or SIZE_MAX when all
 * of it is valid. Inline: the pickle machine runs it on every BINUNICODE. */
static inline size_t ms_utf8_check(const uint8_t *p, size_t n, bool allow_surr)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k;
		uint32_t cp, min;
		if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; min = 0x80; }
		else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; min = 0x800; }
		else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; min = 0x10000; }
		else return i;
		if (n - i <= k) return i;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80) return i;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff) return i;
		if (cp >= 0xd800 && cp <= 0xdfff && !allow_surr) return i;
		i += k + 1;
	}
	return SIZE_MAX;
}

/* Whether p[0..n) is all valid (ms_utf8_check). */
static inline bool ms_utf8_ok(const uint8_t *p, size_t n, bool allow_surr)
{
	return ms_utf8_check(p, n, allow_surr) == SIZE_MAX;
}

#endif
