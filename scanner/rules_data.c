/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include <string.h>

#include "rules_data_private.h"

const ms_rules_file *ms_rules_find(const char *name)
{
	for (size_t i = 0; i < ms_rules_nfiles; i++)
		if (strcmp(ms_rules_files[i].name, name) == 0) return &ms_rules_files[i];
	return NULL;
}
