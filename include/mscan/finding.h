/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#ifndef MSCAN_FINDING_H
#define MSCAN_FINDING_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Ordered: a larger value is more severe. */
typedef enum {
	MS_SEV_INFO = 0,
	MS_SEV_LOW = 1,
	MS_SEV_MEDIUM = 2,
	MS_SEV_HIGH = 3,
	MS_SEV_CRITICAL = 4,
} ms_severity;

/* One finding. Every string is owned by the result that holds the finding.
 * member is "" for a plain file; module/name are "" when no global is involved;
 * offset is the byte offset of the opcode (or record) inside the member's stream,
 * and file_offset its offset inside the file when known (UINT64_MAX otherwise). */
typedef struct ms_finding {
	const char *rule_id;  /* stable id, e.g. "MS-PKL-CALL-DENY"; listed in mscan(1) */
	ms_severity severity;
	const char *file;
	const char *member;
	uint64_t offset;
	uint64_t file_offset;
	const char *module;
	const char *name;
	const char *message;  /* human readable, printable ASCII only */
} ms_finding;

/* "info", "low", "medium", "high", "critical". */
MS_API const char *ms_severity_name(ms_severity sev);
/* Parses a severity name; returns MS_ERR_ARG for an unknown name. */
MS_API ms_err ms_severity_parse(const char *s, ms_severity *out);

#endif
