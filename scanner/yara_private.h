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

/* Calls cb for every compiled rule of y (cb may be NULL); returns how many it visited. The
 * public ms_rules_foreach (mscan/rules.h) is this over a context's rules. */
size_t ms_yara_rules_foreach(const ms_yara *y, ms_rule_cb cb, void *user);
/* For tests of the gate that skips bytes no built-in rule can match (yara_glue.c): whether
 * the gate sends d to a scan (always, when there is no gate); and the compiled rules, for a
 * reference walk of their automaton. */
bool ms_yara_gate_passes(const ms_yara *y, const uint8_t *d, size_t n);
struct YR_RULES;
const struct YR_RULES *ms_yara_yr_rules(const ms_yara *y);

#endif
