/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Tensor planner: walks the value graph the symbolic pickle machine built for a checkpoint's
 * main pickle and finds every tensor: name, dtype, shape, stride, storage offset and storage
 * (formats.md A.1.3-A.1.7, A.2.1). Only these callables are interpreted:
 *   collections.OrderedDict                 (the state dict; SETITEMS land in obj.kv)
 *   torch._utils._rebuild_tensor{,_v2,_v3}  (storage, offset, size, stride, ...)
 *   torch._utils._rebuild_parameter{,_with_state}  (wraps one of the above)
 *   torch._tensor._rebuild_from_type_v2     (only for torch.Tensor / Parameter, no state)
 *   torch.Size                              (a shape tuple)
 * Storages are persistent ids ('storage', torch.<X>Storage | torch.UntypedStorage, key,
 * location, numel[, view_metadata]). Everything else that builds an object is "cannot
 * convert", naming the callable; plain values (numbers, strings, lists, ...) are non-tensor
 * entries, listed for the user.
 */
#include <stdlib.h>
#include <string.h>

#include "conv_private.h"
#include "scanner/bytes.h"
#include "scanner/limits.h"

#define PL_MAX_DEPTH 64u /* parameter/type wrappers nest a few levels at most */

typedef struct pl {
	cv_plan *p;
	ms_error *err;
} pl;

void cv_plan_free(cv_plan *p)
{
	if (!p) return;
	for (size_t i = 0; i < p->nst; i++) free(p->st[i].key);
	for (size_t i = 0; i < p->nt; i++) {
		free(p->t[i].name);
		free(p->t[i].shape);
		free(p->t[i].stride);
	}
	for (size_t i = 0; i < p->nskipped; i++) free(p->skipped[i]);
	for (size_t i = 0; i < p->nnotices; i++) free(p->notices[i]);
	free(p->st);
	free(p->t);
	free(p->skipped);
	free(p->notices);
	memset(p, 0, sizeof *p);
}

ms_err cv_plan_notice(cv_plan *p, const char *fmt, ...)
{
	char buf[1024], safe[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cv_printable(safe, sizeof safe, buf);
	if (!cv_grow((void **)&p->notices, &p->capnotices, p->nnotices, sizeof *p->notices))
		return MS_ERR_NOMEM;
	if (!(p->notices[p->nnotices] = strdup(safe))) return MS_ERR_NOMEM;
	p->nnotices++;
	return MS_OK;
}

/* ---- value helpers ---------------------------------------------------------------------- */

static bool pl_str(const pv *v, const char **s, size_t *n)
{
	if (!v || (v->kind != PV_STR && v->kind != PV_BYTES)) return false;
	*s = (const char *)v->u.s.p;
	*n = v->u.s.len;
	return true;
}

static bool pl_str_is(const pv *v, const char *want)
{
	const char *s;
	size_t n;
	return pl_str(v, &s, &n) && n == strlen(want) && memcmp(s, want, n) == 0;
}

static bool pl_int(const pv *v, int64_t *out)
{
	if (!v) return false;
	if (v->kind == PV_INT || v->kind == PV_BOOL) {
		*out = v->u.i;
		return true;
	}
	if (v->kind == PV_BIGINT && v->u.s.len <= 8) {
		uint64_t u = 0;
		size_t n = v->u.s.len;
		for (size_t i = 0; i < n; i++) u |= (uint64_t)v->u.s.p[i] << (8 * i);
		if (n && n < 8 && (v->u.s.p[n - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * n); /* sign */
		*out = (int64_t)u;
		return true;
	}
	return false;
}

static bool pl_is_call(const pv *v)
{
	return v && v->kind == PV_OBJ && v->u.obj.callable && v->u.obj.callable->kind == PV_GLOBAL;
}

static const char *pl_gmod(const pv *g) { return g->u.g.fq_module ? g->u.g.fq_module : ""; }
static const char *pl_gname(const pv *g) { return g->u.g.fq_name ? g->u.g.fq_name : ""; }

static bool pl_global_is(const pv *g, const char *mod, const char *name)
{
	return g && g->kind == PV_GLOBAL && !g->u.g.unresolved && strcmp(pl_gmod(g), mod) == 0 &&
	       strcmp(pl_gname(g), name) == 0;
}

static size_t pl_nargs(const pv *obj)
{
	const pv *a = obj->u.obj.args;
	return a && a->kind == PV_TUPLE ? a->u.seq.n : 0;
}

static const pv *pl_arg(const pv *obj, size_t i)
{
	const pv *a = obj->u.obj.args;
	return a && a->kind == PV_TUPLE && i < a->u.seq.n ? a->u.seq.v[i] : NULL;
}

/* The key/value pairs of a dict or OrderedDict (NULL when v is neither). */
static const pv_vec *pl_dict_items(const pv *v)
{
	if (!v) return NULL;
	if (v->kind == PV_DICT) return &v->u.seq;
	if (v->kind == PV_OBJ && v->u.obj.callable &&
	    pl_global_is(v->u.obj.callable, "collections", "OrderedDict") &&
	    (v->u.obj.how == PV_HOW_REDUCE || v->u.obj.how == PV_HOW_NEWOBJ) && pl_nargs(v) == 0)
		return &v->u.obj.kv;
	return NULL;
}

/* A shape/stride: tuple (or list) of ints, or torch.Size(tuple). */
static const pv_vec *pl_int_seq(const pv *v)
{
	if (!v) return NULL;
	if (v->kind == PV_TUPLE || v->kind == PV_LIST) return &v->u.seq;
	if (pl_is_call(v) && pl_global_is(v->u.obj.callable, "torch", "Size") && pl_nargs(v) == 1)
		return pl_int_seq(pl_arg(v, 0));
	return NULL;
}

static bool pl_empty_or_none(const pv *v)
{
	if (!v || v->kind == PV_NONE) return true;
	const pv_vec *kv = pl_dict_items(v);
	if (kv) return kv->n == 0;
	if (v->kind == PV_TUPLE || v->kind == PV_LIST) return v->u.seq.n == 0;
	return false;
}

/* ---- dtypes ----------------------------------------------------------------------------- */

typedef struct {
	const char *name;
	int dtype; /* cv_dtype, or -1: known but not convertible */
	const char *why;
} pl_map;

static const pl_map pl_storage_types[] = {
	{"DoubleStorage", CV_F64, NULL},   {"FloatStorage", CV_F32, NULL},
	{"HalfStorage", CV_F16, NULL},     {"BFloat16Storage", CV_BF16, NULL},
	{"LongStorage", CV_I64, NULL},     {"IntStorage", CV_I32, NULL},
	{"ShortStorage", CV_I16, NULL},    {"CharStorage", CV_I8, NULL},
	{"ByteStorage", CV_U8, NULL},      {"BoolStorage", CV_BOOL, NULL},
	{"UntypedStorage", CV_U8, NULL},
	{"ComplexFloatStorage", -1, "complex tensors have no safetensors dtype here"},
	{"ComplexDoubleStorage", -1, "complex tensors have no safetensors dtype"},
	{"QInt8Storage", -1, "quantized tensors cannot be converted"},
	{"QInt32Storage", -1, "quantized tensors cannot be converted"},
	{"QUInt8Storage", -1, "quantized tensors cannot be converted"},
	{"QUInt4x2Storage", -1, "quantized tensors cannot be converted"},
	{"QUInt2x4Storage", -1, "quantized tensors cannot be converted"},
};

static const pl_map pl_dtypes[] = {
	{"float64", CV_F64, NULL},  {"double", CV_F64, NULL},   {"float32", CV_F32, NULL},
	{"float", CV_F32, NULL},    {"float16", CV_F16, NULL},  {"half", CV_F16, NULL},
	{"bfloat16", CV_BF16, NULL}, {"int64", CV_I64, NULL},   {"long", CV_I64, NULL},
	{"int32", CV_I32, NULL},    {"int", CV_I32, NULL},      {"int16", CV_I16, NULL},
	{"short", CV_I16, NULL},    {"int8", CV_I8, NULL},      {"uint8", CV_U8, NULL},
	{"bool", CV_BOOL, NULL},    {"uint16", CV_U16, NULL},   {"uint32", CV_U32, NULL},
	{"uint64", CV_U64, NULL},
	{"float8_e5m2", CV_F8_E5M2, NULL},         {"float8_e4m3fn", CV_F8_E4M3, NULL},
	{"float8_e5m2fnuz", CV_F8_E5M2FNUZ, NULL}, {"float8_e4m3fnuz", CV_F8_E4M3FNUZ, NULL},
	{"float8_e8m0fnu", CV_F8_E8M0, NULL},
	{"complex32", -1, "complex tensors cannot be converted"},
	{"complex64", -1, "complex tensors cannot be converted"},
	{"complex128", -1, "complex tensors cannot be converted"},
	{"cfloat", -1, "complex tensors cannot be converted"},
	{"cdouble", -1, "complex tensors cannot be converted"},
	{"qint8", -1, "quantized tensors cannot be converted"},
	{"qint32", -1, "quantized tensors cannot be converted"},
	{"quint8", -1, "quantized tensors cannot be converted"},
	{"quint4x2", -1, "quantized tensors cannot be converted"},
	{"quint2x4", -1, "quantized tensors cannot be converted"},
};

static const pl_map *pl_find(const pl_map *m, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0) return &m[i];
	return NULL;
}

/* ---- storages --------------------------------------------------------------------------- */

static ms_err pl_add_storage(pl *P, const char *key, size_t keylen, cv_dtype dt, uint64_t nbytes,
                             const char *name, size_t *idx)
{
	cv_plan *p = P->p;
	for (size_t i = 0; i < p->nst; i++) {
		cv_storage *s = &p->st[i];
		if (strlen(s->key) == keylen && memcmp(s->key, key, keylen) == 0) {
			/* torch reuses the first declaration silently; differing ones are an attack or
			 * corruption, so refuse (formats.md A.1.3). */
			if (s->nbytes != nbytes || (s->dtype != dt && !(s->dtype == CV_U8 || dt == CV_U8)))
				return cv_fail(P->err, MS_ERR_MALFORMED,
				               "%s: storage '%s' declared twice with different type or size "
				               "(%s %llu bytes, then %s %llu bytes)", name, s->key,
				               cv_dtype_name(s->dtype), (unsigned long long)s->nbytes,
				               cv_dtype_name(dt), (unsigned long long)nbytes);
			*idx = i;
			return MS_OK;
		}
	}
	if (!cv_grow((void **)&p->st, &p->capst, p->nst, sizeof *p->st)) return MS_ERR_NOMEM;
	cv_storage *s = &p->st[p->nst];
	memset(s, 0, sizeof *s);
	if (!(s->key = strndup(key, keylen))) return MS_ERR_NOMEM;
	s->dtype = dt;
	s->nbytes = nbytes;
	s->root = p->nst;
	*idx = p->nst++;
	return MS_OK;
}

static ms_err pl_storage(pl *P, const pv *sv, const char *name, cv_dtype *sdt, bool *untyped,
                         size_t *idx)
{
	if (!sv || sv->kind != PV_PERSID || !sv->u.persid.pid)
		return cv_fail(P->err, MS_ERR_UNSUPPORTED,
		               "%s: cannot convert: the tensor's storage is not a persistent id", name);
	const pv *pid = sv->u.persid.pid;
	if (pid->kind != PV_TUPLE || (pid->u.seq.n != 5 && pid->u.seq.n != 6) ||
	    !pl_str_is(pid->u.seq.v[0], "storage"))
		return cv_fail(P->err, MS_ERR_UNSUPPORTED,
		               "%s: cannot convert: persistent id is not ('storage', type, key, "
		               "location, numel)", name);
	const pv *const *f = (const pv *const *)pid->u.seq.v;
	const pv *ty = f[1];
	if (!ty || ty->kind != PV_GLOBAL || ty->u.g.unresolved ||
	    (strcmp(pl_gmod(ty), "torch") != 0 && strcmp(pl_gmod(ty), "torch.cuda") != 0))
		return cv_fail(P->err, MS_ERR_UNSUPPORTED,
		               "%s: cannot convert: storage type is not a torch storage class", name);
	const pl_map *m = pl_find(pl_storage_types, sizeof pl_storage_types / sizeof *pl_storage_types,
	                          pl_gname(ty));
	if (!m)
		return cv_fail(P->err, MS_ERR_UNSUPPORTED,
		               "%s: cannot convert: unknown storage type %s.%s", name, pl_gmod(ty),
		               pl_gname(ty));
	if (m->dtype < 0)
		return cv_fail(P->err, MS_ERR_UNSUPPORTED, "%s: cannot convert: %s (%s.%s)",
		               name, m->why, pl_gmod(ty), pl_gname(ty));
	*sdt = (cv_dtype)m->dtype;
	*untyped = strcmp(m->name, "UntypedStorage") == 0;
	const char *key;
	size_t keylen;
	int64_t numel;
	if (!pl_str(f[2], &key, &keylen) || !pl_int(f[4], &numel) || numel < 0)
		return cv_fail(P->err, MS_ERR_MALFORMED,
		               "%s: storage key must be a string and numel a non-negative int", name);
	uint64_t nbytes;
	if (ms_mul_ovf((uint64_t)numel, cv_dtype_size(*sdt), &nbytes))
		return cv_fail(P->err, MS_ERR_OVERFLOW, "%s: storage size overflows", name);
	ms_err rc = pl_add_storage(P, key, keylen, *sdt, nbytes, name, idx);
	if (rc != MS_OK || pid->u.seq.n == 5) return rc;
	P->p->legacy = true;
	const pv *view = f[5];
	if (!view || view->kind == PV_NONE) return MS_OK;
	/* Pre-2018 legacy view: (view_key, offset, view_size) in elements of the root storage. */
	int64_t voff, vsize;
	const char *vkey;
	size_t vkeylen;
	if (view->kind != PV_TUPLE || view->u.seq.n != 3 || !pl_str(view->u.seq.v[0], &vkey, &vkeylen) ||
	    !pl_int(view->u.seq.v[1], &voff) || !pl_int(view->u.seq.v[2], &vsize) || voff < 0 ||
	    vsize < 0)
		return cv_fail(P->err, MS_ERR_MALFORMED, "%s: malformed storage view", name);
	size_t es = cv_dtype_size(*sdt), root = *idx;
	uint64_t boff, blen, bend;
	if (ms_mul_ovf((uint64_t)voff, es, &boff) || ms_mul_ovf((uint64_t)vsize, es, &blen) ||
	    ms_add_ovf(boff, blen, &bend) || bend > P->p->st[root].nbytes)
		return cv_fail(P->err, MS_ERR_MALFORMED,
		               "%s: storage view lies outside its storage", name);
	if ((rc = pl_add_storage(P, vkey, vkeylen, *sdt, blen, name, idx)) != MS_OK) return rc;
	cv_storage *vs = &P->p->st[*idx];
	if (*idx != root) {
		vs->root = root;
		vs->root_off = boff;
	}
	return MS_OK;
}

/* ---- tensors ---------------------------------------------------------------------------- */

static ms_err pl_dims(pl *P, const pv *v, const char *what, const char *name, uint64_t **out,
                      unsigned *ndim)
{
	const pv_vec *s = pl_int_seq(v);
	if (!s)
		return cv_fail(P->err, MS_ERR_MALFORMED, "%s: tensor %s is not a tuple of ints",
		               name, what);
	if (s->n > MS_MAX_TENSOR_DIMS)
		return cv_fail(P->err, MS_ERR_LIMIT, "%s: %zu dimensions (limit %u)", name,
		               s->n, MS_MAX_TENSOR_DIMS);
	*ndim = (unsigned)s->n;
	*out = NULL;
	if (!s->n) return MS_OK;
	uint64_t *d = calloc(s->n, sizeof *d);
	if (!d) return MS_ERR_NOMEM;
	for (size_t i = 0; i < s->n; i++) {
		int64_t x;
		if (!pl_int(s->v[i], &x) || x < 0) {
			free(d);
			return cv_fail(P->err, MS_ERR_MALFORMED,
			               "%s: tensor %s[%zu] is not a non-negative int", name, what, i);
		}
		d[i] = (uint64_t)x;
	}
	*out = d;
	return MS_OK;
}

static ms_err pl_add_tensor(pl *P, const char *name, const pv *storage, const pv *offset,
                            const pv *size, const pv *stride, const pv *dtype_g)
{
	cv_dtype sdt = CV_U8, dt;
	bool untyped = false;
	size_t si = 0;
	ms_err rc = pl_storage(P, storage, name, &sdt, &untyped, &si);
	if (rc != MS_OK) return rc;
	dt = sdt;
	if (dtype_g) {
		if (!dtype_g || dtype_g->kind != PV_GLOBAL || strcmp(pl_gmod(dtype_g), "torch") != 0)
			return cv_fail(P->err, MS_ERR_MALFORMED,
			               "%s: _rebuild_tensor_v3 dtype is not a torch dtype", name);
		const pl_map *m = pl_find(pl_dtypes, sizeof pl_dtypes / sizeof *pl_dtypes,
		                          pl_gname(dtype_g));
		if (!m)
			return cv_fail(P->err, MS_ERR_UNSUPPORTED,
			               "%s: cannot convert: dtype torch.%s has no safetensors equivalent",
			               name, pl_gname(dtype_g));
		if (m->dtype < 0)
			return cv_fail(P->err, MS_ERR_UNSUPPORTED,
			               "%s: cannot convert: %s (torch.%s)", name, m->why, pl_gname(dtype_g));
		dt = (cv_dtype)m->dtype;
		if (!untyped && dt != sdt)
			return cv_fail(P->err, MS_ERR_MALFORMED,
			               "%s: dtype %s disagrees with its typed storage (%s)", name,
			               cv_dtype_name(dt), cv_dtype_name(sdt));
	}
	int64_t off;
	if (!pl_int(offset, &off) || off < 0)
		return cv_fail(P->err, MS_ERR_MALFORMED,
		               "%s: storage offset is not a non-negative int", name);
	cv_tensor t;
	memset(&t, 0, sizeof t);
	t.alias_of = -1;
	t.dtype = dt;
	t.storage = si;
	t.offset = (uint64_t)off;
	unsigned nst = 0;
	if ((rc = pl_dims(P, size, "size", name, &t.shape, &t.ndim)) != MS_OK) return rc;
	if ((rc = pl_dims(P, stride, "stride", name, &t.stride, &nst)) != MS_OK) goto fail;
	if (nst != t.ndim) {
		rc = cv_fail(P->err, MS_ERR_MALFORMED, "%s: %u sizes but %u strides", name,
		             t.ndim, nst);
		goto fail;
	}
	if (!(t.name = strdup(name))) {
		rc = MS_ERR_NOMEM;
		goto fail;
	}
	cv_plan *p = P->p;
	if (!cv_grow((void **)&p->t, &p->capt, p->nt, sizeof *p->t)) {
		rc = MS_ERR_NOMEM;
		goto fail;
	}
	p->t[p->nt++] = t;
	return MS_OK;
fail:
	free(t.shape);
	free(t.stride);
	free(t.name);
	return rc;
}

static const char *const pl_refused[][2] = {
	{"_rebuild_qtensor", "quantized tensors cannot be converted"},
	{"_rebuild_sparse_tensor", "sparse tensors cannot be converted"},
	{"_rebuild_sparse_csr_tensor", "sparse tensors cannot be converted"},
	{"_rebuild_meta_tensor_no_storage", "meta tensors have no data"},
	{"_rebuild_device_tensor_from_numpy", "device tensors built from numpy cannot be converted"},
	{"_rebuild_device_tensor_from_cpu_tensor", "device tensors cannot be converted"},
	{"_rebuild_wrapper_subclass", "tensor subclasses without storage cannot be converted"},
	{"_rebuild_nested_tensor", "nested tensors cannot be converted"},
	{"_rebuild_xla_tensor", "XLA tensors cannot be converted"},
	{"_rebuild_mlc_tensor", "MLC tensors cannot be converted"},
};

static ms_err pl_call(pl *P, const pv *fn, const pv *args, const pv *state, const char *name,
                      unsigned depth);

/* v is one value of the state dict. MS_EOF: not a tensor (a plain value to list). */
static ms_err pl_value(pl *P, const pv *v, const char *name, unsigned depth)
{
	if (!v) return cv_fail(P->err, MS_ERR_MALFORMED, "%s: missing value", name);
	if (v->kind != PV_OBJ) return MS_EOF;
	if (pl_dict_items(v)) return MS_EOF; /* a nested dict: listed, see cv_plan_build */
	if (!pl_is_call(v) || v->u.obj.how != PV_HOW_REDUCE) {
		char r[200];
		pv_render(v->u.obj.callable, r, sizeof r);
		return cv_fail(P->err, MS_ERR_UNSUPPORTED,
		               "%s: cannot convert: value built by %s, which the converter does not "
		               "interpret", name, r[0] ? r : "an unknown callable");
	}
	return pl_call(P, v->u.obj.callable, v->u.obj.args, v->u.obj.state, name, depth);
}

static ms_err pl_call(pl *P, const pv *fn, const pv *args, const pv *state, const char *name,
                      unsigned depth)
{
	if (depth > PL_MAX_DEPTH)
		return cv_fail(P->err, MS_ERR_LIMIT, "%s: tensor wrappers nest too deep", name);
	const char *mod = pl_gmod(fn), *fnn = pl_gname(fn);
	size_t n = args && args->kind == PV_TUPLE ? args->u.seq.n : 0;
	const pv *const *a = n ? (const pv *const *)args->u.seq.v : NULL;
	if (!args || args->kind != PV_TUPLE)
		return cv_fail(P->err, MS_ERR_MALFORMED, "%s: %s.%s called without an "
		               "argument tuple", name, mod, fnn);
	/* BUILD on a rebuilt tensor sets Python attributes (or, for very old torch.Tensor, its
	 * storage); anything but an empty state could change what the tensor is. */
	if (!pl_empty_or_none(state))
		return cv_fail(P->err, MS_ERR_UNSUPPORTED,
		               "%s: cannot convert: the tensor has extra state set by BUILD", name);
	if (!fn->u.g.unresolved && strcmp(mod, "torch._utils") == 0) {
		if (strcmp(fnn, "_rebuild_tensor_v2") == 0 && (n == 6 || n == 7)) {
			if (n == 7 && !pl_empty_or_none(a[6])) {
				/* neg/conj bits: the stored bytes are not the logical values */
				const pv_vec *kv = pl_dict_items(a[6]);
				bool any = false;
				for (size_t i = 1; kv && i < kv->n; i += 2) {
					int64_t b;
					if (!pl_int(kv->v[i], &b) || b) any = true;
				}
				if (!kv || any)
					return cv_fail(P->err, MS_ERR_UNSUPPORTED,
					               "%s: cannot convert: tensor has neg/conj metadata", name);
			}
			return pl_add_tensor(P, name, a[0], a[1], a[2], a[3], NULL);
		}
		if (strcmp(fnn, "_rebuild_tensor_v3") == 0 && (n == 7 || n == 8)) {
			if (n == 8 && !pl_empty_or_none(a[7]))
				return cv_fail(P->err, MS_ERR_UNSUPPORTED,
				               "%s: cannot convert: tensor has neg/conj metadata", name);
			return pl_add_tensor(P, name, a[0], a[1], a[2], a[3], a[6]);
		}
		if (strcmp(fnn, "_rebuild_tensor") == 0 && n == 4)
			return pl_add_tensor(P, name, a[0], a[1], a[2], a[3], NULL);
		if ((strcmp(fnn, "_rebuild_parameter") == 0 && n == 3) ||
		    (strcmp(fnn, "_rebuild_parameter_with_state") == 0 && n == 4)) {
			const pv *d = a[0];
			if (!pl_is_call(d) || d->u.obj.how != PV_HOW_REDUCE)
				return cv_fail(P->err, MS_ERR_UNSUPPORTED,
				               "%s: cannot convert: parameter data is not a rebuilt tensor", name);
			return pl_call(P, d->u.obj.callable, d->u.obj.args, d->u.obj.state, name, depth + 1);
		}
		for (size_t i = 0; i < sizeof pl_refused / sizeof *pl_refused; i++)
			if (strcmp(fnn, pl_refused[i][0]) == 0)
				return cv_fail(P->err, MS_ERR_UNSUPPORTED,
				               "%s: cannot convert: %s (torch._utils.%s)", name, pl_refused[i][1],
				               fnn);
	}
	if (!fn->u.g.unresolved && strcmp(mod, "torch._tensor") == 0 &&
	    strcmp(fnn, "_rebuild_from_type_v2") == 0 && n == 4) {
		const pv *ty = a[1];
		if (!(pl_global_is(ty, "torch", "Tensor") ||
		      pl_global_is(ty, "torch.nn.parameter", "Parameter") ||
		      pl_global_is(ty, "torch.nn", "Parameter")))
			return cv_fail(P->err, MS_ERR_UNSUPPORTED,
			               "%s: cannot convert: tensor subclass %s.%s", name,
			               ty && ty->kind == PV_GLOBAL ? pl_gmod(ty) : "?",
			               ty && ty->kind == PV_GLOBAL ? pl_gname(ty) : "?");
		if (!pl_empty_or_none(a[3]))
			return cv_fail(P->err, MS_ERR_UNSUPPORTED,
			               "%s: cannot convert: the tensor carries Python attributes", name);
		if (!a[0] || a[0]->kind != PV_GLOBAL)
			return cv_fail(P->err, MS_ERR_UNSUPPORTED,
			               "%s: cannot convert: _rebuild_from_type_v2 without a function", name);
		return pl_call(P, a[0], a[2], NULL, name, depth + 1);
	}
	return cv_fail(P->err, MS_ERR_UNSUPPORTED,
	               "%s: cannot convert: value built by %s.%s, which the converter does not "
	               "interpret", name, mod, fnn);
}

/* True when the dict value v (or something inside it, shallowly) holds a tensor call. */
static bool pl_has_tensors(const pv *v)
{
	const pv_vec *kv = pl_dict_items(v);
	if (!kv) return false;
	for (size_t i = 1; i < kv->n; i += 2)
		if (pl_is_call(kv->v[i]) && strncmp(pl_gmod(kv->v[i]->u.obj.callable), "torch", 5) == 0)
			return true;
	return false;
}

static int pl_name_cmp(const void *x, const void *y, void *arg)
{
	const cv_tensor *t = arg;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int c = strcmp(t[a].name, t[b].name);
	return c ? c : (a < b ? -1 : a > b);
}

/* Python dict semantics: a key set twice keeps its last value. */
static ms_err pl_dedupe(cv_plan *p)
{
	if (p->nt < 2) return MS_OK;
	size_t *ix = malloc(p->nt * sizeof *ix);
	bool *dead = calloc(p->nt, 1);
	if (!ix || !dead) {
		free(ix);
		free(dead);
		return MS_ERR_NOMEM;
	}
	for (size_t i = 0; i < p->nt; i++) ix[i] = i;
	qsort_r(ix, p->nt, sizeof *ix, pl_name_cmp, p->t);
	size_t ndead = 0;
	for (size_t i = 0; i + 1 < p->nt; i++)
		if (strcmp(p->t[ix[i]].name, p->t[ix[i + 1]].name) == 0) {
			dead[ix[i]] = true;
			ndead++;
		}
	free(ix);
	if (ndead) {
		size_t o = 0;
		for (size_t i = 0; i < p->nt; i++) {
			if (dead[i]) {
				cv_plan_notice(p, "%s: set twice in the state dict; the last value is kept",
				               p->t[i].name);
				free(p->t[i].name);
				free(p->t[i].shape);
				free(p->t[i].stride);
				continue;
			}
			p->t[o++] = p->t[i];
		}
		p->nt = o;
	}
	free(dead);
	return MS_OK;
}

static ms_err pl_skip(cv_plan *p, const char *name)
{
	if (!cv_grow((void **)&p->skipped, &p->capskipped, p->nskipped, sizeof *p->skipped))
		return MS_ERR_NOMEM;
	if (!(p->skipped[p->nskipped] = strdup(name))) return MS_ERR_NOMEM;
	p->nskipped++;
	return MS_OK;
}

ms_err cv_plan_build(const pv *root, const char *key, cv_plan *plan, ms_error *err)
{
	pl P = {plan, err};
	const pv_vec *kv = pl_dict_items(root);
	if (!kv)
		return cv_fail(err, MS_ERR_UNSUPPORTED,
		               "cannot convert: the checkpoint is not a dict of tensors (a whole pickled "
		               "model or another object); save model.state_dict() instead");
	const char *chosen = key;
	if (!key) {
		/* As HF convert.py: a top-level "state_dict" entry is the state dict. */
		for (size_t i = 0; i + 1 < kv->n; i += 2)
			if (pl_str_is(kv->v[i], "state_dict") && pl_dict_items(kv->v[i + 1])) {
				chosen = "state_dict";
				break;
			}
	}
	if (chosen) {
		const pv_vec *sel = NULL;
		for (size_t i = 0; i + 1 < kv->n; i += 2)
			if (pl_str_is(kv->v[i], chosen)) sel = pl_dict_items(kv->v[i + 1]);
		if (!sel)
			return cv_fail(err, MS_ERR_ARG,
			               "--key %s: the checkpoint has no dict under that key", chosen);
		if (!key) cv_plan_notice(plan, "converting the nested state dict under \"state_dict\"");
		for (size_t i = 0; i + 1 < kv->n; i += 2) {
			const char *s;
			size_t n;
			if (pl_str(kv->v[i], &s, &n) && strcmp(s, chosen) != 0) {
				ms_err rc = pl_skip(plan, s);
				if (rc != MS_OK) return rc;
			}
		}
		kv = sel;
	}
	char nested[512] = "";
	size_t nl = 0;
	for (size_t i = 0; i + 1 < kv->n; i += 2) {
		const char *s;
		size_t n;
		char name[MS_MAX_NAME_BYTES + 1];
		if (!pl_str(kv->v[i], &s, &n) || n > MS_MAX_NAME_BYTES || memchr(s, 0, n)) {
			char r[128];
			pv_render(kv->v[i], r, sizeof r);
			ms_err rc = pl_skip(plan, r);
			if (rc != MS_OK) return rc;
			continue;
		}
		memcpy(name, s, n);
		name[n] = 0;
		ms_err rc = pl_value(&P, kv->v[i + 1], name, 0);
		if (rc == MS_EOF) {
			if (pl_has_tensors(kv->v[i + 1]) && nl + n + 3 < sizeof nested)
				nl += (size_t)snprintf(nested + nl, sizeof nested - nl, "%s%s", nl ? ", " : "",
				                       name);
			rc = pl_skip(plan, name);
		}
		if (rc != MS_OK) return rc;
	}
	if (plan->nt == 0 && nl)
		return cv_fail(err, MS_ERR_ARG,
		               "no tensors at the top level; state dicts are nested under: %s (choose one "
		               "with --key)", nested);
	return pl_dedupe(plan);
}

/* ---- geometry and sharing --------------------------------------------------------------- */

bool cv_tensor_contiguous(const cv_tensor *t)
{
	uint64_t expect = 1;
	for (unsigned i = t->ndim; i-- > 0;) {
		if (t->shape[i] != 1 && t->stride[i] != expect) return false;
		expect *= t->shape[i];
	}
	return true;
}

uint64_t cv_tensor_bytes(const cv_tensor *t) { return t->numel * cv_dtype_size(t->dtype); }

typedef struct pl_span {
	size_t root, t;
	uint64_t b, e;
} pl_span;

static int pl_span_cmp(const void *x, const void *y, void *arg)
{
	const pl_span *a = x, *b = y;
	const cv_tensor *t = arg;
	if (a->root != b->root) return a->root < b->root ? -1 : 1;
	if (a->b != b->b) return a->b < b->b ? -1 : 1;
	if (a->e != b->e) return a->e < b->e ? -1 : 1;
	return strcmp(t[a->t].name, t[b->t].name);
}

static bool pl_same_view(const cv_tensor *a, const cv_tensor *b, const cv_plan *p)
{
	if (a->dtype != b->dtype || a->ndim != b->ndim || a->offset != b->offset) return false;
	if (p->st[a->storage].root != p->st[b->storage].root ||
	    p->st[a->storage].root_off != p->st[b->storage].root_off)
		return false;
	for (unsigned i = 0; i < a->ndim; i++)
		if (a->shape[i] != b->shape[i] || (a->shape[i] > 1 && a->stride[i] != b->stride[i]))
			return false;
	return true;
}

ms_err cv_plan_check(cv_plan *p, ms_error *err)
{
	pl_span *sp = p->nt ? calloc(p->nt, sizeof *sp) : NULL;
	if (p->nt && !sp) return MS_ERR_NOMEM;
	size_t nsp = 0;
	for (size_t i = 0; i < p->nt; i++) {
		cv_tensor *t = &p->t[i];
		const cv_storage *s = &p->st[t->storage];
		size_t es = cv_dtype_size(t->dtype);
		uint64_t numel = 1, maxi = t->offset;
		for (unsigned d = 0; d < t->ndim; d++)
			if (ms_mul_ovf(numel, t->shape[d], &numel)) goto ovf;
		if (numel)
			for (unsigned d = 0; d < t->ndim; d++) {
				uint64_t x;
				if (ms_mul_ovf(t->shape[d] - 1, t->stride[d], &x) || ms_add_ovf(maxi, x, &maxi))
					goto ovf;
			}
		t->numel = numel;
		uint64_t end, bytes;
		if (ms_mul_ovf(numel, es, &bytes)) goto ovf;
		if (numel) {
			if (ms_add_ovf(maxi, 1, &end) || ms_mul_ovf(end, es, &end)) goto ovf;
			if (end > s->nbytes) {
				free(sp);
				return cv_fail(err, MS_ERR_MALFORMED,
				               "%s: tensor reaches byte %llu of a %llu-byte storage", t->name,
				               (unsigned long long)end, (unsigned long long)s->nbytes);
			}
			sp[nsp].root = s->root;
			sp[nsp].t = i;
			sp[nsp].b = s->root_off + t->offset * es;
			sp[nsp].e = s->root_off + end;
			nsp++;
		}
		continue;
ovf:
		free(sp);
		return cv_fail(err, MS_ERR_OVERFLOW, "%s: tensor size overflows", t->name);
	}
	if (nsp > 1) qsort_r(sp, nsp, sizeof *sp, pl_span_cmp, p->t);
	/* Groups of byte-overlapping tensors inside one storage (HF _filter_shared_not_shared). */
	for (size_t g = 0; g < nsp;) {
		size_t h = g + 1;
		uint64_t gend = sp[g].e;
		while (h < nsp && sp[h].root == sp[g].root && sp[h].b < gend) {
			if (sp[h].e > gend) gend = sp[h].e;
			h++;
		}
		if (h - g > 1) {
			/* keep = smallest name among complete members (HF _remove_duplicate_names) */
			long keep = -1;
			const cv_storage *root = &p->st[sp[g].root];
			for (size_t k = g; k < h; k++) {
				const cv_tensor *t = &p->t[sp[k].t];
				if (sp[k].b == 0 && cv_tensor_bytes(t) == root->nbytes &&
				    (keep < 0 || strcmp(t->name, p->t[keep].name) < 0))
					keep = (long)sp[k].t;
			}
			for (size_t k = g; k < h; k++) {
				cv_tensor *t = &p->t[sp[k].t];
				if ((long)sp[k].t == keep) continue;
				if (keep >= 0 && pl_same_view(t, &p->t[keep], p)) {
					t->alias_of = keep;
				} else {
					cv_plan_notice(p, "%s: shares bytes with %s but is a different view of "
					               "them; stored as its own copy", t->name,
					               keep >= 0 ? p->t[keep].name : p->t[sp[g == k ? g + 1 : g].t].name);
				}
			}
		}
		g = h;
	}
	free(sp);
	return MS_OK;
}
