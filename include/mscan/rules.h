/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The YARA rules of a context: what `mscan rules list` shows and `mscan rules check` runs. */
#ifndef MSCAN_RULES_H
#define MSCAN_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "finding.h"
#include "scan.h"

/* One compiled rule. Every string is borrowed for the callback only. */
typedef struct ms_rule_info {
	const char *id;          /* "MS-YARA-<identifier>": the rule id of its findings */
	const char *meta_id;     /* the rule's `id` metadata, NULL if none */
	const char *identifier;
	bool builtin;            /* false for rules added with ms_ctx_add_rules */
	ms_severity severity;
	const char *description; /* "" if none */
	const char *reference;   /* "" if none */
} ms_rule_info;

/* Returns non-zero to stop the walk. */
typedef int (*ms_rule_cb)(const ms_rule_info *rule, void *user);

/* Calls cb (which may be NULL) for every rule compiled into ctx until it returns non-zero.
 * Returns how many rules it visited: 0 when ctx was made with no_yara. Borrows ctx. */
MS_API size_t ms_rules_foreach(const ms_ctx *ctx, ms_rule_cb cb, void *user);

/* Runs only the YARA rules of ctx over buf as one blob, with no format parsing (the
 * --yara-all-bytes view of a whole file). kind tells rules what the bytes are: "pickle",
 * "pickle-strings", "member", "metadata" or "data". name labels the result. A YARA failure
 * is the result's error (ms_result_error); a ctx made with no_yara gives no findings.
 * Borrows ctx and buf. Returns MS_OK or MS_ERR_NOMEM; caller frees *out with ms_result_free. */
MS_API ms_err ms_rules_scan_buffer(const ms_ctx *ctx, const char *name, const uint8_t *buf,
                                   size_t len, const char *kind, ms_result **out);

#endif
