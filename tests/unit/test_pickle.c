/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The symbolic pickle machine: every opcode family, CPython's _pickle.c corner cases, limits,
 * truncation at every prefix, and the values the converter walks. Pickles were produced with
 * CPython's pickle (or crafted by hand) and are kept as byte literals. */
#include <dirent.h>

#include "test.h"

#include "scanner/arena_private.h"
#include "scanner/limits.h"
#include "scanner/pickle_private.h"

static int t_err(const ms_result *r) { return ms_result_error(r)->code; }

static size_t t_count_ge(const ms_result *r, ms_severity s)
{
	size_t n = 0;
	for (size_t i = 0; i < ms_result_count(r); i++)
		if (ms_result_get(r, i)->severity >= s) n++;
	return n;
}

#define EXPECT_RULE(r, id) do { if (!t_has_rule(r, id)) { t_dump(r); fail_msg("missing %s", id); } } while (0)
#define EXPECT_NO_RULE(r, id) do { if (t_has_rule(r, id)) { t_dump(r); fail_msg("unexpected %s", id); } } while (0)
#define EXPECT_OK(r) do { if (t_err(r) != MS_OK) { t_dump(r); fail_msg("unexpected error"); } } while (0)

static ms_result *t_scan_opts(const uint8_t *buf, size_t len, int weights_only, int record)
{
	ms_scan_opts o = {.weights_only = weights_only, .record_ops = record, .no_yara = 1};
	ms_ctx *ctx;
	assert_int_equal(ms_ctx_new(&o, &ctx), MS_OK);
	ms_result *r = NULL;
	assert_int_equal(ms_scan_buffer(ctx, "test", buf, len, &r), MS_OK);
	ms_ctx_free(ctx);
	return r;
}

/* collections.OrderedDict(a=[1, 2], b='x') as pickle.dumps writes it, protocols 0 to 5 */
static const char *const od_pickles[] = {
	"ccollections\x0aOrderedDict\x0ap0\x0a(tRp1\x0aVa\x0ap2\x0a(lp3\x0aI1\x0a""aI2\x0a""asVb\x0ap4\x0aVx\x0ap5\x0as.",
	"ccollections\x0aOrderedDict\x0aq\x00)Rq\x01(X\x01\x00\x00\x00""aq\x02]q\x03(K\x01K\x02""eX\x01\x00\x00\x00""bq\x04X\x01\x00\x00\x00xq\x05u.",
	"\x80\x02""ccollections\x0aOrderedDict\x0aq\x00)Rq\x01(X\x01\x00\x00\x00""aq\x02]q\x03(K\x01K\x02""eX\x01\x00\x00\x00""bq\x04X\x01\x00\x00\x00xq\x05u.",
	"\x80\x03""ccollections\x0aOrderedDict\x0aq\x00)Rq\x01(X\x01\x00\x00\x00""aq\x02]q\x03(K\x01K\x02""eX\x01\x00\x00\x00""bq\x04X\x01\x00\x00\x00xq\x05u.",
	"\x80\x04\x95""8\x00\x00\x00\x00\x00\x00\x00\x8c\x0b""collections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(\x8c\x01""a\x94]\x94(K\x01K\x02""e\x8c\x01""b\x94\x8c\x01x\x94u.",
	"\x80\x05\x95""8\x00\x00\x00\x00\x00\x00\x00\x8c\x0b""collections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(\x8c\x01""a\x94]\x94(K\x01K\x02""e\x8c\x01""b\x94\x8c\x01x\x94u.",
};
static const size_t od_lens[] = {68, 67, 69, 69, 67, 67};

static void test_benign_all_protocols(void **state)
{
	(void)state;
	for (size_t i = 0; i < 6; i++) {
		ms_result *r = t_scan((const uint8_t *)od_pickles[i], od_lens[i]);
		EXPECT_OK(r);
		if (t_count_ge(r, MS_SEV_MEDIUM)) {
			t_dump(r);
			fail_msg("protocol %zu: findings on a benign OrderedDict", i);
		}
		assert_int_equal(ms_result_global_count(r), 1);
		const ms_global *g = ms_result_global(r, 0);
		assert_string_equal(g->module, "collections");
		assert_string_equal(g->name, "OrderedDict");
		assert_int_equal(g->use, MS_USE_CALLED);
		EXPECT_NO_RULE(r, "MS-PKL-PROTO"); /* a leading PROTO is ordinary */
		ms_result_free(r);
	}
}

static void test_os_system_and_popped_call(void **state)
{
	(void)state;
	ms_result *r = T_SCAN_LIT("cos\nsystem\n(S'echo pwned'\ntR.");
	EXPECT_RULE(r, "MS-PKL-CALL-DENY");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-DENY");
	assert_int_equal(ms_result_max_severity(r), MS_SEV_CRITICAL);
	assert_string_equal(ms_result_global(r, 0)->args, "('echo pwned',)");
	ms_result_free(r);
	/* the result of the call is POPped: still a call */
	r = T_SCAN_LIT("cos\nsystem\n(S'echo pwned'\ntR0N.");
	EXPECT_RULE(r, "MS-PKL-CALL-DENY");
	ms_result_free(r);
	/* int arguments are rendered in decimal, the extremes of int32 and int64 included */
	r = T_SCAN_LIT("\x80\x04\x8c\x01x\x8c\x01y\x93(J\x00\x00\x00\x80J\xff\xff\xff\x7fK\x00"
	               "\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7ftR.");
	assert_string_equal(ms_result_global(r, 0)->args,
	                    "(-2147483648, 2147483647, 0, -9223372036854775808, 9223372036854775807)");
	ms_result_free(r);
}

static void test_compat_renames_and_proto(void **state)
{
	(void)state;
	ms_result *r = T_SCAN_LIT("c__builtin__\neval\n(S'1'\ntR.");
	EXPECT_RULE(r, "MS-PKL-CALL-DENY");
	assert_string_equal(ms_result_global(r, 0)->fq_module, "builtins");
	ms_result_free(r);
	/* protocol 3: no rename, but the Python 2 name is still checked against the denylist */
	r = T_SCAN_LIT("\x80\x03""c__builtin__\neval\n.");
	assert_string_equal(ms_result_global(r, 0)->fq_module, "__builtin__");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-DENY");
	ms_result_free(r);
	/* the last PROTO decides, even mid-stream */
	r = T_SCAN_LIT("\x80\x03""c__builtin__\nset\n0\x80\x02""c__builtin__\nset\n.");
	EXPECT_OK(r);
	EXPECT_RULE(r, "MS-PKL-PROTO");
	assert_int_equal(ms_result_global_count(r), 2);
	assert_string_equal(ms_result_global(r, 0)->fq_module, "__builtin__");
	assert_string_equal(ms_result_global(r, 1)->fq_module, "builtins");
	ms_result_free(r);
	r = T_SCAN_LIT("ccopy_reg\n_reconstructor\n.");
	assert_string_equal(ms_result_global(r, 0)->fq_module, "copyreg");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-UNKNOWN");
	ms_result_free(r);
}

static void test_dotted_names(void **state)
{
	(void)state;
	ms_result *r = T_SCAN_LIT("\x80\x04\x8c\x08""builtins\x8c\x0d""eval.__call__\x93.");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-DENY");
	ms_result_free(r);
	r = T_SCAN_LIT("cnumpy\nprod.os.system\n(S'x'\ntR.");
	EXPECT_RULE(r, "MS-PKL-CALL-DENY");
	ms_result_free(r);
	r = T_SCAN_LIT("ctorch\nload\n.");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-DENY");
	ms_result_free(r);
	r = T_SCAN_LIT("ctorch.hub\nload_state_dict_from_url\n.");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-DENY");
	ms_result_free(r);
	r = T_SCAN_LIT("ctorch\nSize\n(K\x02tR.");
	EXPECT_OK(r);
	assert_int_equal(t_count_ge(r, MS_SEV_MEDIUM), 0);
	ms_result_free(r);
	r = T_SCAN_LIT("cpicklescan.scanner\nscan_pickle_bytes\n.");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-DENY");
	ms_result_free(r);
}

static void test_stack_global(void **state)
{
	(void)state;
	/* memoized string constants fetched with GET resolve normally */
	ms_result *r = T_SCAN_LIT("\x80\x04\x8c\x02os\x94""0\x8c\x06system\x94""0h\x00h\x01\x93N\x85R.");
	EXPECT_RULE(r, "MS-PKL-CALL-DENY");
	EXPECT_NO_RULE(r, "MS-PKL-GLOBAL-UNRESOLVED");
	ms_result_free(r);
	/* a name built by a call is unresolved */
	r = T_SCAN_LIT("\x80\x04""cbuiltins\nstr\n)R\x8c\x01x\x93.");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-UNRESOLVED");
	EXPECT_RULE(r, "MS-PKL-CALL-UNKNOWN");
	ms_result_free(r);
	/* a constant that is not a str makes CPython raise */
	r = T_SCAN_LIT("\x80\x04K\x01K\x02\x93.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED);
	ms_result_free(r);
}

static void test_calls_and_mutations(void **state)
{
	(void)state;
	ms_result *r = T_SCAN_LIT("cbuiltins\nstr\n)R)R.");
	EXPECT_RULE(r, "MS-PKL-CALL-DYNAMIC");
	ms_result_free(r);
	r = T_SCAN_LIT("cbuiltins\nstr\n}b.");
	EXPECT_RULE(r, "MS-PKL-BUILD-GLOBAL");
	ms_result_free(r);
	r = T_SCAN_LIT("cmymod\nThing\n)\x81}b.");
	EXPECT_OK(r);
	EXPECT_RULE(r, "MS-PKL-GLOBAL-UNKNOWN");
	EXPECT_NO_RULE(r, "MS-PKL-CALL-UNKNOWN");
	assert_int_equal(ms_result_global(r, 0)->use, MS_USE_INSTANTIATED);
	ms_result_free(r);
	r = T_SCAN_LIT("(cmymod\nThing\nK\x01o.");
	EXPECT_RULE(r, "MS-PKL-CALL-UNKNOWN");
	ms_result_free(r);
	r = T_SCAN_LIT("(K\x01imymod\nThing\n.");
	EXPECT_RULE(r, "MS-PKL-CALL-UNKNOWN");
	ms_result_free(r);
	/* APPEND on an object calls its append: recorded on the object, no error */
	r = T_SCAN_LIT("ccollections\nOrderedDict\n)RNa.");
	EXPECT_OK(r);
	ms_result_free(r);
	r = T_SCAN_LIT("\x80\x04\x8f(K\x01\x90\x91.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED); /* FROZENSET without MARK */
	ms_result_free(r);
	r = T_SCAN_LIT("\x80\x04\x8f(K\x01\x90(K\x02\x91\x8c\x01k\x92.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED); /* NEWOBJ_EX kwargs not a dict */
	ms_result_free(r);
}

static void test_ext_and_persid(void **state)
{
	(void)state;
	ms_result *r = T_SCAN_LIT("\x80\x02\x82\x01.");
	EXPECT_RULE(r, "MS-PKL-EXT");
	ms_result_free(r);
	r = T_SCAN_LIT("\x80\x02\x84\x00\x00\x00\x00.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED); /* EXT code <= 0 */
	ms_result_free(r);
	r = T_SCAN_LIT("(lp0\nP0\naPstorage_1\na.");
	EXPECT_OK(r);
	ms_result_free(r);
}

static void test_frames(void **state)
{
	(void)state;
	/* SHORT_BINUNICODE's argument crosses the end of the frame */
	ms_result *r = T_SCAN_LIT("\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00(\x8c\x02""ab01\x8c\x0b"
	                          "collections\x94\x8c\x0bOrderedDict\x94\x93)R(\x8c\x01""aK\x01\x8c\x01"
	                          "bK\x02u.");
	EXPECT_OK(r);
	EXPECT_RULE(r, "MS-PKL-FRAME-STRADDLE");
	ms_result_free(r);
	/* the file reading sees os.system; a linear reader sees 'Xsyste' */
	r = T_SCAN_LIT("\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06Xsystem\x94"
	               "\x93\x8c\x04""echo\x85R.");
	EXPECT_RULE(r, "MS-PKL-CALL-DENY");
	EXPECT_RULE(r, "MS-PKL-FRAME-STRADDLE");
	ms_result_free(r);
	/* a frame longer than the input */
	r = T_SCAN_LIT("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.");
	assert_int_equal(t_err(r), MS_ERR_TRUNCATED);
	ms_result_free(r);
	/* a payload after a STOP inside a frame is still analysed */
	r = T_SCAN_LIT("\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00N.\x80\x04\x8c\x02os\x8c\x06system"
	               "\x93\x8c\x04""echo\x85R.");
	EXPECT_RULE(r, "MS-PKL-CALL-DENY");
	ms_result_free(r);
}

static void test_multiple_and_trailing(void **state)
{
	(void)state;
	ms_result *r = T_SCAN_LIT("N.\x80\x02K\x01.");
	EXPECT_OK(r);
	EXPECT_RULE(r, "MS-PKL-MULTIPLE");
	ms_result_free(r);
	r = T_SCAN_LIT("N.\xff\xfe");
	EXPECT_OK(r);
	EXPECT_RULE(r, "MS-PKL-TRAILING");
	ms_result_free(r);
	/* a payload in the trailing bytes is found even though they break */
	r = T_SCAN_LIT("N.cos\nsystem\n(S'echo pwned'\n");
	EXPECT_RULE(r, "MS-PKL-TRAILING");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-DENY");
	ms_result_free(r);
}

static void test_truncation_every_prefix(void **state)
{
	(void)state;
	static const char sys0[] = "cos\nsystem\n(S'echo pwned'\ntR.";
	const struct { const char *p; size_t n; } samples[] = {
		{od_pickles[0], od_lens[0]}, {od_pickles[2], od_lens[2]}, {od_pickles[4], od_lens[4]},
		{sys0, sizeof sys0 - 1},
	};
	for (size_t s = 0; s < sizeof samples / sizeof *samples; s++) {
		for (size_t n = 1; n < samples[s].n; n++) {
			ms_result *r = t_scan((const uint8_t *)samples[s].p, n);
			if (t_err(r) == MS_OK && ms_result_count(r) == 0) {
				t_dump(r);
				fail_msg("sample %zu, prefix %zu bytes reported clean", s, n);
			}
			ms_result_free(r);
		}
	}
}

static uint8_t *t_repeat(const char *head, char c, size_t n, const char *mid, char c2, size_t n2,
                         const char *tail, size_t *len)
{
	size_t hl = strlen(head), ml = strlen(mid), tl = strlen(tail);
	*len = hl + n + ml + n2 + tl;
	uint8_t *b = malloc(*len);
	assert_non_null(b);
	memcpy(b, head, hl);
	memset(b + hl, c, n);
	memcpy(b + hl + n, mid, ml);
	memset(b + hl + n + ml, c2, n2);
	memcpy(b + hl + n + ml + n2, tail, tl);
	return b;
}

static void test_million_marks(void **state)
{
	(void)state;
	size_t len;
	uint8_t *b = t_repeat("", '(', 1000000, "", 'N', 0, "N.", &len);
	ms_result *r = t_scan(b, len);
	EXPECT_OK(r);
	ms_result_free(r);
	free(b);
	/* a million nested tuples: built without recursion */
	b = t_repeat("", '(', 1000000, "", 't', 1000000, ".", &len);
	r = t_scan(b, len);
	EXPECT_OK(r);
	ms_result_free(r);
	free(b);
	/* too many open marks is a limit error, not a crash */
	b = t_repeat("", '(', MS_MAX_PKL_MARKS + 1, "", 'N', 0, "N.", &len);
	r = t_scan(b, len);
	assert_int_equal(t_err(r), MS_ERR_LIMIT);
	ms_result_free(r);
	free(b);
}

static void test_memo(void **state)
{
	(void)state;
	ms_result *r = T_SCAN_LIT("Nr\xff\xff\xff\xff""0j\xff\xff\xff\xff.");
	EXPECT_OK(r);
	ms_result_free(r);
	r = T_SCAN_LIT("Np4294967296\n0g4294967296\n.");
	EXPECT_OK(r);
	ms_result_free(r);
	r = T_SCAN_LIT("Nh\x05.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED);
	ms_result_free(r);
	r = T_SCAN_LIT("Np-1\n.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED);
	ms_result_free(r);
	/* MEMOIZE stores at the number of entries, not after the highest index */
	r = T_SCAN_LIT("\x80\x04Nq\x05K\x07\x94""0h\x01.");
	EXPECT_OK(r);
	ms_result_free(r);
	/* keys either side of the dense array's end (2^20) are both kept, and counted for MEMOIZE */
	r = T_SCAN_LIT("\x80\x04Nr\xff\xff\x0f\x00""0Kar\x00\x00\x10\x00""0K\x07\x94""0"
	               "j\xff\xff\x0f\x00""0j\x00\x00\x10\x00""0h\x02.");
	EXPECT_OK(r);
	ms_result_free(r);
	r = T_SCAN_LIT("Nr\xff\xff\x0f\x00""0j\xfe\xff\x0f\x00.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED);
	ms_result_free(r);
}

static void test_errors(void **state)
{
	(void)state;
	const char *msg;
	ms_result *r = T_SCAN_LIT("N\xff.");
	assert_int_equal(ms_result_error(r)->code, MS_ERR_MALFORMED);
	msg = ms_result_error(r)->message;
	assert_non_null(strstr(msg, "offset 1"));
	ms_result_free(r);
	r = T_SCAN_LIT("N1.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED); /* POP_MARK without MARK */
	ms_result_free(r);
	r = T_SCAN_LIT("(0N."); /* POP of a MARK pops the MARK (load_pop) */
	EXPECT_OK(r);
	ms_result_free(r);
	r = T_SCAN_LIT("}(Nu.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED); /* SETITEMS odd */
	ms_result_free(r);
	r = T_SCAN_LIT("(N.");
	EXPECT_OK(r); /* an open MARK at STOP is fine */
	ms_result_free(r);
	r = T_SCAN_LIT("(.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED); /* unexpected MARK found */
	ms_result_free(r);
	r = T_SCAN_LIT("N\x80\x06.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED); /* unsupported protocol */
	ms_result_free(r);
	r = T_SCAN_LIT("X\x05\x00\x00\x00""ab.");
	assert_int_equal(t_err(r), MS_ERR_TRUNCATED);
	ms_result_free(r);
	r = T_SCAN_LIT("X\x02\x00\x00\x00\xff\xfe.");
	assert_int_equal(t_err(r), MS_ERR_MALFORMED); /* invalid UTF-8 */
	ms_result_free(r);
	/* findings before the error stay */
	r = T_SCAN_LIT("cos\nsystem\n\xff");
	EXPECT_RULE(r, "MS-PKL-GLOBAL-DENY");
	assert_int_not_equal(t_err(r), MS_OK);
	ms_result_free(r);
}

/* opts.no_globals drops the list of globals and nothing else: same findings, same errors. */
static void test_no_globals_same_findings(void **state)
{
	(void)state;
	static const char *const pickles[] = {
		"cos\nsystem\n(S'echo pwned'\ntR.",
		"\x80\x04\x8c\x05mymod\x8c\x03" "Cls\x93)\x81.",
		"ccollections\nOrderedDict\n)R.cos\nsystem\n\xff",
	};
	for (size_t k = 0; k < sizeof pickles / sizeof pickles[0]; k++) {
		ms_result *r[2];
		for (int ng = 0; ng < 2; ng++) {
			ms_scan_opts o = {.no_yara = 1, .no_globals = ng};
			ms_ctx *ctx;
			assert_int_equal(ms_ctx_new(&o, &ctx), MS_OK);
			assert_int_equal(ms_scan_buffer(ctx, "t", (const uint8_t *)pickles[k],
			                                strlen(pickles[k]), &r[ng]), MS_OK);
			ms_ctx_free(ctx);
		}
		assert_true(ms_result_global_count(r[0]) > 0);
		assert_int_equal(ms_result_global_count(r[1]), 0);
		assert_int_equal(ms_result_count(r[0]), ms_result_count(r[1]));
		assert_true(ms_result_count(r[0]) > 0);
		for (size_t i = 0; i < ms_result_count(r[0]); i++) {
			const ms_finding *a = ms_result_get(r[0], i), *b = ms_result_get(r[1], i);
			assert_string_equal(a->rule_id, b->rule_id);
			assert_int_equal(a->severity, b->severity);
			assert_int_equal(a->offset, b->offset);
			assert_string_equal(a->message, b->message);
		}
		const ms_error *ea = ms_result_error(r[0]), *eb = ms_result_error(r[1]);
		assert_int_equal(ea->code, eb->code);
		assert_string_equal(ea->message, eb->message);
		ms_result_free(r[0]);
		ms_result_free(r[1]);
	}
}

/* ---- values (the converter's view) ----------------------------------------------------- */

typedef struct t_run {
	ms_ctx *ctx;
	ms_result *res;
	ms_arena *arena;
	pkl_stream st;
	ms_err rc;
} t_run;

static void t_run_bytes(t_run *t, const char *p, size_t n)
{
	ms_scan_opts o = {.no_yara = 1};
	assert_int_equal(ms_ctx_new(&o, &t->ctx), MS_OK);
	assert_int_equal(ms_scan_buffer(t->ctx, "v", (const uint8_t *)"N.", 2, &t->res), MS_OK);
	t->arena = ms_arena_new(MS_MAX_ARENA_BYTES);
	ms_job job = {.ctx = t->ctx, .res = t->res, .arena = t->res->strings};
	ms_src src = {.data = (const uint8_t *)p, .len = n, .member = "", .file_off = 0};
	t->rc = pkl_run(&job, &src, t->arena, &t->st);
}

static void t_run_free(t_run *t)
{
	ms_arena_free(t->arena);
	ms_result_free(t->res);
	ms_ctx_free(t->ctx);
}

#define T_RUN(t, lit) t_run_bytes(t, lit, sizeof(lit) - 1)

static void test_values_ordereddict_and_tensor(void **state)
{
	(void)state;
	t_run t;
	t_run_bytes(&t, od_pickles[2], od_lens[2]);
	assert_int_equal(t.rc, MS_OK);
	assert_int_equal(t.st.nroots, 1);
	pv *root = t.st.roots[0];
	assert_int_equal(root->kind, PV_OBJ);
	assert_true(pv_is_global(root->u.obj.callable, "collections", "OrderedDict"));
	assert_int_equal(root->u.obj.kv.n, 4);
	assert_int_equal(root->u.obj.kv.v[1]->kind, PV_LIST);
	assert_int_equal(root->u.obj.kv.v[1]->u.seq.n, 2);
	t_run_free(&t);

	T_RUN(&t, "\x80\x02""ctorch._utils\n_rebuild_tensor_v2\n((\x8c\x07storagectorch\nFloatStorage\n"
	          "\x8c\x01""0\x8c\x03""cpuK\x04tQK\x00K\x04\x85K\x01\x85\x89""ccollections\nOrderedDict\n"
	          ")RtR.");
	assert_int_equal(t.rc, MS_OK);
	root = t.st.roots[0];
	assert_true(pv_is_global(root->u.obj.callable, "torch._utils", "_rebuild_tensor_v2"));
	pv *args = root->u.obj.args;
	assert_int_equal(args->kind, PV_TUPLE);
	assert_int_equal(args->u.seq.n, 6);
	pv *ps = args->u.seq.v[0];
	assert_int_equal(ps->kind, PV_PERSID);
	pv *pid = ps->u.persid.pid;
	assert_int_equal(pid->kind, PV_TUPLE);
	assert_int_equal(pid->u.seq.n, 5);
	assert_int_equal(pid->u.seq.v[0]->kind, PV_STR);
	assert_memory_equal(pid->u.seq.v[0]->u.s.p, "storage", 7);
	assert_true(pv_is_global(pid->u.seq.v[1], "torch", "FloatStorage"));
	assert_int_equal(pid->u.seq.v[4]->u.i, 4);
	char buf[256];
	pv_render(root, buf, sizeof buf);
	assert_non_null(strstr(buf, "torch._utils._rebuild_tensor_v2(persistent_load(('storage'"));
	t_run_free(&t);
}

static void test_values_build_newobj_memo(void **state)
{
	(void)state;
	t_run t;
	T_RUN(&t, "\x80\x02""cmymod\nThing\nK\x01\x85\x81}(\x8c\x01xK\x02ub.");
	assert_int_equal(t.rc, MS_OK);
	pv *root = t.st.roots[0];
	assert_int_equal(root->u.obj.how, PV_HOW_NEWOBJ);
	assert_int_equal(root->u.obj.args->u.seq.n, 1);
	assert_non_null(root->u.obj.state);
	assert_int_equal(root->u.obj.state->kind, PV_DICT);
	t_run_free(&t);
	/* memo references share one value: an APPEND after GET is visible through both */
	T_RUN(&t, "]q\x00h\x00K\x01""a\x86.");
	assert_int_equal(t.rc, MS_OK);
	root = t.st.roots[0];
	assert_ptr_equal(root->u.seq.v[0], root->u.seq.v[1]);
	assert_int_equal(root->u.seq.v[0]->u.seq.n, 1);
	t_run_free(&t);
	/* INT text forms as _pickle.c parses them */
	T_RUN(&t, "(I01\nI00\nI0x10\nI010\nI1_000\nL0x20L\nI99999999999999999999\nI-5\nl.");
	assert_int_equal(t.rc, MS_OK);
	pv_vec *v = &t.st.roots[0]->u.seq;
	assert_int_equal(v->n, 8);
	assert_int_equal(v->v[0]->kind, PV_BOOL);
	assert_int_equal(v->v[0]->u.i, 1);
	assert_int_equal(v->v[1]->kind, PV_BOOL);
	assert_int_equal(v->v[2]->u.i, 16);
	assert_int_equal(v->v[3]->u.i, 8);
	assert_int_equal(v->v[4]->u.i, 1000);
	assert_int_equal(v->v[5]->u.i, 32);
	assert_int_equal(v->v[6]->kind, PV_BIGINT);
	assert_int_equal(v->v[7]->u.i, -5);
	t_run_free(&t);
	T_RUN(&t, "Iabc\n.");
	assert_int_equal(t.rc, MS_ERR_MALFORMED);
	t_run_free(&t);
	/* LONG1 two's complement, BINFLOAT big-endian, UNICODE raw-unicode-escape, STRING escapes */
	T_RUN(&t, "(\x8a\x02\xff\x7f\x8a\x01\xffG?\xf8\x00\x00\x00\x00\x00\x00V\\u20ac\nS'a\\x41\\n'\nl.");
	assert_int_equal(t.rc, MS_OK);
	v = &t.st.roots[0]->u.seq;
	assert_int_equal(v->v[0]->u.i, 32767);
	assert_int_equal(v->v[1]->u.i, -1);
	assert_true(v->v[2]->u.f == 1.5);
	assert_memory_equal(v->v[3]->u.s.p, "\xe2\x82\xac", 3);
	assert_int_equal(v->v[4]->u.s.len, 3);
	assert_memory_equal(v->v[4]->u.s.p, "aA\n", 3);
	t_run_free(&t);
}

static void test_strings_for_yara(void **state)
{
	(void)state;
	t_run t;
	T_RUN(&t, "\x80\x04\x8c\x18ZWNobyBwd25lZCBzZWNyZXQ=\x8c\x06""latin1\x86.");
	assert_int_equal(t.rc, MS_OK);
	assert_non_null(t.st.strings);
	assert_non_null(memmem(t.st.strings, t.st.strings_len, "echo pwned secret", 17));
	t_run_free(&t);
	T_RUN(&t, "\x80\x02""c_codecs\nencode\n\x8c\x04\xc3\xa9tu\x8c\x06latin1\x86R.");
	assert_int_equal(t.rc, MS_OK);
	assert_non_null(memmem(t.st.strings, t.st.strings_len, "\xe9tu", 3));
	t_run_free(&t);
}

/* Decoded constants beyond MS_MAX_PKL_STRINGS never reach YARA: the file is a limit error,
 * not clean; a pickle under the limit is clean. Without YARA the limit is moot. */
static void test_strings_limit(void **state)
{
	(void)state;
	static const size_t sizes[] = {(size_t)1 << 20, MS_MAX_PKL_STRINGS};
	for (size_t k = 0; k < 2; k++) {
		size_t n = sizes[k], len = 2 + 9 + n + 1;
		uint8_t *p = malloc(len);
		assert_non_null(p);
		memcpy(p, "\x80\x04\x8e", 3); /* PROTO 4, BINBYTES8 */
		for (int i = 0; i < 8; i++) p[3 + i] = (uint8_t)((uint64_t)n >> (8 * i));
		memset(p + 11, 0x01, n);
		p[len - 1] = '.';
		for (int yara = 1; yara >= 0; yara--) {
			ms_scan_opts o = {.no_yara = !yara};
			ms_ctx *ctx;
			assert_int_equal(ms_ctx_new(&o, &ctx), MS_OK);
			ms_result *r = NULL;
			assert_int_equal(ms_scan_buffer(ctx, "test", p, len, &r), MS_OK);
			const char *msg;
			ms_err want = yara && n >= MS_MAX_PKL_STRINGS ? MS_ERR_LIMIT : MS_OK;
			assert_int_equal(ms_result_error(r)->code, want);
			msg = ms_result_error(r)->message;
			if (want != MS_OK) assert_non_null(strstr(msg, "MS_MAX_PKL_STRINGS"));
			assert_int_equal(ms_result_count(r), 0);
			ms_result_free(r);
			ms_ctx_free(ctx);
		}
		free(p);
	}
}

static void test_weights_only(void **state)
{
	(void)state;
	ms_result *r = t_scan_opts((const uint8_t *)od_pickles[2], od_lens[2], 1, 0);
	EXPECT_NO_RULE(r, "MS-PKL-WEIGHTS-ONLY");
	ms_result_free(r);
	r = t_scan_opts((const uint8_t *)od_pickles[4], od_lens[4], 1, 0);
	EXPECT_RULE(r, "MS-PKL-WEIGHTS-ONLY"); /* FRAME, STACK_GLOBAL, MEMOIZE */
	ms_result_free(r);
	static const char np[] = "\x80\x02""cnumpy.core.multiarray\n_reconstruct\n.";
	r = t_scan_opts((const uint8_t *)np, sizeof np - 1, 1, 0);
	EXPECT_RULE(r, "MS-PKL-WEIGHTS-ONLY");
	EXPECT_NO_RULE(r, "MS-PKL-GLOBAL-UNKNOWN");
	ms_result_free(r);
}

static void test_disassembly(void **state)
{
	(void)state;
	static const char p[] = "cos\nsystem\n(S'echo pwned'\ntR.";
	ms_result *r = t_scan_opts((const uint8_t *)p, sizeof p - 1, 0, 1);
	const char *d = ms_result_disassembly(r);
	assert_non_null(d);
	assert_non_null(strstr(d, "GLOBAL"));
	assert_non_null(strstr(d, "calls os.system('echo pwned') [DENIED]"));
	ms_result_free(r);
}

static const char *t_str(const char *s) { return s ? s : ""; }

/* The same verdict with and without the disassembly: pkl_step's fast path (a state dict's
 * common opcodes) runs only when no disassembly is written, so the general path is compared
 * with it on every corpus file (frames, straddles, truncations and bad memo keys among them),
 * in a plain and in a weights-only scan (the fast path leaves the weights-only checks to the
 * opcodes' own bodies). */
static void fast_path_matches_general(int weights_only)
{
	ms_scan_opts plain_o = {.weights_only = weights_only};
	ms_scan_opts dis_o = {.weights_only = weights_only, .record_ops = 1};
	ms_ctx *plain = NULL, *dis = NULL;
	assert_int_equal(ms_ctx_new(&plain_o, &plain), MS_OK);
	assert_int_equal(ms_ctx_new(&dis_o, &dis), MS_OK);
	static const char *const dirs[] = {"corpus/benign", "corpus/malicious", "corpus/malformed"};
	size_t files = 0;
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		DIR *dh = opendir(dirs[d]);
		assert_non_null(dh);
		for (struct dirent *e; (e = readdir(dh));) {
			if (e->d_name[0] == '.' || strstr(e->d_name, ".expect")) continue;
			char path[512];
			snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
			ms_result *a = NULL, *b = NULL;
			assert_int_equal(ms_scan_file(plain, path, &a), MS_OK);
			assert_int_equal(ms_scan_file(dis, path, &b), MS_OK);
			const char *ma = ms_result_error(a)->message, *mb = ms_result_error(b)->message;
			if (ms_result_error(a)->code != ms_result_error(b)->code ||
			    strcmp(t_str(ma), t_str(mb)) != 0 || ms_result_count(a) != ms_result_count(b) ||
			    ms_result_global_count(a) != ms_result_global_count(b))
				fail_msg("%s: verdicts differ (%s | %s)", path, t_str(ma), t_str(mb));
			for (size_t i = 0; i < ms_result_count(a); i++) {
				const ms_finding *x = ms_result_get(a, i), *y = ms_result_get(b, i);
				if (strcmp(x->rule_id, y->rule_id) != 0 || x->severity != y->severity ||
				    x->offset != y->offset || strcmp(x->message, y->message) != 0)
					fail_msg("%s: finding %zu differs: %s | %s", path, i, x->message, y->message);
			}
			for (size_t i = 0; i < ms_result_global_count(a); i++) {
				const ms_global *x = ms_result_global(a, i), *y = ms_result_global(b, i);
				if (strcmp(x->module, y->module) != 0 || strcmp(x->name, y->name) != 0 ||
				    x->offset != y->offset || x->use != y->use)
					fail_msg("%s: global %zu differs", path, i);
			}
			ms_result_free(a);
			ms_result_free(b);
			files++;
		}
		closedir(dh);
	}
	assert_true(files > 300);
	ms_ctx_free(plain);
	ms_ctx_free(dis);
}

static void test_fast_path_matches_general(void **state)
{
	(void)state;
	fast_path_matches_general(0);
	fast_path_matches_general(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_benign_all_protocols),
		cmocka_unit_test(test_os_system_and_popped_call),
		cmocka_unit_test(test_compat_renames_and_proto),
		cmocka_unit_test(test_dotted_names),
		cmocka_unit_test(test_stack_global),
		cmocka_unit_test(test_calls_and_mutations),
		cmocka_unit_test(test_ext_and_persid),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_multiple_and_trailing),
		cmocka_unit_test(test_truncation_every_prefix),
		cmocka_unit_test(test_million_marks),
		cmocka_unit_test(test_memo),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_no_globals_same_findings),
		cmocka_unit_test(test_values_ordereddict_and_tensor),
		cmocka_unit_test(test_values_build_newobj_memo),
		cmocka_unit_test(test_strings_for_yara),
		cmocka_unit_test(test_strings_limit),
		cmocka_unit_test(test_weights_only),
		cmocka_unit_test(test_disassembly),
		cmocka_unit_test(test_fast_path_matches_general),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
