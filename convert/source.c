/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Checkpoint sources for the converter.
 *
 * Zip (formats.md A.1): "<prefix>/data.pkl" (main pickle), "<prefix>/byteorder" ("little" or
 * "big"; absent = little), "<prefix>/data/<key>" (raw storage bytes, STORED). libzip's
 * consistency check must accept the archive; then the scan's zip engine (formats/fmt_zip.c:
 * zip_dir_find as miniz, zip_cd_read, zip_local_read, zip_member) reads the directory and the
 * small members, so what is converted is what the scan read. The data offset of each storage
 * record is computed as torch does: local header offset (central directory, ZIP64 aware) + 30
 * + the local header's name and extra lengths.
 *
 * Legacy stream (A.2.1): pickle(magic) pickle(1001) pickle(sys_info) pickle(main)
 * pickle(sorted keys) then, per key in that order, int64 LE numel + numel*es bytes (always
 * little-endian), walked with the scan's tz_legacy_record (formats/fmt_torchlegacy.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>


#include "formats/libzip_api.h"
#include "formats/torch_private.h"
#include "formats/zip_private.h"
#include "scanner/arena_private.h"
#include "conv_private.h"
#include "scanner/bytes.h"
#include "scanner/limits.h"
#include "scanner/scan_private.h"


static const uint8_t src_legacy_magic[TZ_LEGACY_MAGIC_LEN] = TZ_LEGACY_MAGIC;

void cv_source_free(cv_source *s)
{
	if (!s) return;
	if (s->fd >= 0) close(s->fd);
	cv_plan_free(&s->plan);
	free(s->path);
	free(s);
}

uint64_t cv_source_base(const cv_source *s, const cv_tensor *t)
{
	return s->plan.st[t->storage].file_off;
}

/* The pickle machine needs a job: a context without YARA and a throwaway result. */
typedef struct src_pkl {
	ms_ctx *ctx;
	ms_result res;
	ms_arena *values;
	ms_job job;
} src_pkl;

static ms_err src_pkl_init(src_pkl *k)
{
	memset(k, 0, sizeof *k);
	ms_scan_opts o = {.no_yara = 1};
	if (ms_ctx_new(&o, &k->ctx) != MS_OK) return MS_ERR_NOMEM;
	k->res.strings = ms_arena_new((size_t)64 << 20);
	k->res.path = NULL;
	k->res.format = "convert";
	k->values = ms_arena_new(MS_MAX_ARENA_BYTES);
	if (!k->res.strings || !k->values) return MS_ERR_NOMEM;
	k->job.ctx = k->ctx;
	k->job.res = &k->res;
	k->job.arena = k->res.strings;
	return MS_OK;
}

static void src_pkl_done(src_pkl *k)
{
	free(k->res.findings);
	free(k->res.globals);
	free(k->res.error);
	free(k->res.dis);
	ms_arena_free(k->res.strings);
	ms_arena_free(k->values);
	ms_ctx_free(k->ctx);
}

static ms_err src_run_one(src_pkl *k, const uint8_t *p, size_t len, uint64_t file_off,
                          const char *what, pv **root, size_t *used, ms_error *err)
{
	ms_src src = {.data = p, .len = len, .member = what, .file_off = file_off, .depth = 0};
	ms_err rc = pkl_run_one(&k->job, &src, k->values, root, used, NULL, NULL, NULL);
	if (rc != MS_OK || !*root)
		return cv_fail(err, rc != MS_OK ? rc : MS_ERR_MALFORMED, "%s: %s", what,
		               k->res.error ? k->res.error->message : "pickle could not be read");
	return MS_OK;
}

ms_err cv_plan_from_pickle(const uint8_t *p, size_t len, const char *key, cv_plan *plan,
                           ms_error *err)
{
	src_pkl k;
	pv *root = NULL;
	size_t used = 0;
	ms_err rc = src_pkl_init(&k);
	if (rc == MS_OK) rc = src_run_one(&k, p, len, 0, "pickle", &root, &used, err);
	if (rc == MS_OK) rc = cv_plan_build(root, key, plan, err);
	if (rc == MS_OK) rc = cv_plan_check(plan, err);
	src_pkl_done(&k);
	return rc;
}

/* ---- zip -------------------------------------------------------------------------------- */

/* The entry named name (raw bytes), or NULL. */
static zip_entry *src_zip_find(const zip_archive *z, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < z->n; i++)
		if (z->e[i].nlen == n && memcmp(z->e[i].name, name, n) == 0) return &z->e[i];
	return NULL;
}

/* Reads the central directory of the mapped file as PyTorch's reader (miniz) does, through
 * the zip engine of the scan (formats/fmt_zip.c). */
static ms_err src_read_cd(const uint8_t *map, size_t len, zip_archive *z, ms_error *err)
{
	memset(z, 0, sizeof *z);
	size_t e, bad = 0;
	zip_dir d;
	if (!zip_find_eocd(map, len, &e))
		return cv_fail(err, MS_ERR_MALFORMED, "zip: no end of central directory");
	bool dir_ok = zip_dir_find(map, len, e, &d, true);
	/* miniz reads the zip64 record only when a field of the end record is saturated. */
	uint64_t cnt = ms_le16(map + e + 10), sz = ms_le32(map + e + 12), off = ms_le32(map + e + 16);
	if (d.z64 && cnt != 0xffff && sz != 0xffffffff && off != 0xffffffff)
		d = (zip_dir){.cd_start = off, .cd_size = sz, .count = cnt, .cd_end = e};
	if (!dir_ok || d.count > MS_MAX_ZIP_ENTRIES || d.cd_start > len ||
	    d.cd_size > len - d.cd_start)
		return ms_error_set(err, MS_ERR_MALFORMED, NULL, NULL, e,
		                    "zip: central directory out of bounds");
	zip_cd st = zip_cd_read(map, len, &d, z, &bad);
	if (st == ZIP_CD_NOMEM) return MS_ERR_NOMEM;
	if (st == ZIP_CD_LIMIT)
		return ms_error_set(err, MS_ERR_MALFORMED, NULL, NULL, bad,
		                    "zip: central directory out of bounds");
	/* miniz trusts the end record's count: records after it are not seen, a missing one is
	 * an error (the scan reports both as MS-ZIP-HEADER-MISMATCH). */
	if (z->n >= d.count) {
		z->n = (size_t)d.count;
		return MS_OK;
	}
	if (st == ZIP_CD_TRUNCATED)
		return ms_error_set(err, MS_ERR_MALFORMED, NULL, NULL, bad,
		                    "zip: truncated central directory");
	return ms_error_set(err, MS_ERR_MALFORMED, NULL, NULL, bad,
	                    "zip: bad central directory entry %zu", z->n);
}

/* Member e of the mapped archive, through the scan's reader (stored: a view of the mapping;
 * deflate and the rest: decompressed into *owned). */
static ms_err src_zip_member(src_pkl *k, const ms_src *fsrc, const zip_archive *z,
                             zip_entry *e, const char *name, size_t max, const uint8_t **out,
                             size_t *len, uint8_t **owned, ms_error *err)
{
	*out = NULL;
	*owned = NULL;
	if (e->usize > max)
		return ms_error_set(err, MS_ERR_LIMIT, NULL, name, MS_NO_OFFSET,
		                    "zip: %s is %llu bytes (limit %zu)", name,
		                    (unsigned long long)e->usize, max);
	/* A member marked encrypted is not read (as libzip, which asks for a password); the CRC
	 * is not checked (as libzip and torch do not). */
	if (e->flags & ZIP_FLAG_ENCRYPTED)
		return ms_error_set(err, MS_ERR_MALFORMED, NULL, name, e->lho,
		                    "zip: cannot read %s: No password provided", name);
	zip_lfh_info li;
	ms_src m;
	if (zip_local_read(fsrc->data, fsrc->len, e, &li) != ZIP_LFH_OK ||
	    zip_member(&k->job, fsrc, z, (size_t)(e - z->e), false, &m, owned) != MS_OK ||
	    m.len != e->usize) {
		free(*owned);
		*owned = NULL;
		return ms_error_set(err, MS_ERR_MALFORMED, NULL, name, e->lho,
		                    "zip: cannot read %s: %s", name,
		                    k->res.error ? k->res.error->message : "member is inconsistent");
	}
	*out = m.data;
	*len = m.len;
	return MS_OK;
}

/* libzip's consistency checks (ZIP_CHECKCONS), as before any member is read. */
static ms_err src_zip_consistent(const char *path, ms_error *err)
{
	char why[256];
	const ms_zipapi *lz = ms_zipapi_get(why, sizeof why);
	if (!lz) return cv_fail(err, MS_ERR_UNSUPPORTED, "zip: %s", why);
	int zerr = 0;
	zip_t *za = lz->zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (za) {
		lz->zip_discard(za);
		return MS_OK;
	}
	zip_error_t ze;
	lz->zip_error_init_with_code(&ze, zerr);
	ms_err rc = cv_fail(err, MS_ERR_MALFORMED, "zip: %s", lz->zip_error_strerror(&ze));
	lz->zip_error_fini(&ze);
	return rc;
}

static ms_err src_open_zip(cv_source *s, const cv_src_opts *o, const uint8_t *map,
                           ms_error *err)
{
	zip_archive z = {0};
	const uint8_t *pkl = NULL, *bo = NULL;
	uint8_t *pkl_owned = NULL, *bo_owned = NULL;
	size_t pkllen = 0, bolen = 0;
	ms_src fsrc = {.data = map, .len = (size_t)s->size, .member = "", .file_off = 0};
	src_pkl k;
	ms_err rc = src_pkl_init(&k);
	if (rc != MS_OK) goto out;
	MS_TRY(src_zip_consistent(s->path, err));
	MS_TRY(src_read_cd(map, (size_t)s->size, &z, err));
	const uint8_t *slash = z.n ? memchr(z.e[0].name, '/', z.e[0].nlen) : NULL;
	if (!slash) {
		rc = cv_fail(err, MS_ERR_UNSUPPORTED, "zip: not a PyTorch checkpoint (no "
		             "top-level folder)");
		goto out;
	}
	size_t pl = (size_t)(slash - z.e[0].name);
	const char *pfx = (const char *)z.e[0].name;
	char name[MS_MAX_NAME_BYTES + 64];
	for (size_t i = 0; i < z.n; i++) {
		const zip_entry *e = &z.e[i];
		if (e->nlen <= pl || memcmp(e->name, pfx, pl + 1) != 0 ||
		    memmem(e->name, e->nlen, "..", 2) || e->name[0] == '/') {
			rc = ms_error_set(err, MS_ERR_UNSUPPORTED, NULL, e->pname, e->lho,
			                  "zip: member outside the checkpoint folder");
			goto out;
		}
		if (e->nlen - pl - 1 == 13 && memcmp(e->name + pl + 1, "constants.pkl", 13) == 0) {
			rc = ms_error_set(err, MS_ERR_UNSUPPORTED, NULL, e->pname, e->lho,
			                  "cannot convert: a TorchScript archive (constants.pkl), not a "
			                  "checkpoint");
			goto out;
		}
	}
	snprintf(name, sizeof name, "%.*s/data.pkl", (int)pl, pfx);
	zip_entry *e = src_zip_find(&z, name);
	if (!e) {
		rc = cv_fail(err, MS_ERR_UNSUPPORTED, "zip: no data.pkl; not a PyTorch checkpoint");
		goto out;
	}
	MS_TRY(src_zip_member(&k, &fsrc, &z, e, name, MS_MAX_CONVERT_PKL, &pkl, &pkllen,
	                      &pkl_owned, err));
	snprintf(name, sizeof name, "%.*s/byteorder", (int)pl, pfx);
	if ((e = src_zip_find(&z, name)) != NULL) {
		MS_TRY(src_zip_member(&k, &fsrc, &z, e, name, MS_MAX_CONVERT_BYTEORDER, &bo, &bolen,
		                      &bo_owned, err));
		if (bolen == 6 && memcmp(bo, "little", 6) == 0) s->big_endian = false;
		else if (bolen == 3 && memcmp(bo, "big", 3) == 0) s->big_endian = true;
		else {
			rc = ms_error_set(err, MS_ERR_MALFORMED, NULL, name, MS_NO_OFFSET,
			                  "byteorder record is neither 'little' nor 'big'");
			goto out;
		}
	}
	if (o && o->byteorder) s->big_endian = o->byteorder == 2;
	pv *root = NULL;
	size_t used = 0;
	MS_TRY(src_run_one(&k, pkl, pkllen, MS_NO_FILE_OFFSET, "data.pkl", &root, &used, err));
	MS_TRY(cv_plan_build(root, o ? o->key : NULL, &s->plan, err));
	MS_TRY(cv_plan_check(&s->plan, err));
	for (size_t i = 0; i < s->plan.nst; i++) {
		cv_storage *st = &s->plan.st[i];
		if (st->root != i) continue;
		snprintf(name, sizeof name, "%.*s/data/%s", (int)pl, pfx, st->key);
		if (!(e = src_zip_find(&z, name))) {
			rc = ms_error_set(err, MS_ERR_MALFORMED, NULL, name, MS_NO_OFFSET,
			                  "storage record data/%s is missing", st->key);
			goto out;
		}
		if (e->method != 0 || e->csize != e->usize) {
			rc = ms_error_set(err, MS_ERR_UNSUPPORTED, NULL, name, e->lho,
			                  "cannot convert: storage record data/%s is compressed", st->key);
			goto out;
		}
		if (e->usize != st->nbytes) {
			rc = ms_error_set(err, MS_ERR_MALFORMED, NULL, name, e->lho,
			                  "storage record data/%s is %llu bytes, the pickle says %llu",
			                  st->key, (unsigned long long)e->usize,
			                  (unsigned long long)st->nbytes);
			goto out;
		}
		zip_lfh_info li;
		zip_lfh lf = zip_local_read(map, (size_t)s->size, e, &li);
		if (lf == ZIP_LFH_MISSING) {
			rc = ms_error_set(err, MS_ERR_MALFORMED, NULL, name, e->lho,
			                  "data/%s: bad local header", st->key);
			goto out;
		}
		if (lf != ZIP_LFH_OK) {
			rc = ms_error_set(err, MS_ERR_MALFORMED, NULL, name, li.doff,
			                  "data/%s lies outside the file", st->key);
			goto out;
		}
		st->file_off = e->doff;
		st->located = true;
	}
	s->format = "torchzip";
out:
	zip_free(&z);
	free(pkl_owned);
	free(bo_owned);
	src_pkl_done(&k);
	return rc;
}

/* ---- legacy ----------------------------------------------------------------------------- */

static ms_err src_open_legacy(cv_source *s, const cv_src_opts *o, const uint8_t *map, ms_error *err)
{
	src_pkl k;
	ms_err rc = src_pkl_init(&k);
	if (rc != MS_OK) goto out;
	size_t len = (size_t)s->size, off = 0, used = 0;
	pv *v = NULL;
	static const char *const what[] = {"magic number", "protocol version", "sys_info", "main pickle"};
	for (int i = 0; i < 4; i++) {
		if ((rc = src_run_one(&k, map + off, len - off, off, what[i], &v, &used, err)) != MS_OK)
			goto out;
		if (i == 0 && (v->kind != PV_BIGINT || v->u.s.len != sizeof src_legacy_magic ||
		               memcmp(v->u.s.p, src_legacy_magic, sizeof src_legacy_magic) != 0)) {
			rc = cv_fail(err, MS_ERR_UNSUPPORTED, "not a PyTorch checkpoint");
			goto out;
		}
		if (i == 1 && (v->kind != PV_INT || v->u.i != 1001)) {
			rc = cv_fail(err, MS_ERR_UNSUPPORTED, "legacy checkpoint protocol %lld is "
			             "not 1001", v->kind == PV_INT ? (long long)v->u.i : -1LL);
			goto out;
		}
		off += used;
	}
	if ((rc = cv_plan_build(v, o ? o->key : NULL, &s->plan, err)) != MS_OK) goto out;
	if ((rc = cv_plan_check(&s->plan, err)) != MS_OK) goto out;
	if ((rc = src_run_one(&k, map + off, len - off, off, "storage key list", &v, &used, err)) != MS_OK)
		goto out;
	off += used;
	if (v->kind != PV_LIST) {
		rc = cv_fail(err, MS_ERR_MALFORMED, "storage key list is not a list");
		goto out;
	}
	for (size_t i = 0; i < v->u.seq.n; i++) {
		const pv *kv = v->u.seq.v[i];
		if (!kv || (kv->kind != PV_STR && kv->kind != PV_BYTES)) {
			rc = cv_fail(err, MS_ERR_MALFORMED, "storage key %zu is not a string", i);
			goto out;
		}
		cv_storage *st = NULL;
		for (size_t j = 0; j < s->plan.nst; j++)
			if (s->plan.st[j].root == j && strlen(s->plan.st[j].key) == kv->u.s.len &&
			    memcmp(s->plan.st[j].key, kv->u.s.p, kv->u.s.len) == 0)
				st = &s->plan.st[j];
		if (!st) {
			rc = cv_fail(err, MS_ERR_MALFORMED, "storage record %zu is not referenced by "
			             "any tensor", i);
			goto out;
		}
		tz_legacy_rec r;
		tz_rec rs = tz_legacy_record(map, len, off, cv_dtype_size(st->dtype), &r);
		if (rs == TZ_REC_HEADER_CUT) {
			rc = ms_error_set(err, MS_ERR_TRUNCATED, NULL, st->key, off,
			                  "storage %s: truncated", st->key);
			goto out;
		}
		uint64_t numel = r.numel;
		if (rs == TZ_REC_OVERFLOW || r.nbytes != st->nbytes) {
			rc = cv_fail(err, MS_ERR_MALFORMED,
			             "storage %s: record holds %llu elements, the pickle says %llu bytes",
			             st->key, (unsigned long long)numel, (unsigned long long)st->nbytes);
			goto out;
		}
		if (rs == TZ_REC_PAST_END) {
			rc = ms_error_set(err, MS_ERR_TRUNCATED, NULL, st->key, r.data_off,
			                  "storage %s: truncated", st->key);
			goto out;
		}
		st->file_off = r.data_off;
		st->located = true;
		off = (size_t)(r.data_off + r.nbytes);
	}
	if (off != len) cv_plan_notice(&s->plan, "%llu bytes after the last storage are ignored",
	                               (unsigned long long)(len - off));
	/* Legacy files are always little-endian on disk (A.2.1); --byteorder still overrides. */
	s->big_endian = o && o->byteorder == 2;
	s->format = "torch-legacy";
out:
	src_pkl_done(&k);
	return rc;
}

ms_err cv_source_open(const char *path, const cv_src_opts *o, cv_source **out, ms_error *err)
{
	*out = NULL;
	cv_source *s = calloc(1, sizeof *s);
	if (!s) return MS_ERR_NOMEM;
	s->fd = -1;
	ms_err rc = MS_OK;
	void *map = MAP_FAILED;
	if (!(s->path = strdup(path))) {
		rc = MS_ERR_NOMEM;
		goto out;
	}
	s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (s->fd < 0 || fstat(s->fd, &st) != 0) {
		rc = cv_fail(err, MS_ERR_IO, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = cv_fail(err, MS_ERR_IO, "not a regular file");
		goto out;
	}
	s->size = (uint64_t)st.st_size;
	uint8_t head[16] = {0};
	if (s->size < 16 || !ms_pread_full(s->fd, head, sizeof head, 0)) {
		rc = cv_fail(err, MS_ERR_UNSUPPORTED, "too short to be a PyTorch checkpoint");
		goto out;
	}
	bool zip = memcmp(head, "PK\x03\x04", 4) == 0;
	bool legacy = head[0] == 0x80 && head[2] == 0x8a && head[3] == 0x0a &&
	              memcmp(head + 4, src_legacy_magic, sizeof src_legacy_magic) == 0;
	if (zip || legacy) {
		map = mmap(NULL, (size_t)s->size, PROT_READ, MAP_PRIVATE, s->fd, 0);
		if (map == MAP_FAILED) {
			rc = cv_fail(err, MS_ERR_IO, "mmap: %s", strerror(errno));
			goto out;
		}
		rc = zip ? src_open_zip(s, o, map, err) : src_open_legacy(s, o, map, err);
	} else if (memcmp(head, "PYTORCH1", 8) == 0) {
		rc = cv_fail(err, MS_ERR_UNSUPPORTED,
		             "the preview-release PYTORCH1 container is not supported (torch refuses it)");
	} else {
		rc = cv_fail(err, MS_ERR_UNSUPPORTED,
		             "not a PyTorch checkpoint (zip or legacy magic number); legacy tar "
		             "checkpoints are not supported");
	}
out:
	if (map != MAP_FAILED) munmap(map, (size_t)s->size);
	if (rc != MS_OK) {
		cv_source_free(s);
		return rc;
	}
	*out = s;
	return MS_OK;
}

/* ---- gather ----------------------------------------------------------------------------- */

static void src_swap(uint8_t *b, size_t n, size_t es)
{
	if (es < 2) return;
	for (size_t i = 0; i + es <= n; i += es)
		for (size_t a = 0, z = es - 1; a < z; a++, z--) {
			uint8_t t = b[i + a];
			b[i + a] = b[i + z];
			b[i + z] = t;
		}
}

ms_err cv_gather(const cv_source *s, const cv_tensor *t, uint8_t *buf, size_t buflen,
                 cv_sink_fn fn, void *ud, ms_error *err)
{
	size_t es = cv_dtype_size(t->dtype);
	uint64_t base = cv_source_base(s, t) + t->offset * es, total = cv_tensor_bytes(t);
	buflen -= buflen % es;
	if (!total) return MS_OK;
	ms_err rc;
	if (cv_tensor_contiguous(t)) {
		for (uint64_t done = 0; done < total;) {
			size_t n = total - done < buflen ? (size_t)(total - done) : buflen;
			if (!ms_pread_full(s->fd, buf, n, base + done))
				return cv_fail(err, MS_ERR_IO, "%s: read: %s", t->name,
				               errno ? strerror(errno) : "file shrank");
			if (s->big_endian) src_swap(buf, n, es);
			if ((rc = fn(ud, buf, n)) != MS_OK) return rc;
			done += n;
		}
		return MS_OK;
	}
	/* Strided: map the tensor's extent and copy the innermost contiguous runs. */
	uint64_t ext = 0;
	for (unsigned d = 0; d < t->ndim; d++) ext += (t->shape[d] - 1) * t->stride[d];
	ext = (ext + 1) * es;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t mstart = base - base % (uint64_t)pg, mlen = ext + (base - mstart);
	uint8_t *m = mmap(NULL, (size_t)mlen, PROT_READ, MAP_PRIVATE, s->fd, (off_t)mstart);
	if (m == MAP_FAILED) return cv_fail(err, MS_ERR_IO, "%s: mmap: %s", t->name, strerror(errno));
	const uint8_t *src = m + (base - mstart);
	unsigned k = t->ndim;
	uint64_t run = 1;
	while (k > 0 && (t->shape[k - 1] == 1 || t->stride[k - 1] == run)) {
		run *= t->shape[k - 1];
		k--;
	}
	size_t runb = (size_t)(run * es);
	uint64_t idx[MS_MAX_TENSOR_DIMS] = {0};
	size_t fill = 0;
	rc = MS_OK;
	uint64_t nruns = t->numel / run;
	for (uint64_t r = 0; r < nruns && rc == MS_OK; r++) {
		uint64_t eo = 0;
		for (unsigned d = 0; d < k; d++) eo += idx[d] * t->stride[d];
		const uint8_t *p = src + eo * es;
		for (size_t left = runb; left;) {
			size_t n = buflen - fill < left ? buflen - fill : left;
			memcpy(buf + fill, p, n);
			fill += n;
			p += n;
			left -= n;
			if (fill == buflen) {
				if (s->big_endian) src_swap(buf, fill, es);
				if ((rc = fn(ud, buf, fill)) != MS_OK) break;
				fill = 0;
				madvise(m, (size_t)mlen, MADV_DONTNEED); /* keep the resident set bounded */
			}
		}
		for (unsigned d = k; d-- > 0;) {
			if (++idx[d] < t->shape[d]) break;
			idx[d] = 0;
		}
	}
	if (rc == MS_OK && fill) {
		if (s->big_endian) src_swap(buf, fill, es);
		rc = fn(ud, buf, fill);
	}
	munmap(m, (size_t)mlen);
	return rc;
}
