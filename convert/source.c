/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Checkpoint sources for the converter.
 *
 * Zip (formats.md A.1): "<prefix>/data.pkl" (main pickle), "<prefix>/byteorder" ("little" or
 * "big"; absent = little), "<prefix>/data/<key>" (raw storage bytes, STORED). libzip opens the
 * archive with consistency checks and reads the small members; the data offset of each storage
 * record is computed as torch does: local header offset (central directory, ZIP64 aware) + 30
 * + the local header's name and extra lengths.
 *
 * Legacy stream (A.2.1): pickle(magic) pickle(1001) pickle(sys_info) pickle(main)
 * pickle(sorted keys) then, per key in that order, int64 LE numel + numel*es bytes (always
 * little-endian).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>


#include "formats/libzip_api.h"
#include "scanner/arena_private.h"
#include "conv_private.h"
#include "scanner/bytes.h"
#include "scanner/limits.h"
#include "scanner/scan_private.h"

#define SRC_MAX_PKL ((size_t)1 << 30) /* data.pkl bytes read into memory */

static const uint8_t src_legacy_magic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

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
	free(k->res.error_msg);
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
		               k->res.error_msg ? k->res.error_msg : "pickle could not be read");
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

typedef struct src_cd {
	char *name;
	uint64_t lho, usize, csize;
	uint16_t method;
} src_cd;

typedef struct src_zip {
	src_cd *e;
	size_t n;
} src_zip;

static void src_zip_free(src_zip *z)
{
	for (size_t i = 0; i < z->n; i++) free(z->e[i].name);
	free(z->e);
	z->e = NULL;
	z->n = 0;
}

/* Reads the central directory (classic or ZIP64) into z. */
static ms_err src_read_cd(int fd, uint64_t fsize, src_zip *z, ms_error *err)
{
	memset(z, 0, sizeof *z);
	size_t tail = fsize < 65557 ? (size_t)fsize : 65557;
	uint8_t *t = malloc(tail);
	if (!t) return MS_ERR_NOMEM;
	ms_err rc = MS_OK;
	uint8_t *cd = NULL;
	if (!ms_pread_full(fd, t, tail, fsize - tail)) {
		rc = cv_fail(err, MS_ERR_IO, "cannot read the zip directory");
		goto out;
	}
	size_t eo = SIZE_MAX;
	for (size_t i = tail >= 22 ? tail - 22 + 1 : 0; i-- > 0;)
		if (ms_le32(t + i) == 0x06054b50) {
			eo = i;
			break;
		}
	if (eo == SIZE_MAX) {
		rc = cv_fail(err, MS_ERR_MALFORMED, "zip: no end of central directory");
		goto out;
	}
	uint64_t count = ms_le16(t + eo + 10), cdsize = ms_le32(t + eo + 12), cdoff = ms_le32(t + eo + 16);
	if ((count == 0xffff || cdsize == 0xffffffff || cdoff == 0xffffffff) && eo >= 20 &&
	    ms_le32(t + eo - 20) == 0x07064b50) {
		uint64_t z64 = ms_le64(t + eo - 20 + 8);
		uint8_t r[56];
		if (z64 > fsize || fsize - z64 < 56 || !ms_pread_full(fd, r, 56, z64) ||
		    ms_le32(r) != 0x06064b50) {
			rc = cv_fail(err, MS_ERR_MALFORMED, "zip: bad ZIP64 end record");
			goto out;
		}
		count = ms_le64(r + 32);
		cdsize = ms_le64(r + 40);
		cdoff = ms_le64(r + 48);
	}
	if (count > MS_MAX_ZIP_ENTRIES || cdoff > fsize || cdsize > fsize - cdoff ||
	    cdsize > (uint64_t)MS_MAX_ZIP_ENTRIES * (46 + MS_MAX_NAME_BYTES)) {
		rc = cv_fail(err, MS_ERR_MALFORMED, "zip: central directory out of bounds");
		goto out;
	}
	cd = malloc(cdsize ? (size_t)cdsize : 1);
	z->e = calloc(count ? (size_t)count : 1, sizeof *z->e);
	if (!cd || !z->e) {
		rc = MS_ERR_NOMEM;
		goto out;
	}
	if (cdsize && !ms_pread_full(fd, cd, (size_t)cdsize, cdoff)) {
		rc = cv_fail(err, MS_ERR_IO, "zip: cannot read the central directory");
		goto out;
	}
	ms_cur c = ms_cur_make(cd, (size_t)cdsize);
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *h, *name, *extra;
		if (!ms_take(&c, 46, &h) || ms_le32(h) != 0x02014b50) {
			rc = cv_fail(err, MS_ERR_MALFORMED, "zip: bad central directory entry %llu",
			             (unsigned long long)i);
			goto out;
		}
		size_t fnl = ms_le16(h + 28), exl = ms_le16(h + 30), cml = ms_le16(h + 32);
		if (!ms_take(&c, fnl, &name) || !ms_take(&c, exl, &extra) || !ms_skip(&c, cml)) {
			rc = cv_fail(err, MS_ERR_MALFORMED, "zip: truncated central directory");
			goto out;
		}
		src_cd *e = &z->e[z->n];
		e->method = ms_le16(h + 10);
		e->csize = ms_le32(h + 20);
		e->usize = ms_le32(h + 24);
		e->lho = ms_le32(h + 42);
		/* ZIP64 extra: the fields that are saturated, in this order. */
		ms_cur x = ms_cur_make(extra, exl);
		uint16_t id, sz;
		while (ms_u16le(&x, &id) && ms_u16le(&x, &sz) && ms_need(&x, sz)) {
			if (id == 0x0001) {
				ms_cur y = ms_cur_make(x.p + x.off, sz);
				if (e->usize == 0xffffffff) ms_u64le(&y, &e->usize);
				if (e->csize == 0xffffffff) ms_u64le(&y, &e->csize);
				if (e->lho == 0xffffffff) ms_u64le(&y, &e->lho);
			}
			x.off += sz;
		}
		if (!(e->name = strndup((const char *)name, fnl))) {
			rc = MS_ERR_NOMEM;
			goto out;
		}
		z->n++;
	}
out:
	free(t);
	free(cd);
	if (rc != MS_OK) src_zip_free(z);
	return rc;
}

static const src_cd *src_zip_find(const src_zip *z, const char *name)
{
	for (size_t i = 0; i < z->n; i++)
		if (strcmp(z->e[i].name, name) == 0) return &z->e[i];
	return NULL;
}

static ms_err src_zip_member(const ms_zipapi *lz, zip_t *za, const char *name, size_t max,
                             uint8_t **out, size_t *len, ms_error *err)
{
	*out = NULL;
	zip_stat_t st;
	if (lz->zip_stat(za, name, ZIP_FL_ENC_RAW, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
		return cv_fail(err, MS_ERR_MALFORMED, "zip: cannot stat %s", name);
	if (st.size > max)
		return cv_fail(err, MS_ERR_LIMIT, "zip: %s is %llu bytes (limit %zu)", name,
		               (unsigned long long)st.size, max);
	uint8_t *b = malloc(st.size ? (size_t)st.size : 1);
	if (!b) return MS_ERR_NOMEM;
	zip_file_t *f = lz->zip_fopen(za, name, ZIP_FL_ENC_RAW);
	if (!f || lz->zip_fread(f, b, st.size) != (zip_int64_t)st.size) {
		if (f) lz->zip_fclose(f);
		free(b);
		return cv_fail(err, MS_ERR_MALFORMED, "zip: cannot read %s: %s", name,
		               lz->zip_strerror(za));
	}
	lz->zip_fclose(f);
	*out = b;
	*len = (size_t)st.size;
	return MS_OK;
}

static ms_err src_open_zip(cv_source *s, const cv_src_opts *o, ms_error *err)
{
	int zerr = 0;
	src_zip z = {0};
	zip_t *za = NULL;
	const ms_zipapi *lz = NULL;
	char why[256];
	uint8_t *pkl = NULL, *bo = NULL;
	size_t pkllen = 0, bolen = 0;
	src_pkl k;
	ms_err rc = src_pkl_init(&k);
	if (rc != MS_OK) goto out;
	lz = ms_zipapi_get(why, sizeof why);
	if (!lz) {
		rc = cv_fail(err, MS_ERR_UNSUPPORTED, "zip: %s", why);
		goto out;
	}
	za = lz->zip_open(s->path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (!za) {
		zip_error_t ze;
		lz->zip_error_init_with_code(&ze, zerr);
		rc = cv_fail(err, MS_ERR_MALFORMED, "zip: %s", lz->zip_error_strerror(&ze));
		lz->zip_error_fini(&ze);
		goto out;
	}
	if ((rc = src_read_cd(s->fd, s->size, &z, err)) != MS_OK) goto out;
	if (!z.n || !strchr(z.e[0].name, '/')) {
		rc = cv_fail(err, MS_ERR_UNSUPPORTED, "zip: not a PyTorch checkpoint (no "
		             "top-level folder)");
		goto out;
	}
	size_t pl = (size_t)(strchr(z.e[0].name, '/') - z.e[0].name);
	char name[MS_MAX_NAME_BYTES + 64];
	for (size_t i = 0; i < z.n; i++) {
		const char *nm = z.e[i].name;
		if (strncmp(nm, z.e[0].name, pl + 1) != 0 || strstr(nm, "..") || nm[0] == '/')
			{
			rc = cv_fail(err, MS_ERR_UNSUPPORTED,
			             "zip: member outside the checkpoint folder");
			goto out;
		}
		if (strcmp(nm + pl + 1, "constants.pkl") == 0) {
			rc = cv_fail(err, MS_ERR_UNSUPPORTED,
			             "cannot convert: a TorchScript archive (constants.pkl), not a "
			             "checkpoint");
			goto out;
		}
	}
	snprintf(name, sizeof name, "%.*s/data.pkl", (int)pl, z.e[0].name);
	if (!src_zip_find(&z, name)) {
		rc = cv_fail(err, MS_ERR_UNSUPPORTED, "zip: no data.pkl; not a PyTorch checkpoint");
		goto out;
	}
	if ((rc = src_zip_member(lz, za, name, SRC_MAX_PKL, &pkl, &pkllen, err)) != MS_OK) goto out;
	snprintf(name, sizeof name, "%.*s/byteorder", (int)pl, z.e[0].name);
	if (src_zip_find(&z, name)) {
		if ((rc = src_zip_member(lz, za, name, 16, &bo, &bolen, err)) != MS_OK) goto out;
		if (bolen == 6 && memcmp(bo, "little", 6) == 0) s->big_endian = false;
		else if (bolen == 3 && memcmp(bo, "big", 3) == 0) s->big_endian = true;
		else {
			rc = cv_fail(err, MS_ERR_MALFORMED, "byteorder record is neither 'little' nor "
			             "'big'");
			goto out;
		}
	}
	if (o && o->byteorder) s->big_endian = o->byteorder == 2;
	pv *root = NULL;
	size_t used = 0;
	if ((rc = src_run_one(&k, pkl, pkllen, MS_NO_FILE_OFFSET, "data.pkl", &root, &used, err)) != MS_OK)
		goto out;
	if ((rc = cv_plan_build(root, o ? o->key : NULL, &s->plan, err)) != MS_OK) goto out;
	if ((rc = cv_plan_check(&s->plan, err)) != MS_OK) goto out;
	for (size_t i = 0; i < s->plan.nst; i++) {
		cv_storage *st = &s->plan.st[i];
		if (st->root != i) continue;
		snprintf(name, sizeof name, "%.*s/data/%s", (int)pl, z.e[0].name, st->key);
		const src_cd *e = src_zip_find(&z, name);
		if (!e) {
			rc = cv_fail(err, MS_ERR_MALFORMED, "storage record data/%s is missing",
			             st->key);
			goto out;
		}
		if (e->method != 0 || e->csize != e->usize) {
			rc = cv_fail(err, MS_ERR_UNSUPPORTED,
			             "cannot convert: storage record data/%s is compressed", st->key);
			goto out;
		}
		if (e->usize != st->nbytes) {
			rc = cv_fail(err, MS_ERR_MALFORMED,
			             "storage record data/%s is %llu bytes, the pickle says %llu", st->key,
			             (unsigned long long)e->usize, (unsigned long long)st->nbytes);
			goto out;
		}
		uint8_t lfh[30];
		if (e->lho > s->size || s->size - e->lho < 30 || !ms_pread_full(s->fd, lfh, 30, e->lho) ||
		    ms_le32(lfh) != 0x04034b50) {
			rc = cv_fail(err, MS_ERR_MALFORMED, "data/%s: bad local header", st->key);
			goto out;
		}
		uint64_t off = e->lho + 30 + ms_le16(lfh + 26) + ms_le16(lfh + 28);
		if (off > s->size || s->size - off < st->nbytes) {
			rc = cv_fail(err, MS_ERR_MALFORMED, "data/%s lies outside the file", st->key);
			goto out;
		}
		st->file_off = off;
		st->located = true;
	}
	s->format = "torchzip";
out:
	if (za) lz->zip_discard(za);
	src_zip_free(&z);
	free(pkl);
	free(bo);
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
		if (len - off < 8) {
			rc = cv_fail(err, MS_ERR_TRUNCATED, "storage %s: truncated", st->key);
			goto out;
		}
		uint64_t numel = ms_le64(map + off), nb;
		if (ms_mul_ovf(numel, cv_dtype_size(st->dtype), &nb) || nb != st->nbytes) {
			rc = cv_fail(err, MS_ERR_MALFORMED,
			             "storage %s: record holds %llu elements, the pickle says %llu bytes",
			             st->key, (unsigned long long)numel, (unsigned long long)st->nbytes);
			goto out;
		}
		off += 8;
		if (len - off < nb) {
			rc = cv_fail(err, MS_ERR_TRUNCATED, "storage %s: truncated", st->key);
			goto out;
		}
		st->file_off = off;
		st->located = true;
		off += (size_t)nb;
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
	if (memcmp(head, "PK\x03\x04", 4) == 0) {
		rc = src_open_zip(s, o, err);
	} else if (head[0] == 0x80 && head[2] == 0x8a && head[3] == 0x0a &&
	           memcmp(head + 4, src_legacy_magic, sizeof src_legacy_magic) == 0) {
		map = mmap(NULL, (size_t)s->size, PROT_READ, MAP_PRIVATE, s->fd, 0);
		if (map == MAP_FAILED) {
			rc = cv_fail(err, MS_ERR_IO, "mmap: %s", strerror(errno));
			goto out;
		}
		rc = src_open_legacy(s, o, map, err);
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
