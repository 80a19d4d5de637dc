/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Filling the public error record (mscan/error.h) and the one cleanup idiom. */
#ifndef MSCAN_ERR_PRIVATE_H
#define MSCAN_ERR_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdarg.h>

#include "mscan/error.h"

#define MS_PRINTF(f, a) __attribute__((format(printf, f, a)))
/* Each function has one `out:` label, an `ms_err rc`, and every pointer starts NULL. */
#define MS_TRY(x) do { if ((rc = (x)) != MS_OK) goto out; } while (0)

/* Records code in e (which may be NULL) with file, member (either may be NULL: "") and offset
 * (MS_NO_OFFSET: none); the message is printf-formatted. Overwrites what e held.
 * Returns code, so callers can `return ms_error_set(...)`. */
ms_err ms_error_set(ms_error *e, ms_err code, const char *file, const char *member,
                    uint64_t offset, const char *fmt, ...) MS_PRINTF(6, 7);
ms_err ms_error_vset(ms_error *e, ms_err code, const char *file, const char *member,
                     uint64_t offset, const char *fmt, va_list ap) MS_PRINTF(6, 0);

#endif
