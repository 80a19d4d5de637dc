/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Shared helpers for the cmocka unit tests. Include after <setjmp.h> etc. via this header. */
#ifndef MSCAN_TEST_H
#define MSCAN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mscan/mscan.h"

/* Scans buf with default options (YARA on) and returns the result; fails the test on NOMEM. */
static inline ms_result *t_scan(const uint8_t *buf, size_t len)
{
	static ms_ctx *ctx;
	if (!ctx) {
		ms_scan_opts o = {0};
		assert_int_equal(ms_ctx_new(&o, &ctx), MS_OK);
	}
	ms_result *r = NULL;
	assert_int_equal(ms_scan_buffer(ctx, "test", buf, len, &r), MS_OK);
	return r;
}

/* True if a finding with rule_id is in r. */
static inline int t_has_rule(const ms_result *r, const char *rule_id)
{
	for (size_t i = 0; i < ms_result_count(r); i++)
		if (strcmp(ms_result_get(r, i)->rule_id, rule_id) == 0) return 1;
	return 0;
}

/* Prints findings and the error of r (for failing assertions). */
static inline void t_dump(const ms_result *r)
{
	for (size_t i = 0; i < ms_result_count(r); i++) {
		const ms_finding *f = ms_result_get(r, i);
		fprintf(stderr, "  %s %s [%s] @%llu %s.%s: %s\n", ms_severity_name(f->severity),
		        f->rule_id, f->member, (unsigned long long)f->offset, f->module, f->name,
		        f->message);
	}
	const ms_error *err = ms_result_error(r);
	if (err->code != MS_OK) fprintf(stderr, "  error: %s\n", err->message);
}

#define T_SCAN_LIT(lit) t_scan((const uint8_t *)(lit), sizeof(lit) - 1)

#endif
