/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#ifndef MSCAN_ERROR_H
#define MSCAN_ERROR_H

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

#endif
