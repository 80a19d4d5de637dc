/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The converter's internal model: dtypes, storages and tensors found in a checkpoint (plan.c),
 * checkpoint sources (source.c), the safetensors writer (write_st.c), a strict safetensors
 * reader (read_st.c) and the bitwise comparison (verify.c). */
#ifndef MSCAN_CONV_PRIVATE_H
#define MSCAN_CONV_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mscan/mscan.h"
#include "cv_private.h"
#include "scanner/pickle_private.h"
#include "formats/safetensors_private.h"

/* safetensors dtypes, in the enum order of tensor.rs (the writer sorts by it, descending). */
typedef enum {
	CV_BOOL, CV_F4, CV_F6_E2M3, CV_F6_E3M2, CV_U8, CV_I8, CV_F8_E5M2, CV_F8_E4M3, CV_F8_E8M0,
	CV_F8_E4M3FNUZ, CV_F8_E5M2FNUZ, CV_I16, CV_U16, CV_F16, CV_BF16, CV_I32, CV_U32, CV_F32,
	CV_C64, CV_F64, CV_I64, CV_U64, CV_NDTYPES
} cv_dtype;

const char *cv_dtype_name(cv_dtype d);
size_t cv_dtype_size(cv_dtype d);            /* bytes per element (0 for sub-byte types) */
bool cv_dtype_parse(const char *s, cv_dtype *out);
/* Formats one element (es bytes, little-endian) as "0x3f800000 (1)" for mismatch reports. */
void cv_value_str(cv_dtype d, const uint8_t *p, char *buf, size_t n);

typedef struct cv_storage {
	char *key;           /* storage key in the checkpoint */
	cv_dtype dtype;      /* storage element type (U8 for UntypedStorage) */
	uint64_t nbytes;     /* declared size */
	uint64_t file_off;   /* where its bytes start in the source file (set by the source) */
	bool located;        /* file_off known */
	size_t root;         /* legacy view storages: index of the root storage, else itself */
	uint64_t root_off;   /* byte offset inside the root */
} cv_storage;

typedef struct cv_tensor {
	char *name;
	cv_dtype dtype;
	unsigned ndim;
	uint64_t *shape;     /* ndim entries (NULL when 0-d) */
	uint64_t *stride;    /* in elements */
	uint64_t offset;     /* storage offset, in elements */
	size_t storage;      /* index into plan->st */
	uint64_t numel;
	/* Filled by cv_plan_alias: */
	long alias_of;       /* -1, or index of the tensor whose bytes this one shares */
} cv_tensor;

typedef struct cv_plan {
	cv_storage *st;
	size_t nst, capst;
	cv_tensor *t;
	size_t nt, capt;
	char **skipped;      /* names of non-tensor entries (reported, not converted) */
	size_t nskipped, capskipped;
	char **notices;      /* things the user should hear about */
	size_t nnotices, capnotices;
	bool legacy;         /* 6-tuple persistent ids */
} cv_plan;

void cv_plan_free(cv_plan *p);
ms_err cv_plan_notice(cv_plan *p, const char *fmt, ...) MS_PRINTF(2, 3);

/* Walks the root value of a checkpoint's main pickle. key: select root[key] (nested state
 * dict), NULL: the root (or root["state_dict"] when the root holds one, as HF does).
 * Only the allowlisted rebuild functions are interpreted.
 * Returns MS_OK, MS_ERR_UNSUPPORTED (cannot convert: message says why), MS_ERR_MALFORMED,
 * MS_ERR_LIMIT, MS_ERR_NOMEM. */
ms_err cv_plan_build(const pv *root, const char *key, cv_plan *plan, ms_error *err);

/* Checks every tensor's extent against its storage and finds tied/shared tensors (formats.md
 * C.2/C.3): alias_of is set for tensors dropped in favour of a complete one with the same view.
 * Returns MS_OK or MS_ERR_MALFORMED (out of bounds) / MS_ERR_OVERFLOW. */
ms_err cv_plan_check(cv_plan *plan, ms_error *err);

/* True when t's elements are one contiguous row-major run in its storage. */
bool cv_tensor_contiguous(const cv_tensor *t);
/* Byte size of the materialised tensor (numel * es). */
uint64_t cv_tensor_bytes(const cv_tensor *t);

/* ---- sources -------------------------------------------------------------------------- */

/* One checkpoint file opened for conversion: its plan, its descriptor, its byte order. */
typedef struct cv_source {
	char *path;
	int fd;
	uint64_t size;
	bool big_endian;
	const char *format;   /* "torchzip" or "torch-legacy" */
	cv_plan plan;
} cv_source;

typedef struct cv_src_opts {
	const char *key;
	int byteorder;        /* 0: as recorded, 1: little, 2: big */
} cv_src_opts;

/* Opens and plans a checkpoint file (zip or legacy). Returns MS_OK or an error with msg. */
ms_err cv_source_open(const char *path, const cv_src_opts *o, cv_source **out, ms_error *err);
void cv_source_free(cv_source *s);
/* Absolute file offset of a tensor's first storage byte (element 0 of its storage). */
uint64_t cv_source_base(const cv_source *s, const cv_tensor *t);

/* Runs the pickle machine over one pickle and plans it (cv_plan_build + cv_plan_check); for
 * tests and the fuzzer. Storages are not located. */
ms_err cv_plan_from_pickle(const uint8_t *p, size_t len, const char *key, cv_plan *plan,
                           ms_error *err);

/* Materialises tensor t (little-endian, row-major) in chunks: calls fn(ud, buf, n) with
 * consecutive pieces of at most CV_CHUNK bytes. Uses a simple per-run gather (pread). */
typedef ms_err (*cv_sink_fn)(void *ud, const uint8_t *buf, size_t n);
ms_err cv_gather(const cv_source *s, const cv_tensor *t, uint8_t *buf, size_t buflen,
                 cv_sink_fn fn, void *ud, ms_error *err);

/* ---- safetensors writer / reader ------------------------------------------------------ */

typedef struct cv_out_tensor {
	const cv_source *src;
	const cv_tensor *t;
	uint64_t begin, end;  /* data offsets (set by cv_st_layout) */
} cv_out_tensor;

typedef struct cv_kv {
	char *k, *v;
} cv_kv;

/* Sorts tensors canonically (dtype descending, then name bytes), assigns offsets and builds
 * the header (8-byte length + JSON padded with spaces to a multiple of 8). meta sorted by key.
 * Caller frees *hdr. */
ms_err cv_st_layout(cv_out_tensor *ts, size_t n, cv_kv *meta, size_t nmeta, uint8_t **hdr,
                    size_t *hdrlen, ms_error *err);
/* Writes header then tensor bytes to fd (at its current position 0). */
/* Progress of one conversion (ms_convert_opts.progress); fn may be NULL. */
typedef struct cv_progress {
	void (*fn)(void *ud, const char *stage, uint64_t done, uint64_t total);
	void *ud;
	uint64_t done, total;
	const volatile sig_atomic_t *cancel; /* ms_convert_opts.cancel (may be NULL) */
} cv_progress;
/* True once the caller asked the conversion to stop (p and p->cancel may be NULL). */
static inline bool cv_cancelled(const cv_progress *p)
{
	return p && p->cancel && *p->cancel;
}
void cv_progress_add(cv_progress *p, uint64_t n);
void cv_progress_stage(cv_progress *p, const char *stage);

ms_err cv_st_write(int fd, const uint8_t *hdr, size_t hdrlen, const cv_out_tensor *ts,
                   size_t n, cv_progress *pg, ms_error *err);

/* A converted file opened for reading: validated by the formats/ safetensors validator. */
typedef struct cv_st_file {
	char *path;
	int fd;
	uint64_t size;
	st_header h;
} cv_st_file;

/* Opens path and validates it with st_parse (formats.md B.3 plus duplicate keys and unknown
 * fields). Returns MS_OK, MS_ERR_IO, MS_ERR_MALFORMED, MS_ERR_TRUNCATED, MS_ERR_NOMEM. */
ms_err cv_st_open(const char *path, cv_st_file **out, ms_error *err);
void cv_st_close(cv_st_file *f);

/* ---- comparison ----------------------------------------------------------------------- */

typedef enum { CV_DEV_CPU, CV_DEV_CUDA } cv_dev;

/* Compares every tensor of the sources against the converted files (aliases through their
 * __metadata__), bitwise; stops with MS_ERR_IO ("interrupted") once *cancel (may be NULL) is
 * set. Returns MS_OK, MS_ERR_MISMATCH (msg names tensor, element, values),
 * or an error. */
ms_err cv_verify(cv_source **srcs, size_t nsrc, cv_st_file **outs, size_t nout, cv_dev dev,
                 const volatile sig_atomic_t *cancel, ms_error *err);

#endif
