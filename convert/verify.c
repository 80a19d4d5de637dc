/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Bitwise verification (formats.md E.1): every tensor of the original, materialised
 * little-endian row-major from its storage, must equal the bytes of the tensor of the same name
 * in the converted files (or, for a tied tensor recorded as an alias in __metadata__, the bytes
 * of the tensor it names), with the same dtype and shape; the converted files must hold
 * nothing else. The comparison of each chunk runs on the CPU (memcmp) or the GPU backend.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conv_private.h"
#include "gpu_private.h"

#define VF_GPU_CHUNK ((size_t)64 << 20)

typedef struct vf_ref {
	const char *name;
	size_t file, idx;
} vf_ref;

static int vf_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const vf_ref *)a)->name, ((const vf_ref *)b)->name);
}

typedef struct vf_cmp {
	const cv_st_file *f;
	uint64_t pos, start;   /* next file offset to read; tensor start */
	uint8_t *b;
	cv_dev dev;
	const cv_tensor *t;
	const volatile sig_atomic_t *cancel;
	ms_error *err;
} vf_cmp;

static ms_err vf_sink(void *ud, const uint8_t *a, size_t n)
{
	vf_cmp *c = ud;
	if (c->cancel && *c->cancel) return cv_fail(c->err, MS_ERR_IO, "interrupted");
	if (!ms_pread_full(c->f->fd, c->b, n, c->pos))
		return cv_fail(c->err, MS_ERR_IO, "%s: read: %s", c->f->path,
		               errno ? strerror(errno) : "file shrank");
	uint64_t diff = MS_GPU_NO_DIFF;
	if (c->dev == CV_DEV_CUDA) {
		char why[256];
		if (ms_gpu_compare(a, c->b, n, &diff, why, sizeof why) != 0)
			return cv_fail(c->err, MS_ERR_IO, "GPU compare failed: %s", why);
	} else if (memcmp(a, c->b, n) != 0) {
		for (size_t i = 0; i < n; i++)
			if (a[i] != c->b[i]) {
				diff = i;
				break;
			}
	}
	if (diff != MS_GPU_NO_DIFF) {
		size_t es = cv_dtype_size(c->t->dtype);
		uint64_t byte = c->pos - c->start + diff, el = byte / es;
		size_t at = (size_t)(diff - diff % es);
		char va[96], vb[96], name[600];
		cv_value_str(c->t->dtype, a + at, va, sizeof va);
		cv_value_str(c->t->dtype, c->b + at, vb, sizeof vb);
		cv_printable(name, sizeof name, c->t->name);
		return cv_fail(c->err, MS_ERR_MISMATCH,
		               "tensor %s: element %llu differs: original %s, converted %s", name,
		               (unsigned long long)el, va, vb);
	}
	c->pos += n;
	return MS_OK;
}

static bool vf_shape_eq(const cv_tensor *t, const st_tensor *e)
{
	if (t->ndim != e->ndim) return false;
	for (unsigned i = 0; i < t->ndim; i++)
		if (t->shape[i] != e->shape[i]) return false;
	return true;
}

ms_err cv_verify(cv_source **srcs, size_t nsrc, cv_st_file **outs, size_t nout, cv_dev dev,
                 const volatile sig_atomic_t *cancel, ms_error *err)
{
	size_t nref = 0;
	for (size_t i = 0; i < nout; i++) nref += outs[i]->h.ntensors;
	vf_ref *refs = calloc(nref ? nref : 1, sizeof *refs);
	bool *seen = calloc(nref ? nref : 1, 1);
	size_t chunk = dev == CV_DEV_CUDA ? VF_GPU_CHUNK : CV_CHUNK;
	uint8_t *a = dev == CV_DEV_CUDA ? ms_gpu_host_alloc(chunk) : malloc(chunk);
	uint8_t *b = dev == CV_DEV_CUDA ? ms_gpu_host_alloc(chunk) : malloc(chunk);
	ms_err rc = MS_OK;
	if (!refs || !seen || !a || !b) {
		rc = cv_fail(err, MS_ERR_NOMEM, "out of memory");
		goto out;
	}
	nref = 0;
	for (size_t i = 0; i < nout; i++)
		for (size_t j = 0; j < outs[i]->h.ntensors; j++)
			refs[nref++] = (vf_ref){outs[i]->h.tensors[j].name, i, j};
	qsort(refs, nref, sizeof *refs, vf_ref_cmp);
	for (size_t i = 0; i + 1 < nref; i++)
		if (strcmp(refs[i].name, refs[i + 1].name) == 0) {
			rc = cv_fail(err, MS_ERR_MISMATCH, "tensor %s is stored twice in the converted "
			             "files", refs[i].name);
			goto out;
		}
	for (size_t s = 0; s < nsrc; s++) {
		const cv_plan *p = &srcs[s]->plan;
		for (size_t i = 0; i < p->nt; i++) {
			const cv_tensor *t = &p->t[i];
			char name[600];
			cv_printable(name, sizeof name, t->name);
			vf_ref key = {t->name, 0, 0}, *r = nref ? bsearch(&key, refs, nref, sizeof *refs, vf_ref_cmp) : NULL;
			const char *via = NULL;
			if (!r) {
				/* A tied tensor: "alias": "kept" in the __metadata__ of some file. */
				for (size_t f = 0; f < nout && !via; f++)
					for (size_t m = 0; m < outs[f]->h.nmeta; m++)
						if (strcmp(outs[f]->h.meta[m].key, t->name) == 0) {
							via = outs[f]->h.meta[m].value;
							break;
						}
				if (via) {
					key.name = via;
					r = bsearch(&key, refs, nref, sizeof *refs, vf_ref_cmp);
				}
			}
			if (!r) {
				rc = cv_fail(err, MS_ERR_MISMATCH, "tensor %s: missing from the converted "
				             "file%s", name, via ? " (its alias target is missing too)" : "");
				goto out;
			}
			if (!via) seen[r - refs] = true;
			const cv_st_file *f = outs[r->file];
			const st_tensor *e = &f->h.tensors[r->idx];
			if (strcmp(st_dtype_name(e->dtype), cv_dtype_name(t->dtype)) != 0) {
				rc = cv_fail(err, MS_ERR_MISMATCH, "tensor %s: dtype %s, original %s", name,
				             st_dtype_name(e->dtype), cv_dtype_name(t->dtype));
				goto out;
			}
			if (!vf_shape_eq(t, e) || e->end - e->begin != cv_tensor_bytes(t)) {
				rc = cv_fail(err, MS_ERR_MISMATCH, "tensor %s: shape differs from the "
				             "original", name);
				goto out;
			}
			vf_cmp c = {f, f->h.data_start + e->begin, f->h.data_start + e->begin, b, dev, t,
			            cancel, err};
			if ((rc = cv_gather(srcs[s], t, a, chunk, vf_sink, &c, err)) != MS_OK) goto out;
		}
	}
	for (size_t i = 0; i < nref; i++)
		if (!seen[i]) {
			char name[600];
			cv_printable(name, sizeof name, refs[i].name);
			rc = cv_fail(err, MS_ERR_MISMATCH, "tensor %s: in the converted file but not "
			             "in the original", name);
			goto out;
		}
out:
	free(refs);
	free(seen);
	if (dev == CV_DEV_CUDA) {
		ms_gpu_host_free(a, chunk);
		ms_gpu_host_free(b, chunk);
	} else {
		free(a);
		free(b);
	}
	return rc;
}
