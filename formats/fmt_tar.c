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
 * What tarfile does and we follow: a 512-byte header is valid when its checksum matches
 * (signed or unsigned sum; no magic needed); numbers are octal text (int(s.strip(), 8)) or
 * base-256; the ustar prefix is joined to the name; GNU 'L' long names and pax 'x' path/size
 * records apply to the next header ('g' values only through a later 'x'); only regular files
 * and unknown types are followed by data blocks (a directory or link header's size is NOT
 * skipped); the archive ends at the first zero block, and an invalid header after the first
 * also ends it silently. getmember() takes the LAST member of a name, so that is the one the
 * torch loader reads. Every other member is examined by content.
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

static bool tar_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

/* tarfile.nti: base-256 when the first byte is 0x80 or 0xff, else int(text.strip() or "0", 8)
 * (sign, "0o" prefix and single underscores between digits accepted, as int() does). */
static bool tar_number(const uint8_t *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (p[0] == 0x80 || p[0] == 0xff) {
		if (p[0] == 0xff) return false; /* negative */
		for (size_t i = 1; i < n; i++)
			if (v >> 56 || ms_add_ovf(v << 8, p[i], &v)) return false;
		*out = v;
		return true;
	}
	size_t len = tar_nts(p, n), a = 0;
	while (a < len && tar_space(p[a])) a++;
	while (len > a && tar_space(p[len - 1])) len--;
	if (a == len) {
		*out = 0;
		return true;
	}
	if (p[a] == '+') a++;
	else if (p[a] == '-') return false;
	if (len - a >= 2 && p[a] == '0' && (p[a + 1] == 'o' || p[a + 1] == 'O')) {
		a += 2;
		if (a < len && p[a] == '_') a++;
	}
	if (a == len) return false;
	for (size_t i = a; i < len; i++) {
		if (p[i] == '_' && i > a && i + 1 < len && p[i + 1] != '_') continue;
		if (p[i] < '0' || p[i] > '7' || v >> 61) return false;
		v = v << 3 | (uint64_t)(p[i] - '0');
	}
	*out = v;
	return true;
}

/* tarfile.calc_chksums: the header summed with the checksum field as spaces, as unsigned
 * and as signed bytes; either may match. */
static bool tar_checksum_ok(const uint8_t *h)
{
	uint64_t want;
	if (!tar_number(h + 148, 8, &want)) return false;
	int64_t s = 8 * ' ';
	uint64_t u = 8 * ' ';
	for (size_t i = 0; i < TAR_BLOCK; i++) {
		if (i >= 148 && i < 156) continue;
		u += h[i];
		s += (int8_t)h[i];
	}
	return want == u || (s >= 0 && want == (uint64_t)s);
}

static bool tar_zero_block(const uint8_t *h)
{
	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (h[i]) return false;
	return true;
}

static unsigned tar_bid(const uint8_t *p, size_t len)
{
	if (len < TAR_BLOCK || tar_zero_block(p) || !tar_checksum_ok(p)) return 0;
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

/* Parses pax records into px. keep: values already in px win. tarfile applies an outer
 * extended header (or GNU long name) after the inner one has been applied, so for a chain
 * of them the first one in the file wins. */
static bool tar_pax_parse(const uint8_t *p, size_t n, tar_pax *px, bool keep)
{
	size_t off = 0;
	while (off < n && p[off]) {
		size_t rec = 0, i = off;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (rec > MS_MAX_NAME_BYTES * 16) return false;
			rec = rec * 10 + (size_t)(p[i++] - '0');
		}
		if (i == off || i >= n || p[i] != ' ' || rec < i - off + 3 || rec > n - off) return false;
		const uint8_t *kw = p + i + 1, *end = p + off + rec - 1;
		const uint8_t *eq = memchr(kw, '=', (size_t)(end - kw));
		if (!eq || eq == kw || *end != '\n') return false;
		const uint8_t *val = eq + 1;
		size_t klen = (size_t)(eq - kw), vlen = (size_t)(end - val);
		if (klen == 4 && memcmp(kw, "path", 4) == 0 && !(keep && px->has_path)) {
			while (vlen && val[vlen - 1] == '/') vlen--;
			px->path = val;
			px->plen = vlen;
			px->has_path = true;
		} else if (klen == 8 && memcmp(kw, "linkpath", 8) == 0 && !(keep && px->has_link)) {
			px->link = val;
			px->llen = vlen;
			px->has_link = true;
		} else if (klen == 4 && memcmp(kw, "size", 4) == 0 && !(keep && px->has_size)) {
			uint64_t v = 0;
			if (vlen == 0 || vlen > 20) return false;
			for (size_t k = 0; k < vlen; k++) {
				if (val[k] < '0' || val[k] > '9' || ms_mul_ovf(v, 10, &v) ||
				    ms_add_ovf(v, (uint64_t)(val[k] - '0'), &v))
					return false;
			}
			px->size = v;
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

/* Walks the headers as tarfile.next() does. Errors only for what makes tarfile itself fail
 * (an invalid first header is not ours: the bid checked it). */
static ms_err tar_load(ms_job *job, const ms_src *src, tar_archive *a)
{
	const uint8_t *p = src->data;
	size_t len = src->len, off = 0;
	tar_pax gpax = {0}, pax = {0}; /* global values; what applies to the next member */
	bool have_pax = false;
	for (;;) {
		if (len - off < TAR_BLOCK || tar_zero_block(p + off) || !tar_checksum_ok(p + off)) break;
		const uint8_t *h = p + off;
		tar_member m = {.type = (char)h[156], .hoff = off};
		uint64_t size;
		if (!tar_number(h + 124, 12, &size))
			return ms_job_error(job, src, off + 124, MS_ERR_MALFORMED, "tar: invalid size field");
		if (have_pax && pax.has_size) size = pax.size;
		size_t room = len - off - TAR_BLOCK;
		uint64_t blocks = size <= room ? (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK : UINT64_MAX;
		if (blocks > room) {
			if (tar_is_regular(m.type) || !tar_is_known(m.type) || m.type == 'L' ||
			    m.type == 'K' || m.type == 'x' || m.type == 'g' || m.type == 'X')
				return ms_job_error(job, src, off, MS_ERR_TRUNCATED,
				                    "tar: member at offset %zu claims %llu bytes, %zu left",
				                    off, (unsigned long long)size, len - off - TAR_BLOCK);
		}
		size_t doff = off + TAR_BLOCK;
		if (m.type == 'x' || m.type == 'X' || m.type == 'g') {
			bool outer = have_pax;
			if (m.type != 'g' && !have_pax) {
				pax = gpax;
				have_pax = true;
			}
			/* a global header (or an 'x' after another one) keeps what is set */
			if (!tar_pax_parse(p + doff, (size_t)size, m.type == 'g' ? &gpax : &pax,
			                   m.type == 'g' ? false : outer))
				return ms_job_error(job, src, doff, MS_ERR_MALFORMED, "tar: invalid pax header");
			off = doff + (size_t)blocks;
			continue;
		}
		if (m.type == 'L' || m.type == 'K') {
			/* tarfile cuts the name at a NUL in the block-padded buffer */
			if (m.type == 'L' && !(have_pax && pax.has_path)) {
				pax.path = p + doff;
				pax.plen = tar_nts(p + doff, (size_t)blocks);
				pax.has_path = have_pax = true;
			} else if (m.type == 'K' && !(have_pax && pax.has_link)) {
				pax.link = p + doff;
				pax.llen = tar_nts(p + doff, (size_t)blocks);
				pax.has_link = have_pax = true;
			}
			off = doff + (size_t)blocks;
			continue;
		}
		if (m.type == 'S' || (have_pax && pax.sparse))
			return ms_job_error(job, src, off, MS_ERR_UNSUPPORTED,
			                    "tar: sparse member cannot be scanned");
		const uint8_t *name = h, *prefix = h + 345;
		size_t nlen = tar_nts(h, 100), prelen = tar_nts(h + 345, 155);
		if (m.type == '\0' && nlen && name[nlen - 1] == '/') m.type = '5';
		if (m.type == '5')
			while (nlen && name[nlen - 1] == '/') nlen--;
		if (have_pax && pax.has_path) {
			name = pax.path;
			nlen = pax.plen;
			prelen = 0;
		}
		const uint8_t *link = h + 157;
		size_t llen = tar_nts(h + 157, 100);
		if (have_pax && pax.has_link) {
			link = pax.link;
			llen = pax.llen;
		}
		m.link_escapes = (m.type == '1' || m.type == '2') && fmt_name_escapes(link, llen);
		m.data = tar_is_regular(m.type) || !tar_is_known(m.type);
		m.doff = doff;
		m.size = size;
		ms_err rc = tar_add(job, src, a, &m, prefix, prelen, name, nlen);
		if (rc != MS_OK) return rc;
		have_pax = false;
		memset(&pax, 0, sizeof pax);
		off = m.data ? doff + (size_t)blocks : doff;
	}
	a->end = off;
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

/* ---- legacy torch members ------------------------------------------------------------- */

typedef struct tar_torch {
	ms_job *job;
	ms_src m;       /* the member */
	ms_arena *arena;
	size_t off;
} tar_torch;

/* Runs the pickle at the cursor (torch's pickle_module.load(f)) and advances past it. */
static ms_err tt_pickle(tar_torch *t, const char *what, pv **root)
{
	ms_src ps;
	if (t->off >= t->m.len)
		return ms_job_error(t->job, &t->m, t->off, MS_ERR_TRUNCATED, "legacy torch tar: %s missing",
		                    what);
	if (!ms_src_slice(t->job, &t->m, t->off, t->m.len - t->off, what, &ps))
		return ms_job_error(t->job, &t->m, t->off, MS_ERR_NOMEM, "no memory");
	ps.depth = t->m.depth;
	size_t used = 0;
	ms_err rc = pkl_run_one(t->job, &ps, t->arena, root, &used);
	ms_src yr;
	if (used && ms_src_slice(t->job, &t->m, t->off, used, what, &yr)) {
		yr.depth = t->m.depth;
		ms_job_yara(t->job, &yr, "pickle");
	}
	if (rc != MS_OK) return rc;
	if (used == 0)
		return ms_job_error(t->job, &t->m, t->off, MS_ERR_MALFORMED, "legacy torch tar: empty %s",
		                    what);
	t->off += used;
	return MS_OK;
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
		ms_job_finding(job, &t.m, t.off, "MS-TORCH-TRAILING", MS_SEV_MEDIUM, NULL, NULL,
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
	const tar_member *st = tar_get(&a, "storages"), *te = tar_get(&a, "tensors");
	if (st && !st->data) st = NULL;
	if (te && !te->data) te = NULL;
	if (st) {
		ms_job_finding(job, src, 0, "MS-TORCH-LEGACY-TAR", MS_SEV_LOW, NULL, NULL,
		               "legacy torch tar checkpoint (torch <= 0.1 layout)");
		if (job->ctx->opts.weights_only)
			ms_job_finding(job, src, 0, "MS-PKL-WEIGHTS-ONLY", MS_SEV_HIGH, NULL, NULL,
			               "torch.load(weights_only=True) refuses legacy .tar checkpoints");
	}
	for (size_t i = 0; i < a.n; i++) {
		const tar_member *m = &a.m[i];
		ms_err rc = MS_OK;
		if (fmt_name_escapes(m->name, m->nlen))
			ms_job_finding(job, src, m->hoff, "MS-TAR-PATH-ESCAPE", MS_SEV_HIGH, NULL, NULL,
			               "member name '%.200s' escapes the extraction folder", m->name);
		if (m->link_escapes)
			ms_job_finding(job, src, m->hoff, "MS-TAR-PATH-ESCAPE", MS_SEV_HIGH, NULL, NULL,
			               "link '%.200s' points outside the extraction folder", m->name);
		if (m->type == '1' || m->type == '2' || m->type == '3' || m->type == '4' || m->type == '6')
			ms_job_finding(job, src, m->hoff, "MS-TAR-SPECIAL", MS_SEV_MEDIUM, NULL, NULL,
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
		ms_job_finding(job, src, a.end, "MS-TAR-TRAILING", MS_SEV_MEDIUM, NULL, NULL,
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
