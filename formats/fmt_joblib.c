/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Compressed joblib files (joblib/compressor.py, numpy_pickle_utils.py _detect_compressor):
 *
 *   "ZF" + hex(length).ljust(19) [+ ' '] + zlib stream     joblib < 0.9.3 (numpy_pickle_compat)
 *   78 ..                 zlib (compress='zlib')
 *   1f 8b                 gzip
 *   "BZh"                 bz2
 *   fd 37 7a 58 5a 00     xz
 *   5d 00 00              lzma (legacy .lzma "alone" stream)
 *
 * The decompressed bytes are a joblib pickle stream (or anything else): they are recognised
 * by content with the caps of limits.h. Bytes that no reader recognises make the file an
 * error, never clean: a compressed stream is not a model by itself. lz4 (04 22 4d 18) has no
 * decoder here and is reported unscannable by the archive reader.
 *
 * joblib's own layout inside the pickle (array bytes after each NumpyArrayWrapper) is read
 * by the pickle machine through this file's build hook, at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../scanner/bytes.h"
#include "../scanner/err_private.h"
#include "../scanner/limits.h"
#include "../scanner/pickle_private.h"
#include "fmt_private.h"

#define JL_ZF_PREFIX "ZF"
#define JL_ZF_LEN_FIELD 19u
#define JL_BID_STRONG 40u
#define JL_BID 20u
#define JL_BID_WEAK 12u

typedef struct jl_kind {
	fd_kind fd;
	size_t skip;       /* header bytes before the compressed stream */
	const char *name;
	unsigned bid;
} jl_kind;

static bool jl_detect(const uint8_t *p, size_t len, jl_kind *k)
{
	if (len >= 2 + JL_ZF_LEN_FIELD + 2 && memcmp(p, JL_ZF_PREFIX, 2) == 0) {
		bool hex = true;
		for (size_t i = 2; i < 2 + JL_ZF_LEN_FIELD; i++) {
			uint8_t c = p[i];
			if (!(c == ' ' || c == 'x' || c == 'L' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				hex = false;
		}
		if (hex) {
			size_t s = 2 + JL_ZF_LEN_FIELD;
			if (p[s] == ' ') s++; /* python 2 / joblib <= 0.8.4 wrote one more space */
			*k = (jl_kind){FD_ZLIB, s, "joblib (ZF zlib)", JL_BID_STRONG};
			return true;
		}
	}
	if (len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8) {
		*k = (jl_kind){FD_GZIP, 0, "gzip", JL_BID};
		return true;
	}
	if (len >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9') {
		*k = (jl_kind){FD_BZ2, 0, "bzip2", JL_BID};
		return true;
	}
	if (len >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0) {
		*k = (jl_kind){FD_XZ, 0, "xz", JL_BID};
		return true;
	}
	if (len >= 13 && p[0] == 0x5d && p[1] == 0 && p[2] == 0) {
		*k = (jl_kind){FD_XZ, 0, "lzma", JL_BID_WEAK};
		return true;
	}
	/* zlib: CMF 0x78 (deflate, 32K window) and FCHECK (RFC 1950 2.2), no preset dictionary. */
	if (len >= 2 && p[0] == 0x78 && (p[0] * 256u + p[1]) % 31 == 0 && !(p[1] & 0x20)) {
		*k = (jl_kind){FD_ZLIB, 0, "zlib", JL_BID_WEAK};
		return true;
	}
	return false;
}

static unsigned jl_bid(const uint8_t *p, size_t len)
{
	jl_kind k;
	return jl_detect(p, len, &k) ? k.bid : 0;
}

static ms_err jl_scan(ms_job *job, const ms_src *src)
{
	jl_kind k;
	if (!jl_detect(src->data, src->len, &k))
		return ms_job_error(job, src, 0, MS_ERR_MALFORMED, "not a compressed stream");
	uint8_t *buf = NULL;
	size_t blen = 0, used = 0;
	ms_err rc = fmt_decompress(job, src, k.skip, k.fd, src->data + k.skip, src->len - k.skip, 0,
	                           &buf, &blen, &used);
	if (rc != MS_OK) return rc;
	ms_src m = ms_src_child(job, src, buf, blen, "[decompressed]");
	if (!fmt_recognise(&m)) {
		rc = ms_job_error(job, src, 0, MS_ERR_UNSUPPORTED,
		                  "%s stream: its %zu decompressed bytes are no format mscan knows", k.name, blen);
		ms_job_yara(job, &m, "data");
	} else {
		rc = ms_job_scan_blob(job, &m);
	}
	if (used + k.skip < src->len)
		ms_job_finding(job, src, k.skip + used, MS_RULE_JOBLIB_TRAILING, NULL, NULL,
		               "%zu bytes after the end of the %s stream", src->len - k.skip - used, k.name);
	free(buf);
	return rc;
}

const ms_format ms_format_joblib = {
	.name = "compressed",
	.bid = jl_bid,
	.scan = jl_scan,
};

/* ---- array bytes written into the stream after a NumpyArrayWrapper ----------------------
 * joblib.dump pickles each ndarray as a NumpyArrayWrapper whose BUILD is followed, outside
 * any frame, by the array itself: a nested pickle for object dtypes, else [1 padding-length
 * byte + padding when 'numpy_array_alignment_bytes' is set] and count x itemsize raw bytes.
 * NumpyUnpickler.load_build reads them there (joblib/numpy_pickle.py read_array). This is the
 * pickle machine's build hook (ms_pkl_build_hook, scanner/pickle_private.h): it runs for
 * every stream the machine reads, so an uncompressed dump is covered whichever reader
 * finds it (a plain pickle file, an archive member, this reader's decompressed bytes). */

/* d[key] as Python has it: of repeated keys the last one wins. */
static const pv *jl_dict_get(const pv *d, const char *key)
{
	const pv *v = NULL;
	if (!d || d->kind != PV_DICT) return NULL;
	for (size_t i = 0; i + 1 < d->u.seq.n; i += 2)
		if (pv_is_str(d->u.seq.v[i], key)) v = d->u.seq.v[i + 1];
	return v;
}

/* An attribute BUILD sets: state is a dict, or (dict or None, slotstate dict) whose
 * slotstate is applied after the dict (pickle.py load_build). */
static const pv *jl_state_get(const pv *state, const char *key)
{
	if (state && state->kind == PV_TUPLE && state->u.seq.n == 2) {
		const pv *v = jl_dict_get(state->u.seq.v[1], key);
		return v ? v : jl_dict_get(state->u.seq.v[0], key);
	}
	return jl_dict_get(state, key);
}

/* A numpy.dtype(...) object: its type string ('f8', 'V24', 'O8') and state tuple. */
static const pv *jl_dtype_str(const pv *dt)
{
	if (!dt || dt->kind != PV_OBJ || !pv_is_global(dt->u.obj.callable, "numpy", "dtype")) return NULL;
	const pv *a = dt->u.obj.args;
	if (!a || a->kind != PV_TUPLE || a->u.seq.n < 1 || a->u.seq.v[0]->kind != PV_STR) return NULL;
	return a->u.seq.v[0];
}

/* Whether a dtype holds objects anywhere in its fields. *budget bounds the values visited:
 * a hostile state can share one tuple at every level (2^depth paths). Out of budget counts
 * as an object dtype, so the bytes are read as a pickle, never skipped unseen. */
static bool jl_dtype_has_object(const pv *v, unsigned depth, size_t *budget)
{
	if (!v) return false;
	if (depth > MS_MAX_JOBLIB_DTYPE_DEPTH || (*budget)-- == 0) return true;
	const pv *ts = jl_dtype_str(v);
	if (ts && ts->u.s.len && ts->u.s.p[0] == 'O') return true;
	const pv *st = v->kind == PV_OBJ ? v->u.obj.state : v;
	if (!st) return false;
	if (st->kind == PV_TUPLE || st->kind == PV_DICT || st->kind == PV_LIST)
		for (size_t i = 0; i < st->u.seq.n; i++)
			if (jl_dtype_has_object(st->u.seq.v[i], depth + 1, budget)) return true;
	return false;
}

/* Item size as numpy's dtype __setstate__ sets it: the state's elsize only for the flexible
 * kinds ('U2' is 8 bytes, 'V24' structured), which alone honour it; the type string's digits
 * otherwise ('f8', 'M8' of 'M8[ns]'), whatever elsize the state claims. */
static bool jl_dtype_itemsize(const pv *dt, uint64_t *size)
{
	const pv *ts = jl_dtype_str(dt);
	if (!ts || ts->u.s.len < 2) return false;
	uint8_t kind = ts->u.s.p[0];
	const pv *st = dt->u.obj.state;
	if ((kind == 'U' || kind == 'S' || kind == 'V') && st && st->kind == PV_TUPLE &&
	    st->u.seq.n >= 6 && st->u.seq.v[5]->kind == PV_INT && st->u.seq.v[5]->u.i > 0) {
		*size = (uint64_t)st->u.seq.v[5]->u.i;
		return true;
	}
	uint64_t n = 0;
	size_t i = 1;
	for (; i < ts->u.s.len && ts->u.s.p[i] >= '0' && ts->u.s.p[i] <= '9' && n <= UINT32_MAX; i++)
		n = n * 10 + (uint64_t)(ts->u.s.p[i] - '0');
	if (i == 1 || (i < ts->u.s.len && ts->u.s.p[i] != '[')) return false;
	*size = n;
	return true;
}

#define JL_FAIL(code, ...) ms_error_set(io->err, code, NULL, NULL, MS_NO_OFFSET, __VA_ARGS__)

/* After the BUILD of a NumpyArrayWrapper: skips the array's bytes, or runs the object
 * array's own pickle. */
static ms_err jl_after_build(pkl_hook_io *io, const pv *state)
{
	const uint8_t *d = io->src->data;
	const size_t len = io->src->len;
	const pv *dt = jl_state_get(state, "dtype"), *shape = jl_state_get(state, "shape");
	if (!dt || !shape || shape->kind != PV_TUPLE)
		return JL_FAIL(MS_ERR_MALFORMED, "joblib NumpyArrayWrapper without dtype and shape");
	if (io->in_frame && io->pos < io->frame_end)
		return JL_FAIL(MS_ERR_UNSUPPORTED, "joblib array data inside an open frame");
	io->in_frame = false;
	size_t budget = MS_MAX_JOBLIB_DTYPE_VALUES;
	if (jl_dtype_has_object(dt, 0, &budget)) {
		/* pickle.load(file_handle): a whole pickle of its own */
		ms_src sub;
		if (io->src->depth >= MS_MAX_NEST_DEPTH ||
		    !ms_src_slice(io->job, io->src, io->pos, len - io->pos, "[joblib object array]", &sub))
			return JL_FAIL(MS_ERR_LIMIT, "joblib object arrays nested too deep");
		pv *root = NULL;
		size_t used = 0;
		/* Its constants reach YARA through the second, linear reading (skipped). */
		ms_err rc = pkl_run_one(io->job, &sub, io->arena, &root, &used, NULL, NULL, NULL);
		if (rc != MS_OK) return JL_FAIL(rc, "joblib object array pickle is broken");
		io->pos += used;
		io->skipped = true;
		return MS_OK;
	}
	uint64_t count = 1, isz, nb;
	for (size_t i = 0; i < shape->u.seq.n; i++) {
		const pv *dim = shape->u.seq.v[i];
		if (dim->kind != PV_INT || dim->u.i < 0 || ms_mul_ovf(count, (uint64_t)dim->u.i, &count))
			return JL_FAIL(MS_ERR_MALFORMED, "joblib array shape is not a tuple of sizes");
	}
	if (!jl_dtype_itemsize(dt, &isz))
		return JL_FAIL(MS_ERR_UNSUPPORTED, "joblib array dtype whose item size is unknown");
	if (ms_mul_ovf(count, isz, &nb))
		return JL_FAIL(MS_ERR_OVERFLOW, "joblib array size overflows");
	const pv *align = jl_state_get(state, "numpy_array_alignment_bytes");
	if (align && align->kind != PV_NONE) {
		if (io->pos >= len) return JL_FAIL(MS_ERR_TRUNCATED, "joblib array padding cut");
		size_t pad = d[io->pos];
		if (pad > len - io->pos - 1) return JL_FAIL(MS_ERR_TRUNCATED, "joblib array padding cut");
		io->pos += 1 + pad;
	}
	if (nb > len - io->pos)
		return JL_FAIL(MS_ERR_TRUNCATED, "joblib array needs %llu bytes, %zu left",
		               (unsigned long long)nb, len - io->pos);
	snprintf(io->note, sizeof io->note, "skips %llu bytes of joblib array data",
	         (unsigned long long)nb);
	io->pos += (size_t)nb;
	io->skipped = true;
	return MS_OK;
}

/* True when module "." name spells path, wherever the dot falls: 'joblib' +
 * 'numpy_pickle.NumpyArrayWrapper' (protocol 4) is the same class as 'joblib.numpy_pickle' +
 * 'NumpyArrayWrapper'. */
static bool jl_global_path_is(const pv *g, const char *path)
{
	size_t m = strlen(g->u.g.fq_module);
	return strncmp(path, g->u.g.fq_module, m) == 0 && path[m] == '.' &&
	       strcmp(path + m + 1, g->u.g.fq_name) == 0;
}

/* Only joblib's NumpyUnpickler reads array bytes; pickle.load does not, so a stream where
 * bytes were skipped is also read without skipping (the machine's second look). */
static bool jl_is_array_wrapper(const pv *inst)
{
	const pv *c = inst->u.obj.callable;
	if (!c || c->kind != PV_GLOBAL || c->u.g.unresolved) return false;
	return jl_global_path_is(c, "joblib.numpy_pickle.NumpyArrayWrapper") ||
	       jl_global_path_is(c, "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper");
}

const pkl_build_hook ms_pkl_build_hook = {
	.wants = jl_is_array_wrapper,
	.after_build = jl_after_build,
};
