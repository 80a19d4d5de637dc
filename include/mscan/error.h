/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#ifndef MSCAN_ERROR_H
#define MSCAN_ERROR_H

#include <stddef.h>
#include <stdint.h>

#ifndef MS_API
#define MS_API __attribute__((visibility("default")))
#endif

/* Errors are values; a verdict (findings) is reported separately from an error. */
typedef enum {
	MS_OK = 0,
	MS_EOF = 1,
	MS_ERR_NOMEM = -1,
	MS_ERR_IO = -2,
	MS_ERR_TRUNCATED = -3,
	MS_ERR_MALFORMED = -4,
	MS_ERR_LIMIT = -5,
	MS_ERR_OVERFLOW = -6,
	MS_ERR_UNSUPPORTED = -7,
	MS_ERR_CRYPTO = -8,
	MS_ERR_YARA = -9,
	MS_ERR_ARG = -10,
	MS_ERR_MISMATCH = -11, /* verification found different bits, or a bad signature */
} ms_err;

/* Short static description of an error code ("truncated input"). Never NULL. */
MS_API const char *ms_strerror(ms_err err);

#define MS_NO_OFFSET UINT64_MAX
#define MS_ERROR_TEXT_MAX 1024

/* The one error record of scan, convert and sign: what failed (code), where (file, archive
 * member or tensor, byte offset) and a one-line message a person reads, which already names
 * the place in the words the CLI prints. Caller-owned and fixed-size, so that recording an
 * error never allocates (out-of-memory errors are recorded too). Fields are "" and
 * MS_NO_OFFSET when they do not apply; code is MS_OK when nothing failed. */
typedef struct ms_error {
	ms_err code;
	uint64_t offset;
	char file[MS_ERROR_TEXT_MAX];
	char member[MS_ERROR_TEXT_MAX / 2];
	char message[4 * MS_ERROR_TEXT_MAX];
} ms_error;

/* Resets e to "no error". e may be NULL. */
MS_API void ms_error_clear(ms_error *e);

#endif
