/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Shared helpers of the convert/ unit: the error record, whole-file I/O. */
#ifndef MSCAN_CV_PRIVATE_H
#define MSCAN_CV_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mscan/mscan.h"
#include "scanner/err_private.h"

#define CV_CHUNK ((size_t)8 << 20) /* bytes moved per read/write/compare step */

/* Records code and the printf message in err (may be NULL) where no file, member or offset
 * is known (ms_error_set otherwise); returns code, so callers can `return cv_fail(...)`. */
ms_err cv_fail(ms_error *err, ms_err code, const char *fmt, ...) MS_PRINTF(3, 4);
/* Records rc in err with inner's place (file replaced when not NULL) and inner's message
 * after "prefix: " (the words the CLI prints); returns rc. */
ms_err cv_fail_in(ms_error *err, ms_err rc, const char *file, const char *prefix,
                  const ms_error *inner);

/* The end of a public call: an error returned without a message (out of memory deep down)
 * still gets one in err, so err->code is rc. Returns rc. */
ms_err cv_done(ms_error *err, ms_err rc);

/* Reads the whole (small) file at path into a malloc'd NUL-terminated buffer, at most max
 * bytes. Returns MS_OK, MS_ERR_IO, MS_ERR_LIMIT, MS_ERR_NOMEM. */
ms_err cv_read_small(const char *path, size_t max, char **out, size_t *len, ms_error *err);

/* Grows the array *v of *cap elements of elem bytes (doubling, 16 first) so that element n
 * fits; false when out of memory (*v unchanged). */
bool cv_grow(void **v, size_t *cap, size_t n, size_t elem);

/* Opens path read-only and checks it is a regular file (st gets its stat). Returns MS_OK or
 * MS_ERR_IO recorded in err ("PATH: why"). */
ms_err cv_open_regular(const char *path, int *fd, struct stat *st, ms_error *err);

/* A pwrite loop that handles short transfers and EINTR; false with errno set on error (the
 * read side is ms_pread_full, scanner/scan_private.h). */
int cv_write_full(int fd, const void *buf, size_t n);

/* Unsigned decimal parse of the whole string; false on junk or overflow. */
int cv_parse_u64(const char *s, uint64_t *out);

/* Printable ASCII copy of s (other bytes escaped as \xNN), NUL-terminated. */
void cv_printable(char *dst, size_t dstlen, const char *s);

#endif
