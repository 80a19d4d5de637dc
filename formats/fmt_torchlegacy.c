/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Legacy PyTorch stream (torch < 1.6, or torch.save(..., _use_new_zipfile_serialization=False)).
 * Reference: ../shared/reference/formats.md A.2.1; torch/serialization.py _legacy_save/_legacy_load.
 *
 *   pickle(MAGIC_NUMBER)  80 02 8a 0a 6c fc 9c 46 f9 20 6a a8 50 19 2e   (0x1950a86a20f9469cfc6c)
 *   pickle(1001)          protocol version
 *   pickle(sys_info)      {'protocol_version': 1001, 'little_endian': bool, 'type_sizes': {...}}
 *   pickle(obj)           persistent ids ('storage', cls, key, location, numel, view_metadata)
 *   pickle(keys)          sorted list of storage keys
 *   per key, in list order: int64 LE numel, then numel * element_size raw bytes
 *
 * Every pickle goes through the pickle machine (pkl_run_one gives each one's length); the
 * storage records are skipped by arithmetic, never read.
 */
#include <stdlib.h>
#include <string.h>

#include "../scanner/arena_private.h"
#include "../scanner/bytes.h"
#include "../scanner/limits.h"
#include "torch_private.h"
#include "fmt_private.h"

#define TL_BID 80u
#define TL_PROTOCOL 1001
static const uint8_t tl_magic_long[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a,
                                        0xa8, 0x50, 0x19}; /* LONG1 10 TZ_LEGACY_MAGIC */
#define TL_REC_HEADER 8u /* int64 LE numel before each storage's bytes */

tz_rec tz_legacy_record(const uint8_t *p, size_t len, size_t off, uint64_t es, tz_legacy_rec *r)
{
	if (off > len || len - off < TL_REC_HEADER) return TZ_REC_HEADER_CUT;
	r->numel = ms_le64(p + off);
	r->data_off = off + TL_REC_HEADER;
	if (ms_mul_ovf(r->numel, es, &r->nbytes)) return TZ_REC_OVERFLOW;
	if (r->nbytes > len - off - TL_REC_HEADER) return TZ_REC_PAST_END;
	return TZ_REC_OK;
}
#define TL_MAGIC_SEARCH 32u /* the LONG1 opcode sits right after PROTO (and FRAME for proto 4+) */

static unsigned tl_bid(const uint8_t *p, size_t len)
{
	if (len < 2 || p[0] != 0x80) return 0;
	size_t lim = len < TL_MAGIC_SEARCH ? len : TL_MAGIC_SEARCH;
	for (size_t i = 2; i + sizeof tl_magic_long <= lim; i++)
		if (memcmp(p + i, tl_magic_long, sizeof tl_magic_long) == 0) return TL_BID;
	return 0;
}

static const char *const tl_names[] = {"[magic]", "[protocol]", "[sys_info]", "[main pickle]",
                                       "[storage keys]"};

static ms_err tl_scan(ms_job *job, const ms_src *src)
{
	ms_arena *arena = ms_arena_new(MS_MAX_ARENA_BYTES);
	if (!arena) return ms_job_error(job, src, 0, MS_ERR_NOMEM, "no memory for the pickle machine");
	ms_err rc = MS_OK;
	size_t off = 0;
	pv *roots[5] = {0};
	pkl_persids main_pids = {0};
	for (int k = 0; k < 5; k++)
		if ((rc = tz_pickle_at(job, src, arena, &off, tl_names[k], &roots[k],
		                       k == 3 ? &main_pids : NULL)) != MS_OK)
			goto out;
	if (!roots[1] || roots[1]->kind != PV_INT || roots[1]->u.i != TL_PROTOCOL)
		ms_job_finding(job, src, 0, MS_RULE_TORCH_LEGACY_PROTOCOL, NULL, NULL,
		               "legacy torch: protocol version pickle is not 1001 (torch.load refuses it)");
	tz_storages st;
	if ((rc = tz_collect_storages(&main_pids, &st)) != MS_OK) {
		tz_storages_free(&st);
		rc = ms_job_error(job, src, off, rc, "legacy torch: %s",
		                  rc == MS_ERR_LIMIT ? "more storage references than are checked"
		                                     : "no memory for the storage references");
		goto out;
	}
	const pv *keys = roots[4];
	if (!keys || keys->kind != PV_LIST) {
		tz_storages_free(&st);
		rc = ms_job_error(job, src, off, MS_ERR_MALFORMED, "legacy torch: storage key list is not a list");
		goto out;
	}
	for (size_t i = 0; i < keys->u.seq.n; i++) {
		const pv *k = keys->u.seq.v[i];
		tz_storage *s = k && k->kind == PV_STR ? tz_find_storage(&st, k->u.s.p, k->u.s.len) : NULL;
		if (!s || !s->es) {
			tz_storages_free(&st);
			rc = ms_job_error(job, src, off, MS_ERR_MALFORMED,
			                  "legacy torch: storage key %zu is not a known storage of the main pickle", i);
			goto out;
		}
		tz_legacy_rec r;
		tz_rec rs = tz_legacy_record(src->data, src->len, off, s->es, &r);
		if (rs == TZ_REC_HEADER_CUT) {
			tz_storages_free(&st);
			rc = ms_job_error(job, src, off, MS_ERR_TRUNCATED, "legacy torch: storage %zu header cut", i);
			goto out;
		}
		uint64_t numel = r.numel;
		if (numel != s->numel)
			ms_job_finding(job, src, off, MS_RULE_TORCH_STORAGE_SIZE, NULL, NULL,
			               "storage %zu holds %llu elements, the pickle says %llu", i,
			               (unsigned long long)numel, (unsigned long long)s->numel);
		if (rs != TZ_REC_OK) {
			unsigned es = s->es;
			tz_storages_free(&st);
			rc = ms_job_error(job, src, off, MS_ERR_TRUNCATED,
			                  "legacy torch: storage %zu (%llu x %u bytes) runs past the end", i,
			                  (unsigned long long)numel, es);
			goto out;
		}
		s->seen = true;
		off = (size_t)(r.data_off + r.nbytes);
	}
	for (size_t j = 0; j < st.n; j++)
		if (!st.s[j].seen)
			ms_job_finding(job, src, off, MS_RULE_TORCH_STORAGE_MISSING, NULL, NULL,
			               "storage %zu referenced by the pickle is not in the key list", j);
	tz_storages_free(&st);
	if (off < src->len) {
		/* torch.load stops after the last storage; whatever follows is for someone else. */
		ms_job_finding(job, src, off, MS_RULE_TORCH_TRAILING, NULL, NULL,
		               "%zu bytes after the last storage", src->len - off);
		ms_src tail;
		if (ms_src_slice(job, src, off, src->len - off, "[after storages]", &tail))
			rc = ms_job_scan_blob(job, &tail);
	}
out:
	ms_arena_free(arena);
	return rc;
}

ms_err tz_pickle_at(ms_job *job, const ms_src *src, ms_arena *arena, size_t *off,
                    const char *what, pv **root, pkl_persids *persids)
{
	ms_src ps;
	if (*off >= src->len)
		return ms_job_error(job, src, *off, MS_ERR_TRUNCATED, "legacy torch: %s pickle missing",
		                    what);
	if (!ms_src_slice(job, src, *off, src->len - *off, what, &ps))
		return ms_job_error(job, src, *off, MS_ERR_NOMEM, "no memory");
	ps.depth = src->depth; /* the same stream, not a nested container */
	size_t used = 0, slen = 0;
	const uint8_t *strings = NULL;
	ms_err rc = pkl_run_one(job, &ps, arena, root, &used, &strings, &slen, persids);
	ms_src yr;
	if (used && ms_src_slice(job, src, *off, used, what, &yr)) {
		yr.depth = src->depth;
		ms_job_yara_pickle(job, &yr, strings, slen);
	}
	if (rc != MS_OK) return rc;
	if (used == 0 || used > src->len - *off)
		return ms_job_error(job, src, *off, MS_ERR_MALFORMED, "legacy torch: empty %s pickle",
		                    what);
	*off += used;
	return MS_OK;
}

const ms_format ms_format_torchlegacy = {
	.name = "torchlegacy",
	.bid = tl_bid,
	.scan = tl_scan,
};
