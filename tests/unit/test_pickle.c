/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The symbolic pickle machine: every opcode family, CPython's _pickle.c corner cases, limits,
 * truncation at every prefix, and the values the converter walks. Pickles were produced with
 * CPython's pickle (or crafted by hand) and are kept as byte literals. Inputs whose checks are
 * an error code, rules and globals are rows of t_cases (one loop runs them all and names each
 * failing row); the tests that build inputs or look at values are functions. */
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
#define OD_P0 "ccollections\x0aOrderedDict\x0ap0\x0a(tRp1\x0aVa\x0ap2\x0a(lp3\x0aI1\x0a""aI2\x0a""asVb\x0ap4\x0aVx\x0ap5\x0as."
#define OD_P1 "ccollections\x0aOrderedDict\x0aq\x00)Rq\x01(X\x01\x00\x00\x00""aq\x02]q\x03(K\x01K\x02""eX\x01\x00\x00\x00""bq\x04X\x01\x00\x00\x00xq\x05u."
#define OD_P2 "\x80\x02""ccollections\x0aOrderedDict\x0aq\x00)Rq\x01(X\x01\x00\x00\x00""aq\x02]q\x03(K\x01K\x02""eX\x01\x00\x00\x00""bq\x04X\x01\x00\x00\x00xq\x05u."
#define OD_P3 "\x80\x03""ccollections\x0aOrderedDict\x0aq\x00)Rq\x01(X\x01\x00\x00\x00""aq\x02]q\x03(K\x01K\x02""eX\x01\x00\x00\x00""bq\x04X\x01\x00\x00\x00xq\x05u."
#define OD_P4 "\x80\x04\x95""8\x00\x00\x00\x00\x00\x00\x00\x8c\x0b""collections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(\x8c\x01""a\x94]\x94(K\x01K\x02""e\x8c\x01""b\x94\x8c\x01x\x94u."
#define OD_P5 "\x80\x05\x95""8\x00\x00\x00\x00\x00\x00\x00\x8c\x0b""collections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(\x8c\x01""a\x94]\x94(K\x01K\x02""e\x8c\x01""b\x94\x8c\x01x\x94u."
static const char *const od_pickles[] = {OD_P0, OD_P1, OD_P2, OD_P3, OD_P4, OD_P5};
static const size_t od_lens[] = {sizeof OD_P0 - 1, sizeof OD_P1 - 1, sizeof OD_P2 - 1,
                                 sizeof OD_P3 - 1, sizeof OD_P4 - 1, sizeof OD_P5 - 1};

/* ---- the pickle cases: one row per input, checked by one loop ----------------------------- */

#define T_MAX_RULES 3

/* What one global reference must look like; NULL fields are not checked. */
typedef struct t_global_want {
	const char *module, *name, *fq_module, *args;
	const char *use; /* "referenced", "instantiated" or "called" */
} t_global_want;

typedef struct t_case {
	const char *name;                  /* what the row proves */
	const char *bytes;
	size_t len;
	ms_err err;                        /* the scan's error: MS_OK (the default) or an MS_ERR_* */
	const char *msg;                   /* a substring of the error message, or NULL */
	const char *want[T_MAX_RULES];     /* rules that must be reported */
	const char *forbid[T_MAX_RULES];   /* rules that must not be */
	const char *top;                   /* the highest severity's name, or NULL */
	bool quiet;                        /* no finding at medium or above */
	size_t nglobals;                   /* how many globals are listed; 0: not checked */
	t_global_want g[2];                /* globals 0 and 1 */
	bool weights_only;                 /* scanned --weights-only and without YARA; else t_scan */
} t_case;

#define PB(lit) .bytes = (lit), .len = sizeof(lit) - 1
#define DENY_CALL "MS-PKL-CALL-DENY"
#define DENY_GLOBAL "MS-PKL-GLOBAL-DENY"
#define OD_GLOBAL {.module = "collections", .name = "OrderedDict", .use = "called"}
#define OD_CLEAN(n) {"protocol " #n " OrderedDict is clean, one called global, PROTO ordinary", PB(OD_P##n), \
                     .quiet = true, .nglobals = 1, .g = {OD_GLOBAL}, .forbid = {"MS-PKL-PROTO"}}

static const t_case t_cases[] = {
	/* benign: an OrderedDict as every protocol writes it; a leading PROTO is ordinary */
	OD_CLEAN(0),
	OD_CLEAN(1),
	OD_CLEAN(2),
	OD_CLEAN(3),
	OD_CLEAN(4),
	OD_CLEAN(5),

	/* calls of denied functions */
	{"os.system through REDUCE is a critical denied call, its argument rendered",
	 PB("cos\nsystem\n(S'echo pwned'\ntR."), .want = {DENY_CALL, DENY_GLOBAL}, .top = "critical",
	 .g = {{.args = "('echo pwned',)"}}},
	{"a call whose result is POPped is still a call", PB("cos\nsystem\n(S'echo pwned'\ntR0N."),
	 .want = {DENY_CALL}},
	{"int arguments render in decimal, the extremes of int32 and int64 included",
	 PB("\x80\x04\x8c\x01x\x8c\x01y\x93(J\x00\x00\x00\x80J\xff\xff\xff\x7fK\x00"
	    "\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7ftR."),
	 .g = {{.args = "(-2147483648, 2147483647, 0, -9223372036854775808, 9223372036854775807)"}}},

	/* Python 2 names and PROTO */
	{"protocol < 3 renames __builtin__ to builtins (_compat_pickle)",
	 PB("c__builtin__\neval\n(S'1'\ntR."),
	 .want = {DENY_CALL}, .g = {{.fq_module = "builtins"}}},
	{"protocol 3 keeps __builtin__ and still denies its eval", PB("\x80\x03""c__builtin__\neval\n."),
	 .want = {DENY_GLOBAL}, .g = {{.fq_module = "__builtin__"}}},
	{"the last PROTO decides the renaming, even mid-stream",
	 PB("\x80\x03""c__builtin__\nset\n0\x80\x02""c__builtin__\nset\n."),
	 .want = {"MS-PKL-PROTO"}, .nglobals = 2,
	 .g = {{.fq_module = "__builtin__"}, {.fq_module = "builtins"}}},
	{"copy_reg renames to copyreg, whose _reconstructor is unknown", PB("ccopy_reg\n_reconstructor\n."),
	 .want = {"MS-PKL-GLOBAL-UNKNOWN"}, .g = {{.fq_module = "copyreg"}}},

	/* dotted names and denied modules */
	{"a dotted name through a denied function is denied",
	 PB("\x80\x04\x8c\x08""builtins\x8c\x0d""eval.__call__\x93."), .want = {DENY_GLOBAL}},
	{"a dotted path from an allowed module to os.system is a denied call",
	 PB("cnumpy\nprod.os.system\n(S'x'\ntR."), .want = {DENY_CALL}},
	{"torch.load is denied", PB("ctorch\nload\n."), .want = {DENY_GLOBAL}},
	{"torch.hub.load_state_dict_from_url is denied", PB("ctorch.hub\nload_state_dict_from_url\n."),
	 .want = {DENY_GLOBAL}},
	{"torch.Size called with an int is clean", PB("ctorch\nSize\n(K\x02tR."), .quiet = true},
	{"a scanner's own entry points are denied", PB("cpicklescan.scanner\nscan_pickle_bytes\n."),
	 .want = {DENY_GLOBAL}},

	/* STACK_GLOBAL */
	{"STACK_GLOBAL of memoized constants fetched with GET resolves",
	 PB("\x80\x04\x8c\x02os\x94""0\x8c\x06system\x94""0h\x00h\x01\x93N\x85R."),
	 .want = {DENY_CALL}, .forbid = {"MS-PKL-GLOBAL-UNRESOLVED"}},
	{"STACK_GLOBAL of a name built by a call is unresolved",
	 PB("\x80\x04""cbuiltins\nstr\n)R\x8c\x01x\x93."),
	 .want = {"MS-PKL-GLOBAL-UNRESOLVED", "MS-PKL-CALL-UNKNOWN"}},
	{"STACK_GLOBAL of a non-str constant is malformed (CPython raises)",
	 PB("\x80\x04K\x01K\x02\x93."), .err = MS_ERR_MALFORMED},

	/* calls, instantiation, mutation */
	{"calling a call's result is dynamic", PB("cbuiltins\nstr\n)R)R."), .want = {"MS-PKL-CALL-DYNAMIC"}},
	{"BUILD on a global itself is reported", PB("cbuiltins\nstr\n}b."), .want = {"MS-PKL-BUILD-GLOBAL"}},
	{"NEWOBJ without arguments then BUILD instantiates, it does not call", PB("cmymod\nThing\n)\x81}b."),
	 .want = {"MS-PKL-GLOBAL-UNKNOWN"}, .forbid = {"MS-PKL-CALL-UNKNOWN"},
	 .g = {{.use = "instantiated"}}},
	{"OBJ calls an unknown class", PB("(cmymod\nThing\nK\x01o."), .want = {"MS-PKL-CALL-UNKNOWN"}},
	{"INST calls an unknown class", PB("(K\x01imymod\nThing\n."), .want = {"MS-PKL-CALL-UNKNOWN"}},
	{"APPEND on an object calls its append: recorded, no error", PB("ccollections\nOrderedDict\n)RNa.")},
	{"FROZENSET without MARK is malformed", PB("\x80\x04\x8f(K\x01\x90\x91."), .err = MS_ERR_MALFORMED},
	{"NEWOBJ_EX with kwargs that are not a dict is malformed",
	 PB("\x80\x04\x8f(K\x01\x90(K\x02\x91\x8c\x01k\x92."), .err = MS_ERR_MALFORMED},

	/* extension registry and persistent ids */
	{"EXT1 is reported", PB("\x80\x02\x82\x01."), .want = {"MS-PKL-EXT"}},
	{"EXT4 with code 0 is malformed", PB("\x80\x02\x84\x00\x00\x00\x00."), .err = MS_ERR_MALFORMED},
	{"text PERSID values are fine", PB("(lp0\nP0\naPstorage_1\na.")},

	/* frames */
	{"an argument crossing the end of its frame is reported, not an error",
	 PB("\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00(\x8c\x02""ab01\x8c\x0b"
	    "collections\x94\x8c\x0bOrderedDict\x94\x93)R(\x8c\x01""aK\x01\x8c\x01""bK\x02u."),
	 .want = {"MS-PKL-FRAME-STRADDLE"}},
	{"a straddling frame hides os.system from a linear reader, not from the file reading",
	 PB("\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06Xsystem\x94\x93\x8c\x04""echo\x85R."),
	 .want = {DENY_CALL, "MS-PKL-FRAME-STRADDLE"}},
	{"a frame longer than the input is truncated",
	 PB("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N."), .err = MS_ERR_TRUNCATED},
	{"a payload after a STOP inside a frame is still analysed",
	 PB("\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00N.\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04""echo\x85R."),
	 .want = {DENY_CALL}},

	/* several pickles, trailing bytes */
	{"two pickles back to back are reported, not an error", PB("N.\x80\x02K\x01."),
	 .want = {"MS-PKL-MULTIPLE"}},
	{"bytes after STOP are reported, not an error", PB("N.\xff\xfe"), .want = {"MS-PKL-TRAILING"}},
	{"a payload in trailing bytes is found even though they break", PB("N.cos\nsystem\n(S'echo pwned'\n"),
	 .want = {"MS-PKL-TRAILING", DENY_GLOBAL}},

	/* memo */
	{"memo key 2^32-1 is kept (LONG_BINPUT / LONG_BINGET)",
	 PB("Nr\xff\xff\xff\xff""0j\xff\xff\xff\xff.")},
	{"text PUT / GET of key 2^32 works", PB("Np4294967296\n0g4294967296\n.")},
	{"GET of an unset key is malformed", PB("Nh\x05."), .err = MS_ERR_MALFORMED},
	{"PUT of a negative key is malformed", PB("Np-1\n."), .err = MS_ERR_MALFORMED},
	{"MEMOIZE stores at the number of entries, not after the highest index",
	 PB("\x80\x04Nq\x05K\x07\x94""0h\x01.")},
	{"keys either side of the dense memo's end (2^20) are kept and counted for MEMOIZE",
	 PB("\x80\x04Nr\xff\xff\x0f\x00""0Kar\x00\x00\x10\x00""0K\x07\x94""0j\xff\xff\x0f\x00""0j\x00\x00\x10\x00""0h\x02.")},
	{"GET of an unset key below the dense end is malformed",
	 PB("Nr\xff\xff\x0f\x00""0j\xfe\xff\x0f\x00."), .err = MS_ERR_MALFORMED},

	/* errors as _pickle.c has them */
	{"an unknown opcode is malformed, with its offset", PB("N\xff."), .err = MS_ERR_MALFORMED,
	 .msg = "offset 1"},
	{"POP_MARK without MARK is malformed", PB("N1."), .err = MS_ERR_MALFORMED},
	{"POP of a MARK pops the MARK (load_pop)", PB("(0N.")},
	{"SETITEMS with an odd count is malformed", PB("}(Nu."), .err = MS_ERR_MALFORMED},
	{"an open MARK at STOP is fine", PB("(N.")},
	{"STOP on a MARK is malformed (unexpected MARK found)", PB("(."), .err = MS_ERR_MALFORMED},
	{"protocol 6 is unsupported: malformed", PB("N\x80\x06."), .err = MS_ERR_MALFORMED},
	{"a BINUNICODE longer than the input is truncated", PB("X\x05\x00\x00\x00""ab."),
	 .err = MS_ERR_TRUNCATED},
	{"a BINUNICODE of invalid UTF-8 is malformed", PB("X\x02\x00\x00\x00\xff\xfe."),
	 .err = MS_ERR_MALFORMED},
	{"findings before an error stay", PB("cos\nsystem\n\xff"), .err = MS_ERR_MALFORMED,
	 .want = {DENY_GLOBAL}},

	/* --weights-only: what torch.load(weights_only=True) would refuse */
	{"weights-only: a protocol 2 OrderedDict passes", PB(OD_P2), .weights_only = true,
	 .forbid = {"MS-PKL-WEIGHTS-ONLY"}},
	{"weights-only: FRAME, STACK_GLOBAL and MEMOIZE (protocol 4) are refused", PB(OD_P4),
	 .weights_only = true,
	 .want = {"MS-PKL-WEIGHTS-ONLY"}},
	{"weights-only: numpy's _reconstruct is refused, and not reported unknown",
	 PB("\x80\x02""cnumpy.core.multiarray\n_reconstruct\n."), .weights_only = true,
	 .want = {"MS-PKL-WEIGHTS-ONLY"}, .forbid = {"MS-PKL-GLOBAL-UNKNOWN"}},
};

static const char *t_use_name(ms_global_use u)
{
	return u == MS_USE_CALLED ? "called" : u == MS_USE_INSTANTIATED ? "instantiated" : "referenced";
}

/* Checks one field of a row: prints the row and what differs, returns 0, when want is set and
 * got differs. */
static int t_field(const t_case *c, const char *what, const char *want, const char *got)
{
	if (!want || (got && strcmp(want, got) == 0)) return 1;
	fprintf(stderr, "case '%s': %s is '%s', want '%s'\n", c->name, what, got ? got : "(null)", want);
	return 0;
}

/* Scans one row's bytes and checks every column; prints each difference with the row's name. */
static int t_case_ok(const t_case *c)
{
	ms_result *r = c->weights_only ? t_scan_opts((const uint8_t *)c->bytes, c->len, 1, 0)
	                               : t_scan((const uint8_t *)c->bytes, c->len);
	const char *msg = ms_result_error(r)->message;
	ms_err got = ms_result_error(r)->code;
	int ok = 1;
	if (got != c->err) {
		fprintf(stderr, "case '%s': error %s, want %s\n", c->name, ms_strerror(got),
		        ms_strerror(c->err));
		ok = 0;
	}
	if (c->msg && !(msg && strstr(msg, c->msg)))
		ok = t_field(c, "the error message", c->msg, msg ? msg : "") && ok;
	for (size_t i = 0; i < T_MAX_RULES; i++) {
		if (c->want[i] && !t_has_rule(r, c->want[i]))
			ok = t_field(c, "a rule", c->want[i], "(missing)") && ok;
		if (c->forbid[i] && t_has_rule(r, c->forbid[i]))
			ok = t_field(c, "a forbidden rule", "(absent)", c->forbid[i]) && ok;
	}
	if (c->top)
		ok = t_field(c, "the highest severity", c->top, ms_severity_name(ms_result_max_severity(r))) && ok;
	if (c->quiet && t_count_ge(r, MS_SEV_MEDIUM))
		ok = t_field(c, "findings at medium or above", "none", "some") && ok;
	if (c->nglobals && ms_result_global_count(r) != c->nglobals) {
		fprintf(stderr, "case '%s': %zu globals, want %zu\n", c->name, ms_result_global_count(r),
		        c->nglobals);
		ok = 0;
	}
	for (size_t i = 0; i < 2; i++) {
		const t_global_want *w = &c->g[i];
		if (!w->module && !w->name && !w->fq_module && !w->args && !w->use) continue;
		if (i >= ms_result_global_count(r)) {
			ok = t_field(c, "a global", "present", "missing") && ok;
			continue;
		}
		const ms_global *g = ms_result_global(r, i);
		ok = t_field(c, "the global's module", w->module, g->module) && ok;
		ok = t_field(c, "the global's name", w->name, g->name) && ok;
		ok = t_field(c, "the global's module after renaming", w->fq_module, g->fq_module) && ok;
		ok = t_field(c, "the global's arguments", w->args, g->args) && ok;
		ok = t_field(c, "the global's use", w->use, t_use_name(g->use)) && ok;
	}
	if (!ok) t_dump(r);
	ms_result_free(r);
	return ok;
}

static void test_pickle_cases(void **state)
{
	(void)state;
	size_t n = sizeof t_cases / sizeof t_cases[0], bad = 0;
	for (size_t i = 0; i < n; i++) bad += !t_case_ok(&t_cases[i]);
	if (bad) fail_msg("%zu of %zu pickle cases failed (named above)", bad, n);
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
		cmocka_unit_test(test_pickle_cases),
		cmocka_unit_test(test_truncation_every_prefix),
		cmocka_unit_test(test_million_marks),
		cmocka_unit_test(test_no_globals_same_findings),
		cmocka_unit_test(test_values_ordereddict_and_tensor),
		cmocka_unit_test(test_values_build_newobj_memo),
		cmocka_unit_test(test_strings_for_yara),
		cmocka_unit_test(test_strings_limit),
		cmocka_unit_test(test_disassembly),
		cmocka_unit_test(test_fast_path_matches_general),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
