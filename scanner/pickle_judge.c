/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The judgement of the pickle machine: the policy's verdict on each global (with Python 2
 * renames), the roles the tables below give globals, every call and method call judged
 * (findings), what allowlisted functions do with their arguments (inner calls, backward
 * hooks, type-only classes) and the checks of torch.load(weights_only=True). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_vm_private.h"

static const char *pkl_strdup(pkl_vm *vm, const char *s, size_t n)
{
	char *c = ms_arena_strndup(vm->arena, s, n);
	if (!c) pkl_nomem(vm);
	return c;
}

/* ---- findings and globals -------------------------------------------------------------- */

static const char *pkl_verdict_name(int v)
{
	return v == MS_VERDICT_ALLOW ? "allowed" : v == MS_VERDICT_DENY ? "DENIED" : "not allowlisted";
}

void pkl_wo(pkl_vm *vm, const char *fmt, ...)
{
	if (!vm->weights_only || vm->wo_findings >= MS_MAX_PKL_WO_FINDINGS) return;
	vm->wo_findings++;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_WEIGHTS_ONLY, NULL, NULL,
	               "torch.load(weights_only=True) would refuse this: %s", msg);
}

/* The policy verdict: mapped names, plus the raw names and Python 2 module renames for the
 * deny check only (so `__builtin__ eval` stays critical even under protocol 3+). */
/* v: the verdict on the names in force (fm, fn); also denied when the raw or the renamed
 * names are. compat_applied: (fm, fn) already are what the renames give (protocol < 3), so
 * their verdict v is the renamed names' verdict. */
static int pkl_verdict(pkl_vm *vm, const char *m, const char *n, const char *fm, const char *fn,
                       int v, bool compat_applied)
{
	if (v == MS_VERDICT_DENY) return v;
	if ((m != fm || n != fn) && ms_policy_check(vm->policy, m, n) == MS_VERDICT_DENY)
		return MS_VERDICT_DENY;
	const char *cm, *cn;
	if (!compat_applied && ms_policy_compat_map(vm->policy, m, n, &cm, &cn) &&
	    ms_policy_check(vm->policy, cm, cn) == MS_VERDICT_DENY)
		return MS_VERDICT_DENY;
	return v;
}

/* In the second reading, a global is listed only beyond as many times as the first reading
 * listed it: the list is the union of both readings (what either kind of loader resolves). */
static bool pkl_look_new(pkl_vm *vm, const char *mod, const char *name)
{
	if (vm->gl_end - vm->gl_base > MS_MAX_PKL_LOOK_GLOBALS) return false;
	size_t have = 0;
	const ms_result *r = vm->job->res;
	for (size_t i = vm->gl_base; i < vm->gl_end && i < r->nglobals; i++)
		if (strcmp(r->globals[i].module, mod) == 0 && strcmp(r->globals[i].name, name) == 0)
			have++;
	for (size_t k = 1;; k++) {
		char key[1200];
		snprintf(key, sizeof key, "%.500s\n%.500s\n%zu", mod, name, k);
		if (pkl_sset_add(&vm->look_seen, key)) return k > have;
		if (k > vm->gl_end - vm->gl_base + 1) return false;
	}
}

static unsigned pkl_global_roles(const char *fq_module, const char *fq_name);

pv *pkl_global(pkl_vm *vm, const uint8_t *m, size_t mlen, const uint8_t *n, size_t nlen,
                      const char *opname)
{
	pv *g = pkl_new(vm, PV_GLOBAL);
	if (!g) return NULL;
	const char *mod = pkl_strdup(vm, (const char *)m, mlen);
	const char *name = pkl_strdup(vm, (const char *)n, nlen);
	if (!mod || !name) return NULL;
	const char *fm = mod, *fn = name;
	bool compat_applied = vm->proto < 3;
	if (compat_applied) ms_policy_compat_map(vm->policy, mod, name, &fm, &fn);
	g->u.g.module = mod;
	g->u.g.name = name;
	g->u.g.fq_module = fm;
	g->u.g.fq_name = fn;
	g->u.g.roles = pkl_global_roles(fm, fn);
	int v_fq = (int)ms_policy_check(vm->policy, fm, fn);
	g->u.g.verdict = pkl_verdict(vm, mod, name, fm, fn, v_fq, compat_applied);
	g->u.g.use = MS_USE_REFERENCED;
	size_t before = ms_job_global_count(vm->job);
	g->u.g.global_idx = SIZE_MAX;
	if (ms_job_keeps_globals(vm->job) && (!vm->quiet || pkl_look_new(vm, mod, name))) {
		if (ms_job_global(vm->job, vm->src, vm->op_off, mod, name, fm, fn, MS_USE_REFERENCED,
		                  NULL) != MS_OK) {
			pkl_nomem(vm);
			return NULL;
		}
		if (ms_job_global_count(vm->job) > before) g->u.g.global_idx = before;
	}
	if (vm->ngl == vm->capgl) {
		size_t nc = vm->capgl ? vm->capgl * 2 : 32;
		pv **p = realloc(vm->gl, nc * sizeof *p);
		if (!p) {
			pkl_nomem(vm);
			return NULL;
		}
		vm->gl = p;
		vm->capgl = nc;
	}
	vm->gl[vm->ngl++] = g;
	if (g->u.g.verdict == MS_VERDICT_DENY)
		ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_GLOBAL_DENY, fm, fn,
		               "%s references denylisted %s.%s%s", opname, fm, fn,
		               strcmp(fm, mod) || strcmp(fn, name) ? " (after Python 2 rename)" : "");
	if (vm->weights_only &&
	    !(v_fq == MS_VERDICT_ALLOW && ms_policy_weights_only_listed(vm->policy, fm, fn)))
		pkl_wo(vm, "global %s.%s is not in its allowlist", fm, fn);
	pkl_note(vm, "%s.%s [%s]%s", fm, fn, pkl_verdict_name(g->u.g.verdict),
	         fm != mod || fn != name ? " (renamed from Python 2)" : "");
	return g;
}

/* An unresolved STACK_GLOBAL: the name is computed at load time. */
pv *pkl_global_unresolved(pkl_vm *vm, const pv *mod, const pv *name)
{
	char a[256], b[256];
	pv_render(mod, a, sizeof a);
	pv_render(name, b, sizeof b);
	pv *g = pkl_new(vm, PV_GLOBAL);
	if (!g) return NULL;
	g->u.g.unresolved = true;
	g->u.g.module = g->u.g.fq_module = "";
	g->u.g.name = g->u.g.fq_name = "";
	g->u.g.global_idx = SIZE_MAX;
	g->u.g.verdict = MS_VERDICT_UNKNOWN;
	ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_GLOBAL_UNRESOLVED, NULL,
	               NULL, "STACK_GLOBAL with operands that are not string constants: module %s, "
	               "name %s (the imported name is computed while loading)", a, b);
	pkl_wo(vm, "STACK_GLOBAL with computed operands");
	pkl_note(vm, "unresolved global from %s, %s", a, b);
	return g;
}

/* Medium findings for globals outside the allowlist that were never called. */
void pkl_flush_globals(pkl_vm *vm)
{
	for (size_t i = 0; i < vm->ngl; i++) {
		pv *g = vm->gl[i];
		if (g->u.g.verdict != MS_VERDICT_UNKNOWN || g->u.g.use >= MS_USE_CALLED) continue;
		char key[1024];
		snprintf(key, sizeof key, "%s\n%s", g->u.g.fq_module, g->u.g.fq_name);
		if (!pkl_sset_add(&vm->unknown_seen, key)) continue;
		ms_job_finding(vm->job, vm->src, g->off, MS_RULE_PKL_GLOBAL_UNKNOWN,
		               g->u.g.fq_module, g->u.g.fq_name,
		               "%s %s.%s is outside the allowlist (a full-object pickle, not weights only)",
		               g->u.g.use == MS_USE_INSTANTIATED ? "instantiates" : "references",
		               g->u.g.fq_module, g->u.g.fq_name);
	}
	vm->ngl = 0;
}

void pkl_use(pkl_vm *vm, pv *g, int use, const char *args)
{
	if (g->u.g.use < use) g->u.g.use = use;
	if (g->u.g.global_idx != SIZE_MAX)
		ms_job_global_use(vm->job, g->u.g.global_idx, (ms_global_use)use, args);
}

static const char *pkl_how_name(pv_how how)
{
	switch (how) {
	case PV_HOW_REDUCE: return "REDUCE";
	case PV_HOW_NEWOBJ: return "NEWOBJ";
	case PV_HOW_NEWOBJ_EX: return "NEWOBJ_EX";
	case PV_HOW_OBJ: return "OBJ";
	case PV_HOW_INST: return "INST";
	case PV_HOW_EXT: return "EXT";
	}
	return "?";
}

bool pkl_wo_type(const pv *obj)
{
	/* the type of obj is a weights_only-allowed class (tensors come from rebuild functions) */
	if (!obj || obj->kind != PV_OBJ) return false;
	const pv *c = obj->u.obj.callable;
	return c && c->kind == PV_GLOBAL && !c->u.g.unresolved && c->u.g.verdict == MS_VERDICT_ALLOW;
}

/* What allowlisted functions do with their arguments (torch/_utils.py, torch/_tensor.py,
 * numpy/ma/core.py, numpy/core/multiarray): an allowlisted wrapper must not launder a
 * payload, so the argument is judged as if the stream called it.
 *   CALLS        args[fn](*args[args]): _rebuild_from_type_v2(func, new_type, args, state)
 *   INSTANTIATES args[fn].__new__(args[fn], ...): a subtype, whose __new__ and
 *                __array_finalize__ run (_reconstruct, _mareconstruct)
 *   HOOKS        args[fn] is a dict of callables installed as backward hooks: they run on
 *                the first backward() (no checkpoint writer stores any) */
typedef enum { PKL_ARG_CALLS, PKL_ARG_INSTANTIATES, PKL_ARG_HOOKS } pkl_arg_use;
static const struct {
	const char *module, *name;
	size_t fn, args;
	pkl_arg_use use;
} pkl_calls_arg[] = {
	{"torch._tensor", "_rebuild_from_type_v2", 0, 2, PKL_ARG_CALLS},
	{"torch._utils", "_rebuild_tensor_v2", 5, 0, PKL_ARG_HOOKS},
	{"torch._utils", "_rebuild_tensor_v3", 5, 0, PKL_ARG_HOOKS},
	{"torch._utils", "_rebuild_parameter", 2, 0, PKL_ARG_HOOKS},
	{"torch._utils", "_rebuild_parameter_with_state", 2, 0, PKL_ARG_HOOKS},
	{"torch._utils", "_rebuild_qtensor", 6, 0, PKL_ARG_HOOKS},
	{"numpy.core.multiarray", "_reconstruct", 0, SIZE_MAX, PKL_ARG_INSTANTIATES},
	{"numpy._core.multiarray", "_reconstruct", 0, SIZE_MAX, PKL_ARG_INSTANTIATES},
	{"numpy.ma.core", "_mareconstruct", 0, SIZE_MAX, PKL_ARG_INSTANTIATES},
	{"numpy.ma.core", "_mareconstruct", 1, SIZE_MAX, PKL_ARG_INSTANTIATES},
};

/* Allowlisted as a type that is referenced, never called: numpy's own pickles name ndarray
 * only as _reconstruct's subtype, while ndarray(shape, 'O', buffer) makes an object array
 * whose pointers are the attacker's bytes. */
static const struct { const char *module, *name; } pkl_type_only[] = {
	{"numpy", "ndarray"},
};

/* pv.u.g.roles, found once per GLOBAL opcode (comparing names at every call cost more than
 * the call): bit k set when pkl_calls_arg[k] names the global, PKL_ROLE_* above. */
_Static_assert(sizeof pkl_calls_arg / sizeof pkl_calls_arg[0] < 30, "pkl_calls_arg: too many");

static unsigned pkl_global_roles(const char *fq_module, const char *fq_name)
{
	unsigned roles = 0;
	for (size_t k = 0; k < sizeof pkl_calls_arg / sizeof pkl_calls_arg[0]; k++)
		if (!strcmp(fq_module, pkl_calls_arg[k].module) && !strcmp(fq_name, pkl_calls_arg[k].name))
			roles |= 1u << k;
	for (size_t k = 0; k < sizeof pkl_type_only / sizeof pkl_type_only[0]; k++)
		if (!strcmp(fq_module, pkl_type_only[k].module) && !strcmp(fq_name, pkl_type_only[k].name))
			roles |= PKL_ROLE_TYPE_ONLY;
	if ((!strcmp(fq_module, "_codecs") || !strcmp(fq_module, "codecs")) &&
	    (!strcmp(fq_name, "encode") || !strcmp(fq_name, "decode")))
		roles |= PKL_ROLE_CODECS;
	return roles;
}

static void pkl_inner_call(pkl_vm *vm, const pv *outer, const pv *args, unsigned depth);

/* fn is called (or instantiated) with args by the allowlisted function via. */
static void pkl_judge_arg(pkl_vm *vm, const char *via, pv *fn, const pv *fa, unsigned depth)
{
	char argtext[MS_MAX_PKL_ARG_TEXT], ft[256];
	pv_render(fa, argtext, sizeof argtext);
	pv_render(fn, ft, sizeof ft);
	if (fn->kind != PV_GLOBAL || fn->u.g.unresolved) {
		ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_CALL_DYNAMIC, NULL,
		               NULL, "%s calls something that is not a named global: %s%s", via, ft,
		               argtext);
		return;
	}
	const char *m = fn->u.g.fq_module, *n = fn->u.g.fq_name;
	pkl_use(vm, fn, MS_USE_CALLED, argtext);
	if (fn->u.g.verdict == MS_VERDICT_DENY)
		ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_CALL_DENY, m, n,
		               "%s calls denylisted %s%s", via, ft, argtext);
	else if (fn->u.g.verdict == MS_VERDICT_UNKNOWN)
		ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_CALL_UNKNOWN, m, n,
		               "%s calls %s%s, which is outside the allowlist", via, ft, argtext);
	else
		pkl_inner_call(vm, fn, fa, depth + 1);
}

static void pkl_hook(pkl_vm *vm, const char *via, pv *hook, unsigned depth)
{
	char ht[256];
	pv_render(hook, ht, sizeof ht);
	ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_HOOK, NULL, NULL,
	               "%s installs %s as a backward hook: it runs when the tensor is trained", via, ht);
	if (hook->kind == PV_GLOBAL && hook->u.g.verdict == MS_VERDICT_DENY)
		pkl_judge_arg(vm, via, hook, NULL, depth);
}

/* Every value of a hooks dict: a dict, an OrderedDict filled by SETITEMS, or one built from
 * a list of (key, hook) pairs, OrderedDict([(0, f)]). */
static void pkl_hooks(pkl_vm *vm, const char *via, const pv *d, unsigned depth)
{
	const pv_vec *kv = d->kind == PV_DICT ? &d->u.seq : d->kind == PV_OBJ ? &d->u.obj.kv : NULL;
	for (size_t i = 1; kv && i < kv->n; i += 2) pkl_hook(vm, via, kv->v[i], depth);
	const pv *a = d->kind == PV_OBJ ? d->u.obj.args : NULL;
	if (!a || a->kind != PV_TUPLE || a->u.seq.n == 0) return;
	const pv *pairs = a->u.seq.v[0];
	if (pairs->kind != PV_LIST && pairs->kind != PV_TUPLE) return;
	for (size_t i = 0; i < pairs->u.seq.n; i++) {
		const pv *pr = pairs->u.seq.v[i];
		if ((pr->kind == PV_TUPLE || pr->kind == PV_LIST) && pr->u.seq.n == 2)
			pkl_hook(vm, via, pr->u.seq.v[1], depth);
	}
}

static void pkl_inner_call(pkl_vm *vm, const pv *outer, const pv *args, unsigned depth)
{
	if (depth >= MS_MAX_PKL_CALLS_ARG_DEPTH || !args || args->kind != PV_TUPLE) return;
	if (!outer || outer->kind != PV_GLOBAL || outer->u.g.unresolved) return;
	/* the set bits only, lowest first: most calls are to globals with none */
	unsigned calls = outer->u.g.roles & ((1u << (sizeof pkl_calls_arg / sizeof pkl_calls_arg[0])) - 1);
	for (; calls; calls &= calls - 1) {
		size_t k = (size_t)__builtin_ctz(calls);
		if (args->u.seq.n <= pkl_calls_arg[k].fn) continue;
		pv *fn = args->u.seq.v[pkl_calls_arg[k].fn];
		const char *via = pkl_calls_arg[k].name;
		if (pkl_calls_arg[k].use == PKL_ARG_HOOKS) {
			pkl_hooks(vm, via, fn, depth);
			continue;
		}
		const pv *fa = pkl_calls_arg[k].args < args->u.seq.n ? args->u.seq.v[pkl_calls_arg[k].args]
		                                                     : NULL;
		pkl_judge_arg(vm, via, fn, fa, depth);
	}
}

/* Renders v into buf the first time the text is wanted: most calls in a checkpoint are
 * allowlisted and never shown, and rendering each one cost more than the call itself. */
static const char *pkl_text(const pv *v, char *buf, size_t n)
{
	if (!buf[0]) pv_render(v, buf, n);
	return buf;
}

/* A type-only global called with arguments (pkl_type_only). */
static void pkl_type_only_call(pkl_vm *vm, const pv *callable, const pv *args, const pv *o,
                               char *text, size_t textlen)
{
	if (!args || args->kind != PV_TUPLE || args->u.seq.n == 0) return;
	if (callable->kind != PV_GLOBAL || !(callable->u.g.roles & PKL_ROLE_TYPE_ONLY)) return;
	for (size_t k = 0; k < sizeof pkl_type_only / sizeof pkl_type_only[0]; k++)
		if (pv_is_global(callable, pkl_type_only[k].module, pkl_type_only[k].name))
			ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_CALL_TYPE_ONLY,
			               pkl_type_only[k].module, pkl_type_only[k].name,
			               "calls %s, a type checkpoints only reference (an ndarray over raw "
			               "bytes can be an object array of forged pointers)",
			               pkl_text(o, text, textlen));
}

/* A call or instantiation: callable(*args, **kwargs). Pushes the symbolic result. */
ms_err pkl_call(pkl_vm *vm, pv *callable, pv *args, pv *kwargs, pv_how how)
{
	if (pkl_is_const(callable))
		return pkl_fail(vm, MS_ERR_MALFORMED, "%s: the callable is a constant, not callable",
		                pkl_how_name(how));
	pv *o = pkl_new(vm, PV_OBJ);
	if (!o) return vm->err.code;
	o->u.obj.callable = callable;
	o->u.obj.args = args;
	o->u.obj.kwargs = kwargs;
	o->u.obj.how = how;
	char text[MS_MAX_PKL_ARG_TEXT];
	text[0] = 0; /* not = "": that clears all 4 KiB on every call */
	bool noargs = args && args->kind == PV_TUPLE && args->u.seq.n == 0 &&
	              (!kwargs || (kwargs->kind == PV_DICT && kwargs->u.seq.n == 0));
	int use = how == PV_HOW_NEWOBJ && noargs ? MS_USE_INSTANTIATED : MS_USE_CALLED;
	if (callable->kind == PV_GLOBAL && !callable->u.g.unresolved) {
		const char *m = callable->u.g.fq_module, *n = callable->u.g.fq_name;
		char argtext[MS_MAX_PKL_ARG_TEXT];
		argtext[0] = 0;
		if (callable->u.g.global_idx != SIZE_MAX &&
		    ms_job_global_wants_args(vm->job, callable->u.g.global_idx))
			pv_render(args, argtext, sizeof argtext);
		pkl_use(vm, callable, use, argtext[0] ? argtext : NULL);
		if (callable->u.g.verdict == MS_VERDICT_DENY)
			ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_CALL_DENY, m,
			               n, "%s calls denylisted %s", pkl_how_name(how),
			               pkl_text(o, text, sizeof text));
		else if (callable->u.g.verdict == MS_VERDICT_UNKNOWN && use == MS_USE_CALLED)
			ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_CALL_UNKNOWN, m, n,
			               "%s calls %s, which is outside the allowlist", pkl_how_name(how),
			               pkl_text(o, text, sizeof text));
		pkl_codecs(vm, callable, args);
		if (callable->u.g.verdict == MS_VERDICT_ALLOW) {
			pkl_inner_call(vm, callable, args, 0);
			pkl_type_only_call(vm, callable, args, o, text, sizeof text);
		}
		pkl_note(vm, "%s %s [%s]", use == MS_USE_CALLED ? "calls" : "instantiates",
		         pkl_text(o, text, sizeof text), pkl_verdict_name(callable->u.g.verdict));
	} else if (callable->kind == PV_OBJ && callable->u.obj.how == PV_HOW_EXT) {
		pkl_text(o, text, sizeof text);
		ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_CALL_UNKNOWN, NULL, NULL,
		               "%s calls %s (an extension-registry object)", pkl_how_name(how), text);
		pkl_note(vm, "calls %s", text);
	} else {
		pkl_text(o, text, sizeof text);
		ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_CALL_DYNAMIC, NULL, NULL,
		               "%s calls something that is not a named global: %s", pkl_how_name(how),
		               text);
		pkl_note(vm, "calls %s (dynamic)", text);
	}
	if (vm->weights_only) {
		if (how != PV_HOW_REDUCE && how != PV_HOW_NEWOBJ)
			pkl_wo(vm, "%s", pkl_how_name(how));
		else if (callable->kind != PV_GLOBAL || callable->u.g.unresolved)
			pkl_wo(vm, "%s on something that is not an allowlisted global", pkl_how_name(how));
	}
	return pkl_push(vm, o);
}

/* APPEND/APPENDS/SETITEM(S)/ADDITEMS/BUILD on something that is not the builtin container:
 * a method call on that object. */
ms_err pkl_method_on(pkl_vm *vm, pv *target, const char *method)
{
	if (target->kind == PV_GLOBAL) {
		char t[256];
		pv_render(target, t, sizeof t);
		ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_CALL_DYNAMIC,
		               target->u.g.fq_module, target->u.g.fq_name,
		               "calls %s.%s on a class or function object", t, method);
		pkl_note(vm, "calls %s.%s", t, method);
	} else if (target->kind == PV_OBJ) {
		/* An item operation on an instance runs its class's method with stream-chosen
		 * arguments (email.message.Message.__setitem__ reaches its policy's callables):
		 * a call of that class, unless it is allowlisted. Once per class and method. */
		pv *c = target->u.obj.callable;
		if (c && c->kind == PV_GLOBAL && !c->u.g.unresolved) {
			pkl_use(vm, c, MS_USE_INSTANTIATED, NULL);
			char key[1100];
			if (c->u.g.verdict != MS_VERDICT_ALLOW &&
			    snprintf(key, sizeof key, "%s\n%.500s\n%.500s", method, c->u.g.fq_module,
			             c->u.g.fq_name) >= 0 &&
			    pkl_sset_add(&vm->method_seen, key))
				ms_job_finding(vm->job, vm->src, vm->op_off,
				               c->u.g.verdict == MS_VERDICT_DENY ? MS_RULE_PKL_CALL_DENY
				                                                 : MS_RULE_PKL_CALL_UNKNOWN,
				               c->u.g.fq_module, c->u.g.fq_name,
				               "calls %s.%s.%s on an instance (the class is outside the allowlist)",
				               c->u.g.fq_module, c->u.g.fq_name, method);
		}
	}
	return MS_OK;
}
