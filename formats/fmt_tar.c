/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Tar archives, read the way CPython's tarfile reads them (torch.load tries
 * tarfile.open(mode="r:") on every non-zip file before the legacy stream format), and the
 * legacy PyTorch tar checkpoint inside them (torch <= 0.1; formats.md A.2.2):
 *
 *   sys_info   pickle (torch.load does not read it)
 *   storages   pickle(n), n x (pickle((key, location, storage_type)), int64 numel, raw bytes),
 *              pickle(storage_views)
 *   tensors    pickle(n), n x (pickle((key, storage_id, type)), int32 ndim, 4 pad bytes,
 *              ndim x int64 size, ndim x int64 stride, int64 storage_offset)
 *   pickle     the main object
 *
 * What tarfile does and we follow: a 512-byte header is valid when every numeric field
 * parses (octal text as int(s.strip(), 8), or base-256) and its checksum matches the signed or
 * unsigned byte sum (no magic needed); the ustar prefix is joined to the name; global pax
 * values apply to every later member after its data offset is fixed, and each pax 'x' or GNU
 * 'L'/'K' header wraps the next one, the first in the file winning, an 'x' size moving the
 * next header; only regular files and unknown types are followed by data blocks (a
 * directory or link header's size is NOT skipped); the archive ends at the first zero block
 * or invalid header. getmember() takes the LAST member of a name and extract() of a hard link
 * writes its target's data, so that is what the torch loader reads. Every other member is
 * examined by content. Where tarfile raises, torch.load reads the file as a legacy stream
 * from offset 0, so a top-level tar is also read that way (pkl_run_speculative).
 */
#include <stdlib.h>
#include <string.h>

#include "../scanner/arena_private.h"
#include "../scanner/bytes.h"
#include "../scanner/limits.h"
#include "fmt_private.h"
#include "torch_private.h"

#define TAR_BID 45u
#define TAR_BLOCK 512u

typedef struct tar_member {
	uint8_t *name;       /* full name (owned, NUL-terminated) */
	size_t nlen;
	char type;
	uint64_t hoff;       /* offset of its header */
	uint64_t doff, size; /* data range, for members that carry data */
	bool data;
	const uint8_t *link; /* link target (borrowed from the input) */
	size_t llen;
	bool link_escapes;   /* a link whose target is absolute or climbs out with '..' */
} tar_member;

typedef struct tar_archive {
	tar_member *m;
	size_t n, cap;
	uint64_t end;        /* offset where tarfile stops reading headers */
} tar_archive;

/* ---- header fields -------------------------------------------------------------------- */

static size_t tar_nts(const uint8_t *p, size_t n)
{
	const uint8_t *z = memchr(p, 0, n);
	return z ? (size_t)(z - p) : n;
}

/* str.strip()'s whitespace among ASCII bytes */
static bool tar_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* tarfile.nti: base-256 when the first byte is 0x80 or 0xff (0xff: negative), else
 * int(text.strip() or "0", 8) (sign, "0o" prefix and single underscores between digits
 * accepted, as int() does). False where tarfile raises InvalidHeaderError. */
static bool tar_number(const uint8_t *p, size_t n, int64_t *out)
{
	uint64_t v = 0;
	if (p[0] == 0x80 || p[0] == 0xff) {
		for (size_t i = 1; i < n; i++)
			if (v >> 55 || ms_add_ovf(v << 8, p[i], &v)) return false;
		if (p[0] == 0xff) {
			/* -(256^(n-1) - v): representable only while 256^(n-1) fits */
			if (n - 1 >= 8) return false;
			*out = (int64_t)v - (int64_t)((uint64_t)1 << (8 * (n - 1)));
			return true;
		}
		*out = (int64_t)v;
		return true;
	}
	size_t len = tar_nts(p, n), a = 0;
	while (a < len && tar_space(p[a])) a++;
	while (len > a && tar_space(p[len - 1])) len--;
	if (a == len) {
		*out = 0;
		return true;
	}
	bool neg = false;
	if (p[a] == '+' || p[a] == '-') neg = p[a++] == '-';
	if (len - a >= 2 && p[a] == '0' && (p[a + 1] == 'o' || p[a + 1] == 'O')) {
		a += 2;
		if (a < len && p[a] == '_') a++;
	}
	if (a == len) return false;
	for (size_t i = a; i < len; i++) {
		if (p[i] == '_' && i > a && i + 1 < len && p[i + 1] != '_') continue;
		if (p[i] < '0' || p[i] > '7' || v >> 60) return false;
		v = v << 3 | (uint64_t)(p[i] - '0');
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

/* TarInfo.frombuf: every numeric field must parse and the checksum must equal the header's
 * unsigned or signed byte sum (the checksum field counted as spaces). */
static bool tar_header_ok(const uint8_t *h)
{
	static const struct { unsigned off, len; } num[] = {
		{100, 8}, {108, 8}, {116, 8}, {124, 12}, {136, 12}, {329, 8}, {337, 8},
	};
	int64_t v, want;
	for (size_t i = 0; i < sizeof num / sizeof num[0]; i++)
		if (!tar_number(h + num[i].off, num[i].len, &v)) return false;
	if (!tar_number(h + 148, 8, &want)) return false;
	int64_t sg = 8 * ' ', us = 8 * ' ';
	for (size_t i = 0; i < TAR_BLOCK; i++) {
		if (i >= 148 && i < 156) continue;
		us += h[i];
		sg += (int8_t)h[i];
	}
	return want == us || want == sg;
}

static bool tar_zero_block(const uint8_t *h)
{
	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (h[i]) return false;
	return true;
}

static unsigned tar_bid(const uint8_t *p, size_t len)
{
	if (len < TAR_BLOCK || tar_zero_block(p) || !tar_header_ok(p)) return 0;
	return TAR_BID;
}

static bool tar_is_regular(char t) { return t == '0' || t == '\0' || t == '7'; }

/* Types tarfile knows; any other type is read as a regular file (extractfile returns it). */
static bool tar_is_known(char t)
{
	return tar_is_regular(t) || t == '1' || t == '2' || t == '3' || t == '4' || t == '5' ||
	       t == '6' || t == 'L' || t == 'K' || t == 'S';
}

/* ---- pax records: "%d %s=%s\n" -------------------------------------------------------- */

typedef struct tar_pax {
	const uint8_t *path, *link;
	size_t plen, llen;
	bool has_path, has_link, has_size, sparse;
	uint64_t size;
} tar_pax;

/* int(value) for a pax number; tarfile sets 0 where int() fails. False: negative. */
static bool tar_pax_size(const uint8_t *v, size_t n, uint64_t *out)
{
	size_t a = 0;
	while (a < n && tar_space(v[a])) a++;
	while (n > a && tar_space(v[n - 1])) n--;
	if (a < n && v[a] == '-') return false;
	if (a < n && v[a] == '+') a++;
	uint64_t x = 0;
	bool ok = a < n;
	for (size_t i = a; i < n && ok; i++) {
		if (v[i] == '_' && i > a && i + 1 < n && v[i + 1] != '_') continue;
		ok = v[i] >= '0' && v[i] <= '9' && !ms_mul_ovf(x, 10, &x) &&
		     !ms_add_ovf(x, (uint64_t)(v[i] - '0'), &x);
	}
	*out = ok ? x : 0;
	return true;
}

/* Parses the records of a pax header's block-padded data into px (later records win, as in
 * a dict). False where tarfile raises InvalidHeaderError (it then ends the archive). */
static bool tar_pax_parse(const uint8_t *p, size_t n, tar_pax *px)
{
	size_t off = 0;
	while (off < n && p[off]) {
		size_t rec = 0, i = off;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (rec > n) return false;
			rec = rec * 10 + (size_t)(p[i++] - '0');
		}
		if (i == off || i >= n || p[i] != ' ' || rec < 5 || rec > n - off) return false;
		const uint8_t *kw = p + i + 1, *end = p + off + rec - 1;
		if (kw > end) return false;
		const uint8_t *eq = memchr(kw, '=', (size_t)(end - kw));
		if (!eq || eq == kw || *end != '\n') return false;
		const uint8_t *val = eq + 1;
		size_t klen = (size_t)(eq - kw), vlen = (size_t)(end - val);
		if (klen == 4 && memcmp(kw, "path", 4) == 0) {
			while (vlen && val[vlen - 1] == '/') vlen--;
			px->path = val;
			px->plen = vlen;
			px->has_path = true;
		} else if (klen == 8 && memcmp(kw, "linkpath", 8) == 0) {
			px->link = val;
			px->llen = vlen;
			px->has_link = true;
		} else if (klen == 4 && memcmp(kw, "size", 4) == 0) {
			if (!tar_pax_size(val, vlen, &px->size)) return false;
			px->has_size = true;
		} else if (klen > 11 && memcmp(kw, "GNU.sparse.", 11) == 0) {
			px->sparse = true;
		}
		off += rec;
	}
	return true;
}

/* ---- the member list ------------------------------------------------------------------ */

static void tar_free(tar_archive *a)
{
	for (size_t i = 0; i < a->n; i++) free(a->m[i].name);
	free(a->m);
	memset(a, 0, sizeof *a);
}

static ms_err tar_add(ms_job *job, const ms_src *src, tar_archive *a, const tar_member *m,
                      const uint8_t *prefix, size_t prelen, const uint8_t *name, size_t nlen)
{
	if (a->n == MS_MAX_ZIP_ENTRIES)
		return ms_job_error(job, src, m->hoff, MS_ERR_LIMIT, "tar: more than %u members",
		                    MS_MAX_ZIP_ENTRIES);
	if (prelen + nlen + 1 > MS_MAX_NAME_BYTES)
		return ms_job_error(job, src, m->hoff, MS_ERR_LIMIT, "tar: member name of %zu bytes",
		                    prelen + nlen + 1);
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 64;
		tar_member *nm = realloc(a->m, nc * sizeof *nm);
		if (!nm) return ms_job_error(job, src, m->hoff, MS_ERR_NOMEM, "no memory");
		a->m = nm;
		a->cap = nc;
	}
	tar_member *d = &a->m[a->n];
	*d = *m;
	d->name = malloc(prelen + nlen + 2);
	if (!d->name) return ms_job_error(job, src, m->hoff, MS_ERR_NOMEM, "no memory");
	size_t k = 0;
	if (prelen) {
		memcpy(d->name, prefix, prelen);
		d->name[prelen] = '/';
		k = prelen + 1;
	}
	memcpy(d->name + k, name, nlen);
	d->nlen = k + nlen;
	d->name[d->nlen] = 0;
	a->n++;
	return MS_OK;
}

/* A header that wraps the next one: a pax 'x' (its records over a copy of the global ones,
 * taken when it was read) or a GNU 'L'/'K' long name or link. */
typedef struct tar_wrap {
	char type;
	tar_pax pax;
	const uint8_t *text;
	size_t tlen;
} tar_wrap;

static uint64_t tar_blocks(uint64_t size) { return (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK; }

/* Walks the headers as tarfile.next() does; a->end is where it stops reading (the first zero
 * block, an invalid header, or a wrapper whose next header is missing). What tarfile applies
 * to a member, in order: its header; the global pax values (_proc_builtin, after the data
 * offset is fixed from the header's size); then each wrapper from the innermost out, so the
 * first one in the file wins; a wrapper whose values hold a size moves the next header to
 * after that size. Errors only for limits and for data running past the end. */
static ms_err tar_load(ms_job *job, const ms_src *src, tar_archive *a)
{
	const uint8_t *p = src->data;
	size_t len = src->len, off = 0;
	tar_pax gpax = {0};
	tar_wrap wraps[MS_MAX_TAR_WRAPS];
	size_t nw = 0;
	for (;;) {
		a->end = off;
		if (len - off < TAR_BLOCK || tar_zero_block(p + off) || !tar_header_ok(p + off)) break;
		const uint8_t *h = p + off;
		tar_member m = {.type = (char)h[156], .hoff = off};
		int64_t hsize;
		tar_number(h + 124, 12, &hsize);
		size_t doff = off + TAR_BLOCK, room = len - doff;
		if (hsize < 0)
			return ms_job_error(job, src, off + 124, MS_ERR_MALFORMED, "tar: negative size");
		uint64_t size = (uint64_t)hsize;
		if (m.type == 'x' || m.type == 'X' || m.type == 'g' || m.type == 'L' || m.type == 'K') {
			if (nw == MS_MAX_TAR_WRAPS)
				return ms_job_error(job, src, off, MS_ERR_LIMIT, "tar: more than %u extended "
				                    "headers before a member", MS_MAX_TAR_WRAPS);
			if (size > room || tar_blocks(size) > room)
				return ms_job_error(job, src, off, MS_ERR_TRUNCATED, "tar: extended header at "
				                    "offset %zu claims %llu bytes, %zu left", off,
				                    (unsigned long long)size, room);
			size_t blk = (size_t)tar_blocks(size);
			tar_wrap *w = &wraps[nw];
			memset(w, 0, sizeof *w);
			w->type = m.type;
			if (m.type == 'L' || m.type == 'K') {
				/* tarfile cuts the name at a NUL in the block-padded buffer */
				w->text = p + doff;
				w->tlen = tar_nts(p + doff, blk);
				nw++;
			} else {
				tar_pax *dst = m.type == 'g' ? &gpax : &w->pax;
				if (m.type != 'g') w->pax = gpax;
				if (!tar_pax_parse(p + doff, blk, dst)) break; /* InvalidHeaderError: the end */
				if (m.type != 'g') nw++;
			}
			off = doff + blk;
			continue;
		}
		const uint8_t *name = h, *prefix = h + 345, *link = h + 157;
		size_t nlen = tar_nts(h, 100), prelen = tar_nts(h + 345, 155), llen = tar_nts(h + 157, 100);
		if (m.type == '\0' && nlen && name[nlen - 1] == '/') m.type = '5';
		m.data = tar_is_regular(m.type) || !tar_is_known(m.type);
		uint64_t advance = m.data ? size : 0;
		bool sparse = m.type == 'S' || gpax.sparse;
		const tar_pax *layers[MS_MAX_TAR_WRAPS + 1];
		size_t nl = 0;
		layers[nl++] = &gpax;
		for (size_t k = nw; k-- > 0;) {
			if (wraps[k].type == 'L') {
				name = wraps[k].text;
				nlen = wraps[k].tlen;
				prelen = 0;
			} else if (wraps[k].type == 'K') {
				link = wraps[k].text;
				llen = wraps[k].tlen;
			} else {
				layers[nl++] = &wraps[k].pax;
				sparse = sparse || wraps[k].pax.sparse;
			}
		}
		/* pax values: the global ones, then each 'x' inner to outer (L/K interleave rarely
		 * matters: both rename, and the outer one is applied last in either order) */
		for (size_t k = 0; k < nl; k++) {
			const tar_pax *px = layers[k];
			if (px->has_path) {
				name = px->path;
				nlen = px->plen;
				prelen = 0;
			}
			if (px->has_link) {
				link = px->link;
				llen = px->llen;
			}
			if (px->has_size) {
				size = px->size;
				if (k > 0 && m.data) advance = size;
			}
		}
		if (sparse)
			return ms_job_error(job, src, off, MS_ERR_UNSUPPORTED,
			                    "tar: sparse member cannot be scanned");
		if (m.type == '5')
			while (nlen && name[nlen - 1] == '/') nlen--;
		if (advance > room || tar_blocks(advance) > room || (m.data && size > room))
			return ms_job_error(job, src, off, MS_ERR_TRUNCATED,
			                    "tar: member at offset %zu claims %llu bytes, %zu left", off,
			                    (unsigned long long)(advance > size ? advance : size), room);
		m.link_escapes = (m.type == '1' || m.type == '2') && fmt_name_escapes(link, llen);
		m.link = link;
		m.llen = llen;
		m.doff = doff;
		m.size = size;
		ms_err rc = tar_add(job, src, a, &m, prefix, prelen, name, nlen);
		if (rc != MS_OK) return rc;
		nw = 0;
		off = doff + (size_t)tar_blocks(advance);
	}
	return MS_OK;
}

/* The last member with this exact name, as TarFile.getmember finds it. */
static const tar_member *tar_get(const tar_archive *a, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = a->n; i-- > 0;)
		if (a->m[i].nlen == n && memcmp(a->m[i].name, name, n) == 0) return &a->m[i];
	return NULL;
}

/* Name equality after dropping "./" components (what os.path.normpath does to tar names in
 * practice; other forms are compared as they are). */
static bool tar_same_name(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	while (an >= 2 && a[0] == '.' && a[1] == '/') a += 2, an -= 2;
	while (bn >= 2 && b[0] == '.' && b[1] == '/') b += 2, bn -= 2;
	return an == bn && memcmp(a, b, an) == 0;
}

/* What torch's tar.extract(name) writes for member m: its own data, or for a hard link the
 * data of the last member of the link's name before it (TarFile._find_link_target), link
 * after link. A symbolic link is made on disk and opened there: no archive data (the link
 * itself is a finding). NULL when there is nothing to read. */
static const tar_member *tar_extracted(const tar_archive *a, const tar_member *m)
{
	for (unsigned hops = 0; m && hops < 8; hops++) {
		if (m->data) return m;
		if (m->type != '1') return NULL;
		const tar_member *t = NULL;
		for (const tar_member *x = m; x-- > a->m;)
			if (tar_same_name(x->name, x->nlen, m->link, m->llen)) {
				t = x;
				break;
			}
		m = t;
	}
	return NULL;
}

/* ---- legacy torch members ------------------------------------------------------------- */

typedef struct tar_torch {
	ms_job *job;
	ms_src m;       /* the member */
	ms_arena *arena;
	size_t off;
} tar_torch;

/* The pickle at the cursor (torch's pickle_module.load(f)). */
static ms_err tt_pickle(tar_torch *t, const char *what, pv **root)
{
	return tz_pickle_at(t->job, &t->m, t->arena, &t->off, what, root, NULL);
}

/* Raw bytes torch reads with f.read(): n bytes must be there. */
static ms_err tt_skip(tar_torch *t, uint64_t n, const char *what)
{
	if (n > t->m.len - t->off)
		return ms_job_error(t->job, &t->m, t->off, MS_ERR_TRUNCATED,
		                    "legacy torch tar: %s needs %llu bytes, %zu left", what,
		                    (unsigned long long)n, t->m.len - t->off);
	t->off += (size_t)n;
	return MS_OK;
}

/* The count pickle: range(n) of an int; a negative count loops zero times. */
static ms_err tt_count(tar_torch *t, const char *what, int64_t *n)
{
	pv *v = NULL;
	ms_err rc = tt_pickle(t, what, &v);
	if (rc != MS_OK) return rc;
	if (!v || v->kind != PV_INT)
		return ms_job_error(t->job, &t->m, t->off, MS_ERR_MALFORMED,
		                    "legacy torch tar: %s is not an int", what);
	*n = v->u.i < 0 ? 0 : v->u.i;
	return MS_OK;
}

static ms_err tt_storages(tar_torch *t)
{
	int64_t n;
	ms_err rc = tt_count(t, "[storage count]", &n);
	for (int64_t i = 0; rc == MS_OK && i < n; i++) {
		pv *args = NULL;
		if ((rc = tt_pickle(t, "[storage header]", &args)) != MS_OK) break;
		unsigned es = 0;
		if (args && args->kind == PV_TUPLE && args->u.seq.n == 3) es = tz_elem_size(args->u.seq.v[2]);
		if (!es)
			return ms_job_error(t->job, &t->m, t->off, MS_ERR_MALFORMED,
			                    "legacy torch tar: storage %lld has no known storage type",
			                    (long long)i);
		if ((rc = tt_skip(t, 8, "storage size")) != MS_OK) break;
		uint64_t numel = ms_le64(t->m.data + t->off - 8), nb;
		if (ms_mul_ovf(numel, es, &nb))
			return ms_job_error(t->job, &t->m, t->off, MS_ERR_OVERFLOW,
			                    "legacy torch tar: storage %lld size overflows", (long long)i);
		rc = tt_skip(t, nb, "storage data");
	}
	if (rc == MS_OK) {
		pv *views = NULL;
		rc = tt_pickle(t, "[storage views]", &views);
	}
	return rc;
}

static ms_err tt_tensors(tar_torch *t)
{
	int64_t n;
	ms_err rc = tt_count(t, "[tensor count]", &n);
	for (int64_t i = 0; rc == MS_OK && i < n; i++) {
		pv *args = NULL;
		if ((rc = tt_pickle(t, "[tensor header]", &args)) != MS_OK) break;
		if ((rc = tt_skip(t, 8, "tensor ndim")) != MS_OK) break;
		int32_t ndim = (int32_t)ms_le32(t->m.data + t->off - 8);
		if (ndim < 0)
			return ms_job_error(t->job, &t->m, t->off - 8, MS_ERR_MALFORMED,
			                    "legacy torch tar: tensor %lld has %d dimensions", (long long)i,
			                    (int)ndim);
		rc = tt_skip(t, (uint64_t)ndim * 16 + 8, "tensor sizes and strides");
	}
	return rc;
}

/* Parses member m ("storages" or "tensors") as torch's legacy_load reads it. */
static ms_err tar_torch_member(ms_job *job, const ms_src *src, const tar_member *m, bool storages)
{
	tar_torch t = {.job = job};
	if (!ms_src_slice(job, src, m->doff, m->size, (const char *)m->name, &t.m))
		return ms_job_error(job, src, m->hoff, MS_ERR_NOMEM, "no memory");
	t.arena = ms_arena_new(MS_MAX_ARENA_BYTES);
	if (!t.arena) return ms_job_error(job, &t.m, 0, MS_ERR_NOMEM, "no memory for the pickle machine");
	ms_err rc = storages ? tt_storages(&t) : tt_tensors(&t);
	if (rc == MS_OK && t.off < t.m.len) {
		ms_job_finding(job, &t.m, t.off, MS_RULE_TORCH_TRAILING, NULL, NULL,
		               "%zu bytes after what torch.load reads", t.m.len - t.off);
		ms_src tail;
		if (ms_src_slice(job, &t.m, t.off, t.m.len - t.off, "[after records]", &tail))
			rc = ms_job_scan_blob(job, &tail);
	}
	ms_arena_free(t.arena);
	return rc;
}

/* ---- the reader ----------------------------------------------------------------------- */

static ms_err tar_scan(ms_job *job, const ms_src *src)
{
	tar_archive a = {0};
	ms_err first = tar_load(job, src, &a);
	bool loaded = first == MS_OK;
	if (first == MS_ERR_NOMEM) goto out;
	const tar_member *st = tar_extracted(&a, tar_get(&a, "storages"));
	const tar_member *te = tar_extracted(&a, tar_get(&a, "tensors"));
	/* torch.load falls back to the legacy stream at offset 0 whenever tarfile raises
	 * (a first header with a bad field, a pax header with no member after it, ...): the
	 * header bytes are then a pickle. Reading them so costs nothing on a real tar. */
	ms_src whole;
	if (src->depth == 0 && ms_src_slice(job, src, 0, src->len, "[as a legacy torch stream]", &whole))
		pkl_run_speculative(job, &whole);
	if (st) {
		ms_job_finding(job, src, 0, MS_RULE_TORCH_LEGACY_TAR, NULL, NULL,
		               "legacy torch tar checkpoint (torch <= 0.1 layout)");
		if (job->ctx->opts.weights_only)
			ms_job_finding(job, src, 0, MS_RULE_PKL_WEIGHTS_ONLY, NULL, NULL,
			               "torch.load(weights_only=True) refuses legacy .tar checkpoints");
	}
	for (size_t i = 0; i < a.n; i++) {
		const tar_member *m = &a.m[i];
		ms_err rc = MS_OK;
		if (fmt_name_escapes(m->name, m->nlen))
			ms_job_finding(job, src, m->hoff, MS_RULE_TAR_PATH_ESCAPE, NULL, NULL,
			               "member name '%.200s' escapes the extraction folder", m->name);
		if (m->link_escapes)
			ms_job_finding(job, src, m->hoff, MS_RULE_TAR_PATH_ESCAPE, NULL, NULL,
			               "link '%.200s' points outside the extraction folder", m->name);
		if (m->type == '1' || m->type == '2' || m->type == '3' || m->type == '4' || m->type == '6')
			ms_job_finding(job, src, m->hoff, MS_RULE_TAR_SPECIAL, NULL, NULL,
			               "member '%.200s' is a %s, not a file", m->name,
			               m->type == '1' ? "hard link" : m->type == '2' ? "symbolic link"
			                                                           : "device or FIFO");
		if (!m->data) continue;
		if (m == st || m == te) {
			rc = tar_torch_member(job, src, m, m == st);
		} else {
			ms_src ms;
			if (ms_src_slice(job, src, m->doff, m->size, (const char *)m->name, &ms))
				rc = ms_job_scan_blob(job, &ms);
		}
		if (rc == MS_ERR_NOMEM) {
			first = rc;
			goto out;
		}
		if (first == MS_OK) first = rc;
	}
	/* After the end: zeros (the end-of-archive blocks and record padding), else bytes tarfile
	 * never reads, which another reader may. */
	size_t tail = a.end;
	while (loaded && tail < src->len && src->data[tail] == 0) tail++;
	if (loaded && tail < src->len) {
		ms_job_finding(job, src, a.end, MS_RULE_TAR_TRAILING, NULL, NULL,
		               "%zu bytes after the end of the archive", src->len - a.end);
		ms_src rest;
		if (ms_src_slice(job, src, tail, src->len - tail, "[after archive]", &rest)) {
			ms_err rc = ms_job_scan_blob(job, &rest);
			if (first == MS_OK) first = rc;
		}
	}
out:
	tar_free(&a);
	return first;
}

const ms_format ms_format_tar = {
	.name = "tar",
	.bid = tar_bid,
	.scan = tar_scan,
};
