/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Helpers shared by the container readers.
 *
 * Executable magics (checked on every archive member and at top level):
 *   ELF        7f 45 4c 46                       (System V ABI, e_ident)
 *   PE         "MZ" ... e_lfanew (u32 at 0x3c) -> "PE\0\0"   (Microsoft PE/COFF spec)
 *   Mach-O     fe ed fa ce / fe ed fa cf / ce fa ed fe / cf fa ed fe, fat ca fe ba be
 *   script     "#!"
 *
 * Decompression: zlib (raw deflate, zlib, gzip), libbz2, liblzma; output grows geometrically,
 * never from a size the input declares, under the caps of scanner/limits.h.
 */
#include <bzlib.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../scanner/bytes.h"
#include "../scanner/limits.h"
#include "fmt_private.h"

#define FD_FIRST_CHUNK ((size_t)1 << 20)
#define FD_IN_CHUNK ((size_t)1 << 30) /* zlib/bz2 take unsigned int counts */
#define PE_LFANEW_OFF 0x3c

const char *fmt_exec_kind(const uint8_t *p, size_t n)
{
	if (n >= 4 && memcmp(p, "\x7f" "ELF", 4) == 0) return "ELF executable";
	if (n >= 4) {
		uint32_t m = ms_be32(p);
		if (m == 0xfeedfaceu || m == 0xfeedfacfu || m == 0xcefaedfeu || m == 0xcffaedfeu)
			return "Mach-O executable";
		/* 0xcafebabe is also a Java class file; both run code. */
		if (m == 0xcafebabeu) return "Mach-O universal binary or Java class";
	}
	if (n >= PE_LFANEW_OFF + 4 && p[0] == 'M' && p[1] == 'Z') {
		uint32_t pe = ms_le32(p + PE_LFANEW_OFF);
		if (pe <= n - 4 && memcmp(p + pe, "PE\0\0", 4) == 0) return "PE executable";
	}
	if (n >= 2 && p[0] == '#' && p[1] == '!') return "script (#!)";
	return NULL;
}

bool fmt_check_exec(ms_job *job, const ms_src *m)
{
	const char *k = fmt_exec_kind(m->data, m->len);
	if (!k) return false;
	ms_job_finding(job, m, 0, MS_RULE_ARCHIVE_EXECUTABLE, NULL, NULL,
	               "%s inside a model archive", k);
	return true;
}

/* Whether ".." occurs in p (glibc's memmem costs ~140 instructions on a short name). */
static bool fmt_has_dotdot(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n, *q = p;
	while ((q = memchr(q, '.', (size_t)(end - q))) != NULL && end - q >= 2) {
		if (q[1] == '.') return true;
		q++;
	}
	return false;
}

bool fmt_name_escapes(const uint8_t *name, size_t n)
{
	if (n == 0) return false;
	if (name[0] == '/' || name[0] == '\\') return true;
	if (n >= 2 && name[1] == ':' &&
	    ((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')))
		return true;
	/* Most names hold no backslash, NUL or "..": memchr says so at memory speed. */
	if (!memchr(name, '\\', n) && !memchr(name, 0, n) && !fmt_has_dotdot(name, n)) return false;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && (name[i] == '\\' || name[i] == 0)) return true;
		if (i == n || name[i] == '/') {
			if (i - start == 2 && name[start] == '.' && name[start + 1] == '.') return true;
			start = i + 1;
		}
	}
	return false;
}

/* ---- bounded decompression ------------------------------------------------------------- */

typedef struct fd_out {
	uint8_t *buf;
	size_t len, cap;
} fd_out;

/* Makes room for more output, or says which cap stops it. */
static ms_err fd_ratio(ms_job *job, const ms_src *src, uint64_t off, size_t out, size_t in)
{
	uint64_t cap;
	if (out >= MS_INFLATE_RATIO_FLOOR && !ms_mul_ovf(in ? in : 1, MS_MAX_INFLATE_RATIO, &cap) && out > cap)
		return ms_job_error(job, src, off, MS_ERR_LIMIT,
		                    "decompression ratio above %u:1 (%zu bytes from %zu): a bomb?",
		                    MS_MAX_INFLATE_RATIO, out, in);
	return MS_OK;
}

/* inlen: compressed bytes consumed so far (the ratio is checked as the output grows). */
static ms_err fd_grow(ms_job *job, const ms_src *src, uint64_t off, fd_out *o, size_t inlen,
                      size_t hint)
{
	size_t limit = MS_MAX_MEMBER_BYTES;
	uint64_t total_left = job->inflated_total >= MS_MAX_INFLATE_TOTAL
	                              ? 0 : MS_MAX_INFLATE_TOTAL - job->inflated_total;
	if (total_left < limit) limit = (size_t)total_left;
	if (o->len >= limit)
		return ms_job_error(job, src, off, MS_ERR_LIMIT,
		                    "decompressed data exceeds %zu bytes (member cap %zu, file cap %zu)",
		                    limit, (size_t)MS_MAX_MEMBER_BYTES, (size_t)MS_MAX_INFLATE_TOTAL);
	ms_err rc = fd_ratio(job, src, off, o->len, inlen);
	if (rc != MS_OK) return rc;
	size_t nc = o->cap ? o->cap * 2 : (hint && hint < FD_FIRST_CHUNK ? hint + 64 : FD_FIRST_CHUNK);
	if (nc > limit) nc = limit;
	if (nc <= o->len) nc = o->len + 1;
	uint8_t *p = realloc(o->buf, nc);
	if (!p) return ms_job_error(job, src, off, MS_ERR_NOMEM, "no memory to decompress %zu bytes", nc);
	o->buf = p;
	o->cap = nc;
	return MS_OK;
}

static ms_err fd_zlib(ms_job *job, const ms_src *src, uint64_t off, fd_kind kind,
                      const uint8_t *in, size_t inlen, size_t hint, fd_out *o, size_t *used)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	int wbits = kind == FD_RAW_DEFLATE ? -15 : kind == FD_GZIP ? 16 + 15 : 15;
	if (inflateInit2(&z, wbits) != Z_OK)
		return ms_job_error(job, src, off, MS_ERR_NOMEM, "zlib initialisation failed");
	ms_err rc = MS_OK;
	size_t ipos = 0;
	for (;;) {
		if (z.avail_in == 0 && ipos < inlen) {
			size_t n = inlen - ipos < FD_IN_CHUNK ? inlen - ipos : FD_IN_CHUNK;
			z.next_in = (Bytef *)(uintptr_t)(in + ipos);
			z.avail_in = (uInt)n;
			ipos += n;
		}
		if (o->len == o->cap && (rc = fd_grow(job, src, off, o, ipos - z.avail_in, hint)) != MS_OK) break;
		size_t room = o->cap - o->len;
		if (room > FD_IN_CHUNK) room = FD_IN_CHUNK;
		z.next_out = o->buf + o->len;
		z.avail_out = (uInt)room;
		int zr = inflate(&z, Z_NO_FLUSH);
		o->len += room - z.avail_out;
		if (zr == Z_STREAM_END) {
			size_t done = ipos - z.avail_in;
			/* gzip: concatenated members are one file to Python's gzip module. */
			if (kind == FD_GZIP && inlen - done >= 2 && in[done] == 0x1f && in[done + 1] == 0x8b) {
				inflateReset(&z);
				continue;
			}
			*used = done;
			break;
		}
		if (zr == Z_BUF_ERROR && z.avail_in == 0 && ipos >= inlen) {
			rc = ms_job_error(job, src, off, MS_ERR_TRUNCATED,
			                  "compressed stream ends early (%zu bytes in, %zu out)", inlen, o->len);
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			rc = ms_job_error(job, src, off, MS_ERR_MALFORMED, "corrupt %s stream: %s",
			                  kind == FD_GZIP ? "gzip" : kind == FD_ZLIB ? "zlib" : "deflate",
			                  z.msg ? z.msg : "inflate error");
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

static ms_err fd_bz2(ms_job *job, const ms_src *src, uint64_t off, const uint8_t *in,
                     size_t inlen, size_t hint, fd_out *o, size_t *used)
{
	bz_stream b;
	memset(&b, 0, sizeof b);
	if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
		return ms_job_error(job, src, off, MS_ERR_NOMEM, "bzip2 initialisation failed");
	ms_err rc = MS_OK;
	size_t ipos = 0;
	for (;;) {
		if (b.avail_in == 0 && ipos < inlen) {
			size_t n = inlen - ipos < FD_IN_CHUNK ? inlen - ipos : FD_IN_CHUNK;
			b.next_in = (char *)(uintptr_t)(in + ipos);
			b.avail_in = (unsigned)n;
			ipos += n;
		}
		if (o->len == o->cap && (rc = fd_grow(job, src, off, o, ipos - b.avail_in, hint)) != MS_OK) break;
		size_t room = o->cap - o->len;
		if (room > FD_IN_CHUNK) room = FD_IN_CHUNK;
		b.next_out = (char *)(o->buf + o->len);
		b.avail_out = (unsigned)room;
		int r = BZ2_bzDecompress(&b);
		o->len += room - b.avail_out;
		if (r == BZ_STREAM_END) {
			size_t done = ipos - b.avail_in;
			/* Python's bz2 module decodes concatenated streams. */
			if (inlen - done >= 3 && memcmp(in + done, "BZh", 3) == 0) {
				BZ2_bzDecompressEnd(&b);
				memset(&b, 0, sizeof b);
				if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK) {
					rc = ms_job_error(job, src, off, MS_ERR_NOMEM, "bzip2 initialisation failed");
					break;
				}
				b.next_in = (char *)(uintptr_t)(in + done);
				size_t n = inlen - done < FD_IN_CHUNK ? inlen - done : FD_IN_CHUNK;
				b.avail_in = (unsigned)n;
				ipos = done + n;
				continue;
			}
			*used = done;
			break;
		}
		if (r != BZ_OK) {
			rc = ms_job_error(job, src, off, MS_ERR_MALFORMED, "corrupt bzip2 stream (error %d)", r);
			break;
		}
		if (b.avail_in == 0 && ipos >= inlen && b.avail_out != 0) {
			rc = ms_job_error(job, src, off, MS_ERR_TRUNCATED, "bzip2 stream ends early");
			break;
		}
	}
	BZ2_bzDecompressEnd(&b);
	return rc;
}

/* Runs an initialised liblzma decoder over in. raw_end: a raw LZMA1 stream may end without
 * an end marker (zip's LZMA, flag bit 1 clear): running out of input then ends it. */
#define LZMA_PROPS_SIZE_LZMA1 5u /* lc/lp/pb byte + 32-bit dictionary size */

static ms_err fd_lzma_run(ms_job *job, const ms_src *src, uint64_t off, lzma_stream *l,
                          const uint8_t *in, size_t inlen, size_t hint, fd_out *o, size_t *used,
                          bool raw_end)
{
	ms_err rc = MS_OK;
	l->next_in = in;
	l->avail_in = inlen;
	lzma_action act = LZMA_RUN;
	for (;;) {
		if (l->avail_in == 0) act = LZMA_FINISH;
		if (o->len == o->cap && (rc = fd_grow(job, src, off, o, inlen - l->avail_in, hint)) != MS_OK) break;
		l->next_out = o->buf + o->len;
		l->avail_out = o->cap - o->len;
		size_t before = l->avail_out;
		lzma_ret r = lzma_code(l, act);
		o->len += before - l->avail_out;
		if (r == LZMA_STREAM_END || (raw_end && l->avail_in == 0 && before == l->avail_out &&
		                             (r == LZMA_OK || r == LZMA_BUF_ERROR))) {
			*used = inlen - l->avail_in;
			break;
		}
		if (r == LZMA_BUF_ERROR) {
			rc = ms_job_error(job, src, off, MS_ERR_TRUNCATED, "xz/lzma stream ends early");
			break;
		}
		if (r == LZMA_MEMLIMIT_ERROR) {
			rc = ms_job_error(job, src, off, MS_ERR_LIMIT,
			                  "xz/lzma stream needs more than %llu MiB to decode",
			                  (unsigned long long)(MS_MAX_LZMA_MEMORY >> 20));
			break;
		}
		if (r != LZMA_OK) {
			rc = ms_job_error(job, src, off, r == LZMA_MEM_ERROR ? MS_ERR_NOMEM : MS_ERR_MALFORMED,
			                  "corrupt xz/lzma stream (error %d)", (int)r);
			break;
		}
	}
	lzma_end(l);
	return rc;
}

static ms_err fd_xz(ms_job *job, const ms_src *src, uint64_t off, const uint8_t *in,
                    size_t inlen, size_t hint, fd_out *o, size_t *used)
{
	lzma_stream l = LZMA_STREAM_INIT;
	/* The stream header names the dictionary size; without a cap a 20-byte input makes
	 * liblzma allocate gigabytes. Preset 9 (joblib's maximum) needs ~65 MiB. */
	if (lzma_auto_decoder(&l, MS_MAX_LZMA_MEMORY, LZMA_CONCATENATED) != LZMA_OK)
		return ms_job_error(job, src, off, MS_ERR_NOMEM, "lzma initialisation failed");
	return fd_lzma_run(job, src, off, &l, in, inlen, hint, o, used, false);
}

/* Zip method 14 (APPNOTE 5.8.8; Python's zipfile ZIP_LZMA, so np.load reads it): version
 * (2 bytes), properties size (2, LE), LZMA1 properties, then a raw LZMA1 stream. */
static ms_err fd_zip_lzma(ms_job *job, const ms_src *src, uint64_t off, const uint8_t *in,
                          size_t inlen, size_t hint, fd_out *o, size_t *used)
{
	if (inlen < 4 || ms_le16(in + 2) != LZMA_PROPS_SIZE_LZMA1 || inlen - 4 < LZMA_PROPS_SIZE_LZMA1)
		return ms_job_error(job, src, off, MS_ERR_MALFORMED, "zip LZMA member: bad header");
	lzma_filter f[2] = {{.id = LZMA_FILTER_LZMA1, .options = NULL}, {.id = LZMA_VLI_UNKNOWN}};
	if (lzma_properties_decode(&f[0], NULL, in + 4, LZMA_PROPS_SIZE_LZMA1) != LZMA_OK)
		return ms_job_error(job, src, off, MS_ERR_MALFORMED, "zip LZMA member: bad properties");
	uint32_t dict = ((const lzma_options_lzma *)f[0].options)->dict_size;
	if (dict > MS_MAX_LZMA_MEMORY) {
		free(f[0].options);
		return ms_job_error(job, src, off, MS_ERR_LIMIT,
		                    "xz/lzma stream needs more than %llu MiB to decode",
		                    (unsigned long long)(MS_MAX_LZMA_MEMORY >> 20));
	}
	lzma_stream l = LZMA_STREAM_INIT;
	lzma_ret r = lzma_raw_decoder(&l, f);
	free(f[0].options);
	if (r != LZMA_OK) return ms_job_error(job, src, off, MS_ERR_NOMEM, "lzma initialisation failed");
	size_t hdr = 4 + LZMA_PROPS_SIZE_LZMA1, body = 0;
	ms_err rc = fd_lzma_run(job, src, off, &l, in + hdr, inlen - hdr, hint, o, &body, true);
	*used = hdr + body;
	return rc;
}

ms_err fmt_decompress(ms_job *job, const ms_src *src, uint64_t off, fd_kind kind,
                      const uint8_t *in, size_t inlen, size_t hint, uint8_t **out,
                      size_t *outlen, size_t *consumed)
{
	fd_out o = {0};
	size_t used = inlen;
	ms_err rc;
	*out = NULL;
	*outlen = 0;
	if (kind == FD_BZ2) rc = fd_bz2(job, src, off, in, inlen, hint, &o, &used);
	else if (kind == FD_XZ) rc = fd_xz(job, src, off, in, inlen, hint, &o, &used);
	else if (kind == FD_ZIP_LZMA) rc = fd_zip_lzma(job, src, off, in, inlen, hint, &o, &used);
	else rc = fd_zlib(job, src, off, kind, in, inlen, hint, &o, &used);
	job->inflated_total += o.len;
	if (rc == MS_OK) rc = fd_ratio(job, src, off, o.len, used);
	if (rc != MS_OK) {
		free(o.buf);
		return rc;
	}
	if (!o.buf) o.buf = malloc(1); /* empty output is still a buffer */
	if (!o.buf) return ms_job_error(job, src, off, MS_ERR_NOMEM, "no memory");
	*out = o.buf;
	*outlen = o.len;
	if (consumed) *consumed = used;
	return MS_OK;
}
