/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* All libyara use is behind this interface (yara_glue.c). */
#ifndef MSCAN_YARA_PRIVATE_H
#define MSCAN_YARA_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include "scan_private.h"

typedef struct ms_yara ms_yara;

/* Compiles the built-in rules (embedded from rules/ *.yar files). Returns NULL + message on error. */
ms_yara *ms_yara_new(char *err, size_t errlen);
/* Adds user rules from a file or a folder of *.yar / *.yara. Must be called before the first
 * scan; rules are recompiled once. */
ms_err ms_yara_add_path(ms_yara *y, const char *path, char *err, size_t errlen);
void ms_yara_free(ms_yara *y);
/* Scans bytes; each match becomes a finding on job with the rule's id and severity. */
ms_err ms_yara_scan(const ms_yara *y, ms_job *job, const ms_src *src, const char *kind);

/* What `mscan rules list` shows of one compiled rule. Strings borrowed for the callback only. */
typedef struct ms_yara_rule_info {
	const char *id;          /* "MS-YARA-<identifier>": the rule id of its findings */
	const char *meta_id;     /* the rule's `id` metadata, NULL if none */
	const char *identifier;
	bool builtin;            /* false for rules added with ms_yara_add_path */
	ms_severity severity;
	const char *description; /* "" if none */
	const char *reference;   /* "" if none */
} ms_yara_rule_info;
/* Returns non-zero to stop. */
typedef int (*ms_yara_rule_cb)(const ms_yara_rule_info *rule, void *user);
/* Calls cb for every compiled rule (cb may be NULL); returns how many it visited. */
size_t ms_yara_rules_foreach(const ms_yara *y, ms_yara_rule_cb cb, void *user);
/* For tests of the gate that skips bytes no built-in rule can match (yara_glue.c): whether
 * the gate sends d to a scan (always, when there is no gate); and the compiled rules, for a
 * reference walk of their automaton. */
bool ms_yara_gate_passes(const ms_yara *y, const uint8_t *d, size_t n);
struct YR_RULES;
const struct YR_RULES *ms_yara_yr_rules(const ms_yara *y);
/* Runs only the YARA rules of ctx over buf as one blob of the given kind (`mscan rules check`,
 * the --yara-all-bytes view of a whole file). Borrows buf. Returns MS_OK or MS_ERR_NOMEM;
 * caller frees *out with ms_result_free. */
ms_err ms_yara_scan_buffer(const ms_ctx *ctx, const char *name, const uint8_t *buf, size_t len,
                           const char *kind, ms_result **out);

#endif
