/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Build-time tool: parses the built-in policy (rules/allow.txt, deny.txt, compat_pickle.txt,
 * as embedded in rules_data.c) into its hash maps and writes them as C arrays, the
 * ms_policy_builtin_tables() the library is linked with. Parsing them took a third of the
 * instructions of scanning one small checkpoint; the arrays take none.
 * Usage: policy_precompile > policy_compiled.c */
#include <stdio.h>

#include "../policy_private.h"

/* The tool is what makes the tables, so it parses. */
const ms_policy_tables *ms_policy_builtin_tables(void) { return NULL; }

int main(void)
{
	ms_policy *p = ms_policy_parse_builtin();
	if (!p) {
		fputs("policy_precompile: out of memory\n", stderr);
		return 1;
	}
	bool ok = ms_policy_write_tables(p, stdout) && fflush(stdout) == 0;
	ms_policy_free(p);
	if (!ok) fputs("policy_precompile: cannot write the tables\n", stderr);
	return ok ? 0 : 1;
}
