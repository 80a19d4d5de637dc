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
	bool seen;
} tz_storage;

/* The storages a pickle refers to: the first reference of each key, in the order they ran,
 * and a hash index by key. */
typedef struct tz_storages {
	tz_storage *s;
	size_t n;
	uint32_t *slot;   /* open addressing: index into s plus one, 0 for empty */
	size_t mask;      /* slot count - 1 (a power of two above 2n) */
} tz_storages;

/* Collects every ('storage', cls, key, location, numel[, view]) persistent id the pickle ran
 * (torch's persistent_load loads a storage at each, reachable from the result or not), the
 * first to run per key (the one torch keeps). Returns MS_OK, or why the references cannot be
 * checked: the list is incomplete (pids->lost) or no memory; out is then empty. Free with
 * tz_storages_free either way. */
ms_err tz_collect_storages(const pkl_persids *pids, tz_storages *out);
void tz_storages_free(tz_storages *st);
/* The storage with this key, or NULL. */
tz_storage *tz_find_storage(const tz_storages *st, const uint8_t *key, size_t klen);
/* Runs the one pickle at src[*off] as torch's loaders do (pickle_module.load(f) on a stream
 * of pickles and raw records), YARA over its bytes, and advances *off past it. what names it
 * in messages ("[storage header]"); persids (may be NULL) gets its persistent ids. Errors are
 * recorded on job. */
ms_err tz_pickle_at(ms_job *job, const ms_src *src, ms_arena *arena, size_t *off,
                    const char *what, pv **root, pkl_persids *persids);
/* The legacy stream's magic number 0x1950a86a20f9469cfc6c as LONG1 bytes (little-endian). */
#define TZ_LEGACY_MAGIC {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}
#define TZ_LEGACY_MAGIC_LEN 10u

/* One storage record of a legacy stream: int64 LE numel, then numel * es bytes. */
typedef struct tz_legacy_rec {
	uint64_t numel;     /* as the record says (set unless TZ_REC_HEADER_CUT) */
	uint64_t nbytes;    /* numel * es (set unless HEADER_CUT or OVERFLOW) */
	uint64_t data_off;  /* where its bytes start: off + 8 */
} tz_legacy_rec;
typedef enum { TZ_REC_OK, TZ_REC_HEADER_CUT, TZ_REC_OVERFLOW, TZ_REC_PAST_END } tz_rec;
/* Reads the record at p[off] of a len-byte stream with element size es (a pure function:
 * the scan and the converter walk the records with it). */
tz_rec tz_legacy_record(const uint8_t *p, size_t len, size_t off, uint64_t es, tz_legacy_rec *r);

/* Element size of a storage class global (FloatStorage -> 4), 0 when unknown. */
unsigned tz_elem_size(const pv *cls);

#endif
