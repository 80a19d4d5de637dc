/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The one output text buffer: growable (malloc'd, for the safetensors header the converter
 * writes) or fixed (the caller's array, cut with "..." when full, for values rendered into
 * messages). Always NUL-terminated once anything is written. */
#ifndef MSCAN_BUF_PRIVATE_H
#define MSCAN_BUF_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Bytes a fixed buffer keeps free for the "..." and NUL that mark a cut. */
#define MS_BUF_CUT 4u

typedef struct ms_buf {
	char *p;
	size_t n, cap;  /* n < cap once anything is written; p[n] is NUL */
	bool full;      /* nothing more is written: a fixed buffer was cut, or growing failed */
	bool fixed;     /* p is the caller's cap bytes: never grown */
} ms_buf;

/* A growable buffer starts as (ms_buf){0}; the caller frees p. */
/* A fixed buffer over buf[0..cap) (cap >= MS_BUF_CUT). */
static inline ms_buf ms_buf_fixed(char *buf, size_t cap)
{
	return (ms_buf){buf, 0, cap, false, true};
}

/* ms_buf_put when s does not fit in what is left (grows, or cuts a fixed buffer). */
void ms_buf_put_slow(ms_buf *b, const void *s, size_t n);

/* Appends s[0..n); a no-op once full. */
static inline void ms_buf_put(ms_buf *b, const void *s, size_t n)
{
	if (b->full) return;
	if (n + MS_BUF_CUT > b->cap - b->n) {
		ms_buf_put_slow(b, s, n);
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static inline void ms_buf_puts(ms_buf *b, const char *s) { ms_buf_put(b, s, strlen(s)); }

#endif
