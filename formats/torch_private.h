/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Storage references collected from a PyTorch pickle (zip and legacy readers). */
#ifndef MSCAN_TORCH_PRIVATE_H
#define MSCAN_TORCH_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include "../scanner/pickle_private.h"

typedef struct tz_storage {
	const char *key;  /* persistent id key (borrowed from the pickle arena) */
	size_t klen;
	uint64_t numel;   /* as pickled: elements (typed classes) or bytes (UntypedStorage) */
	unsigned es;      /* element size, 0 when the storage class is unknown */
	uint64_t nbytes;  /* numel * es, UINT64_MAX when unknown or overflowing */
	size_t order;     /* position among the references, in pickle order */
	bool seen;
} tz_storage;

/* Collects every ('storage', cls, key, location, numel[, view]) persistent id the pickle ran
 * (torch's persistent_load loads a storage at each, reachable from the result or not), the
 * first to run per key (the one torch keeps), sorted by key. *out is malloc'ed (caller frees).
 * Returns MS_OK, or why the references cannot be checked: the list is incomplete
 * (pids->lost) or no memory; then *out is NULL. */
ms_err tz_collect_storages(const pkl_persids *pids, tz_storage **out, size_t *nout);
/* Runs the one pickle at src[*off] as torch's loaders do (pickle_module.load(f) on a stream
 * of pickles and raw records), YARA over its bytes, and advances *off past it. what names it
 * in messages ("[storage header]"); persids (may be NULL) gets its persistent ids. Errors are
 * recorded on job. */
ms_err tz_pickle_at(ms_job *job, const ms_src *src, ms_arena *arena, size_t *off,
                    const char *what, pv **root, pkl_persids *persids);
/* Element size of a storage class global (FloatStorage -> 4), 0 when unknown. */
unsigned tz_elem_size(const pv *cls);
/* The storage with this key in a tz_collect_storages result (binary search), or NULL. */
tz_storage *tz_find_storage(tz_storage *s, size_t n, const uint8_t *key, size_t klen);

#endif
