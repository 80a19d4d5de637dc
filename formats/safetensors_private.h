/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The safetensors header validator (fmt_safetensors.c), shared with the converter, which runs
 * it over what it writes. It accepts exactly what huggingface/safetensors' Rust reader accepts
 * (formats.md B.3), and is stricter where that reader is lenient by accident: duplicate keys,
 * extra keys in a tensor entry, non-integer numbers, whitespace other than JSON's. */
#ifndef MSCAN_SAFETENSORS_PRIVATE_H
#define MSCAN_SAFETENSORS_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mscan/error.h"

#define ST_HEADER_OFF 8u   /* the header starts after the u64 length */

typedef enum {
	ST_BOOL, ST_F4, ST_F6_E2M3, ST_F6_E3M2, ST_U8, ST_I8, ST_F8_E5M2, ST_F8_E4M3, ST_F8_E8M0,
	ST_F8_E4M3FNUZ, ST_F8_E5M2FNUZ, ST_I16, ST_U16, ST_F16, ST_BF16, ST_I32, ST_U32, ST_F32,
	ST_C64, ST_F64, ST_I64, ST_U64,
	ST_DTYPE_COUNT
} st_dtype;

/* "F32" ... for a dtype; NULL if out of range. */
const char *st_dtype_name(st_dtype d);
/* Bits per element (4, 6, 8, 16, 32, 64); 0 if out of range. */
unsigned st_dtype_bits(st_dtype d);
/* Looks a dtype up by its JSON name (exact, case-sensitive). */
bool st_dtype_parse(const char *s, st_dtype *out);

typedef struct st_tensor {
	const char *name;     /* NUL-terminated, owned by the header */
	st_dtype dtype;
	uint64_t *shape;      /* ndim entries (NULL when ndim == 0) */
	size_t ndim;
	uint64_t begin, end;  /* data_offsets, relative to the data start (ST_HEADER_OFF + N) */
} st_tensor;

typedef struct st_meta {
	const char *key, *value;  /* NUL-terminated, owned by the header */
} st_meta;

typedef struct st_header {
	uint64_t header_len;  /* N */
	uint64_t data_start;  /* ST_HEADER_OFF + N */
	st_tensor *tensors;   /* sorted by (begin, end): file order of the data */
	size_t ntensors;
	st_meta *meta;        /* __metadata__ entries in JSON order */
	size_t nmeta;
	bool has_meta;        /* __metadata__ present and not null */
	void *priv;           /* owns every string above */
} st_header;

/* Validates a whole safetensors file held in buf[0..len) and fills *out. Never touches the
 * tensor bytes (only len is used past the header).
 * On failure, err (errlen bytes, may be NULL) gets a message naming the tensor, *err_off (may be
 * NULL) the file offset it concerns, and *out is left empty.
 * Returns MS_OK, MS_ERR_MALFORMED (any rule of formats.md B.3 broken, including a header
 * larger than MS_MAX_ST_HEADER, or the stricter checks above), MS_ERR_TRUNCATED (file shorter
 * than its header or its tensors say), MS_ERR_NOMEM. Caller frees *out with st_header_free
 * (also safe after a failure). */
ms_err st_parse(const uint8_t *buf, size_t len, st_header *out, char *err, size_t errlen,
                uint64_t *err_off);
void st_header_free(st_header *h);

#endif
