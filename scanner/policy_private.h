/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The policy: which globals a weights-only checkpoint may reference (allowlist), which are
 * known code-execution primitives (denylist), as data from rules/ plus --policy files. */
#ifndef MSCAN_POLICY_PRIVATE_H
#define MSCAN_POLICY_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mscan/mscan.h"

typedef struct ms_policy ms_policy;

typedef enum {
	MS_VERDICT_UNKNOWN = 0, /* outside the allowlist */
	MS_VERDICT_ALLOW = 1,
	MS_VERDICT_DENY = 2,    /* denylisted or a scanner's own module: critical */
} ms_verdict;

/* Built-in policy from the embedded rules/ data. Returns NULL when out of memory. */
ms_policy *ms_policy_new_builtin(void);

/* The built-in policy's hash maps as C arrays, made at build time by
 * scanner/tools/policy_precompile.c (parsing the rules text at every start was a third of
 * scanning one small checkpoint). ms_policy_builtin_tables() is defined by the generated
 * file, or returns NULL in the tool itself, which then parses. */
#define MS_POLICY_NMAPS 8
typedef struct ms_policy_table {
	const char **k, **v; /* cap slots, NULL where empty */
	size_t cap, n;
} ms_policy_table;
typedef struct ms_policy_tables {
	ms_policy_table m[MS_POLICY_NMAPS];
} ms_policy_tables;
const ms_policy_tables *ms_policy_builtin_tables(void);
/* The built-in policy parsed from the rules text (what the tables are made from). */
ms_policy *ms_policy_parse_builtin(void);
/* Writes p's maps as the C source of ms_policy_builtin_tables(). */
bool ms_policy_write_tables(ms_policy *p, FILE *f);
/* Whether a and b hold the same entries (tests: compiled tables against the parsed text). */
bool ms_policy_same(ms_policy *a, ms_policy *b);
void ms_policy_free(ms_policy *p);
/* Adds a JSON policy file; on error writes a message into err. */
ms_err ms_policy_load_json(ms_policy *p, const char *path, char *err, size_t errlen);
/* Classifies a global after _compat_pickle mapping. name may be dotted; every component
 * counts (a denied component anywhere denies). */
ms_verdict ms_policy_check(const ms_policy *p, const char *module, const char *name);
/* True when the global is listed for torch.load(weights_only=True) (entries of allow.txt
 * marked "wo", plus --policy allow entries, which mirror torch.serialization.add_safe_globals);
 * torch accepts it when its verdict is also MS_VERDICT_ALLOW. Takes names after _compat_pickle
 * mapping. */
bool ms_policy_weights_only_listed(const ms_policy *p, const char *module, const char *name);
/* Severity override from a --policy file for rule_id, or -1. */
int ms_policy_severity_override(const ms_policy *p, const char *rule_id);
/* _compat_pickle renames (Python 2 names, applied when the protocol in force is < 3).
 * Sets out_module and out_name to static or policy-owned strings; returns true if renamed. */
bool ms_policy_compat_map(const ms_policy *p, const char *module, const char *name,
                          const char **out_module, const char **out_name);

#endif
