/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Built-in rule ids as an enum and a table, both made from scanner/rule_list.h. */
#ifndef MSCAN_RULE_IDS_PRIVATE_H
#define MSCAN_RULE_IDS_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include "mscan/finding.h"

typedef enum {
#define MS_RULE(e, id, sev, text) MS_RULE_##e,
#include "scanner/rule_list.h"
	MS_RULE_COUNT
} ms_rule;

typedef struct ms_rule_row {
	const char *id;       /* e.g. MS-PKL-CALL-DENY */
	ms_severity severity; /* default; a --policy file may override it */
	const char *text;     /* one line: what the finding means */
} ms_rule_row;

/* The row of a built-in rule; rule < MS_RULE_COUNT. */
const ms_rule_row *ms_rule_row_get(ms_rule rule);
/* The row whose id is id, or NULL (YARA rule ids have none). */
const ms_rule_row *ms_rule_row_find(const char *id);

#endif
