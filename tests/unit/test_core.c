/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Core plumbing: severities, error strings, verdicts, reports stay valid on hostile names. */
#include "test.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <unistd.h>

#include "scanner/scan_private.h"

static void test_severity_names(void **state)
{
	(void)state;
	ms_severity s;
	assert_int_equal(ms_severity_parse("medium", &s), MS_OK);
	assert_int_equal(s, MS_SEV_MEDIUM);
	assert_int_equal(ms_severity_parse("severe", &s), MS_ERR_ARG);
	assert_string_equal(ms_severity_name(MS_SEV_CRITICAL), "critical");
	assert_string_equal(ms_severity_name((ms_severity)42), "unknown");
	assert_string_equal(ms_strerror(MS_ERR_TRUNCATED), "truncated input");
	assert_string_equal(ms_strerror((ms_err)-999), "unknown error");
}

static void test_unrecognized_is_error_not_clean(void **state)
{
	(void)state;
	ms_result *r = T_SCAN_LIT("this is plain text, no model");
	const char *msg;
	assert_int_equal(ms_result_error(r)->code, MS_ERR_UNSUPPORTED);
	msg = ms_result_error(r)->message;
	assert_non_null(strstr(msg, "unrecognized format"));
	assert_string_equal(ms_result_verdict(r, MS_SEV_HIGH), "error");
	ms_result_free(r);
}

static void test_empty_input_is_error(void **state)
{
	(void)state;
	ms_result *r = t_scan((const uint8_t *)"", 0);
	assert_int_not_equal(ms_result_error(r)->code, MS_OK);
	ms_result_free(r);
}

/* A file name full of control bytes and invalid UTF-8 must not break JSON or SARIF. */
static void test_reports_escape_hostile_paths(void **state)
{
	(void)state;
	ms_ctx *ctx;
	assert_int_equal(ms_ctx_new(NULL, &ctx), MS_OK);
	ms_result *r;
	assert_int_equal(ms_scan_buffer(ctx, "evil\"\n\xff\x01name", (const uint8_t *)"zz", 2, &r), MS_OK);
	ms_report_opts o = {.fail_on = MS_SEV_HIGH};
	for (int fmt = MS_REPORT_JSON; fmt <= MS_REPORT_SARIF; fmt++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		assert_non_null(f);
		const ms_result *rs[1] = {r};
		assert_int_equal(ms_report_write(f, (ms_report_format)fmt, rs, 1, &o), MS_OK);
		fclose(f);
		cJSON *j = cJSON_ParseWithLength(buf, len);
		assert_non_null(j);
		for (size_t i = 0; i < len; i++) assert_true((unsigned char)buf[i] < 0x80);
		cJSON_Delete(j);
		free(buf);
	}
	ms_result_free(r);
	ms_ctx_free(ctx);
}

/* Lines of /proc/self/maps that map path. */
static int t_mappings_of(const char *path)
{
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		size_t l = strlen(line);
		if (l && line[l - 1] == '\n') line[--l] = 0;
		size_t pl = strlen(path);
		if (l >= pl && strcmp(line + l - pl, path) == 0) n++;
	}
	fclose(f);
	return n;
}

/* keep_mappings: a mapped file (over 64 KiB) stays mapped until its result is freed, or for
 * good, with the same verdict; by default the mapping is gone when ms_scan_file returns. */
static void test_keep_mappings(void **state)
{
	(void)state;
	char path[] = "/tmp/mscan-keep-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	/* a pickle of 100 000 bytes of BININT1/POP, then STOP: clean, and mapped, not read */
	static uint8_t buf[100000];
	buf[0] = 0x80;
	buf[1] = 2;
	for (size_t i = 2; i + 3 < sizeof buf; i += 3) {
		buf[i] = 'K';
		buf[i + 1] = 1;
		buf[i + 2] = '0';
	}
	buf[sizeof buf - 2] = 'N';
	buf[sizeof buf - 1] = '.';
	assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
	close(fd);
	static const int keeps[] = {MS_MAPPINGS_UNMAP, MS_MAPPINGS_UNTIL_FREE, MS_MAPPINGS_UNTIL_EXIT};
	for (size_t k = 0; k < sizeof keeps / sizeof keeps[0]; k++) {
		ms_scan_opts o = {.no_yara = 1, .keep_mappings = keeps[k]};
		ms_ctx *ctx;
		assert_int_equal(ms_ctx_new(&o, &ctx), MS_OK);
		ms_result *r = NULL;
		assert_int_equal(ms_scan_file(ctx, path, &r), MS_OK);
		assert_int_equal(ms_result_error(r)->code, MS_OK);
		assert_int_equal(ms_result_count(r), 0);
		assert_int_equal(t_mappings_of(path), keeps[k] != MS_MAPPINGS_UNMAP);
		ms_result_free(r);
		assert_int_equal(t_mappings_of(path), keeps[k] == MS_MAPPINGS_UNTIL_EXIT);
		ms_ctx_free(ctx);
	}
	unlink(path);
}

/* Plain runs are copied, everything else is \xNN; the output is cut at dstlen - 1 and
 * never ends in half an escape. */
static void test_printable(void **state)
{
	(void)state;
	char out[64];
	ms_printable(out, sizeof out, (const uint8_t *)"os\nsys\\tem\x80", 11);
	assert_string_equal(out, "os\\x0asys\\x5ctem\\x80");
	ms_printable(out, 7, (const uint8_t *)"abcdefgh", 8);
	assert_string_equal(out, "abcdef");
	ms_printable(out, 7, (const uint8_t *)"ab\x01" "cd", 5);
	assert_string_equal(out, "ab"); /* "\x01" would not fit whole */
	ms_printable(out, 8, (const uint8_t *)"ab\x01" "cd", 5);
	assert_string_equal(out, "ab\\x01c");
	ms_printable(out, 1, (const uint8_t *)"abc", 3);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity_names),
		cmocka_unit_test(test_unrecognized_is_error_not_clean),
		cmocka_unit_test(test_empty_input_is_error),
		cmocka_unit_test(test_reports_escape_hostile_paths),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_keep_mappings),
	};
	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
