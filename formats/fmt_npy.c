/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * NumPy .npy (numpy/lib/format.py; https://numpy.org/devdocs/reference/generated/numpy.lib.format.html):
 *
 *   "\x93NUMPY" major minor
 *   v1.0: u16 LE header length;  v2.0, v3.0: u32 LE header length (v3: UTF-8 header)
 *   header: Python dict literal {'descr': <dtype>, 'fortran_order': bool, 'shape': (ints)}
 *           padded with spaces, ending in '\n'
 *   data:   object dtype ('O' anywhere in descr): a pickle (numpy.load(allow_pickle=True)
 *           runs pickle.load on the rest); otherwise prod(shape) * itemsize raw bytes.
 *
 * The header is parsed as the Python literal that ast.literal_eval would accept (strings,
 * ints, booleans, None, tuples, lists, dicts), with a depth limit. A .npz is a zip of .npy
 * members and goes through the zip reader.
 */
#include <stdlib.h>
#include <string.h>

#include "../scanner/bytes.h"
#include "../scanner/limits.h"
#include "fmt_private.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6u
#define NPY_BID 60u

typedef enum { NL_STR, NL_INT, NL_BOOL, NL_NONE, NL_TUPLE, NL_LIST, NL_DICT } nl_kind;

typedef struct nl {
	nl_kind kind;
	const uint8_t *s;   /* NL_STR: the value, escapes decoded, adjacent literals joined */
	size_t slen;
	uint64_t i;         /* NL_INT (non-negative only; negatives set neg) */
	bool neg;
	struct nl **kids;   /* TUPLE/LIST items; DICT key, value, key, value ... */
	size_t nkids;
} nl;

typedef struct nl_parser {
	const uint8_t *p;
	size_t len, off;
	nl *pool;
	size_t npool, cap;
	nl **ptrs;          /* child pointer storage */
	size_t nptrs, capptrs;
	uint8_t *sbuf;      /* decoded string values (never longer than the header) */
	size_t slen;
	bool fail;
} nl_parser;

/* Whitespace, comments and backslash-newline between tokens, as ast.literal_eval skips them. */
static void nl_ws(nl_parser *P)
{
	while (P->off < P->len) {
		uint8_t c = P->p[P->off];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			P->off++;
		} else if (c == '#') {
			while (P->off < P->len && P->p[P->off] != '\n') P->off++;
		} else if (c == '\\' && P->off + 1 < P->len && P->p[P->off + 1] == '\n') {
			P->off += 2;
		} else {
			break;
		}
	}
}

static int nl_hex(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One str literal at P->off (optional r/u prefix, single, double or triple quotes) appended
 * decoded to P->sbuf. An escape always shrinks its text, so sbuf (the header's size) holds
 * every value. False on what literal_eval refuses or we do not decode (\N{name}, bytes). */
static bool nl_str_literal(nl_parser *P)
{
	bool raw = false;
	while (P->off < P->len && strchr("rRuU", P->p[P->off]) && P->p[P->off]) {
		raw = raw || P->p[P->off] == 'r' || P->p[P->off] == 'R';
		P->off++;
	}
	if (P->off >= P->len || (P->p[P->off] != '\'' && P->p[P->off] != '"')) return false;
	uint8_t q = P->p[P->off];
	bool triple = P->len - P->off >= 3 && P->p[P->off + 1] == q && P->p[P->off + 2] == q;
	P->off += triple ? 3 : 1;
	for (;;) {
		if (P->off >= P->len) return false;
		uint8_t c = P->p[P->off];
		if (c == q && (!triple || (P->len - P->off >= 3 && P->p[P->off + 1] == q &&
		                           P->p[P->off + 2] == q))) {
			P->off += triple ? 3 : 1;
			return true;
		}
		if (c == '\n' && !triple) return false;
		if (c != '\\' || raw) {
			if (c == '\\' && P->off + 1 < P->len) P->sbuf[P->slen++] = P->p[P->off++];
			P->sbuf[P->slen++] = P->p[P->off++];
			continue;
		}
		if (P->off + 1 >= P->len) return false;
		uint8_t e = P->p[P->off + 1];
		P->off += 2;
		static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
		const char *hit = e ? strchr(from, e) : NULL;
		if (e == '\n') continue; /* line continuation inside the literal */
		if (hit) {
			P->sbuf[P->slen++] = (uint8_t)to[hit - from];
		} else if (e >= '0' && e <= '7') {
			uint32_t v = (uint32_t)(e - '0');
			for (int k = 0; k < 2 && P->off < P->len && P->p[P->off] >= '0' && P->p[P->off] <= '7'; k++)
				v = v * 8 + (uint32_t)(P->p[P->off++] - '0');
			P->slen += ms_utf8_put(P->sbuf + P->slen, v);
		} else if (e == 'x' || e == 'u' || e == 'U') {
			int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
			uint32_t v = 0;
			for (int k = 0; k < digits; k++) {
				if (P->off >= P->len || nl_hex(P->p[P->off]) < 0) return false;
				v = v * 16 + (uint32_t)nl_hex(P->p[P->off++]);
			}
			if (v > 0x10ffff) return false;
			P->slen += ms_utf8_put(P->sbuf + P->slen, v);
		} else {
			/* Python keeps an unknown escape as it is (backslash and character); \N{name}
			 * is kept undecoded too, so a name with an O in it still reads as object */
			P->sbuf[P->slen++] = '\\';
			P->sbuf[P->slen++] = e;
		}
	}
}

static bool nl_str_start(const nl_parser *P)
{
	size_t i = P->off;
	while (i < P->len && P->p[i] && strchr("rRuU", P->p[i])) i++;
	return i < P->len && i - P->off <= 1 && (P->p[i] == '\'' || P->p[i] == '"');
}

static nl *nl_new(nl_parser *P, nl_kind k)
{
	if (P->npool == P->cap) {
		P->fail = true;
		return NULL;
	}
	nl *n = &P->pool[P->npool++];
	memset(n, 0, sizeof *n);
	n->kind = k;
	return n;
}

static nl *nl_value(nl_parser *P, unsigned depth);

/* Items until close; children are gathered on a temporary list then copied. */
static bool nl_items(nl_parser *P, nl *n, uint8_t close, bool dict, unsigned depth)
{
	nl **tmp = NULL;
	size_t cnt = 0, cap = 0;
	bool ok = false;
	for (;;) {
		nl_ws(P);
		if (P->off < P->len && P->p[P->off] == close) {
			P->off++;
			ok = true;
			break;
		}
		for (int part = 0; part < (dict ? 2 : 1); part++) {
			nl *v = nl_value(P, depth + 1);
			if (!v) goto out;
			if (cnt == cap) {
				size_t nc = cap ? cap * 2 : 8;
				nl **t2 = realloc(tmp, nc * sizeof *t2);
				if (!t2) goto out;
				tmp = t2;
				cap = nc;
			}
			tmp[cnt++] = v;
			nl_ws(P);
			if (dict && part == 0) {
				if (P->off >= P->len || P->p[P->off] != ':') goto out;
				P->off++;
			}
		}
		nl_ws(P);
		if (P->off < P->len && P->p[P->off] == ',') {
			P->off++;
			continue;
		}
		if (P->off < P->len && P->p[P->off] == close) continue;
		goto out;
	}
	if (P->nptrs + cnt > P->capptrs) {
		ok = false;
		goto out;
	}
	n->kids = P->ptrs + P->nptrs;
	if (cnt) memcpy(n->kids, tmp, cnt * sizeof *tmp);
	n->nkids = cnt;
	P->nptrs += cnt;
out:
	free(tmp);
	return ok;
}

static nl *nl_value(nl_parser *P, unsigned depth)
{
	nl_ws(P);
	if (depth > MS_MAX_NPY_DEPTH || P->off >= P->len) return NULL;
	uint8_t c = P->p[P->off];
	if (nl_str_start(P)) {
		/* adjacent literals are one string: 'M8' '[ns]' */
		nl *n = nl_new(P, NL_STR);
		if (!n) return NULL;
		size_t start = P->slen;
		do {
			if (!nl_str_literal(P)) return NULL;
			nl_ws(P);
		} while (nl_str_start(P));
		n->s = P->sbuf + start;
		n->slen = P->slen - start;
		return n;
	}
	if (c == '(' || c == '[' || c == '{') {
		nl *n = nl_new(P, c == '(' ? NL_TUPLE : c == '[' ? NL_LIST : NL_DICT);
		if (!n) return NULL;
		P->off++;
		if (!nl_items(P, n, c == '(' ? ')' : c == '[' ? ']' : '}', c == '{', depth)) return NULL;
		return n;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		nl *n = nl_new(P, NL_INT);
		if (!n) return NULL;
		if (c == '-') {
			n->neg = true;
			P->off++;
		}
		size_t s = P->off;
		while (P->off < P->len && P->p[P->off] >= '0' && P->p[P->off] <= '9') {
			if (ms_mul_ovf(n->i, 10, &n->i) || ms_add_ovf(n->i, (uint64_t)(P->p[P->off] - '0'), &n->i))
				return NULL;
			P->off++;
		}
		/* numpy writes shapes as plain ints; Python 2 era files may carry an 'L' suffix. */
		if (P->off < P->len && P->p[P->off] == 'L') P->off++;
		return P->off > s ? n : NULL;
	}
	static const struct { const char *w; nl_kind k; uint64_t v; } words[] = {
		{"True", NL_BOOL, 1}, {"False", NL_BOOL, 0}, {"None", NL_NONE, 0},
	};
	for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
		size_t wl = strlen(words[k].w);
		if (P->len - P->off >= wl && memcmp(P->p + P->off, words[k].w, wl) == 0) {
			nl *n = nl_new(P, words[k].k);
			if (!n) return NULL;
			n->i = words[k].v;
			P->off += wl;
			return n;
		}
	}
	return NULL;
}

static bool nl_streq(const nl *n, const char *s)
{
	return n && n->kind == NL_STR && n->slen == strlen(s) && memcmp(n->s, s, n->slen) == 0;
}

/* Object dtypes: 'O', '|O', 'O8', 'object', and comma lists holding one ('M8[ns],object'),
 * in the type position of a descr: any 'O' or "object" in a type string (no other numpy type
 * code has either). */
static bool npy_type_is_object(const nl *t, unsigned depth)
{
	if (!t || depth > MS_MAX_NPY_DEPTH) return false;
	if (t->kind == NL_STR) {
		for (size_t i = 0; i < t->slen; i++)
			if (t->s[i] == 'O' || (t->slen - i >= 6 && memcmp(t->s + i, "object", 6) == 0))
				return true;
		return false;
	}
	if (t->kind == NL_LIST) { /* structured: [(name, type[, shape]), ...], fields as lists too */
		for (size_t i = 0; i < t->nkids; i++) {
			const nl *f = t->kids[i];
			if ((f->kind == NL_TUPLE || f->kind == NL_LIST) && f->nkids >= 2 &&
			    npy_type_is_object(f->kids[1], depth + 1))
				return true;
		}
		return false;
	}
	if (t->kind == NL_TUPLE && t->nkids >= 1) return npy_type_is_object(t->kids[0], depth + 1);
	return false;
}

/* Item size of a descr; false if it cannot be computed. */
static bool npy_itemsize(const nl *t, unsigned depth, uint64_t *out)
{
	if (!t || depth > MS_MAX_NPY_DEPTH) return false;
	if (t->kind == NL_STR && memchr(t->s, ',', t->slen)) {
		/* 'f4,i8': a structured dtype of the components, packed */
		uint64_t sum = 0;
		for (size_t a = 0; a <= t->slen;) {
			const uint8_t *c = memchr(t->s + a, ',', t->slen - a);
			size_t b = c ? (size_t)(c - t->s) : t->slen;
			while (a < b && t->s[a] == ' ') a++;
			nl part = {.kind = NL_STR, .s = t->s + a, .slen = b - a};
			while (part.slen && part.s[part.slen - 1] == ' ') part.slen--;
			uint64_t ps;
			if (!npy_itemsize(&part, depth + 1, &ps) || ms_add_ovf(sum, ps, &sum)) return false;
			a = b + 1;
		}
		*out = sum;
		return sum <= MS_MAX_NPY_ITEMSIZE;
	}
	if (t->kind == NL_STR) {
		const uint8_t *s = t->s;
		size_t n = t->slen;
		if (n && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
			s++;
			n--;
		}
		if (n == 0) return false;
		uint8_t kind = s[0];
		uint64_t v = 0;
		size_t i = 1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (ms_mul_ovf(v, 10, &v) || ms_add_ovf(v, (uint64_t)(s[i] - '0'), &v)) return false;
		if (i < n && s[i] != '[') return false; /* datetime units follow as [..] */
		if (kind == '?' && i == 1) v = 1;
		if (i == 1 && kind != '?') return false;
		if (kind == 'U' && ms_mul_ovf(v, 4, &v)) return false;
		if (!strchr("?bBiufcUSVaMm", kind) || v > MS_MAX_NPY_ITEMSIZE) return false;
		*out = v;
		return true;
	}
	if (t->kind == NL_LIST) {
		uint64_t sum = 0;
		for (size_t i = 0; i < t->nkids; i++) {
			const nl *f = t->kids[i];
			uint64_t fs, cnt = 1;
			if ((f->kind != NL_TUPLE && f->kind != NL_LIST) || f->nkids < 2 ||
			    !npy_itemsize(f->kids[1], depth + 1, &fs))
				return false;
			if (f->nkids >= 3) {
				const nl *sh = f->kids[2];
				if (sh->kind == NL_INT && !sh->neg) cnt = sh->i;
				else if (sh->kind == NL_TUPLE) {
					for (size_t k = 0; k < sh->nkids; k++) {
						if (sh->kids[k]->kind != NL_INT || sh->kids[k]->neg ||
						    ms_mul_ovf(cnt, sh->kids[k]->i, &cnt))
							return false;
					}
				} else return false;
			}
			if (ms_mul_ovf(fs, cnt, &fs) || ms_add_ovf(sum, fs, &sum)) return false;
		}
		*out = sum;
		return sum <= MS_MAX_NPY_ITEMSIZE;
	}
	return false;
}

static unsigned npy_bid(const uint8_t *p, size_t len)
{
	return len >= NPY_MAGIC_LEN && memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) == 0 ? NPY_BID : 0;
}

static ms_err npy_scan(ms_job *job, const ms_src *src)
{
	const uint8_t *p = src->data;
	size_t len = src->len;
	if (len < NPY_MAGIC_LEN + 4)
		return ms_job_error(job, src, 0, MS_ERR_TRUNCATED, "npy: %zu bytes, too short", len);
	uint8_t major = p[6], minor = p[7];
	size_t hl, hoff;
	if (major == 1 && minor == 0) {
		hl = ms_le16(p + 8);
		hoff = 10;
	} else if ((major == 2 || major == 3) && minor == 0) {
		if (len < 12) return ms_job_error(job, src, 0, MS_ERR_TRUNCATED, "npy: header length cut");
		hl = ms_le32(p + 8);
		hoff = 12;
	} else {
		return ms_job_error(job, src, 6, MS_ERR_UNSUPPORTED, "npy: format version %u.%u", major, minor);
	}
	if (hl > MS_MAX_NPY_HEADER)
		return ms_job_error(job, src, 8, MS_ERR_LIMIT, "npy: header of %zu bytes above %u", hl,
		                    (unsigned)MS_MAX_NPY_HEADER);
	if (hl > len - hoff)
		return ms_job_error(job, src, 8, MS_ERR_TRUNCATED, "npy: header of %zu bytes, %zu left", hl,
		                    len - hoff);
	nl_parser P = {.p = p + hoff, .len = hl};
	P.cap = hl / 2 + 8;
	P.capptrs = hl + 8;
	P.pool = malloc(P.cap * sizeof *P.pool);
	P.ptrs = malloc(P.capptrs * sizeof *P.ptrs);
	P.sbuf = malloc(hl + 1);
	ms_err rc = MS_OK;
	if (!P.pool || !P.ptrs || !P.sbuf) {
		rc = ms_job_error(job, src, 0, MS_ERR_NOMEM, "no memory");
		goto out;
	}
	nl *d = nl_value(&P, 0);
	nl_ws(&P);
	if (!d || d->kind != NL_DICT || P.off != P.len) {
		rc = ms_job_error(job, src, hoff + P.off, MS_ERR_MALFORMED,
		                  "npy: header is not a Python dict literal");
		goto out;
	}
	const nl *descr = NULL, *fo = NULL, *shape = NULL;
	for (size_t i = 0; i + 1 < d->nkids; i += 2) {
		const nl *k = d->kids[i], *v = d->kids[i + 1];
		const nl **slot = nl_streq(k, "descr") ? &descr : nl_streq(k, "fortran_order") ? &fo
		                : nl_streq(k, "shape") ? &shape : NULL;
		if (!slot) {
			/* numpy.load refuses any other key set ("does not contain the correct keys"). */
			rc = ms_job_error(job, src, hoff, MS_ERR_MALFORMED, "npy: unexpected header key");
			goto out;
		}
		*slot = v; /* a repeated key: the dict keeps the last value */
	}
	if (!descr || !fo || !shape || fo->kind != NL_BOOL || shape->kind != NL_TUPLE) {
		rc = ms_job_error(job, src, hoff, MS_ERR_MALFORMED,
		                  "npy: header needs descr, fortran_order (bool) and shape (tuple)");
		goto out;
	}
	uint64_t numel = 1;
	for (size_t i = 0; i < shape->nkids; i++) {
		const nl *s = shape->kids[i];
		/* bool is an int to numpy's isinstance check: (True,) is shape (1,) */
		if ((s->kind != NL_INT && s->kind != NL_BOOL) || s->neg || ms_mul_ovf(numel, s->i, &numel)) {
			rc = ms_job_error(job, src, hoff, MS_ERR_MALFORMED,
			                  "npy: shape entry %zu is not a non-negative integer (or overflows)", i);
			goto out;
		}
	}
	size_t doff = hoff + hl;
	ms_src data;
	if (!ms_src_slice(job, src, doff, len - doff, "[array data]", &data)) {
		rc = ms_job_error(job, src, doff, MS_ERR_NOMEM, "no memory");
		goto out;
	}
	data.depth = src->depth; /* the same file, not a nested container */
	if (npy_type_is_object(descr, 0)) {
		ms_job_finding(job, src, 0, MS_RULE_NPY_OBJECT, NULL, NULL,
		               "object array: numpy.load(allow_pickle=True) unpickles its data");
		rc = ms_job_scan_pickle(job, &data);
		goto out;
	}
	uint64_t isz, need;
	if (!npy_itemsize(descr, 0, &isz)) {
		rc = ms_job_error(job, src, hoff, MS_ERR_UNSUPPORTED, "npy: cannot size dtype descr");
		goto out;
	}
	if (ms_mul_ovf(numel, isz, &need)) {
		rc = ms_job_error(job, src, hoff, MS_ERR_MALFORMED, "npy: array size overflows");
		goto out;
	}
	if (need > data.len) {
		rc = ms_job_error(job, src, doff, MS_ERR_TRUNCATED,
		                  "npy: array needs %llu data bytes, file holds %zu",
		                  (unsigned long long)need, data.len);
		goto out;
	}
	if (need < data.len) {
		/* numpy.load reads exactly the array; what follows is ignored by it but may be
		 * meant for another reader. */
		ms_job_finding(job, src, doff + need, MS_RULE_NPY_TRAILING, NULL, NULL,
		               "%llu bytes after the array data", (unsigned long long)(data.len - need));
		ms_src tail;
		if (ms_src_slice(job, src, doff + need, data.len - need, "[after array]", &tail))
			rc = ms_job_scan_blob(job, &tail);
	}
out:
	free(P.pool);
	free(P.ptrs);
	free(P.sbuf);
	return rc;
}

const ms_format ms_format_npy = {
	.name = "npy",
	.bid = npy_bid,
	.scan = npy_scan,
};
