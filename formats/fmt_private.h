/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Helpers shared by the container readers: executable detection, bounded decompression,
 * member-name checks. */
#ifndef MSCAN_FMT_PRIVATE_H
#define MSCAN_FMT_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include "format.h"

/* "ELF executable", "PE executable", "Mach-O executable", "script (#!)" or NULL. */
const char *fmt_exec_kind(const uint8_t *p, size_t n);

/* Reports MS-ARCHIVE-EXECUTABLE (high) when m starts like an executable; true if it did. */
bool fmt_check_exec(ms_job *job, const ms_src *m);

/* True when a member name would escape the extraction folder: absolute, '..' component,
 * backslash, drive letter, NUL byte. */
bool fmt_name_escapes(const uint8_t *name, size_t n);

typedef enum {
	FD_RAW_DEFLATE, /* zip method 8 */
	FD_ZLIB,        /* RFC 1950 */
	FD_GZIP,        /* RFC 1952, concatenated members decoded one after the other */
	FD_BZ2,         /* bzip2, concatenated streams */
	FD_XZ,          /* .xz or legacy .lzma (lzma_auto_decoder), concatenated */
	FD_ZIP_LZMA,    /* zip method 14: 4-byte header, LZMA1 properties, raw LZMA1 */
} fd_kind;

/* Decompresses in[0..inlen) under MS_MAX_MEMBER_BYTES, MS_MAX_INFLATE_RATIO (above
 * MS_INFLATE_RATIO_FLOOR) and MS_MAX_INFLATE_TOTAL (job->inflated_total). hint: expected output size
 * (0 if unknown; never trusted beyond the caps). On success *out (malloc'ed, caller frees) holds
 * *outlen bytes and *consumed (may be NULL) the input bytes used. Errors are recorded on job
 * against src/off (MS_ERR_LIMIT, MS_ERR_MALFORMED, MS_ERR_TRUNCATED, MS_ERR_NOMEM); *out is then
 * NULL. trailing_ok: bytes after the end of the stream are not an error. */
ms_err fmt_decompress(ms_job *job, const ms_src *src, uint64_t off, fd_kind kind,
                      const uint8_t *in, size_t inlen, size_t hint, uint8_t **out,
                      size_t *outlen, size_t *consumed);

/* Name of the reader that would take src, or NULL if none would (formats.c). */
const char *fmt_recognise(const ms_src *src);

#endif
