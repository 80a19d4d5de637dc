/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena_private.h"

/* Blocks double from the first one to ARENA_BLOCK: most scans need a few KB, and a first block
 * of a megabyte is an mmap, a page fault per page touched and a munmap per file. */
#define ARENA_FIRST (16u << 10)
#define ARENA_BLOCK (1u << 20)
#define ARENA_ALIGN 16u

_Static_assert(ARENA_ALIGN == 16, "ms_arena_alloc rounds to 16");

ms_arena *ms_arena_new_first(size_t cap, size_t first)
{
	ms_arena *a = calloc(1, sizeof *a);
	if (!a) return NULL;
	a->cap = cap;
	a->first = first < ARENA_ALIGN ? ARENA_ALIGN : first > ARENA_BLOCK ? ARENA_BLOCK : first;
	return a;
}

ms_arena *ms_arena_new(size_t cap) { return ms_arena_new_first(cap, ARENA_FIRST); }

void ms_arena_free(ms_arena *a)
{
	if (!a) return;
	for (ms_arena_block *b = a->head, *n; b; b = n) {
		n = b->next;
		free(b);
	}
	free(a);
}

void *ms_arena_alloc_block(ms_arena *a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need < n || need > a->cap - a->used) return NULL;
	ms_arena_block *b = a->head;
	if (!b || need > b->size - b->used) {
		size_t size = b ? (b->size < ARENA_BLOCK ? b->size * 2 : ARENA_BLOCK) : a->first;
		if (size < need) size = need;
		b = malloc(sizeof *b + size);
		if (!b) return NULL;
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->used += need;
	size_t in_block = b->size - b->used, in_cap = a->cap - a->used;
	a->avail = in_block < in_cap ? in_block : in_cap;
	memset(p, 0, n);
	return p;
}

void *ms_arena_grow(ms_arena *a, void *old, size_t old_n, size_t new_n)
{
	if (new_n <= old_n) return old;
	void *p = ms_arena_alloc(a, new_n);
	if (p && old_n) memcpy(p, old, old_n);
	return p;
}

char *ms_arena_strndup(ms_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX) return NULL;
	char *p = ms_arena_alloc_copy_target(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

size_t ms_arena_used(const ms_arena *a) { return a->used; }
