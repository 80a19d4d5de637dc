/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libzip, opened on first use, as an oracle only: scans ask it about irregular archives
 * (fmt_zip.c) and convert asks its consistency check (ZIP_CHECKCONS) before reading a
 * checkpoint; members are read by fmt_zip.c's engine for both; linking it made every start load libzip.so and the
 * libcrypto.so it needs, about a millisecond, a third of scanning a small checkpoint.
 * The members are typed from <zip.h> itself, so a call through them is checked as a direct
 * call would be. */
#ifndef MSCAN_LIBZIP_API_H
#define MSCAN_LIBZIP_API_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stddef.h>
#include <zip.h>

#define MS_ZIPAPI_FUNCS(X)                                                                  \
	X(zip_open) X(zip_open_from_source) X(zip_discard) X(zip_get_num_entries) X(zip_stat)   \
	X(zip_fopen) X(zip_fread) X(zip_fclose) X(zip_strerror) X(zip_source_buffer_create)     \
	X(zip_source_free) X(zip_error_init) X(zip_error_init_with_code) X(zip_error_strerror) \
	X(zip_error_fini)

typedef struct ms_zipapi {
#define MS_ZIPAPI_MEMBER(f) __typeof__(&f) f;
	MS_ZIPAPI_FUNCS(MS_ZIPAPI_MEMBER)
#undef MS_ZIPAPI_MEMBER
} ms_zipapi;

/* The functions, or NULL with the reason in err when libzip cannot be loaded. Thread-safe;
 * loads once per process and is never unloaded. */
const ms_zipapi *ms_zipapi_get(char *err, size_t errlen);

#endif
