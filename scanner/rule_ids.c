/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The rule table: one row per built-in rule id, from scanner/rule_list.h. */
#include <string.h>

#include "scanner/rule_ids_private.h"

static const ms_rule_row rule_table[MS_RULE_COUNT] = {
#define MS_RULE(e, id_, sev, text_) [MS_RULE_##e] = {.id = id_, .severity = sev, .text = text_},
#include "scanner/rule_list.h"
};

const ms_rule_row *ms_rule_row_get(ms_rule rule) { return &rule_table[rule]; }

const ms_rule_row *ms_rule_row_find(const char *id)
{
	for (size_t i = 0; i < MS_RULE_COUNT; i++)
		if (!strcmp(rule_table[i].id, id)) return &rule_table[i];
	return NULL;
}
