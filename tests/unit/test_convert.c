/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The converter: planner over real torch-saved pickles and hand-built value graphs, the
 * canonical safetensors header, sizes, a full convert + verify round trip with a flipped byte,
 * cancellation and the error record. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert/conv_private.h"

static const cv_tensor *t_find(const cv_plan *p, const char *name)
{
	for (size_t i = 0; i < p->nt; i++)
		if (strcmp(p->t[i].name, name) == 0) return &p->t[i];
	return NULL;
}

/* corpus/benign/conv_tx.pt: torch 1.13 zip, tied embeddings, views, slices, expand. */
static void test_plan_real_zip(void **state)
{
	(void)state;
	ms_error msg;
	cv_source *s = NULL;
	cv_src_opts o = {0};
	ms_err rc = cv_source_open("corpus/benign/conv_tx.pt", &o, &s, &msg);
	if (rc != MS_OK) fprintf(stderr, "%s\n", msg.message);
	assert_int_equal(rc, MS_OK);
	assert_string_equal(s->format, "torchzip");
	assert_false(s->big_endian);
	const cv_plan *p = &s->plan;
	assert_int_equal(p->nt, 9);
	const cv_tensor *emb = t_find(p, "model.embed_tokens.weight"), *head = t_find(p, "lm_head.weight");
	assert_non_null(emb);
	assert_non_null(head);
	/* HF keeps the smallest complete name: lm_head.weight; the embedding becomes its alias */
	assert_int_equal(head->alias_of, -1);
	assert_true(emb->alias_of >= 0);
	assert_string_equal(p->t[emb->alias_of].name, "lm_head.weight");
	/* disjoint slices of one storage are not shared */
	const cv_tensor *k = t_find(p, "layers.0.attn.k.weight");
	assert_int_equal(k->alias_of, -1);
	assert_int_equal(k->offset, 64);
	assert_true(cv_tensor_contiguous(k));
	const cv_tensor *tr = t_find(p, "layers.0.mlp.t");
	assert_false(cv_tensor_contiguous(tr));
	assert_int_equal(tr->shape[0], 12);
	assert_int_equal(tr->stride[0], 1);
	const cv_tensor *ex = t_find(p, "layers.0.exp");
	assert_int_equal(ex->stride[1], 0);
	assert_int_equal(cv_tensor_bytes(ex), 4 * 3 * 4);
	assert_non_null(t_find(p, "layers.0.ln.weight")); /* _rebuild_parameter */
	for (size_t i = 0; i < p->nst; i++) assert_true(p->st[i].located);
	cv_source_free(s);
}

static void test_plan_real_legacy_dtypes(void **state)
{
	(void)state;
	ms_error msg;
	cv_source *s = NULL;
	assert_int_equal(cv_source_open("corpus/benign/conv_dtypes_legacy.pt", NULL, &s, &msg), MS_OK);
	assert_string_equal(s->format, "torch-legacy");
	const struct { const char *n; cv_dtype d; } want[] = {
		{"f64", CV_F64}, {"f32", CV_F32}, {"f16", CV_F16}, {"bf16", CV_BF16}, {"i64", CV_I64},
		{"i32", CV_I32}, {"i16", CV_I16}, {"i8", CV_I8}, {"u8", CV_U8}, {"bool", CV_BOOL},
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		const cv_tensor *t = t_find(&s->plan, want[i].n);
		assert_non_null(t);
		assert_int_equal(t->dtype, want[i].d);
	}
	assert_int_equal(t_find(&s->plan, "scalar")->ndim, 0);
	assert_int_equal(t_find(&s->plan, "scalar")->numel, 1);
	assert_int_equal(t_find(&s->plan, "empty")->numel, 0);
	cv_source_free(s);
}

/* Hand-built graphs: only allowlisted rebuild functions are interpreted. */
static pv t_global(const char *m, const char *n)
{
	pv g;
	memset(&g, 0, sizeof g);
	g.kind = PV_GLOBAL;
	g.u.g.module = g.u.g.fq_module = m;
	g.u.g.name = g.u.g.fq_name = n;
	return g;
}

static void test_plan_refuses_unknown_callables(void **state)
{
	(void)state;
	pv od = t_global("collections", "OrderedDict"), sys = t_global("posix", "system");
	pv empty = {.kind = PV_TUPLE};
	pv key = {.kind = PV_STR}, call = {.kind = PV_OBJ};
	key.u.s.p = (const uint8_t *)"w";
	key.u.s.len = 1;
	call.u.obj.callable = &sys;
	call.u.obj.args = &empty;
	call.u.obj.how = PV_HOW_REDUCE;
	pv *kv[2] = {&key, &call};
	pv root = {.kind = PV_OBJ};
	root.u.obj.callable = &od;
	root.u.obj.args = &empty;
	root.u.obj.how = PV_HOW_REDUCE;
	root.u.obj.kv.v = kv;
	root.u.obj.kv.n = 2;
	cv_plan p;
	memset(&p, 0, sizeof p);
	ms_error msg;
	assert_int_equal(cv_plan_build(&root, NULL, &p, &msg), MS_ERR_UNSUPPORTED);
	assert_non_null(strstr(msg.message, "posix.system"));
	cv_plan_free(&p);
	/* a plain value is listed, not converted */
	pv seven = {.kind = PV_INT};
	seven.u.i = 7;
	kv[1] = &seven;
	memset(&p, 0, sizeof p);
	assert_int_equal(cv_plan_build(&root, NULL, &p, &msg), MS_OK);
	assert_int_equal(p.nt, 0);
	assert_int_equal(p.nskipped, 1);
	assert_string_equal(p.skipped[0], "w");
	cv_plan_free(&p);
	/* not a dict at all */
	memset(&p, 0, sizeof p);
	assert_int_equal(cv_plan_build(&seven, NULL, &p, &msg), MS_ERR_UNSUPPORTED);
	cv_plan_free(&p);
}

/* Out-of-bounds views and overflowing shapes are malformed input, never a read. */
static void test_plan_bounds(void **state)
{
	(void)state;
	/* protocol 2: {'w': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 4), 2, (3,), (1,), False, OrderedDict())} */
	static const uint8_t pk[] =
		"\x80\x02}X\x01\x00\x00\x00" "wctorch._utils\n_rebuild_tensor_v2\n("
		"(X\x07\x00\x00\x00" "storagectorch\nFloatStorage\nX\x01\x00\x00\x00" "0X\x03\x00\x00\x00"
		"cpuK\x04tQ" "K\x02K\x03\x85K\x01\x85\x89" "ccollections\nOrderedDict\n)RtRs.";
	cv_plan p;
	memset(&p, 0, sizeof p);
	ms_error msg;
	ms_err rc = cv_plan_from_pickle(pk, sizeof pk - 1, NULL, &p, &msg);
	assert_int_equal(rc, MS_ERR_MALFORMED);
	assert_non_null(strstr(msg.message, "reaches byte 20 of a 16-byte storage"));
	cv_plan_free(&p);
}

static void test_header_canonical(void **state)
{
	(void)state;
	/* formats.md B.5: empty -> "{}" + 6 spaces; attn.0 F32 [1,2,3] -> N=64 with metadata none */
	uint8_t *h = NULL;
	size_t hl = 0;
	ms_error msg;
	assert_int_equal(cv_st_layout(NULL, 0, NULL, 0, &h, &hl, &msg), MS_OK);
	assert_int_equal(hl, 16);
	assert_memory_equal(h, "\x08\0\0\0\0\0\0\0{}      ", 16);
	free(h);
	uint64_t shape[3] = {1, 2, 3}, stride[3] = {6, 3, 1};
	cv_tensor t = {.name = (char *)"attn.0", .dtype = CV_F32, .ndim = 3, .shape = shape,
	               .stride = stride, .numel = 6, .alias_of = -1};
	cv_out_tensor ot = {.t = &t};
	assert_int_equal(cv_st_layout(&ot, 1, NULL, 0, &h, &hl, &msg), MS_OK);
	assert_int_equal(hl, 8 + 64);
	assert_memory_equal(h + 8, "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", 64);
	free(h);
	/* sort: dtype descending, then name; metadata first, keys sorted, escaped */
	uint64_t s1[1] = {2}, st1[1] = {1};
	cv_tensor a = {.name = (char *)"b", .dtype = CV_U8, .ndim = 1, .shape = s1, .stride = st1, .numel = 2};
	cv_tensor b = {.name = (char *)"a\n", .dtype = CV_F16, .ndim = 1, .shape = s1, .stride = st1, .numel = 2};
	cv_out_tensor two[2] = {{.t = &a}, {.t = &b}};
	cv_kv meta[2] = {{(char *)"z", (char *)"1"}, {(char *)"format", (char *)"pt"}};
	assert_int_equal(cv_st_layout(two, 2, meta, 2, &h, &hl, &msg), MS_OK);
	const char *want = "{\"__metadata__\":{\"format\":\"pt\",\"z\":\"1\"},\"a\\n\":{\"dtype\":\"F16\","
	                   "\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],"
	                   "\"data_offsets\":[4,6]}}";
	assert_memory_equal(h + 8, want, strlen(want));
	assert_int_equal((hl - 8) % 8, 0);
	free(h);
}

static void test_parse_size(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(ms_parse_size("5GB", &v), MS_OK);
	assert_true(v == 5000000000ULL);
	assert_int_equal(ms_parse_size("10KiB", &v), MS_OK);
	assert_true(v == 10240);
	assert_int_equal(ms_parse_size("123", &v), MS_OK);
	assert_true(v == 123);
	assert_int_equal(ms_parse_size("5XB", &v), MS_ERR_ARG);
	assert_int_equal(ms_parse_size("", &v), MS_ERR_ARG);
	assert_int_equal(ms_parse_size("0", &v), MS_ERR_ARG);
	assert_int_equal(ms_parse_size("99999999999999999999GB", &v), MS_ERR_ARG);
}

static void test_convert_verify_roundtrip(void **state)
{
	(void)state;
	char dir[] = "/tmp/mscan-test-convert-XXXXXX", out[256];
	ms_error msg;
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof out, "%s/tx.safetensors", dir);
	ms_err rc = ms_convert("corpus/benign/conv_tx.pt", out, NULL, &msg);
	if (rc != MS_OK) fprintf(stderr, "%s\n", msg.message);
	assert_int_equal(rc, MS_OK);
	assert_int_equal(ms_convert("corpus/benign/conv_tx.pt", out, NULL, &msg), MS_ERR_ARG);
	assert_int_equal(ms_verify(out, "corpus/benign/conv_tx.pt", MS_DEVICE_CPU, NULL, &msg), MS_OK);
	assert_int_equal(ms_verify(out, "corpus/benign/conv_tx.pt", MS_DEVICE_AUTO, NULL, &msg), MS_OK);
	/* flip one bit of the last tensor byte */
	int fd = open(out, O_RDWR);
	assert_true(fd >= 0);
	struct stat st;
	fstat(fd, &st);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, st.st_size - 1), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, st.st_size - 1), 1);
	close(fd);
	assert_int_equal(ms_verify(out, "corpus/benign/conv_tx.pt", MS_DEVICE_CPU, NULL, &msg),
	                 MS_ERR_MISMATCH);
	assert_non_null(strstr(msg.message, "differs: original 0x"));
	unlink(out);
	rmdir(dir);
}

/* The progress callback of a conversion that its caller cancels halfway (as a signal
 * handler would: one store to the flag). */
static volatile sig_atomic_t t_cancel;

static void t_cancel_on_progress(void *ud, const char *stage, uint64_t done, uint64_t total)
{
	(void)ud, (void)stage, (void)done, (void)total;
	t_cancel = 1;
}

static bool t_dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	bool empty = true;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = false;
	closedir(d);
	return empty;
}

/* ms_convert_opts.cancel: a conversion cancelled before or while writing stops with
 * "interrupted", leaving nothing (no OUTPUT, no temporary) in the destination folder. */
static void test_convert_cancel(void **state)
{
	(void)state;
	char dir[] = "/tmp/mscan-test-cancel-XXXXXX", out[256];
	t_cancel = 1;
	ms_convert_opts o = {.cancel = &t_cancel};
	ms_error e;
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof out, "%s/tx.safetensors", dir);
	assert_int_equal(ms_convert("corpus/benign/conv_tx.pt", out, &o, &e), MS_ERR_IO);
	assert_int_equal(e.code, MS_ERR_IO);
	assert_string_equal(e.message, "interrupted");
	assert_true(t_dir_empty(dir));
	t_cancel = 0;
	o.progress = t_cancel_on_progress;
	assert_int_equal(ms_convert("corpus/benign/conv_tx.pt", out, &o, NULL), MS_ERR_IO);
	assert_true(t_cancel);
	assert_true(t_dir_empty(dir));
	t_cancel = 0;
	o.progress = NULL;
	assert_int_equal(ms_convert("corpus/benign/conv_tx.pt", out, &o, &e), MS_OK);
	assert_int_equal(e.code, MS_OK);
	unlink(out);
	/* The record names the file that failed. */
	assert_int_equal(ms_convert("corpus/no-such.pt", out, NULL, &e), MS_ERR_IO);
	assert_string_equal(e.file, "corpus/no-such.pt");
	assert_non_null(strstr(e.message, "corpus/no-such.pt: "));
	assert_true(t_dir_empty(dir));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_real_zip),
		cmocka_unit_test(test_plan_real_legacy_dtypes),
		cmocka_unit_test(test_plan_refuses_unknown_callables),
		cmocka_unit_test(test_plan_bounds),
		cmocka_unit_test(test_header_canonical),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_convert_verify_roundtrip),
		cmocka_unit_test(test_convert_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
