/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * safetensors, validated as strictly as huggingface/safetensors' Rust reader
 * (safetensors/src/tensor.rs, read_metadata and Metadata::validate; formats.md B):
 *
 *   [0, 8)         N, u64 little-endian, N <= 100,000,000, 8 + N <= file size
 *   [8, 8+N)       UTF-8 JSON object, JSON whitespace allowed before and after:
 *                  {"__metadata__": {str: str} | null,
 *                   "<name>": {"dtype": "F32", "shape": [u64...], "data_offsets": [b, e]}, ...}
 *   [8+N, EOF)     tensor bytes; sorted by (b, e) the tensors tile it exactly from 0, with
 *                  e - b == prod(shape) * bits / 8, and the last e == file size - 8 - N.
 *
 * Stricter than the Rust reader on purpose (parser differentials are the bypass class here):
 * duplicate keys anywhere, extra keys in a tensor entry, numbers that are not plain
 * non-negative integers, and whitespace or control bytes JSON does not allow are rejected.
 * cJSON builds the tree; a raw pass over the text checks lexical rules and gives exact 64-bit
 * integers (cJSON keeps only doubles). Tensor bytes are never read.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../scanner/bytes.h"
#include "../scanner/limits.h"
#include "../scanner/utf8_private.h"
#include "format.h"
#include "safetensors_private.h"

#define ST_META_KEY "__metadata__"
#define ST_BID_STRONG 64u
#define ST_BID_WEAK 48u
#define ST_MAX_U64_DIGITS 20u

static const struct {
	const char *name;
	unsigned bits;
} st_dtypes[ST_DTYPE_COUNT] = {
	[ST_BOOL] = {"BOOL", 8}, [ST_F4] = {"F4", 4}, [ST_F6_E2M3] = {"F6_E2M3", 6},
	[ST_F6_E3M2] = {"F6_E3M2", 6}, [ST_U8] = {"U8", 8}, [ST_I8] = {"I8", 8},
	[ST_F8_E5M2] = {"F8_E5M2", 8}, [ST_F8_E4M3] = {"F8_E4M3", 8}, [ST_F8_E8M0] = {"F8_E8M0", 8},
	[ST_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", 8}, [ST_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", 8},
	[ST_I16] = {"I16", 16}, [ST_U16] = {"U16", 16}, [ST_F16] = {"F16", 16},
	[ST_BF16] = {"BF16", 16}, [ST_I32] = {"I32", 32}, [ST_U32] = {"U32", 32},
	[ST_F32] = {"F32", 32}, [ST_C64] = {"C64", 64}, [ST_F64] = {"F64", 64},
	[ST_I64] = {"I64", 64}, [ST_U64] = {"U64", 64},
};

const char *st_dtype_name(st_dtype d)
{
	return (unsigned)d < ST_DTYPE_COUNT ? st_dtypes[d].name : NULL;
}

unsigned st_dtype_bits(st_dtype d)
{
	return (unsigned)d < ST_DTYPE_COUNT ? st_dtypes[d].bits : 0;
}

bool st_dtype_parse(const char *s, st_dtype *out)
{
	for (unsigned i = 0; i < ST_DTYPE_COUNT; i++)
		if (strcmp(s, st_dtypes[i].name) == 0) {
			*out = (st_dtype)i;
			return true;
		}
	return false;
}

typedef struct st_priv {
	cJSON *json;
	uint64_t *nums;       /* every number token of the header, in text order */
	size_t nnums, capnums, next;
	uint64_t *shapes;     /* shape storage for all tensors */
} st_priv;

typedef struct st_err {
	char *buf;
	size_t len;
	uint64_t *off;
} st_err;

static ms_err st_fail(const st_err *e, ms_err code, uint64_t off, const char *fmt, ...)
	MS_PRINTF(4, 5);
static ms_err st_fail(const st_err *e, ms_err code, uint64_t off, const char *fmt, ...)
{
	if (e->buf && e->len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->buf, e->len, fmt, ap);
		va_end(ap);
	}
	if (e->off) *e->off = off;
	return code;
}

static bool st_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool st_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Lexical pass: JSON-only whitespace, strings without raw control bytes and with valid
 * escapes, numbers that are plain u64 integers (collected in order). */
static ms_err st_lex(const uint8_t *h, size_t n, uint64_t base, st_priv *pv, const st_err *e)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = h[i];
		if (st_ws(c) || c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',') {
			i++;
		} else if (c == '"') {
			i++;
			for (;;) {
				if (i >= n) return st_fail(e, MS_ERR_MALFORMED, base + i, "unterminated string in header");
				c = h[i];
				if (c == '"') break;
				if (c < 0x20)
					return st_fail(e, MS_ERR_MALFORMED, base + i,
					               "control byte 0x%02x inside a header string", c);
				if (c == '\\') {
					if (i + 1 >= n) return st_fail(e, MS_ERR_MALFORMED, base + i, "bad escape");
					uint8_t x = h[i + 1];
					if (x == 'u') {
						if (n - i < 6 || !st_hex(h[i + 2]) || !st_hex(h[i + 3]) ||
						    !st_hex(h[i + 4]) || !st_hex(h[i + 5]))
							return st_fail(e, MS_ERR_MALFORMED, base + i, "bad \\u escape in header");
						/* cJSON ends its strings at a NUL, so "__metadata__\u0000x" would read
						 * as __metadata__ and "F32\u0000junk" as F32, which the Rust reader
						 * rejects: never read such a header as something else. */
						if (memcmp(h + i + 2, "0000", 4) == 0)
							return st_fail(e, MS_ERR_UNSUPPORTED, base + i,
							               "\\u0000 (NUL) in a header string cannot be checked exactly");
						i += 6;
						continue;
					}
					if (!strchr("\"\\/bfnrt", x) || x == 0)
						return st_fail(e, MS_ERR_MALFORMED, base + i, "bad escape '\\%c' in header",
						               x >= 0x20 && x < 0x7f ? x : '?');
					i += 2;
					continue;
				}
				i++;
			}
			i++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t s = i;
			while (i < n && (h[i] == '-' || h[i] == '+' || h[i] == '.' || h[i] == 'e' ||
			                 h[i] == 'E' || (h[i] >= '0' && h[i] <= '9')))
				i++;
			uint64_t v = 0;
			bool ok = i - s <= ST_MAX_U64_DIGITS && !(h[s] == '0' && i - s > 1);
			for (size_t k = s; ok && k < i; k++) {
				if (h[k] < '0' || h[k] > '9' || ms_mul_ovf(v, 10, &v) ||
				    ms_add_ovf(v, (uint64_t)(h[k] - '0'), &v))
					ok = false;
			}
			if (!ok)
				return st_fail(e, MS_ERR_MALFORMED, base + s,
				               "number '%.*s' in header is not a non-negative 64-bit integer",
				               (int)(i - s < 32 ? i - s : 32), (const char *)h + s);
			if (pv->nnums == pv->capnums) {
				size_t nc = pv->capnums ? pv->capnums * 2 : 64;
				uint64_t *nn = realloc(pv->nums, nc * sizeof *nn);
				if (!nn) return st_fail(e, MS_ERR_NOMEM, base, "no memory");
				pv->nums = nn;
				pv->capnums = nc;
			}
			pv->nums[pv->nnums++] = v;
		} else if (c >= 'a' && c <= 'z') {
			i++; /* true/false/null: the grammar is cJSON's to check */
		} else {
			return st_fail(e, MS_ERR_MALFORMED, base + i, "byte 0x%02x not allowed in a JSON header", c);
		}
	}
	return MS_OK;
}

/* Gives every number node its exact value: the k-th number node in document order is the
 * k-th number token. A valid header nests 3 deep at most (object, entry, shape array,
 * number); anything deeper is invalid, which keeps this walk's recursion bounded. */
#define ST_MAX_DEPTH 3
static bool st_assign(cJSON *node, unsigned depth, st_priv *pv)
{
	for (; node; node = node->next) {
		if (cJSON_IsNumber(node)) {
			if (pv->next >= pv->nnums) return false;
			/* Keep the index; cJSON's valueint/valuedouble are lossy above 2^53. */
			node->valueint = (int)0;
			node->valuedouble = (double)pv->next++;
		}
		if (node->child) {
			if (depth >= ST_MAX_DEPTH) return false;
			if (!st_assign(node->child, depth + 1, pv)) return false;
		}
	}
	return true;
}

static uint64_t st_num(const st_priv *pv, const cJSON *n)
{
	return pv->nums[(size_t)n->valuedouble];
}

static int st_cmp_tensor(const void *a, const void *b)
{
	const st_tensor *x = a, *y = b;
	if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end) return x->end < y->end ? -1 : 1;
	return 0;
}

static int st_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Rejects duplicate keys among the children of obj (cJSON keeps every duplicate). */
static const char *st_dup_key(const cJSON *obj, size_t n)
{
	if (n < 2) return NULL;
	const char **k = malloc(n * sizeof *k);
	if (!k) return "";
	size_t i = 0;
	for (const cJSON *c = obj->child; c; c = c->next) k[i++] = c->string;
	qsort(k, n, sizeof *k, st_cmp_str);
	const char *dup = NULL;
	for (i = 1; i < n && !dup; i++)
		if (strcmp(k[i - 1], k[i]) == 0) dup = k[i];
	free(k);
	return dup;
}

static size_t st_count(const cJSON *obj)
{
	size_t n = 0;
	for (const cJSON *c = obj->child; c; c = c->next) n++;
	return n;
}

void st_header_free(st_header *h)
{
	if (!h) return;
	st_priv *pv = h->priv;
	if (pv) {
		cJSON_Delete(pv->json);
		free(pv->nums);
		free(pv->shapes);
		free(pv);
	}
	free(h->tensors);
	free(h->meta);
	memset(h, 0, sizeof *h);
}

static ms_err st_entry(const cJSON *v, st_tensor *t, uint64_t **shp, const st_priv *pv,
                       uint64_t hoff, const st_err *e)
{
	const char *nm = v->string;
	if (!cJSON_IsObject(v))
		return st_fail(e, MS_ERR_MALFORMED, hoff, "tensor '%.200s': entry is not an object", nm);
	const cJSON *dt = NULL, *sh = NULL, *of = NULL;
	for (const cJSON *c = v->child; c; c = c->next) {
		const cJSON **slot = strcmp(c->string, "dtype") == 0 ? &dt
		                   : strcmp(c->string, "shape") == 0 ? &sh
		                   : strcmp(c->string, "data_offsets") == 0 ? &of : NULL;
		if (!slot)
			return st_fail(e, MS_ERR_MALFORMED, hoff, "tensor '%.200s': unexpected key '%.100s'",
			               nm, c->string);
		if (*slot)
			return st_fail(e, MS_ERR_MALFORMED, hoff, "tensor '%.200s': duplicate key '%s'", nm,
			               c->string);
		*slot = c;
	}
	if (!dt || !sh || !of)
		return st_fail(e, MS_ERR_MALFORMED, hoff, "tensor '%.200s': missing %s", nm,
		               !dt ? "dtype" : !sh ? "shape" : "data_offsets");
	t->name = nm;
	if (!cJSON_IsString(dt) || !st_dtype_parse(dt->valuestring, &t->dtype))
		return st_fail(e, MS_ERR_MALFORMED, hoff, "tensor '%.200s': unknown dtype '%.40s'", nm,
		               cJSON_IsString(dt) ? dt->valuestring : "(not a string)");
	if (!cJSON_IsArray(sh))
		return st_fail(e, MS_ERR_MALFORMED, hoff, "tensor '%.200s': shape is not an array", nm);
	t->shape = *shp;
	t->ndim = 0;
	for (const cJSON *c = sh->child; c; c = c->next) {
		if (!cJSON_IsNumber(c))
			return st_fail(e, MS_ERR_MALFORMED, hoff, "tensor '%.200s': shape entry is not an integer", nm);
		t->shape[t->ndim++] = st_num(pv, c);
	}
	*shp += t->ndim;
	if (t->ndim == 0) t->shape = NULL;
	if (!cJSON_IsArray(of) || st_count(of) != 2 || !cJSON_IsNumber(of->child) ||
	    !cJSON_IsNumber(of->child->next))
		return st_fail(e, MS_ERR_MALFORMED, hoff,
		               "tensor '%.200s': data_offsets is not [begin, end] integers", nm);
	t->begin = st_num(pv, of->child);
	t->end = st_num(pv, of->child->next);
	return MS_OK;
}

ms_err st_parse(const uint8_t *buf, size_t len, st_header *out, char *errbuf, size_t errlen,
                uint64_t *err_off)
{
	st_err e = {errbuf, errlen, err_off};
	memset(out, 0, sizeof *out);
	if (errbuf && errlen) errbuf[0] = 0;
	if (err_off) *err_off = 0;
	if (len < ST_HEADER_OFF)
		return st_fail(&e, MS_ERR_TRUNCATED, 0, "safetensors: %zu bytes, need at least 8", len);
	uint64_t n = ms_le64(buf);
	if (n > MS_MAX_ST_HEADER)
		return st_fail(&e, MS_ERR_MALFORMED, 0, "safetensors: header length %llu above %u",
		               (unsigned long long)n, MS_MAX_ST_HEADER);
	if (n > len - ST_HEADER_OFF)
		return st_fail(&e, MS_ERR_TRUNCATED, 0,
		               "safetensors: header length %llu runs past the end of the file (%zu bytes)",
		               (unsigned long long)n, len);
	const uint8_t *h = buf + ST_HEADER_OFF;
	/* strict, as Rust's from_utf8 (no overlongs, surrogates or values above U+10FFFF) */
	size_t bad = ms_utf8_check(h, (size_t)n, false);
	if (bad != SIZE_MAX)
		return st_fail(&e, MS_ERR_MALFORMED, ST_HEADER_OFF + bad, "safetensors: header is not valid UTF-8");
	st_priv *pv = calloc(1, sizeof *pv);
	if (!pv) return st_fail(&e, MS_ERR_NOMEM, 0, "no memory");
	out->priv = pv;
	out->header_len = n;
	out->data_start = ST_HEADER_OFF + n;
	ms_err rc = st_lex(h, (size_t)n, ST_HEADER_OFF, pv, &e);
	if (rc != MS_OK) goto fail;
	size_t lead = 0;
	while (lead < n && st_ws(h[lead])) lead++;
	if (lead == n || h[lead] != '{') {
		rc = st_fail(&e, MS_ERR_MALFORMED, ST_HEADER_OFF + lead, "safetensors: header is not a JSON object");
		goto fail;
	}
	const char *end = NULL;
	pv->json = cJSON_ParseWithLengthOpts((const char *)h, (size_t)n, &end, 0);
	if (!pv->json) {
		const char *ep = cJSON_GetErrorPtr();
		uint64_t at = ep && ep >= (const char *)h && ep <= (const char *)h + n
		                      ? (uint64_t)(ep - (const char *)h) : 0;
		rc = st_fail(&e, MS_ERR_MALFORMED, ST_HEADER_OFF + at, "safetensors: header is not valid JSON");
		goto fail;
	}
	for (const char *q = end; q < (const char *)h + n; q++)
		if (!st_ws((uint8_t)*q)) {
			rc = st_fail(&e, MS_ERR_MALFORMED, ST_HEADER_OFF + (uint64_t)(q - (const char *)h),
			             "safetensors: bytes after the header's JSON object");
			goto fail;
		}
	if (!cJSON_IsObject(pv->json) || !st_assign(pv->json->child, 1, pv)) {
		rc = st_fail(&e, MS_ERR_MALFORMED, ST_HEADER_OFF,
		             "safetensors: header is not an object of tensor entries");
		goto fail;
	}
	size_t nkeys = st_count(pv->json);
	const char *dup = st_dup_key(pv->json, nkeys);
	if (dup) {
		rc = st_fail(&e, dup[0] || nkeys == 0 ? MS_ERR_MALFORMED : MS_ERR_NOMEM, ST_HEADER_OFF,
		             "safetensors: duplicate key '%.200s' in the header", dup);
		goto fail;
	}
	out->tensors = calloc(nkeys ? nkeys : 1, sizeof *out->tensors);
	pv->shapes = malloc((pv->nnums ? pv->nnums : 1) * sizeof *pv->shapes);
	if (!out->tensors || !pv->shapes) {
		rc = st_fail(&e, MS_ERR_NOMEM, 0, "no memory");
		goto fail;
	}
	uint64_t *shp = pv->shapes;
	bool seen_meta = false;
	for (const cJSON *v = pv->json->child; v; v = v->next) {
		if (strcmp(v->string, ST_META_KEY) == 0) {
			seen_meta = true;
			if (cJSON_IsNull(v)) continue;
			if (!cJSON_IsObject(v)) {
				rc = st_fail(&e, MS_ERR_MALFORMED, ST_HEADER_OFF, "safetensors: __metadata__ is not an object");
				goto fail;
			}
			size_t nm = st_count(v);
			const char *d2 = st_dup_key(v, nm);
			if (d2) {
				rc = st_fail(&e, MS_ERR_MALFORMED, ST_HEADER_OFF,
				             "safetensors: duplicate __metadata__ key '%.200s'", d2);
				goto fail;
			}
			out->meta = calloc(nm ? nm : 1, sizeof *out->meta);
			if (!out->meta) {
				rc = st_fail(&e, MS_ERR_NOMEM, 0, "no memory");
				goto fail;
			}
			for (const cJSON *m = v->child; m; m = m->next) {
				if (!cJSON_IsString(m)) {
					rc = st_fail(&e, MS_ERR_MALFORMED, ST_HEADER_OFF,
					             "safetensors: __metadata__ value of '%.200s' is not a string",
					             m->string);
					goto fail;
				}
				out->meta[out->nmeta++] = (st_meta){m->string, m->valuestring};
			}
			out->has_meta = true;
			continue;
		}
		rc = st_entry(v, &out->tensors[out->ntensors], &shp, pv, ST_HEADER_OFF, &e);
		if (rc != MS_OK) goto fail;
		out->ntensors++;
	}
	(void)seen_meta;
	qsort(out->tensors, out->ntensors, sizeof *out->tensors, st_cmp_tensor);
	uint64_t start = 0, data_len = len - out->data_start;
	for (size_t i = 0; i < out->ntensors; i++) {
		const st_tensor *t = &out->tensors[i];
		if (t->begin != start || t->end < t->begin) {
			rc = st_fail(&e, MS_ERR_MALFORMED, out->data_start + t->begin,
			             "safetensors: tensor '%.200s' has data_offsets [%llu, %llu], expected to "
			             "begin at %llu (gap, overlap or reversed offsets)",
			             t->name, (unsigned long long)t->begin, (unsigned long long)t->end,
			             (unsigned long long)start);
			goto fail;
		}
		uint64_t numel = 1, nbits;
		bool ovf = false;
		for (size_t k = 0; k < t->ndim; k++) ovf |= ms_mul_ovf(numel, t->shape[k], &numel);
		if (ovf || ms_mul_ovf(numel, st_dtype_bits(t->dtype), &nbits)) {
			rc = st_fail(&e, MS_ERR_MALFORMED, out->data_start + t->begin,
			             "safetensors: tensor '%.200s': shape size overflows", t->name);
			goto fail;
		}
		if (nbits % 8 != 0) {
			rc = st_fail(&e, MS_ERR_MALFORMED, out->data_start + t->begin,
			             "safetensors: tensor '%.200s': %llu bits do not end on a byte", t->name,
			             (unsigned long long)nbits);
			goto fail;
		}
		if (t->end - t->begin != nbits / 8) {
			rc = st_fail(&e, MS_ERR_MALFORMED, out->data_start + t->begin,
			             "safetensors: tensor '%.200s' (%s) needs %llu bytes, data_offsets give %llu",
			             t->name, st_dtype_name(t->dtype), (unsigned long long)(nbits / 8),
			             (unsigned long long)(t->end - t->begin));
			goto fail;
		}
		start = t->end;
	}
	if (start != data_len) {
		rc = st_fail(&e, start > data_len ? MS_ERR_TRUNCATED : MS_ERR_MALFORMED,
		             out->data_start + (start < data_len ? start : data_len),
		             "safetensors: tensors cover %llu data bytes but the file holds %llu",
		             (unsigned long long)start, (unsigned long long)data_len);
		goto fail;
	}
	return MS_OK;
fail:
	st_header_free(out);
	return rc;
}

/* ---- the reader ------------------------------------------------------------------------ */

static unsigned stf_bid(const uint8_t *p, size_t len)
{
	if (len < ST_HEADER_OFF + 2) return 0;
	size_t i = ST_HEADER_OFF;
	while (i < len && i < ST_HEADER_OFF + 64 && st_ws(p[i])) i++;
	if (i >= len || p[i] != '{') return 0;
	uint64_t n = ms_le64(p);
	if (n < 2) return 0;
	/* A plausible length: within the file and ending on '}' or padding. */
	if (n <= len - ST_HEADER_OFF) {
		uint8_t last = p[ST_HEADER_OFF + n - 1];
		if (last == '}' || st_ws(last)) return ST_BID_STRONG;
	}
	return ST_BID_WEAK;
}

static ms_err stf_scan(ms_job *job, const ms_src *src)
{
	st_header h;
	char err[512];
	uint64_t off = 0;
	ms_err rc = st_parse(src->data, src->len, &h, err, sizeof err, &off);
	/* Rules see the header text even when it is invalid (its bytes are what a loader
	 * would parse). */
	uint64_t n = src->len >= ST_HEADER_OFF ? ms_le64(src->data) : 0;
	if (n > src->len - (src->len >= ST_HEADER_OFF ? ST_HEADER_OFF : src->len))
		n = src->len >= ST_HEADER_OFF ? src->len - ST_HEADER_OFF : 0;
	ms_src hs;
	ms_err yrc = MS_OK;
	if (n && ms_src_slice(job, src, ST_HEADER_OFF, n, "[header]", &hs)) {
		hs.depth = src->depth; /* same file, not a nested container */
		yrc = ms_job_yara(job, &hs, "metadata");
	}
	if (rc != MS_OK) {
		st_header_free(&h);
		return ms_job_error(job, src, off, rc, "%s", err);
	}
	st_header_free(&h);
	return yrc;
}

const ms_format ms_format_safetensors = {
	.name = "safetensors",
	.bid = stf_bid,
	.scan = stf_scan,
};
