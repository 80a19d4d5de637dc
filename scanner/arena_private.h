/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Per-scan bump arena (YARA's notebook): parser temporaries freed in one call, total capped. */
#ifndef MSCAN_ARENA_PRIVATE_H
#define MSCAN_ARENA_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stddef.h>
#include <string.h>

typedef struct ms_arena ms_arena;

/* The layout is here only for the inline fast path of ms_arena_alloc. */
typedef struct ms_arena_block {
	struct ms_arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
} ms_arena_block;

struct ms_arena {
	ms_arena_block *head;
	size_t cap, used, first;
	size_t avail; /* what head can still hand out within cap: one test on the fast path */
};

/* cap: total bytes the arena may hand out. Returns NULL when out of memory. */
ms_arena *ms_arena_new(size_t cap);
/* Same with the first block of first bytes (blocks double from there): for arenas that live
 * long and usually hold little, such as a result's strings kept until the report. */
ms_arena *ms_arena_new_first(size_t cap, size_t first);
void ms_arena_free(ms_arena *a);
/* ms_arena_alloc's whole path: the cap, then a new block when the current one is full. */
void *ms_arena_alloc_block(ms_arena *a, size_t n);

/* ms_arena_alloc without the zeroing, for bytes the caller copies in whole at once (strings,
 * value vectors): the memset was a fifth of making a string constant. */
static inline void *ms_arena_alloc_copy_target(ms_arena *a, size_t n)
{
	size_t need = (n + 15) & ~(size_t)15;
	if (need < n || need > a->avail) return ms_arena_alloc_block(a, n);
	ms_arena_block *b = a->head;
	void *p = b->data + b->used;
	b->used += need;
	a->used += need;
	a->avail -= need;
	return p;
}

/* Zeroed, 16-byte aligned; NULL when the cap or memory is exhausted. Inline: the pickle
 * machine makes a value per opcode, and most sizes are constants the memset folds. */
static inline void *ms_arena_alloc(ms_arena *a, size_t n)
{
	void *p = ms_arena_alloc_copy_target(a, n);
	if (p) memset(p, 0, n);
	return p;
}
/* Grows an allocation made by this arena (old bytes copied; the old block is not reused). */
void *ms_arena_grow(ms_arena *a, void *old, size_t old_n, size_t new_n);
char *ms_arena_strndup(ms_arena *a, const char *s, size_t n);
size_t ms_arena_used(const ms_arena *a);

#endif
