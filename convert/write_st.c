/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * safetensors writer, byte-identical to huggingface/safetensors' serialize (formats.md B.5):
 * tensors sorted by dtype (enum order, descending) then name (bytes, ascending); offsets
 * consecutive from 0; compact JSON with "__metadata__" first (keys sorted here, so output is
 * reproducible), then tensors in offset order as {"dtype","shape","data_offsets"}; header
 * padded with spaces to a multiple of 8; u64 LE header length first.
 * Tensor bytes are streamed: contiguous little-endian records are copied by offset
 * (copy_file_range, falling back to pread/write), others gathered in bounded chunks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conv_private.h"
#include "scanner/buf_private.h"
#include "scanner/bytes.h"

typedef ms_buf ws_buf;

static void ws_put(ws_buf *b, const char *s, size_t n) { ms_buf_put(b, s, n); }

static void ws_puts(ws_buf *b, const char *s) { ws_put(b, s, strlen(s)); }

static void ws_u64(ws_buf *b, uint64_t v)
{
	char t[24];
	ws_put(b, t, (size_t)snprintf(t, sizeof t, "%llu", (unsigned long long)v));
}

/* A JSON string as serde_json writes it. */
static void ws_str(ws_buf *b, const char *s)
{
	ws_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char e[8];
		switch (*p) {
		case '"': ws_put(b, "\\\"", 2); break;
		case '\\': ws_put(b, "\\\\", 2); break;
		case '\b': ws_put(b, "\\b", 2); break;
		case '\f': ws_put(b, "\\f", 2); break;
		case '\n': ws_put(b, "\\n", 2); break;
		case '\r': ws_put(b, "\\r", 2); break;
		case '\t': ws_put(b, "\\t", 2); break;
		default:
			if (*p < 0x20) {
				snprintf(e, sizeof e, "\\u%04x", *p);
				ws_put(b, e, 6);
			} else {
				ws_put(b, (const char *)p, 1);
			}
		}
	}
	ws_put(b, "\"", 1);
}

static int ws_cmp(const void *x, const void *y)
{
	const cv_out_tensor *a = x, *b = y;
	if (a->t->dtype != b->t->dtype) return a->t->dtype > b->t->dtype ? -1 : 1;
	return strcmp(a->t->name, b->t->name);
}

static int ws_kv_cmp(const void *x, const void *y)
{
	return strcmp(((const cv_kv *)x)->k, ((const cv_kv *)y)->k);
}

ms_err cv_st_layout(cv_out_tensor *ts, size_t n, cv_kv *meta, size_t nmeta, uint8_t **hdr,
                    size_t *hdrlen, ms_error *err)
{
	*hdr = NULL;
	if (n > 1) qsort(ts, n, sizeof *ts, ws_cmp);
	if (nmeta > 1) qsort(meta, nmeta, sizeof *meta, ws_kv_cmp);
	ws_buf b = {0};
	ws_put(&b, "\0\0\0\0\0\0\0\0", 8);
	ws_puts(&b, "{");
	bool first = true;
	if (nmeta) {
		ws_puts(&b, "\"__metadata__\":{");
		for (size_t i = 0; i < nmeta; i++) {
			if (i) ws_puts(&b, ",");
			ws_str(&b, meta[i].k);
			ws_puts(&b, ":");
			ws_str(&b, meta[i].v);
		}
		ws_puts(&b, "}");
		first = false;
	}
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		const cv_tensor *t = ts[i].t;
		uint64_t bytes = cv_tensor_bytes(t);
		ts[i].begin = off;
		if (ms_add_ovf(off, bytes, &off)) return cv_fail(err, MS_ERR_OVERFLOW, "too large");
		ts[i].end = off;
		if (!first) ws_puts(&b, ",");
		first = false;
		ws_str(&b, t->name);
		ws_puts(&b, ":{\"dtype\":");
		ws_str(&b, cv_dtype_name(t->dtype));
		ws_puts(&b, ",\"shape\":[");
		for (unsigned d = 0; d < t->ndim; d++) {
			if (d) ws_puts(&b, ",");
			ws_u64(&b, t->shape[d]);
		}
		ws_puts(&b, "],\"data_offsets\":[");
		ws_u64(&b, ts[i].begin);
		ws_puts(&b, ",");
		ws_u64(&b, ts[i].end);
		ws_puts(&b, "]}");
	}
	ws_puts(&b, "}");
	while ((b.n - 8) % 8) ws_puts(&b, " ");
	if (b.full) {
		free(b.p);
		return cv_fail(err, MS_ERR_NOMEM, "out of memory building the header");
	}
	uint64_t N = b.n - 8;
	if (N > 100000000u) {
		free(b.p);
		return cv_fail(err, MS_ERR_LIMIT, "safetensors header of %llu bytes exceeds "
		               "the 100 MB limit", (unsigned long long)N);
	}
	for (int i = 0; i < 8; i++) b.p[i] = (char)(N >> (8 * i));
	*hdr = (uint8_t *)b.p;
	*hdrlen = b.n;
	return MS_OK;
}

#define WS_CFR_CHUNK ((size_t)64 << 20) /* bytes per copy_file_range: also how often a cancel is seen */

typedef struct ws_sink {
	int fd;
	const char *name;
	const cv_progress *pg;
	ms_error *err;
} ws_sink;

static ms_err ws_io_err(ms_error *err, const char *what, int e)
{
	const char *hint = e == EFBIG ? " (file size limit, ulimit -f?)"
	                   : e == ENOSPC ? " (no space left on the destination)"
	                   : e == EROFS ? " (read-only destination)" : "";
	return cv_fail(err, MS_ERR_IO, "writing %s: %s%s", what, strerror(e), hint);
}

static ms_err ws_write(void *ud, const uint8_t *buf, size_t n)
{
	ws_sink *s = ud;
	if (cv_cancelled(s->pg)) return cv_fail(s->err, MS_ERR_IO, "interrupted");
	if (!cv_write_full(s->fd, buf, n)) return ws_io_err(s->err, s->name, errno);
	return MS_OK;
}

/* Copies len bytes at off of src to the current position of dst; *no_cfr: copy_file_range
 * does not work between these files (set on the first refusal, for the rest of the output). */
static ms_err ws_copy(int src, uint64_t off, int dst, uint64_t len, uint8_t *buf, size_t buflen,
                      const char *name, const cv_progress *pg, bool *no_cfr, ms_error *err)
{
	loff_t in = (loff_t)off;
	while (len && !*no_cfr) {
		if (cv_cancelled(pg)) return cv_fail(err, MS_ERR_IO, "interrupted");
		size_t want = len > WS_CFR_CHUNK ? WS_CFR_CHUNK : (size_t)len;
		ssize_t r = copy_file_range(src, &in, dst, NULL, want, 0);
		if (r > 0) {
			len -= (uint64_t)r;
			continue;
		}
		if (r == 0) return cv_fail(err, MS_ERR_IO, "%s: source file shrank", name);
		if (errno == EINTR) continue;
		if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP ||
		    errno == EBADF) {
			*no_cfr = true;
			break;
		}
		return ws_io_err(err, name, errno);
	}
	off = (uint64_t)in;
	while (len) {
		size_t n = len < buflen ? (size_t)len : buflen;
		if (cv_cancelled(pg)) return cv_fail(err, MS_ERR_IO, "interrupted");
		if (!ms_pread_full(src, buf, n, off))
			return cv_fail(err, MS_ERR_IO, "%s: read: %s", name,
			               errno ? strerror(errno) : "source file shrank");
		if (!cv_write_full(dst, buf, n)) return ws_io_err(err, name, errno);
		off += n;
		len -= n;
	}
	return MS_OK;
}

void cv_progress_add(cv_progress *p, uint64_t n)
{
	if (!p || !p->fn) return;
	p->done += n;
	p->fn(p->ud, "writing", p->done, p->total);
}

void cv_progress_stage(cv_progress *p, const char *stage)
{
	if (p && p->fn) p->fn(p->ud, stage, p->done, p->total);
}

ms_err cv_st_write(int fd, const uint8_t *hdr, size_t hdrlen, const cv_out_tensor *ts, size_t n,
                   cv_progress *pg, ms_error *err)
{
	if (!cv_write_full(fd, hdr, hdrlen)) return ws_io_err(err, "the header", errno);
	uint8_t *buf = malloc(CV_CHUNK);
	if (!buf) return cv_fail(err, MS_ERR_NOMEM, "out of memory");
	ms_err rc = MS_OK;
	bool no_cfr = false;
	for (size_t i = 0; i < n && rc == MS_OK; i++) {
		const cv_tensor *t = ts[i].t;
		const cv_source *s = ts[i].src;
		if (!cv_tensor_bytes(t)) continue;
		if (cv_tensor_contiguous(t) && (!s->big_endian || cv_dtype_size(t->dtype) == 1)) {
			uint64_t off = cv_source_base(s, t) + t->offset * cv_dtype_size(t->dtype);
			rc = ws_copy(s->fd, off, fd, cv_tensor_bytes(t), buf, CV_CHUNK, t->name, pg,
			             &no_cfr, err);
		} else {
			ws_sink k = {fd, t->name, pg, err};
			rc = cv_gather(s, t, buf, CV_CHUNK, ws_write, &k, err);
		}
		cv_progress_add(pg, cv_tensor_bytes(t));
	}
	free(buf);
	return rc;
}

/* ---- reading converted files ------------------------------------------------------------ */

ms_err cv_st_open(const char *path, cv_st_file **out, ms_error *err)
{
	*out = NULL;
	cv_st_file *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(path))) {
		free(f);
		return MS_ERR_NOMEM;
	}
	ms_err rc = MS_OK;
	struct stat st;
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f->fd < 0 || fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = cv_fail(err, MS_ERR_IO, "%s: %s", path,
		             f->fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	f->size = (uint64_t)st.st_size;
	if (f->size < 8) {
		rc = cv_fail(err, MS_ERR_MALFORMED, "%s: not a safetensors file (too short)", path);
		goto out;
	}
	/* st_parse reads only the header; the mapping of the data is never touched. */
	void *m = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);
	if (m == MAP_FAILED) {
		rc = cv_fail(err, MS_ERR_IO, "%s: mmap: %s", path, strerror(errno));
		goto out;
	}
	char why[512] = "";
	rc = st_parse(m, (size_t)f->size, &f->h, why, sizeof why, NULL);
	munmap(m, (size_t)f->size);
	if (rc != MS_OK)
		rc = ms_error_set(err, rc, path, NULL, MS_NO_OFFSET, "%s: not a valid safetensors file: %s",
		                  path, why);
out:
	if (rc != MS_OK) {
		cv_st_close(f);
		return rc;
	}
	*out = f;
	return MS_OK;
}

void cv_st_close(cv_st_file *f)
{
	if (!f) return;
	if (f->fd >= 0) close(f->fd);
	st_header_free(&f->h);
	free(f->path);
	free(f);
}
