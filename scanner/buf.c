/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include <stdlib.h>

#include "buf_private.h"

/* Initial size of a growable buffer. */
#define MS_BUF_START 4096u

void ms_buf_put_slow(ms_buf *b, const void *s, size_t n)
{
	if (b->full) return;
	if (b->fixed) {
		/* what fits, then "..." and the NUL */
		size_t room = b->cap - b->n > MS_BUF_CUT ? b->cap - b->n - MS_BUF_CUT : 0;
		memcpy(b->p + b->n, s, room);
		b->n += room;
		memcpy(b->p + b->n, "...", 4);
		b->n += 3;
		b->full = true;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : MS_BUF_START;
		while (nc < b->n + n + 1) nc *= 2;
		char *q = realloc(b->p, nc);
		if (!q) {
			b->full = true;
			return;
		}
		b->p = q;
		b->cap = nc;
	}
	if (n) memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}
