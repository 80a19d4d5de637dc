/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include <stdio.h>
#include <string.h>

#include "mscan/mscan.h"
#include "scanner/err_private.h"

const char *ms_strerror(ms_err err)
{
	switch (err) {
	case MS_OK: return "success";
	case MS_EOF: return "end of input";
	case MS_ERR_NOMEM: return "out of memory";
	case MS_ERR_IO: return "I/O error";
	case MS_ERR_TRUNCATED: return "truncated input";
	case MS_ERR_MALFORMED: return "malformed input";
	case MS_ERR_LIMIT: return "limit exceeded";
	case MS_ERR_OVERFLOW: return "arithmetic overflow";
	case MS_ERR_UNSUPPORTED: return "unsupported input";
	case MS_ERR_CRYPTO: return "cryptographic error";
	case MS_ERR_YARA: return "YARA error";
	case MS_ERR_ARG: return "invalid argument";
	case MS_ERR_MISMATCH: return "mismatch";
	}
	return "unknown error";
}

static const char *const sev_names[] = {"info", "low", "medium", "high", "critical"};

const char *ms_severity_name(ms_severity sev)
{
	if ((unsigned)sev >= sizeof sev_names / sizeof sev_names[0]) return "unknown";
	return sev_names[sev];
}

ms_err ms_severity_parse(const char *s, ms_severity *out)
{
	for (size_t i = 0; i < sizeof sev_names / sizeof sev_names[0]; i++)
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (ms_severity)i;
			return MS_OK;
		}
	return MS_ERR_ARG;
}

void ms_error_clear(ms_error *e)
{
	if (!e) return;
	e->code = MS_OK;
	e->offset = MS_NO_OFFSET;
	e->file[0] = e->member[0] = e->message[0] = '\0';
}

ms_err ms_error_vset(ms_error *e, ms_err code, const char *file, const char *member,
                     uint64_t offset, const char *fmt, va_list ap)
{
	if (!e) return code;
	e->code = code;
	e->offset = offset;
	snprintf(e->file, sizeof e->file, "%s", file ? file : "");
	snprintf(e->member, sizeof e->member, "%s", member ? member : "");
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	return code;
}

ms_err ms_error_set(ms_error *e, ms_err code, const char *file, const char *member,
                    uint64_t offset, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ms_error_vset(e, code, file, member, offset, fmt, ap);
	va_end(ap);
	return code;
}
