/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Container readers: safetensors validator vectors (ported from the Rust reference tests),
 * zip tricks and limits, .npy headers, and never-crash / never-clean sweeps over the fmt_
 * tar_, npy_ and zip_ corpus (every prefix, random bit flips). */
#include "test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <zlib.h>

#include "formats/fmt_private.h"
#include "formats/safetensors_private.h"

static ms_ctx *t_ctx_noyara(void)
{
	static ms_ctx *ctx;
	if (!ctx) {
		ms_scan_opts o = {.no_yara = 1};
		assert_int_equal(ms_ctx_new(&o, &ctx), MS_OK);
	}
	return ctx;
}

static ms_result *t_scan_ny(const uint8_t *buf, size_t len)
{
	ms_result *r = NULL;
	assert_int_equal(ms_scan_buffer(t_ctx_noyara(), "t", buf, len, &r), MS_OK);
	return r;
}

static size_t t_st(uint8_t *out, const char *hdr, size_t ndata)
{
	size_t n = strlen(hdr);
	for (int i = 0; i < 8; i++) out[i] = (uint8_t)((uint64_t)n >> (8 * i));
	memcpy(out + 8, hdr, n);
	memset(out + 8 + n, 0, ndata);
	return 8 + n + ndata;
}

static ms_err t_st_parse(const char *hdr, size_t ndata, st_header *h)
{
	static uint8_t buf[4096];
	size_t len = t_st(buf, hdr, ndata);
	char err[256];
	return st_parse(buf, len, h, err, sizeof err, NULL);
}

static void test_st_valid(void **state)
{
	(void)state;
	st_header h;
	assert_int_equal(t_st_parse("{\"__metadata__\":{\"format\":\"pt\"},"
	                            "\"b\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]},"
	                            "\"a\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]},"
	                            "\"z\":{\"dtype\":\"F32\",\"shape\":[2,0],\"data_offsets\":[16,16]},"
	                            "\"s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[16,24]}}  ",
	                            24, &h), MS_OK);
	assert_int_equal(h.ntensors, 4);
	assert_string_equal(h.tensors[0].name, "a");
	assert_int_equal(h.tensors[0].dtype, ST_BF16);
	assert_string_equal(h.tensors[1].name, "b");
	assert_int_equal(h.tensors[1].ndim, 2);
	assert_int_equal(h.tensors[1].shape[1], 2);
	assert_int_equal(h.tensors[3].end, 24);
	assert_int_equal(h.nmeta, 1);
	assert_string_equal(h.meta[0].value, "pt");
	st_header_free(&h);
	/* Empty header, null metadata, F4 packed dtype, sub-byte rules. */
	assert_int_equal(t_st_parse("{}", 0, &h), MS_OK);
	st_header_free(&h);
	assert_int_equal(t_st_parse("{\"__metadata__\":null}", 0, &h), MS_OK);
	st_header_free(&h);
	assert_int_equal(t_st_parse("{\"x\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,2]}}", 2, &h), MS_OK);
	st_header_free(&h);
	assert_int_equal(t_st_parse("{\"x\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2, &h),
	                 MS_ERR_MALFORMED);
	st_header_free(&h);
	assert_int_equal(st_dtype_bits(ST_F6_E3M2), 6);
	assert_string_equal(st_dtype_name(ST_C64), "C64");
}

static void test_st_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *hdr;
		size_t ndata;
		ms_err want;
	} v[] = {
		/* test_json_attack: every tensor at [0,16] */
		{"{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
		 "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, MS_ERR_MALFORMED},
		/* test_validation_overflow */
		{"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,18446744073709551614],\"data_offsets\":[0,16]}}", 16, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"F32\",\"shape\":[2,9223372036854775807],\"data_offsets\":[0,16]}}", 16, MS_ERR_MALFORMED},
		/* test_metadata_incomplete_buffer: extra and missing bytes */
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 3, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 1, MS_ERR_TRUNCATED},
		/* test_invalid_header_not_json */
		{"{", 0, MS_ERR_MALFORMED},
		{"[]", 0, MS_ERR_MALFORMED},
		{"{} x", 0, MS_ERR_MALFORMED},
		{"\x01{}", 0, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[1e0],\"data_offsets\":[0,1]}}", 1, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[01],\"data_offsets\":[0,1]}}", 1, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 1, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"u8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, MS_ERR_MALFORMED},
		{"{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0, MS_ERR_MALFORMED},
		{"{\"__metadata__\":[]}", 0, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,0]}}", 1, MS_ERR_MALFORMED},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[[1]],\"data_offsets\":[0,1]}}", 1, MS_ERR_MALFORMED},
		{"{\"a\":\"\x7f\x0a\"}", 0, MS_ERR_MALFORMED},
		{"{\"a\\q\":1}", 0, MS_ERR_MALFORMED},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		st_header h;
		ms_err rc = t_st_parse(v[i].hdr, v[i].ndata, &h);
		if (rc != v[i].want) fprintf(stderr, "vector %zu: got %d want %d\n", i, rc, v[i].want);
		assert_int_equal(rc, v[i].want);
		st_header_free(&h);
	}
	/* test_header_too_large / too small / invalid length */
	st_header h;
	assert_int_equal(st_parse((const uint8_t *)"<\0\0\0\0\xff\xff\xff", 8, &h, NULL, 0, NULL), MS_ERR_MALFORMED);
	assert_int_equal(st_parse((const uint8_t *)"\x02\0\0\0", 4, &h, NULL, 0, NULL), MS_ERR_TRUNCATED);
	assert_int_equal(st_parse((const uint8_t *)"\x10\0\0\0\0\0\0\0{}", 10, &h, NULL, 0, NULL), MS_ERR_TRUNCATED);
	/* invalid UTF-8 */
	uint8_t bad[64];
	size_t n = t_st(bad, "{\"\xc0\xaf\":null}", 0);
	char err[128];
	assert_int_equal(st_parse(bad, n, &h, err, sizeof err, NULL), MS_ERR_MALFORMED);
	assert_non_null(strstr(err, "UTF-8"));
}

static void test_st_scan_errors_name_tensor(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n = t_st(buf, "{\"w1\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
	                     "\"w2\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
	ms_result *r = t_scan(buf, n);
	const char *msg;
	assert_int_equal(ms_result_error(r)->code, MS_ERR_MALFORMED);
	msg = ms_result_error(r)->message;
	assert_non_null(strstr(msg, "w2"));
	assert_string_equal(ms_result_format(r), "safetensors");
	ms_result_free(r);
	n = t_st(buf, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
	r = t_scan(buf, n);
	assert_int_equal(ms_result_error(r)->code, MS_OK);
	assert_int_equal(ms_result_count(r), 0);
	ms_result_free(r);
}

static void test_name_escapes(void **state)
{
	(void)state;
	static const char *bad[] = {"../x", "a/../../x", "/etc/passwd", "C:\\x", "c:x", "a\\b", ".."};
	static const char *good[] = {"a/b", "archive/data.pkl", "..a/b", "a/..b", "a/./b", "x.."};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_true(fmt_name_escapes((const uint8_t *)bad[i], strlen(bad[i])));
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_false(fmt_name_escapes((const uint8_t *)good[i], strlen(good[i])));
	assert_true(fmt_name_escapes((const uint8_t *)"a\0b", 3));
	assert_non_null(fmt_exec_kind((const uint8_t *)"\x7f" "ELF", 4));
	assert_non_null(fmt_exec_kind((const uint8_t *)"#!/bin/sh", 9));
	assert_null(fmt_exec_kind((const uint8_t *)"MZ", 2));
}

/* ---- zip builder ------------------------------------------------------------------------ */

typedef struct zb {
	uint8_t *p;
	size_t len, cap;
	uint8_t *cd;
	size_t cdlen, cdcap, n;
} zb;

static void zb_put(uint8_t **p, size_t *len, size_t *cap, const void *d, size_t n)
{
	if (*len + n > *cap) {
		*cap = (*len + n) * 2 + 1024;
		*p = realloc(*p, *cap);
		assert_non_null(*p);
	}
	memcpy(*p + *len, d, n);
	*len += n;
}

static void zb_le(uint8_t **p, size_t *len, size_t *cap, uint64_t v, int bytes)
{
	uint8_t b[8];
	for (int i = 0; i < bytes; i++) b[i] = (uint8_t)(v >> (8 * i));
	zb_put(p, len, cap, b, (size_t)bytes);
}

/* Adds a member; method 8 deflates data. */
static void zb_add(zb *z, const char *name, const uint8_t *data, size_t n, int method)
{
	uint8_t *comp = (uint8_t *)(uintptr_t)data;
	size_t clen = n;
	if (method == 8) {
		uLongf cl = compressBound((uLong)n) + 16;
		uint8_t *tmp = malloc(cl);
		z_stream s;
		memset(&s, 0, sizeof s);
		assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
		s.next_in = (Bytef *)(uintptr_t)data;
		s.avail_in = (uInt)n;
		s.next_out = tmp;
		s.avail_out = (uInt)cl;
		assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
		clen = s.total_out;
		deflateEnd(&s);
		comp = tmp;
	}
	uint32_t crc = (uint32_t)crc32(0, data, (uInt)n);
	size_t nl = strlen(name), lho = z->len;
	zb_put(&z->p, &z->len, &z->cap, "PK\3\4", 4);
	zb_le(&z->p, &z->len, &z->cap, 20, 2);
	zb_le(&z->p, &z->len, &z->cap, 0, 2);
	zb_le(&z->p, &z->len, &z->cap, (uint64_t)method, 2);
	zb_le(&z->p, &z->len, &z->cap, 0, 4);
	zb_le(&z->p, &z->len, &z->cap, crc, 4);
	zb_le(&z->p, &z->len, &z->cap, clen, 4);
	zb_le(&z->p, &z->len, &z->cap, n, 4);
	zb_le(&z->p, &z->len, &z->cap, nl, 2);
	zb_le(&z->p, &z->len, &z->cap, 0, 2);
	zb_put(&z->p, &z->len, &z->cap, name, nl);
	zb_put(&z->p, &z->len, &z->cap, comp, clen);
	zb_put(&z->cd, &z->cdlen, &z->cdcap, "PK\1\2", 4);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, 20, 2);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, 20, 2);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, 0, 2);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, (uint64_t)method, 2);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, 0, 4);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, crc, 4);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, clen, 4);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, n, 4);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, nl, 2);
	zb_le(&z->cd, &z->cdlen, &z->cdcap, 0, 4);  /* extra, comment lengths */
	zb_le(&z->cd, &z->cdlen, &z->cdcap, 0, 8);  /* disk, internal and external attributes */
	zb_le(&z->cd, &z->cdlen, &z->cdcap, lho, 4);
	zb_put(&z->cd, &z->cdlen, &z->cdcap, name, nl);
	z->n++;
	if (comp != data) free(comp);
}

static void zb_finish(zb *z)
{
	size_t cdoff = z->len;
	zb_put(&z->p, &z->len, &z->cap, z->cd, z->cdlen);
	zb_put(&z->p, &z->len, &z->cap, "PK\5\6", 4);
	zb_le(&z->p, &z->len, &z->cap, 0, 4);
	zb_le(&z->p, &z->len, &z->cap, z->n > 0xffff ? 0xffff : z->n, 2);
	zb_le(&z->p, &z->len, &z->cap, z->n > 0xffff ? 0xffff : z->n, 2);
	zb_le(&z->p, &z->len, &z->cap, z->cdlen, 4);
	zb_le(&z->p, &z->len, &z->cap, cdoff, 4);
	zb_le(&z->p, &z->len, &z->cap, 0, 2);
	free(z->cd);
	z->cd = NULL;
}

static const uint8_t t_payload[] =
	"\x80\x02" "cposix\nsystem\nq\x00X\x0a\x00\x00\x00" "echo pwnedq\x01\x85q\x02Rq\x03.";

static void test_zip_payload_and_prefix(void **state)
{
	(void)state;
	zb z = {0};
	zb_put(&z.p, &z.len, &z.cap, "junk before the archive", 23);
	zb_add(&z, "archive/data.pkl", t_payload, sizeof t_payload - 1, 8);
	zb_add(&z, "archive/version", (const uint8_t *)"99\n", 3, 0);
	zb_finish(&z);
	ms_result *r = t_scan_ny(z.p, z.len);
	assert_true(t_has_rule(r, "MS-ZIP-PREFIX-DATA"));
	assert_string_equal(ms_result_format(r), "zip"); /* torch.load needs PK at 0 */
	ms_result_free(r);
	free(z.p);
	/* Same without the prefix: torch mode, version record checked. */
	memset(&z, 0, sizeof z);
	zb_add(&z, "archive/data.pkl", t_payload, sizeof t_payload - 1, 8);
	zb_add(&z, "archive/version", (const uint8_t *)"99\n", 3, 0);
	zb_finish(&z);
	r = t_scan_ny(z.p, z.len);
	assert_string_equal(ms_result_format(r), "torchzip");
	assert_true(t_has_rule(r, "MS-TORCH-VERSION"));
	assert_false(t_has_rule(r, "MS-ZIP-PREFIX-DATA"));
	ms_result_free(r);
	free(z.p);
}

static void test_zip_bomb_is_limit_error(void **state)
{
	(void)state;
	size_t n = (size_t)128 << 20; /* above the 64 MiB ratio floor, ~1030:1 */
	uint8_t *zeros = calloc(1, n);
	assert_non_null(zeros);
	zb z = {0};
	zb_add(&z, "bomb.bin", zeros, n, 8);
	free(zeros);
	zb_finish(&z);
	ms_result *r = t_scan_ny(z.p, z.len);
	const char *msg;
	assert_int_equal(ms_result_error(r)->code, MS_ERR_LIMIT);
	msg = ms_result_error(r)->message;
	assert_non_null(strstr(msg, "bomb.bin"));
	ms_result_free(r);
	free(z.p);
}

static void test_zip_many_members(void **state)
{
	(void)state;
	zb z = {0};
	char name[32];
	for (int i = 0; i < 100000; i++) {
		snprintf(name, sizeof name, "d/m%06d", i);
		zb_add(&z, name, (const uint8_t *)"", 0, 0);
	}
	zb_finish(&z);
	ms_result *r = t_scan_ny(z.p, z.len);
	t_dump(r);
	assert_int_equal(ms_result_error(r)->code, MS_OK);
	ms_result_free(r);
	free(z.p);
}

static void test_npy_headers(void **state)
{
	(void)state;
	static const char *const ok[] = {
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
		"{'descr': [('x', '<i4'), ('y', '<f8', (2,))], 'fortran_order': True, 'shape': (1,)}",
	};
	static const size_t need[] = {8, 20};
	for (size_t i = 0; i < 2; i++) {
		uint8_t buf[512];
		size_t hl = strlen(ok[i]);
		memcpy(buf, "\x93NUMPY\x01\x00", 8);
		buf[8] = (uint8_t)hl;
		buf[9] = 0;
		memcpy(buf + 10, ok[i], hl);
		memset(buf + 10 + hl, 0, need[i]);
		ms_result *r = t_scan_ny(buf, 10 + hl + need[i]);
		t_dump(r);
		assert_int_equal(ms_result_error(r)->code, MS_OK);
		assert_int_equal(ms_result_count(r), 0);
		ms_result_free(r);
		r = t_scan_ny(buf, 10 + hl + need[i] - 1);
		assert_int_equal(ms_result_error(r)->code, MS_ERR_TRUNCATED);
		ms_result_free(r);
	}
}

/* ---- corpus sweeps ---------------------------------------------------------------------- */

static uint8_t *t_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	*len = fread(b, 1, (size_t)n, f);
	fclose(f);
	return b;
}

static int t_clean(const ms_result *r)
{
	return ms_result_error(r)->code == MS_OK && ms_result_count(r) == 0;
}

static uint64_t t_rng = 0x9e3779b97f4a7c15ull;
static uint64_t t_rand(void)
{
	t_rng ^= t_rng << 13;
	t_rng ^= t_rng >> 7;
	t_rng ^= t_rng << 17;
	return t_rng;
}

static void t_sweep_dir(const char *dir, int hostile, size_t *files, size_t *scans)
{
	DIR *d = opendir(dir);
	if (!d) return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t nl = strlen(e->d_name);
		if ((strncmp(e->d_name, "fmt_", 4) != 0 && strncmp(e->d_name, "tar_", 4) != 0 &&
		     strncmp(e->d_name, "npy_", 4) != 0 && strncmp(e->d_name, "zip_", 4) != 0) ||
		    (nl > 7 && strcmp(e->d_name + nl - 7, ".expect") == 0))
			continue;
		char path[1400];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		size_t len;
		uint8_t *b = t_read(path, &len);
		if (!b) continue;
		(*files)++;
		/* Every prefix (strided for big files): never a crash, and a hostile sample's prefix
		 * is never clean (the payload is seen or the truncation is an error). A prefix of a
		 * benign or malformed sample may be a valid file (trailing bytes cut off). */
		size_t step = len > 4096 ? len / 2048 : 1;
		/* A payload that trails a complete archive has clean prefixes by construction, and
		 * so has a tar cut at a member boundary before the hostile member. */
		int prefix_may_be_clean = strstr(e->d_name, "trailing") != NULL ||
		                          strncmp(e->d_name, "tar_", 4) == 0;
		for (size_t k = 0; k < len; k += step) {
			uint8_t *cp = malloc(k + 1);
			memcpy(cp, b, k);
			ms_result *r = t_scan_ny(cp, k);
			if (hostile && !prefix_may_be_clean) {
				if (t_clean(r)) fprintf(stderr, "clean prefix %zu of %s\n", k, path);
				assert_false(t_clean(r));
			}
			ms_result_free(r);
			free(cp);
			(*scans)++;
		}
		/* Random bit flips never crash; hostile samples never come out clean. */
		for (int k = 0; k < 64 && len; k++) {
			size_t at = (size_t)(t_rand() % len);
			uint8_t bit = (uint8_t)(1u << (t_rand() % 8));
			b[at] ^= bit;
			ms_result *r = t_scan_ny(b, len);
			if (hostile && t_clean(r)) fprintf(stderr, "clean flip @%zu of %s\n", at, path);
			if (hostile) assert_false(t_clean(r));
			ms_result_free(r);
			b[at] ^= bit;
			(*scans)++;
		}
		free(b);
	}
	closedir(d);
}

static void test_corpus_sweep(void **state)
{
	(void)state;
	const char *root = getenv("ROOT") ? getenv("ROOT") : ".";
	char dir[1024];
	size_t files = 0, scans = 0;
	static const char *const kinds[] = {"benign", "malicious", "malformed"};
	for (int i = 0; i < 3; i++) {
		snprintf(dir, sizeof dir, "%s/corpus/%s", root, kinds[i]);
		t_sweep_dir(dir, i == 1, &files, &scans);
	}
	fprintf(stderr, "corpus sweep: %zu files, %zu scans\n", files, scans);
	assert_true(files > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_st_valid),
		cmocka_unit_test(test_st_invalid),
		cmocka_unit_test(test_st_scan_errors_name_tensor),
		cmocka_unit_test(test_name_escapes),
		cmocka_unit_test(test_zip_payload_and_prefix),
		cmocka_unit_test(test_zip_bomb_is_limit_error),
		cmocka_unit_test(test_zip_many_members),
		cmocka_unit_test(test_npy_headers),
		cmocka_unit_test(test_corpus_sweep),
	};
	return cmocka_run_group_tests_name("formats", tests, NULL, NULL);
}
