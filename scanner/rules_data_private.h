/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The files of rules/ embedded at build time (scanner/embed.awk): policy lists, YARA rules. */
#ifndef MSCAN_RULES_DATA_PRIVATE_H
#define MSCAN_RULES_DATA_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stddef.h>

typedef struct ms_rules_file {
	const char *name;   /* file name inside rules/, e.g. "allow.txt" */
	const char *text;
	size_t len;
} ms_rules_file;

extern const ms_rules_file ms_rules_files[];
extern const size_t ms_rules_nfiles;

/* The embedded file called name, or NULL. */
const ms_rules_file *ms_rules_find(const char *name);

#endif
