/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Shared helpers of the convert/ unit: error messages into caller buffers, whole-file I/O. */
#ifndef MSCAN_CV_PRIVATE_H
#define MSCAN_CV_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mscan/mscan.h"

#define CV_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CV_CHUNK ((size_t)8 << 20) /* bytes moved per read/write/compare step */

/* Writes the printf message into msg (if any; an earlier message is kept when keep_first)
 * and returns code, so callers can `return cv_fail(...)`. */
ms_err cv_fail(char *msg, size_t msglen, ms_err code, const char *fmt, ...) CV_PRINTF(4, 5);

/* Reads the whole (small) file at path into a malloc'd NUL-terminated buffer, at most max
 * bytes. Returns MS_OK, MS_ERR_IO, MS_ERR_LIMIT, MS_ERR_NOMEM. */
ms_err cv_read_small(const char *path, size_t max, char **out, size_t *len, char *msg,
                     size_t msglen);

/* A pwrite loop that handles short transfers and EINTR; false with errno set on error (the
 * read side is ms_pread_full, scanner/scan_private.h). */
int cv_write_full(int fd, const void *buf, size_t n);

/* Unsigned decimal parse of the whole string; false on junk or overflow. */
int cv_parse_u64(const char *s, uint64_t *out);

/* Printable ASCII copy of s (other bytes escaped as \xNN), NUL-terminated. */
void cv_printable(char *dst, size_t dstlen, const char *s);

#endif
