/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The policy: exact allowlist, denylist over every dotted component, compat renames, user
 * JSON policy files (deny wins, built-in denies cannot be allowed, clear errors). */
#include "test.h"

#include <unistd.h>

#include "scanner/policy_private.h"

static ms_policy *pol;

static int setup(void **state)
{
	(void)state;
	pol = ms_policy_new_builtin();
	return pol ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ms_policy_free(pol);
	return 0;
}

static void test_allow_exact(void **state)
{
	(void)state;
	assert_int_equal(ms_policy_check(pol, "collections", "OrderedDict"), MS_VERDICT_ALLOW);
	assert_int_equal(ms_policy_check(pol, "torch._utils", "_rebuild_tensor_v2"), MS_VERDICT_ALLOW);
	assert_int_equal(ms_policy_check(pol, "torch", "float32"), MS_VERDICT_ALLOW);
	assert_int_equal(ms_policy_check(pol, "torch.cuda", "HalfStorage"), MS_VERDICT_ALLOW);
	assert_int_equal(ms_policy_check(pol, "numpy.core.multiarray", "_reconstruct"), MS_VERDICT_ALLOW);
	/* exact: no prefix or suffix matches */
	assert_int_equal(ms_policy_check(pol, "torch", "Size.x"), MS_VERDICT_UNKNOWN);
	assert_int_equal(ms_policy_check(pol, "collections", "OrderedDic"), MS_VERDICT_UNKNOWN);
	assert_int_equal(ms_policy_check(pol, "sklearn.tree", "DecisionTreeClassifier"), MS_VERDICT_UNKNOWN);
	assert_int_equal(ms_policy_check(pol, "torch", "load"), MS_VERDICT_DENY);
	assert_true(ms_policy_weights_only_listed(pol, "torch", "FloatStorage"));
	assert_false(ms_policy_weights_only_listed(pol, "numpy", "ndarray"));
}

static void test_deny_components(void **state)
{
	(void)state;
	assert_int_equal(ms_policy_check(pol, "os", "system"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "os.path", "join"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "posix", "system"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "builtins", "eval"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "builtins", "eval.__call__"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "builtins", "getattr"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "numpy", "prod.os.system"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "collections", "OrderedDict.__init__.__globals__"),
	                 MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "torch.hub", "load"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "torch.jit", "load"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "torch.jit._pickle", "build_intlist"), MS_VERDICT_ALLOW);
	assert_int_equal(ms_policy_check(pol, "torch.jit._pickle", "build_intlist.__globals__"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "torch", "hub.load"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "fickling.analysis", "x"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "mscan", "x"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "subprocess", "Popen"), MS_VERDICT_DENY);
	/* a module that merely contains a denied word is not denied */
	assert_int_equal(ms_policy_check(pol, "scipy.signal._arraytools", "x"), MS_VERDICT_UNKNOWN);
	assert_int_equal(ms_policy_check(pol, "osx", "thing"), MS_VERDICT_UNKNOWN);
}

static void test_compat(void **state)
{
	(void)state;
	const char *m, *n;
	assert_true(ms_policy_compat_map(pol, "__builtin__", "eval", &m, &n));
	assert_string_equal(m, "builtins");
	assert_string_equal(n, "eval");
	assert_true(ms_policy_compat_map(pol, "__builtin__", "xrange", &m, &n));
	assert_string_equal(m, "builtins");
	assert_string_equal(n, "range");
	assert_true(ms_policy_compat_map(pol, "copy_reg", "_reconstructor", &m, &n));
	assert_string_equal(m, "copyreg");
	assert_true(ms_policy_compat_map(pol, "commands", "getoutput", &m, &n));
	assert_string_equal(m, "subprocess");
	assert_false(ms_policy_compat_map(pol, "collections", "OrderedDict", &m, &n));
	assert_string_equal(m, "collections");
}

static const char *t_write(const char *text)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/mscan-policy-%d.json", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_json(void **state)
{
	(void)state;
	char err[512];
	ms_policy *p = ms_policy_new_builtin();
	const char *path = t_write("{\"allow\": [\"mylib.models Net\", \"mylib.bad thing\"],"
	                           " \"deny\": [\"mylib.bad *\"], \"severity\": {\"MS-PKL-PROTO\": \"low\"}}");
	assert_int_equal(ms_policy_load_json(p, path, err, sizeof err), MS_OK);
	assert_int_equal(ms_policy_check(p, "mylib.models", "Net"), MS_VERDICT_ALLOW);
	assert_int_equal(ms_policy_check(p, "mylib.bad", "thing"), MS_VERDICT_DENY); /* deny wins */
	assert_int_equal(ms_policy_severity_override(p, "MS-PKL-PROTO"), MS_SEV_LOW);
	assert_int_equal(ms_policy_severity_override(p, "MS-PKL-EXT"), -1);
	/* a built-in deny entry cannot be allowed */
	path = t_write("{\"allow\": [\"os system\"]}");
	assert_int_equal(ms_policy_load_json(p, path, err, sizeof err), MS_ERR_MALFORMED);
	assert_non_null(strstr(err, "built-in denylist"));
	assert_non_null(strstr(err, path));
	path = t_write("{\"allow\": [\"torch *\"]}");
	assert_int_equal(ms_policy_load_json(p, path, err, sizeof err), MS_ERR_MALFORMED);
	path = t_write("{\"allow\": [");
	assert_int_equal(ms_policy_load_json(p, path, err, sizeof err), MS_ERR_MALFORMED);
	assert_non_null(strstr(err, path));
	path = t_write("{\"alow\": []}");
	assert_int_equal(ms_policy_load_json(p, path, err, sizeof err), MS_ERR_MALFORMED);
	path = t_write("{\"severity\": {\"MS-PKL-EXT\": \"severe\"}}");
	assert_int_equal(ms_policy_load_json(p, path, err, sizeof err), MS_ERR_MALFORMED);
	unlink(path);
	assert_int_equal(ms_policy_load_json(p, "/nonexistent/p.json", err, sizeof err), MS_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/p.json"));
	/* the allow entry went into p's own copy of the compiled tables, not into the tables */
	assert_int_equal(ms_policy_check(pol, "mylib.models", "Net"), MS_VERDICT_UNKNOWN);
	ms_policy *fresh = ms_policy_new_builtin();
	assert_int_equal(ms_policy_check(fresh, "mylib.models", "Net"), MS_VERDICT_UNKNOWN);
	assert_false(ms_policy_same(p, fresh));
	ms_policy_free(fresh);
	ms_policy_free(p);
}

/* Answers are kept per thread (policy.c's memo): asking again, asking after a policy file
 * changed the policy, and asking a pair whose "module\nname" equals another's must all give
 * what a policy that never answered before gives. */
static void test_answers_kept(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
		{"collections", "OrderedDict"}, {"torch._utils", "_rebuild_tensor_v2"},
		{"builtins", "eval"}, {"os", "system"}, {"numpy", "prod.os.system"},
		{"mylib.models", "Net"}, {"os\nsystem", "x"}, {"os", "system\nx"},
		{"__builtin__", "set"}, {"copy_reg", "_reconstructor"},
	};
	ms_policy *p = ms_policy_new_builtin();
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
			ms_policy *fresh = ms_policy_parse_builtin();
			assert_non_null(fresh);
			const char *m1, *n1, *m2, *n2;
			assert_int_equal(ms_policy_check(p, pairs[i][0], pairs[i][1]),
			                 ms_policy_check(fresh, pairs[i][0], pairs[i][1]));
			assert_int_equal(ms_policy_compat_map(p, pairs[i][0], pairs[i][1], &m1, &n1),
			                 ms_policy_compat_map(fresh, pairs[i][0], pairs[i][1], &m2, &n2));
			assert_string_equal(m1, m2);
			assert_string_equal(n1, n2);
			ms_policy_free(fresh);
		}
	}
	assert_int_equal(ms_policy_check(p, "os\nsystem", "x"), MS_VERDICT_UNKNOWN);
	assert_int_equal(ms_policy_check(p, "os", "system\nx"), MS_VERDICT_DENY);
	/* a name the compat table keeps is the caller's own pointer, asked twice */
	char name1[] = "set", name2[] = "set";
	const char *m, *n;
	assert_true(ms_policy_compat_map(p, "__builtin__", name1, &m, &n));
	assert_ptr_equal(n, name1);
	assert_true(ms_policy_compat_map(p, "__builtin__", name2, &m, &n));
	assert_ptr_equal(n, name2);
	assert_string_equal(m, "builtins");
	/* a policy file changes what was answered before */
	assert_int_equal(ms_policy_check(p, "mylib.models", "Net"), MS_VERDICT_UNKNOWN);
	assert_int_equal(ms_policy_check(p, "mylib.io", "load"), MS_VERDICT_UNKNOWN);
	char err[512];
	const char *path = t_write("{\"allow\": [\"mylib.models Net\"], \"deny\": [\"mylib.io *\"]}");
	assert_int_equal(ms_policy_load_json(p, path, err, sizeof err), MS_OK);
	unlink(path);
	assert_int_equal(ms_policy_check(p, "mylib.models", "Net"), MS_VERDICT_ALLOW);
	assert_int_equal(ms_policy_check(p, "mylib.io", "load"), MS_VERDICT_DENY);
	/* another policy at the same address never gets p's answers */
	ms_policy_free(p);
	p = ms_policy_new_builtin();
	assert_int_equal(ms_policy_check(p, "mylib.models", "Net"), MS_VERDICT_UNKNOWN);
	ms_policy_free(p);
}

/* The tables compiled into the library hold what parsing rules/ gives, entry for entry. */
static void test_compiled_tables(void **state)
{
	(void)state;
	assert_non_null(ms_policy_builtin_tables());
	ms_policy *parsed = ms_policy_parse_builtin();
	assert_non_null(parsed);
	assert_true(ms_policy_same(pol, parsed));
	assert_int_equal(ms_policy_check(parsed, "builtins", "eval"), MS_VERDICT_DENY);
	assert_int_equal(ms_policy_check(pol, "builtins", "eval"), MS_VERDICT_DENY);
	ms_policy_free(parsed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_exact),
		cmocka_unit_test(test_deny_components),
		cmocka_unit_test(test_compat),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_compiled_tables),
		cmocka_unit_test(test_answers_kept),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
