/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * PyTorch zip checkpoints (torch.save since 1.6) and TorchScript archives (torch.jit.save).
 * Reference: ../shared/reference/formats.md A.1; caffe2/serialize/inline_container.cc.
 *
 *   <prefix>/data.pkl          pickle of the saved object, storages as persistent ids
 *                              ('storage', <storage class>, key, location, numel)
 *   <prefix>/data/<key>        raw bytes of one storage (never read here: sizes only)
 *   <prefix>/byteorder         "little" | "big"                     (torch >= 2.1)
 *   <prefix>/version           "3\n" ...; TorchScript: .data/version (1..10 supported)
 *   <prefix>/constants.pkl, <prefix>/code/...   TorchScript only
 *   <prefix>/.format_version, .storage_alignment, .data/serialization_id   (recent torch)
 *
 * The prefix is the part of entry 0's name before its first '/', as PyTorchStreamReader
 * takes it. The zip container itself is read by the engine in fmt_zip.c. Every member whose
 * name ends in "pkl" is scanned as a pickle; records outside data/ are examined by content;
 * data.pkl's storage references are checked against the data/ records.
 */
#include <stdlib.h>
#include <string.h>

#include "../scanner/arena_private.h"
#include "../scanner/bytes.h"
#include "../scanner/limits.h"
#include "../scanner/pickle_private.h"
#include "torch_private.h"
#include "zip_private.h"

#define TZ_BID 40u
#define TZ_MIN_VERSION 1
#define TZ_MAX_VERSION 10
#define TZ_VERSION_MAX_LEN 32u

static unsigned tz_bid(const uint8_t *p, size_t len)
{
	if (len < 4 || memcmp(p, "PK\x03\x04", 4) != 0) return 0;
	if (zip_cd_has_suffix(p, len, "/data.pkl") || zip_cd_has_suffix(p, len, "/constants.pkl"))
		return TZ_BID;
	return 0;
}

/* ---- storage references collected from data.pkl --------------------------------------- */

static const struct {
	const char *name;
	unsigned size;
} tz_elem[] = {
	{"DoubleStorage", 8}, {"FloatStorage", 4}, {"HalfStorage", 2}, {"BFloat16Storage", 2},
	{"LongStorage", 8}, {"IntStorage", 4}, {"ShortStorage", 2}, {"CharStorage", 1},
	{"ByteStorage", 1}, {"BoolStorage", 1}, {"ComplexFloatStorage", 8},
	{"ComplexDoubleStorage", 16}, {"QInt8Storage", 1}, {"QInt32Storage", 4},
	{"QUInt8Storage", 1}, {"QUInt4x2Storage", 1}, {"QUInt2x4Storage", 1},
	{"UntypedStorage", 1},
};

unsigned tz_elem_size(const pv *cls)
{
	if (!cls || cls->kind != PV_GLOBAL || !cls->u.g.fq_name) return 0;
	for (size_t i = 0; i < sizeof tz_elem / sizeof tz_elem[0]; i++)
		if (strcmp(cls->u.g.fq_name, tz_elem[i].name) == 0) return tz_elem[i].size;
	return 0;
}

/* The storage reference in pid, if it is one ('storage', cls, key, location, numel, ...). */
static bool tz_storage_ref(const pv *pid, tz_storage *out)
{
	if (!pid || pid->kind != PV_TUPLE || pid->u.seq.n < 5) return false;
	pv *const *t = pid->u.seq.v;
	if ((t[0]->kind != PV_STR && t[0]->kind != PV_BYTES) || t[0]->u.s.len != 7 ||
	    memcmp(t[0]->u.s.p, "storage", 7) != 0)
		return false;
	if (t[2]->kind != PV_STR || t[4]->kind != PV_INT || t[4]->u.i < 0) return false;
	uint64_t es = tz_elem_size(t[1]);
	uint64_t nbytes;
	if (!es || ms_mul_ovf((uint64_t)t[4]->u.i, es, &nbytes)) nbytes = UINT64_MAX;
	*out = (tz_storage){(const char *)t[2]->u.s.p, t[2]->u.s.len, (uint64_t)t[4]->u.i,
	                    (unsigned)es, nbytes, false};
	return true;
}

static size_t tz_key_hash(const uint8_t *k, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
	return (size_t)(h ^ h >> 32);
}

/* The slot holding key, or the empty slot where it would go. Keys are attacker-chosen, so
 * colliding ones cost probes, never a wrong answer: every candidate is compared whole. */
static uint32_t *tz_slot(const tz_storages *st, const uint8_t *key, size_t klen)
{
	for (size_t i = tz_key_hash(key, klen) & st->mask;; i = (i + 1) & st->mask) {
		uint32_t *sl = &st->slot[i];
		if (*sl == 0) return sl;
		const tz_storage *x = &st->s[*sl - 1];
		if (x->klen == klen && memcmp(x->key, key, klen) == 0) return sl;
	}
}

ms_err tz_collect_storages(const pkl_persids *pids, tz_storages *out)
{
	memset(out, 0, sizeof *out);
	if (pids->lost != MS_OK) return pids->lost;
	/* pids->n <= MS_MAX_PKL_PERSIDS (2^22): the sizes below cannot overflow */
	size_t cap = 16;
	while (cap < 2 * pids->n) cap *= 2;
	out->s = malloc((pids->n ? pids->n : 1) * sizeof *out->s);
	out->slot = calloc(cap, sizeof *out->slot);
	if (!out->s || !out->slot) {
		tz_storages_free(out);
		return MS_ERR_NOMEM;
	}
	out->mask = cap - 1;
	for (size_t i = 0; i < pids->n; i++) {
		tz_storage ref;
		if (!tz_storage_ref(pids->v[i], &ref)) continue;
		uint32_t *sl = tz_slot(out, (const uint8_t *)ref.key, ref.klen);
		if (*sl) continue; /* torch keeps the storage it loaded first for a key */
		out->s[out->n++] = ref;
		*sl = (uint32_t)out->n;
	}
	return MS_OK;
}

void tz_storages_free(tz_storages *st)
{
	free(st->s);
	free(st->slot);
	memset(st, 0, sizeof *st);
}

tz_storage *tz_find_storage(const tz_storages *st, const uint8_t *key, size_t klen)
{
	if (!st->slot) return NULL;
	uint32_t *sl = tz_slot(st, key, klen);
	return *sl ? &st->s[*sl - 1] : NULL;
}

/* ---- the reader ------------------------------------------------------------------------ */

typedef struct tz_ctx {
	ms_job *job;
	const ms_src *src;
	zip_archive *z;
	const uint8_t *prefix;
	size_t plen;
	bool torchscript;
	size_t data_pkl;       /* index of <prefix>/data.pkl, SIZE_MAX if none */
	size_t *rel;           /* per member: where its name inside <prefix>/ starts (tz_rel) */
	size_t *records;       /* indices of data/<key> members */
	size_t nrecords;
	ms_err first;
} tz_ctx;

static void tz_note(tz_ctx *t, ms_err rc)
{
	if (t->first == MS_OK && rc != MS_OK) t->first = rc;
}

/* Where e's name inside <prefix>/ starts: plen + 1, or 0 for a member outside the folder. */
static size_t tz_rel_start(const tz_ctx *t, const zip_entry *e)
{
	if (e->nlen > t->plen && memcmp(e->name, t->prefix, t->plen) == 0 && e->name[t->plen] == '/')
		return t->plen + 1;
	return 0;
}

/* Member i's name relative to the archive folder (its whole name when outside it). */
static void tz_rel(const tz_ctx *t, size_t i, const uint8_t **rel, size_t *rlen)
{
	*rel = t->z->e[i].name + t->rel[i];
	*rlen = t->z->e[i].nlen - t->rel[i];
}

static bool tz_is(const uint8_t *rel, size_t rlen, const char *s)
{
	return rlen == strlen(s) && memcmp(rel, s, rlen) == 0;
}

static bool tz_ends(const uint8_t *rel, size_t rlen, const char *s)
{
	size_t n = strlen(s);
	return rlen >= n && memcmp(rel + rlen - n, s, n) == 0;
}

static void tz_scan_pickle(tz_ctx *t, size_t i, bool is_data)
{
	ms_src m;
	uint8_t *owned;
	ms_err rc = zip_member(t->job, t->src, t->z, i, true, &m, &owned);
	if (rc != MS_OK) {
		tz_note(t, rc);
		return;
	}
	if (!is_data) {
		tz_note(t, ms_job_scan_pickle(t->job, &m));
		free(owned);
		return;
	}
	/* data.pkl: run the machine ourselves to keep its values for the storage check. */
	ms_arena *arena = ms_arena_new(MS_MAX_ARENA_BYTES);
	if (!arena) {
		tz_note(t, ms_job_error(t->job, &m, 0, MS_ERR_NOMEM, "no memory for the pickle machine"));
		free(owned);
		return;
	}
	pkl_stream ps;
	memset(&ps, 0, sizeof ps);
	rc = pkl_run(t->job, &m, arena, &ps);
	tz_note(t, rc);
	tz_note(t, ms_job_yara_pickle(t->job, &m, ps.strings, ps.strings_len));
	if (rc == MS_OK && ps.nroots) {
		tz_storages w;
		ms_err crc = tz_collect_storages(&ps.persids, &w);
		/* Unchecked references are no verdict: records would go unexamined. */
		if (crc != MS_OK)
			tz_note(t, ms_job_error(t->job, &m, 0, crc, "%s",
			                        crc == MS_ERR_LIMIT
			                                ? "more storage references than are checked "
			                                  "(MS_MAX_PKL_PERSIDS)"
			                                : "no memory for the storage references"));
		else {
			/* Each data/<key> record against the storage of that key; records no
			 * storage refers to are not tensors: examine them by content. */
			for (size_t r = 0; r < t->nrecords; r++) {
				size_t idx = t->records[r];
				const zip_entry *e = &t->z->e[idx];
				const uint8_t *rel;
				size_t rlen;
				tz_rel(t, idx, &rel, &rlen);
				tz_storage *st = tz_find_storage(&w, rel + 5, rlen - 5);
				if (st && !st->seen) {
					st->seen = true;
					if (st->nbytes != UINT64_MAX && e->usize != st->nbytes)
						ms_job_finding(t->job, &m, 0, MS_RULE_TORCH_STORAGE_SIZE, NULL, NULL,
						               "record '%s' holds %llu bytes, its storage needs %llu",
						               e->pname, (unsigned long long)e->usize,
						               (unsigned long long)st->nbytes);
					continue;
				}
				ms_job_finding(t->job, t->src, e->lho, MS_RULE_TORCH_STORAGE_EXTRA, NULL, NULL,
				               "record '%s' is not referenced by data.pkl", e->pname);
				ms_src xm;
				uint8_t *xo;
				if (zip_member(t->job, t->src, t->z, idx, true, &xm, &xo) == MS_OK)
					tz_note(t, ms_job_scan_blob(t->job, &xm));
				free(xo);
			}
			for (size_t s = 0; s < w.n; s++) {
				if (w.s[s].seen) continue;
				char key[160];
				ms_printable(key, sizeof key, (const uint8_t *)w.s[s].key,
				             w.s[s].klen < 32 ? w.s[s].klen : 32);
				ms_job_finding(t->job, &m, 0, MS_RULE_TORCH_STORAGE_MISSING,
				               NULL, NULL, "storage '%s' has no data/%s record", key, key);
			}
		}
		tz_storages_free(&w);
	}
	ms_arena_free(arena);
	free(owned);
}

/* Small text records: byteorder and version. */
static void tz_check_text(tz_ctx *t, size_t i, bool byteorder)
{
	ms_src m;
	uint8_t *owned;
	ms_err rc = zip_member(t->job, t->src, t->z, i, true, &m, &owned);
	if (rc != MS_OK) {
		tz_note(t, rc);
		return;
	}
	char shown[TZ_VERSION_MAX_LEN * 4 + 1];
	ms_printable(shown, sizeof shown, m.data, m.len < TZ_VERSION_MAX_LEN ? m.len : TZ_VERSION_MAX_LEN);
	if (byteorder) {
		if (!tz_is(m.data, m.len, "little") && !tz_is(m.data, m.len, "big"))
			ms_job_finding(t->job, &m, 0, MS_RULE_TORCH_BYTEORDER, NULL, NULL,
			               "byteorder record is '%s', not 'little' or 'big' (torch.load refuses it)",
			               shown);
	} else {
		/* torch reads it with std::stoull-like parsing: digits, optional newline. */
		size_t n = m.len;
		while (n && (m.data[n - 1] == '\n' || m.data[n - 1] == '\r')) n--;
		uint64_t v = 0;
		bool ok = n > 0 && n <= 20;
		for (size_t k = 0; ok && k < n; k++) {
			if (m.data[k] < '0' || m.data[k] > '9') ok = false;
			else v = v * 10 + (uint64_t)(m.data[k] - '0');
		}
		if (!ok || v < TZ_MIN_VERSION || v > TZ_MAX_VERSION)
			ms_job_finding(t->job, &m, 0, MS_RULE_TORCH_VERSION, NULL, NULL,
			               "version record '%s' is not a supported format version (%d..%d)",
			               shown, TZ_MIN_VERSION, TZ_MAX_VERSION);
	}
	free(owned);
}

static void tz_scan_other(tz_ctx *t, size_t i, bool text_code)
{
	ms_src m;
	uint8_t *owned;
	ms_err rc = zip_member(t->job, t->src, t->z, i, true, &m, &owned);
	if (rc != MS_OK) {
		tz_note(t, rc);
		return;
	}
	/* TorchScript source (code/.../NAME.py) is Python text: the weak protocol-0 pickle bid would
	 * misread "class ..." as GLOBAL; executables are still recognised by magic. */
	if (text_code && !fmt_exec_kind(m.data, m.len)) rc = ms_job_yara(t->job, &m, "member");
	else rc = ms_job_scan_blob(t->job, &m);
	tz_note(t, rc);
	free(owned);
}

static ms_err tz_scan(ms_job *job, const ms_src *src)
{
	zip_archive z;
	ms_err rc = zip_load(job, src, &z);
	if (rc == MS_ERR_NOMEM) {
		zip_free(&z);
		return rc;
	}
	tz_ctx t = {.job = job, .src = src, .z = &z, .data_pkl = SIZE_MAX, .first = rc};
	if (z.n) {
		const uint8_t *sl = memchr(z.e[0].name, '/', z.e[0].nlen);
		t.prefix = z.e[0].name;
		t.plen = sl ? (size_t)(sl - z.e[0].name) : 0;
		if (!sl)
			ms_job_finding(job, src, 0, MS_RULE_TORCH_PREFIX, NULL, NULL,
			               "first member '%s' is not in a folder: not a torch.save archive",
			               z.e[0].pname);
	}
	t.records = malloc((z.n ? z.n : 1) * sizeof *t.records);
	t.rel = malloc((z.n ? z.n : 1) * sizeof *t.rel);
	if (!t.records || !t.rel) {
		free(t.records);
		free(t.rel);
		zip_free(&z);
		return ms_job_error(job, src, 0, MS_ERR_NOMEM, "no memory");
	}
	size_t outside = 0;
	for (size_t i = 0; i < z.n; i++) {
		const uint8_t *rel;
		size_t rlen;
		t.rel[i] = tz_rel_start(&t, &z.e[i]);
		tz_rel(&t, i, &rel, &rlen);
		if (!t.rel[i] && outside++ == 0)
			ms_job_finding(job, src, z.e[i].lho, MS_RULE_TORCH_OUTSIDE_PREFIX, NULL,
			               NULL, "member '%s' lies outside the archive folder", z.e[i].pname);
		if (tz_is(rel, rlen, "data.pkl")) t.data_pkl = i;
		if (tz_is(rel, rlen, "constants.pkl") || (rlen > 5 && memcmp(rel, "code/", 5) == 0))
			t.torchscript = true;
		if (rlen > 5 && memcmp(rel, "data/", 5) == 0 && z.e[i].readable) t.records[t.nrecords++] = i;
	}
	if (t.torchscript)
		ms_job_finding(job, src, 0, MS_RULE_TORCH_TORCHSCRIPT, NULL, NULL,
		               "TorchScript archive: torch.load hands it to torch.jit.load, which runs "
		               "its code/ as TorchScript");
	if (t.data_pkl == SIZE_MAX)
		ms_job_finding(job, src, 0, MS_RULE_TORCH_NO_DATA_PKL, NULL, NULL,
		               "no data.pkl in the archive folder");
	for (size_t i = 0; i < z.n; i++) {
		zip_entry *e = &z.e[i];
		if (!e->readable || (e->nlen && e->name[e->nlen - 1] == '/' && e->usize == 0)) continue;
		const uint8_t *rel;
		size_t rlen;
		tz_rel(&t, i, &rel, &rlen);
		if (tz_ends(rel, rlen, "pkl")) tz_scan_pickle(&t, i, i == t.data_pkl);
		else if (rlen > 5 && memcmp(rel, "data/", 5) == 0) continue; /* tensor bytes */
		else if (tz_is(rel, rlen, "byteorder")) tz_check_text(&t, i, true);
		else if (tz_is(rel, rlen, "version") || tz_is(rel, rlen, ".data/version"))
			tz_check_text(&t, i, false);
		else tz_scan_other(&t, i, rlen > 5 && memcmp(rel, "code/", 5) == 0 && tz_ends(rel, rlen, ".py"));
	}
	tz_note(&t, zip_scan_miniz_view(job, src, &z));
	free(t.records);
	free(t.rel);
	zip_free(&z);
	return t.first;
}

const ms_format ms_format_torchzip = {
	.name = "torchzip",
	.bid = tz_bid,
	.scan = tz_scan,
};
