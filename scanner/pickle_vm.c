/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * The symbolic pickle machine. It follows CPython's Modules/_pickle.c Unpickler opcode by
 * opcode (load_* functions), but every object is a `pv` value: globals are names, calls are
 * recorded, nothing is imported or executed.
 *
 * Points where _pickle.c differs from what a linear reader (pickletools, pickle.py) assumes,
 * and which this machine follows:
 *  - the stack is split into an object stack and a stack of MARK positions ("fence"); POP on a
 *    MARK with nothing above it pops the MARK (load_pop);
 *  - FRAME only checks that its length is available (load_frame rewinds): an opcode may
 *    straddle a frame boundary, which pickle.py refuses -> MS-PKL-FRAME-STRADDLE;
 *  - INT uses strtol(base 0) then PyLong_FromString(base 0): "0x10", "010" (octal via strtol),
 *    "1_000" are accepted; "I01\n"/"I00\n" (line of 3 bytes, value 0 or 1) are True/False;
 *  - the protocol in force is whatever the last PROTO said; find_class applies the
 *    _compat_pickle renames while it is < 3;
 *  - MEMOIZE stores at the number of memo entries (memo_len), not at the highest index;
 *  - APPEND(S)/SETITEM(S)/ADDITEMS/BUILD on anything that is not the matching builtin
 *    container call methods of that object: that is recorded as use of the object.
 * This file is the machine itself and its hot path: stack, marks, memo, argument reading,
 * the opcode bodies and both loops (pickle_vm_private.h lists the files around it).
 * Values live in the per-scan arena; memo references share the same pv (mutations visible
 * through every reference, as in Python). No recursion depends on the input: containers are
 * built with explicit stacks and rendering is depth-bounded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_vm_private.h"
#include "utf8_private.h"

/* ---- opcode table ---------------------------------------------------------------------- */

static const pkl_opinfo pkl_ops[256] = {
#define OP(name, code, argk, pr, fl, fast) [code] = {#name, argk, pr, fl, 1},
#include "pickle_ops.h"
#undef OP
};

/* The fast loop makes no weights-only findings: each opcode it runs must be one torch's
 * weights-only unpickler accepts. */
#define OP(name, code, argk, pr, fl, fast) \
	_Static_assert(!(fast) || ((fl) & OPF_WO), #name " is in the fast loop but not OPF_WO");
#include "pickle_ops.h"
#undef OP

ms_err pkl_fail(pkl_vm *vm, ms_err code, const char *fmt, ...)
{
	if (vm->err.code == MS_OK) {
		va_list ap;
		va_start(ap, fmt);
		ms_error_vset(&vm->err, code, NULL, NULL, vm->op_off, fmt, ap);
		va_end(ap);
	}
	return code;
}

ms_err pkl_nomem(pkl_vm *vm)
{
	if (ms_arena_used(vm->arena) + MS_PKL_ARENA_SLACK >= MS_MAX_ARENA_BYTES)
		return pkl_fail(vm, MS_ERR_LIMIT, "pickle values exceed %zu bytes (MS_MAX_ARENA_BYTES)",
		                (size_t)MS_MAX_ARENA_BYTES);
	return pkl_fail(vm, MS_ERR_NOMEM, "out of memory in the pickle machine");
}

/* ---- containers ------------------------------------------------------------------------ */

static bool pkl_vec_push(pkl_vm *vm, pv_vec *vec, pv *x)
{
	if (vec->n == vec->cap) {
		size_t nc = vec->cap ? vec->cap * 2 : 4;
		pv **p = ms_arena_grow(vm->arena, vec->v, vec->cap * sizeof *p, nc * sizeof *p);
		if (!p) {
			pkl_nomem(vm);
			return false;
		}
		vec->v = p;
		vec->cap = nc;
	}
	vec->v[vec->n++] = x;
	return true;
}

/* Copies stack[from..sp) into vec (arena). */
static bool pkl_vec_from(pkl_vm *vm, pv_vec *vec, size_t from)
{
	size_t n = vm->sp - from;
	vec->n = vec->cap = 0;
	vec->v = NULL;
	if (!n) return true;
	vec->v = ms_arena_alloc_copy_target(vm->arena, n * sizeof *vec->v);
	if (!vec->v) {
		pkl_nomem(vm);
		return false;
	}
	memcpy(vec->v, vm->stack + from, n * sizeof *vec->v);
	vec->n = vec->cap = n;
	return true;
}

/* ---- stack, marks, memo ---------------------------------------------------------------- */

static ms_err pkl_underflow(pkl_vm *vm)
{
	return pkl_fail(vm, MS_ERR_MALFORMED, "%s",
	                vm->nmarks ? "unexpected MARK found" : "unpickling stack underflow");
}

/* pkl_push when v is NULL (a failed allocation) or the stack is full. */
ms_err pkl_push_slow(pkl_vm *vm, pv *v)
{
	if (!v) return vm->err.code ? vm->err.code : pkl_nomem(vm);
	if (vm->sp == vm->scap) {
		if (vm->scap >= MS_MAX_PKL_STACK)
			return pkl_fail(vm, MS_ERR_LIMIT, "pickle stack deeper than %u values (MS_MAX_PKL_STACK)",
			                MS_MAX_PKL_STACK);
		size_t nc = vm->scap ? vm->scap * 2 : 64;
		if (nc > MS_MAX_PKL_STACK) nc = MS_MAX_PKL_STACK;
		pv **p = realloc(vm->stack, nc * sizeof *p);
		if (!p) return pkl_nomem(vm);
		vm->stack = p;
		vm->scap = nc;
	}
	vm->stack[vm->sp++] = v;
	return MS_OK;
}

static inline ms_err pkl_pop(pkl_vm *vm, pv **out)
{
	if (vm->sp <= pkl_fence(vm)) return pkl_underflow(vm);
	*out = vm->stack[--vm->sp];
	return MS_OK;
}

static ms_err pkl_mark(pkl_vm *vm)
{
	if (vm->nmarks == vm->mcap) {
		if (vm->mcap >= MS_MAX_PKL_MARKS)
			return pkl_fail(vm, MS_ERR_LIMIT, "more than %u open MARKs (MS_MAX_PKL_MARKS)",
			                MS_MAX_PKL_MARKS);
		size_t nc = vm->mcap ? vm->mcap * 2 : 64;
		if (nc > MS_MAX_PKL_MARKS) nc = MS_MAX_PKL_MARKS;
		size_t *p = realloc(vm->marks, nc * sizeof *p);
		if (!p) return pkl_nomem(vm);
		vm->marks = p;
		vm->mcap = nc;
	}
	vm->marks[vm->nmarks++] = vm->sp;
	return MS_OK;
}

/* _pickle.c marker(): pops the innermost MARK and returns its stack position. */
static ms_err pkl_marker(pkl_vm *vm, size_t *out)
{
	if (vm->nmarks < 1) return pkl_fail(vm, MS_ERR_MALFORMED, "could not find MARK");
	*out = vm->marks[--vm->nmarks];
	return MS_OK;
}

static size_t pkl_memo_slot(const pkl_vm *vm, uint64_t key)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ull;
	size_t mask = vm->memocap - 1, i = (size_t)(h >> 17) & mask;
	while (vm->mvals[i] && vm->mkeys[i] != key) i = (i + 1) & mask;
	return i;
}

static pv *pkl_memo_get(const pkl_vm *vm, uint64_t key)
{
	if (key < MS_MAX_PKL_DENSE_MEMO) return key < vm->mdcap ? vm->mdense[key] : NULL;
	if (!vm->memocap) return NULL;
	return vm->mvals[pkl_memo_slot(vm, key)];
}

/* Counts one more memo entry (MEMOIZE's key), within MS_MAX_PKL_MEMO. */
static ms_err pkl_memo_count_new(pkl_vm *vm)
{
	if (vm->mcount >= MS_MAX_PKL_MEMO)
		return pkl_fail(vm, MS_ERR_LIMIT, "more than %u memo entries (MS_MAX_PKL_MEMO)",
		                MS_MAX_PKL_MEMO);
	vm->mcount++;
	return MS_OK;
}

/* Pickles number their memo 0, 1, 2, ...: an array indexed by key costs one store per PUT
 * where hashing cost a cache miss and, as the table grew, a rehash. It starts at 256 slots
 * (2 KiB): a small checkpoint's state dict memoizes 150-250 values, and starting at 64 grew
 * the array twice a file. */
static ms_err pkl_memo_put_dense(pkl_vm *vm, size_t key, pv *v)
{
	if (key >= vm->mdcap) {
		size_t nc = vm->mdcap ? vm->mdcap * 2 : 256;
		while (nc <= key) nc *= 2;
		if (nc > MS_MAX_PKL_DENSE_MEMO) nc = MS_MAX_PKL_DENSE_MEMO;
		pv **nd = realloc(vm->mdense, nc * sizeof *nd);
		if (!nd) return pkl_nomem(vm);
		memset(nd + vm->mdcap, 0, (nc - vm->mdcap) * sizeof *nd);
		vm->mdense = nd;
		vm->mdcap = nc;
	}
	ms_err rc = vm->mdense[key] ? MS_OK : pkl_memo_count_new(vm);
	if (rc == MS_OK) vm->mdense[key] = v;
	return rc;
}

static ms_err pkl_memo_put_slow(pkl_vm *vm, uint64_t key, pv *v)
{
	if (key < MS_MAX_PKL_DENSE_MEMO) return pkl_memo_put_dense(vm, (size_t)key, v);
	if (vm->memocap == 0 || (vm->mcount + 1) * 2 > vm->memocap) {
		size_t nc = vm->memocap ? vm->memocap * 2 : 64;
		uint64_t *nk = calloc(nc, sizeof *nk);
		pv **nv = calloc(nc, sizeof *nv);
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return pkl_nomem(vm);
		}
		uint64_t *ok = vm->mkeys;
		pv **ov = vm->mvals;
		size_t ocap = vm->memocap;
		vm->mkeys = nk;
		vm->mvals = nv;
		vm->memocap = nc;
		for (size_t i = 0; i < ocap; i++) {
			if (!ov[i]) continue;
			size_t s = pkl_memo_slot(vm, ok[i]);
			vm->mkeys[s] = ok[i];
			vm->mvals[s] = ov[i];
		}
		free(ok);
		free(ov);
	}
	size_t s = pkl_memo_slot(vm, key);
	if (!vm->mvals[s]) {
		ms_err rc = pkl_memo_count_new(vm);
		if (rc != MS_OK) return rc;
		vm->mkeys[s] = key;
	}
	vm->mvals[s] = v;
	return MS_OK;
}

/* Every BINPUT/MEMOIZE: a key inside the dense array, with room for one more entry, inline. */
static inline ms_err pkl_memo_put(pkl_vm *vm, uint64_t key, pv *v)
{
	if (key >= vm->mdcap || vm->mcount >= MS_MAX_PKL_MEMO) return pkl_memo_put_slow(vm, key, v);
	vm->mcount += !vm->mdense[key];
	vm->mdense[key] = v;
	return MS_OK;
}

/* ---- argument reading ------------------------------------------------------------------ */

/* The C unpickler reading from a file object without peek() (io.BytesIO: torch.load,
 * pickle.load) keeps a FRAME in a buffer; _Unpickler_Read of n bytes that are not all in the
 * buffer drops the rest of the buffer and reads n fresh bytes from the file, which is at the
 * frame's end. pickle.loads(bytes) and peekable files read linearly instead. The primary run
 * follows the file reading; a stream where the two differ is run a second time linearly. */
static void pkl_straddle(pkl_vm *vm, const char *what)
{
	vm->straddled = true;
	if (vm->quiet || vm->straddles >= MS_MAX_PKL_STRADDLE_FINDINGS) return;
	vm->straddles++;
	ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_FRAME_STRADDLE, NULL,
	               NULL, "%s of %s crosses the end of its FRAME: pickle.load(file) skips the %zu "
	               "bytes left in the frame, pickle.loads(bytes) reads through (both are analysed)",
	               what, pkl_ops[vm->d[vm->op_off]].name, vm->frame_end - vm->pos);
	pkl_note(vm, "crosses frame end at %zu", vm->frame_end);
}

/* pkl_want when the bytes are not simply there: a read crossing the end of its frame, or
 * running past the end of the stream. */
static ms_err pkl_want_slow(pkl_vm *vm, size_t n, const char *what)
{
	if (vm->in_frame) {
		if (n <= vm->frame_end - vm->pos) return MS_OK;
		if (vm->pos < vm->frame_end) {
			pkl_straddle(vm, what);
			if (!vm->linear) vm->pos = vm->frame_end;
		}
		vm->in_frame = false;
	}
	if (n > vm->len - vm->pos)
		return pkl_fail(vm, MS_ERR_TRUNCATED,
		                "pickle data was truncated (%s of %s needs %zu bytes, %zu left)", what,
		                pkl_ops[vm->d[vm->op_off]].name, n, vm->len - vm->pos);
	return MS_OK;
}

/* Makes n bytes readable at vm->pos; inline for the common case (inside the open frame, or
 * in the stream when no frame is open), which every opcode and argument takes. */
static inline ms_err pkl_want(pkl_vm *vm, size_t n, const char *what)
{
	if (n <= (vm->in_frame ? vm->frame_end : vm->len) - vm->pos) return MS_OK;
	return pkl_want_slow(vm, n, what);
}

static ms_err pkl_line(pkl_vm *vm, const uint8_t **p, size_t *n)
{
	if (vm->in_frame) {
		const uint8_t *nl = memchr(vm->d + vm->pos, '\n', vm->frame_end - vm->pos);
		if (!nl) {
			if (vm->pos < vm->frame_end) {
				pkl_straddle(vm, "text line");
				if (!vm->linear) vm->pos = vm->frame_end;
			}
			vm->in_frame = false;
		}
	}
	const uint8_t *start = vm->d + vm->pos;
	const uint8_t *nl = memchr(start, '\n', vm->len - vm->pos);
	if (!nl)
		return pkl_fail(vm, MS_ERR_TRUNCATED, "pickle data was truncated (text line of %s has no "
		                "newline)", pkl_ops[vm->d[vm->op_off]].name);
	*p = start;
	*n = (size_t)(nl - start);
	vm->pos += *n + 1;
	return MS_OK;
}

static inline ms_err pkl_fixed(pkl_vm *vm, size_t n, const uint8_t **p)
{
	ms_err rc = pkl_want(vm, n, "argument");
	if (rc != MS_OK) return rc;
	*p = vm->d + vm->pos;
	vm->pos += n;
	return MS_OK;
}

static ms_err pkl_counted(pkl_vm *vm, uint64_t n, pkl_arg *a)
{
	if (n > vm->len) n = vm->len + 1; /* cannot be there; keeps size_t exact */
	ms_err rc = pkl_want(vm, (size_t)n, "data");
	if (rc != MS_OK) return rc;
	a->p = vm->d + vm->pos;
	a->n = (size_t)n;
	vm->pos += (size_t)n;
	return MS_OK;
}

PKL_HOT ms_err pkl_read_arg(pkl_vm *vm, unsigned kind, pkl_arg *a)
{
	const uint8_t *b = NULL;
	ms_err rc = MS_OK;
	switch (kind) {
	case ARG_NONE: return MS_OK;
	case ARG_U1: if ((rc = pkl_fixed(vm, 1, &b)) == MS_OK) a->u = b[0]; return rc;
	case ARG_U2: if ((rc = pkl_fixed(vm, 2, &b)) == MS_OK) a->u = ms_le16(b); return rc;
	case ARG_U4: if ((rc = pkl_fixed(vm, 4, &b)) == MS_OK) a->u = ms_le32(b); return rc;
	case ARG_U8: if ((rc = pkl_fixed(vm, 8, &b)) == MS_OK) a->u = ms_le64(b); return rc;
	case ARG_I4:
		if ((rc = pkl_fixed(vm, 4, &b)) == MS_OK) a->i = (int32_t)ms_le32(b);
		return rc;
	case ARG_F8:
		if ((rc = pkl_fixed(vm, 8, &b)) == MS_OK) {
			uint64_t u = ms_be64(b);
			memcpy(&a->f, &u, sizeof a->f);
		}
		return rc;
	case ARG_LINE: return pkl_line(vm, &a->p, &a->n);
	case ARG_LINE2:
		if ((rc = pkl_line(vm, &a->p, &a->n)) != MS_OK) return rc;
		return pkl_line(vm, &a->p2, &a->n2);
	case ARG_BYTES1:
		if ((rc = pkl_fixed(vm, 1, &b)) != MS_OK) return rc;
		return pkl_counted(vm, b[0], a);
	case ARG_BYTES4:
		if ((rc = pkl_fixed(vm, 4, &b)) != MS_OK) return rc;
		return pkl_counted(vm, ms_le32(b), a);
	case ARG_BYTES4S:
		if ((rc = pkl_fixed(vm, 4, &b)) != MS_OK) return rc;
		if ((int32_t)ms_le32(b) < 0)
			return pkl_fail(vm, MS_ERR_MALFORMED, "%s has a negative byte count",
			                pkl_ops[vm->d[vm->op_off]].name);
		return pkl_counted(vm, ms_le32(b), a);
	case ARG_BYTES8:
		if ((rc = pkl_fixed(vm, 8, &b)) != MS_OK) return rc;
		if (ms_le64(b) > (uint64_t)INT64_MAX)
			return pkl_fail(vm, MS_ERR_MALFORMED, "%s exceeds the maximum size",
			                pkl_ops[vm->d[vm->op_off]].name);
		return pkl_counted(vm, ms_le64(b), a);
	}
	return pkl_fail(vm, MS_ERR_MALFORMED, "bad opcode table");
}

/* ---- opcode semantics ------------------------------------------------------------------ */

static inline ms_err pkl_op_get(pkl_vm *vm, uint64_t idx, bool text_neg)
{
	pv *v = text_neg ? NULL : pkl_memo_get(vm, idx);
	if (!v)
		return pkl_fail(vm, MS_ERR_MALFORMED, "memo key %llu not found (KeyError)",
		                (unsigned long long)idx);
	pkl_note(vm, "memo[%llu]", (unsigned long long)idx);
	return pkl_push(vm, v);
}

static inline ms_err pkl_op_put(pkl_vm *vm, uint64_t idx)
{
	if (vm->sp <= pkl_fence(vm)) return pkl_underflow(vm);
	pkl_note(vm, "memo[%llu]", (unsigned long long)idx);
	return pkl_memo_put(vm, idx, vm->stack[vm->sp - 1]);
}

static ms_err pkl_op_append(pkl_vm *vm, size_t x, const char *what)
{
	size_t len = vm->sp;
	if (x > len || x <= pkl_fence(vm)) return pkl_underflow(vm);
	if (len == x) return MS_OK;
	pv *list = vm->stack[x - 1];
	ms_err rc = MS_OK;
	switch (list->kind) {
	case PV_LIST:
		for (size_t i = x; i < len && rc == MS_OK; i++)
			if (!pkl_vec_push(vm, &list->u.seq, vm->stack[i])) rc = vm->err.code;
		break;
	case PV_BYTEARRAY: break; /* bytearray.extend: data only */
	case PV_OBJ:
		pkl_method_on(vm, list, "extend");
		for (size_t i = x; i < len && rc == MS_OK; i++)
			if (!pkl_vec_push(vm, &list->u.obj.items, vm->stack[i])) rc = vm->err.code;
		break;
	case PV_GLOBAL: pkl_method_on(vm, list, "extend"); break;
	case PV_PERSID: case PV_BUFFER: break;
	default:
		return pkl_fail(vm, MS_ERR_MALFORMED, "%s on an object without append/extend", what);
	}
	if (vm->weights_only && list->kind != PV_LIST) pkl_wo(vm, "%s on something that is not a list", what);
	vm->sp = x;
	return rc;
}

static ms_err pkl_op_setitems(pkl_vm *vm, size_t x, const char *what)
{
	size_t len = vm->sp;
	if (x > len || x <= pkl_fence(vm)) return pkl_underflow(vm);
	if (len == x) return MS_OK;
	if ((len - x) % 2)
		return pkl_fail(vm, MS_ERR_MALFORMED, "odd number of items for %s", what);
	pv *d = vm->stack[x - 1];
	pv_vec *kv = NULL;
	switch (d->kind) {
	case PV_DICT: kv = &d->u.seq; break;
	case PV_OBJ:
		pkl_method_on(vm, d, "__setitem__");
		kv = &d->u.obj.kv;
		break;
	case PV_GLOBAL: pkl_method_on(vm, d, "__setitem__"); break;
	case PV_LIST: case PV_BYTEARRAY:
		/* list[key] = value: only int keys (an index) can work */
		for (size_t i = x; i < len; i += 2)
			if (pkl_is_const(vm->stack[i]) && vm->stack[i]->kind != PV_INT &&
			    vm->stack[i]->kind != PV_BOOL && vm->stack[i]->kind != PV_BIGINT)
				return pkl_fail(vm, MS_ERR_MALFORMED, "%s on a list with a non-integer key", what);
		break;
	case PV_PERSID: case PV_BUFFER: break;
	default:
		return pkl_fail(vm, MS_ERR_MALFORMED, "%s on an object that does not support item "
		                "assignment", what);
	}
	if (vm->weights_only && d->kind != PV_DICT &&
	    !(d->kind == PV_OBJ && d->u.obj.callable &&
	      (pv_is_global(d->u.obj.callable, "collections", "OrderedDict") ||
	       pv_is_global(d->u.obj.callable, "collections", "Counter"))))
		pkl_wo(vm, "%s on something that is not a dict, OrderedDict or Counter", what);
	if (kv)
		for (size_t i = x; i < len; i++)
			if (!pkl_vec_push(vm, kv, vm->stack[i])) return vm->err.code;
	vm->sp = x;
	return MS_OK;
}

/* A loader hook read or refused what follows the BUILD (pkl_build_hook). */
static ms_err pkl_after_build(pkl_vm *vm, const pv *state)
{
	ms_error e;
	pkl_hook_io io = {.job = vm->job, .src = vm->src, .arena = vm->arena, .pos = vm->pos,
	                  .frame_end = vm->frame_end, .in_frame = vm->in_frame, .err = &e};
	io.note[0] = 0;
	ms_err rc = ms_pkl_build_hook.after_build(&io, state);
	vm->pos = io.pos;
	vm->in_frame = io.in_frame;
	if (io.skipped) vm->loader_skipped = true;
	if (io.note[0]) pkl_note(vm, "%s", io.note);
	return rc == MS_OK ? MS_OK : pkl_fail(vm, rc, "%s", e.message);
}

static ms_err pkl_op_build(pkl_vm *vm)
{
	if (vm->sp < 2 || vm->sp - 2 < pkl_fence(vm)) return pkl_underflow(vm);
	pv *state = vm->stack[--vm->sp];
	pv *inst = vm->stack[vm->sp - 1];
	if (inst->kind == PV_OBJ) {
		inst->u.obj.state = state;
		pv *c = inst->u.obj.callable;
		if (c && c->kind == PV_GLOBAL && !c->u.g.unresolved) {
			pkl_use(vm, c, MS_USE_INSTANTIATED, NULL);
			pkl_note(vm, "sets state of %s.%s object", c->u.g.fq_module, c->u.g.fq_name);
		}
		if (vm->weights_only && !pkl_wo_type(inst)) pkl_wo(vm, "BUILD on a type it does not allow");
		if (!vm->quiet && ms_pkl_build_hook.wants(inst)) return pkl_after_build(vm, state);
	} else if (inst->kind == PV_GLOBAL) {
		char t[256];
		pv_render(inst, t, sizeof t);
		ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_BUILD_GLOBAL,
		               inst->u.g.fq_module, inst->u.g.fq_name,
		               "BUILD sets attributes on the class or function %s itself", t);
		pkl_note(vm, "sets attributes of %s", t);
		pkl_wo(vm, "BUILD on a class or function");
	} else if (inst->kind == PV_PERSID) {
		/* persistent_load decides what this is: torch's legacy loader returns the module
		 * itself for a ('module', m, ...) id, so BUILD would rebind m's functions for every
		 * later GLOBAL. No checkpoint writer sets state on a persistent-id object. */
		char t[256];
		pv_render(inst, t, sizeof t);
		ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_BUILD_PERSID, NULL,
		               NULL, "BUILD sets attributes on the persistent-id object %s", t);
		pkl_note(vm, "sets attributes of %s", t);
		pkl_wo(vm, "BUILD on a storage");
	} else if (vm->weights_only) {
		pkl_wo(vm, "BUILD on a builtin value");
	}
	return MS_OK;
}

static ms_err pkl_op_pop(pkl_vm *vm)
{
	size_t len = vm->sp;
	if (vm->nmarks > 0 && vm->marks[vm->nmarks - 1] == len) {
		vm->nmarks--; /* _pickle.c load_pop: a MARK on top is popped instead */
		return MS_OK;
	}
	if (len <= pkl_fence(vm)) return pkl_underflow(vm);
	vm->sp--;
	return MS_OK;
}

static ms_err pkl_op_seq(pkl_vm *vm, pv_kind kind, size_t from)
{
	if (from < pkl_fence(vm)) return pkl_underflow(vm);
	pv *v = pkl_new(vm, kind);
	if (!v) return vm->err.code;
	if (!pkl_vec_from(vm, &v->u.seq, from)) return vm->err.code;
	vm->sp = from;
	return pkl_push(vm, v);
}

static ms_err pkl_op_stack_global(pkl_vm *vm)
{
	pv *name = NULL, *mod = NULL;
	ms_err rc;
	if ((rc = pkl_pop(vm, &name)) != MS_OK || (rc = pkl_pop(vm, &mod)) != MS_OK) return rc;
	if (mod->kind == PV_STR && name->kind == PV_STR)
		return pkl_push(vm, pkl_global(vm, mod->u.s.p, mod->u.s.len, name->u.s.p, name->u.s.len,
		                               "STACK_GLOBAL"));
	/* a constant of another type (bytes, int, ...) makes CPython raise; a computed value
	 * (call result, persistent id) may be a str at load time */
	if ((pkl_is_const(mod) && mod->kind != PV_STR) || (pkl_is_const(name) && name->kind != PV_STR))
		return pkl_fail(vm, MS_ERR_MALFORMED, "STACK_GLOBAL requires str");
	return pkl_push(vm, pkl_global_unresolved(vm, mod, name));
}

/* Logs pid for pkl_persids. A second look is findings only: what it runs is not logged. */
static void pkl_log_persid(pkl_vm *vm, pv *pid)
{
	if (vm->quiet || vm->persids_done || vm->persids_lost != MS_OK) return;
	if (vm->npersids == vm->cappersids) {
		if (vm->cappersids >= MS_MAX_PKL_PERSIDS) {
			vm->persids_lost = MS_ERR_LIMIT;
			return;
		}
		size_t nc = vm->cappersids ? vm->cappersids * 2 : 64;
		if (nc > MS_MAX_PKL_PERSIDS) nc = MS_MAX_PKL_PERSIDS;
		pv **nv = ms_arena_grow(vm->arena, vm->persids, vm->cappersids * sizeof *nv,
		                        nc * sizeof *nv);
		if (!nv) {
			vm->persids_lost = MS_ERR_NOMEM;
			return;
		}
		vm->persids = nv;
		vm->cappersids = nc;
	}
	vm->persids[vm->npersids++] = pid;
}

static ms_err pkl_op_persid(pkl_vm *vm, pv *pid)
{
	pv *v = pkl_new(vm, PV_PERSID);
	if (!v) return vm->err.code;
	v->u.persid.pid = pid;
	pkl_log_persid(vm, pid);
	if (vm->dis) {
		char t[256];
		pv_render(pid, t, sizeof t);
		pkl_note(vm, "persistent id %s", t);
	}
	if (vm->weights_only) {
		bool ok = pid->kind == PV_INT ||
		          (pid->kind == PV_TUPLE && pid->u.seq.n > 0 &&
		           (pv_is_str(pid->u.seq.v[0], "storage") ||
		            (pid->u.seq.v[0]->kind == PV_BYTES && pid->u.seq.v[0]->u.s.len == 7 &&
		             memcmp(pid->u.seq.v[0]->u.s.p, "storage", 7) == 0)));
		if (!ok) pkl_wo(vm, "persistent id is not a ('storage', ...) tuple or an int");
	}
	return pkl_push(vm, v);
}

static ms_err pkl_op_ext(pkl_vm *vm, int64_t code)
{
	if (code <= 0) return pkl_fail(vm, MS_ERR_MALFORMED, "EXT specifies code <= 0");
	ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_EXT, NULL, NULL,
	               "EXT opcode loads extension code %lld from the copyreg registry (empty in stock "
	               "Python; no checkpoint needs one)", (long long)code);
	pv *v = pkl_new(vm, PV_OBJ);
	if (!v) return vm->err.code;
	v->u.obj.how = PV_HOW_EXT;
	v->u.obj.ext_code = code;
	pkl_note(vm, "extension code %lld (unknown global)", (long long)code);
	return pkl_push(vm, v);
}

static ms_err pkl_op_frame(pkl_vm *vm, uint64_t n)
{
	if (vm->in_frame && n <= vm->frame_end - vm->pos) {
		/* load_frame reads the frame from the current buffer and rewinds: nothing changes */
		pkl_note(vm, "inside the current frame");
		return MS_OK;
	}
	if (vm->in_frame && vm->pos < vm->frame_end) {
		pkl_straddle(vm, "FRAME");
		if (!vm->linear) vm->pos = vm->frame_end;
	}
	vm->in_frame = false;
	if (n > vm->len - vm->pos)
		return pkl_fail(vm, MS_ERR_TRUNCATED,
		                "pickle data was truncated (FRAME of %llu bytes, %zu left)",
		                (unsigned long long)n, vm->len - vm->pos);
	vm->in_frame = n > 0;
	vm->frame_end = vm->pos + (size_t)n;
	pkl_note(vm, "frame ends at %zu", vm->frame_end);
	return MS_OK;
}

/* ---- opcode bodies that both paths of pkl_step run -------------------------------------- */

static inline ms_err pkl_op_new(pkl_vm *vm, pv_kind kind) { return pkl_push(vm, pkl_new(vm, kind)); }

static inline ms_err pkl_op_int_const(pkl_vm *vm, pv_kind kind, int64_t i)
{
	return pkl_push(vm, pkl_new_int(vm, kind, i));
}

/* TUPLE1, TUPLE2, TUPLE3 */
static inline ms_err pkl_op_tuple_n(pkl_vm *vm, size_t k)
{
	return vm->sp < k ? pkl_underflow(vm) : pkl_op_seq(vm, PV_TUPLE, vm->sp - k);
}

/* TUPLE, LIST, FROZENSET: everything above the innermost MARK */
static inline ms_err pkl_op_seq_marked(pkl_vm *vm, pv_kind kind)
{
	size_t m = 0;
	ms_err rc = pkl_marker(vm, &m);
	return rc == MS_OK ? pkl_op_seq(vm, kind, m) : rc;
}

static ms_err pkl_op_reduce(pkl_vm *vm)
{
	pv *fn = NULL, *args = NULL;
	ms_err rc;
	if ((rc = pkl_pop(vm, &args)) != MS_OK || (rc = pkl_pop(vm, &fn)) != MS_OK) return rc;
	rc = pkl_call(vm, fn, args, NULL, PV_HOW_REDUCE);
	if (rc == MS_OK && pkl_is_const(args) && args->kind != PV_TUPLE)
		rc = pkl_fail(vm, MS_ERR_MALFORMED, "REDUCE: argument list must be a tuple");
	return rc;
}

static inline ms_err pkl_op_binpersid(pkl_vm *vm)
{
	pv *pid = NULL;
	ms_err rc = pkl_pop(vm, &pid);
	return rc == MS_OK ? pkl_op_persid(vm, pid) : rc;
}

static inline ms_err pkl_op_append_one(pkl_vm *vm)
{
	return pkl_op_append(vm, vm->sp ? vm->sp - 1 : 0, "APPEND");
}

static inline ms_err pkl_op_appends(pkl_vm *vm)
{
	size_t m = 0;
	ms_err rc = pkl_marker(vm, &m);
	return rc == MS_OK ? pkl_op_append(vm, m, "APPENDS") : rc;
}

static inline ms_err pkl_op_setitem(pkl_vm *vm)
{
	return vm->sp < 2 ? pkl_underflow(vm) : pkl_op_setitems(vm, vm->sp - 2, "SETITEM");
}

static inline ms_err pkl_op_setitems_marked(pkl_vm *vm)
{
	size_t m = 0;
	ms_err rc = pkl_marker(vm, &m);
	return rc == MS_OK ? pkl_op_setitems(vm, m, "SETITEMS") : rc;
}

/* BINUNICODE, SHORT_BINUNICODE, BINUNICODE8: UTF-8 text ("surrogatepass") */
static ms_err pkl_op_unicode(pkl_vm *vm, const uint8_t *p, size_t n)
{
	if (!ms_utf8_ok(p, n, true))
		return pkl_fail(vm, MS_ERR_MALFORMED, "%s: invalid UTF-8", pkl_ops[vm->d[vm->op_off]].name);
	pv *x = pkl_new_bytes(vm, PV_STR, p, n);
	pkl_sadd_const(vm, x);
	return pkl_push(vm, x);
}


/* The fast loop's opcode bodies, one per opcode marked fast in pickle_ops.h: its switch is
 * generated from that column, so a marked opcode without a body here does not compile and
 * the loop runs no other opcode. Each moves vm->pos past the opcode and its argument before
 * the body runs, as the general path does; d is the opcode, avail the bytes from it to the
 * end of the frame (or input), at least 2. */
#define PKL_FAST_CASE_0(name)
#define PKL_FAST_CASE_1(name) case PKL_##name: PKL_FAST_##name; break;
#define PKL_FAST_BINPUT vm->pos = pos += 2; rc = pkl_op_put(vm, d[1])
#define PKL_FAST_BINGET vm->pos = pos += 2; rc = pkl_op_get(vm, d[1], false)
#define PKL_FAST_LONG_BINPUT \
	if (avail < 5) return MS_OK; \
	vm->pos = pos += 5; \
	rc = pkl_op_put(vm, ms_le32(d + 1))
#define PKL_FAST_LONG_BINGET \
	if (avail < 5) return MS_OK; \
	vm->pos = pos += 5; \
	rc = pkl_op_get(vm, ms_le32(d + 1), false)
#define PKL_FAST_BININT1 \
	vm->pos = pos += 2; \
	rc = pkl_push(vm, vm->small[d[1]] ? vm->small[d[1]] : pkl_new_int(vm, PV_INT, d[1]))
#define PKL_FAST_BININT2 \
	if (avail < 3) return MS_OK; \
	vm->pos = pos += 3; \
	rc = pkl_op_int_const(vm, PV_INT, ms_le16(d + 1))
#define PKL_FAST_BINUNICODE { \
	if (avail < 5 || ms_le32(d + 1) > avail - 5) return MS_OK; \
	size_t n = ms_le32(d + 1); \
	vm->pos = pos += 5 + n; \
	rc = pkl_op_unicode(vm, d + 5, n); }
#define PKL_FAST_MARK vm->pos = pos += 1; rc = pkl_mark(vm)
#define PKL_FAST_NONE vm->pos = pos += 1; rc = pkl_op_new(vm, PV_NONE)
#define PKL_FAST_NEWFALSE vm->pos = pos += 1; rc = pkl_op_int_const(vm, PV_BOOL, 0)
#define PKL_FAST_NEWTRUE vm->pos = pos += 1; rc = pkl_op_int_const(vm, PV_BOOL, 1)
#define PKL_FAST_EMPTY_TUPLE vm->pos = pos += 1; rc = pkl_op_new(vm, PV_TUPLE)
#define PKL_FAST_EMPTY_LIST vm->pos = pos += 1; rc = pkl_op_new(vm, PV_LIST)
#define PKL_FAST_EMPTY_DICT vm->pos = pos += 1; rc = pkl_op_new(vm, PV_DICT)
#define PKL_FAST_TUPLE vm->pos = pos += 1; rc = pkl_op_seq_marked(vm, PV_TUPLE)
#define PKL_FAST_TUPLE1 vm->pos = pos += 1; rc = pkl_op_tuple_n(vm, 1)
#define PKL_FAST_TUPLE2 vm->pos = pos += 1; rc = pkl_op_tuple_n(vm, 2)
#define PKL_FAST_TUPLE3 vm->pos = pos += 1; rc = pkl_op_tuple_n(vm, 3)
#define PKL_FAST_REDUCE vm->pos = pos += 1; rc = pkl_op_reduce(vm)
#define PKL_FAST_BINPERSID vm->pos = pos += 1; rc = pkl_op_binpersid(vm)
#define PKL_FAST_APPEND vm->pos = pos += 1; rc = pkl_op_append_one(vm)
#define PKL_FAST_APPENDS vm->pos = pos += 1; rc = pkl_op_appends(vm)
#define PKL_FAST_SETITEM vm->pos = pos += 1; rc = pkl_op_setitem(vm)
#define PKL_FAST_SETITEMS vm->pos = pos += 1; rc = pkl_op_setitems_marked(vm)

/* A state dict's opcodes are nearly all of the few below. When no disassembly is written,
 * this runs them from vm->pos for as long as they come, each with its whole argument inside
 * the frame (or the input), doing what pkl_step's general path does for them without that
 * path's argument decoding and checks for every case, and with the position in a register:
 * a third of a small checkpoint's pickle work was those. It stops before the first opcode
 * that needs the general path. Every opcode here is in torch's weights-only list (OPF_WO),
 * so a weights-only scan has nothing to add; their bodies are the general path's own. */
PKL_HOT ms_err pkl_run_fast(pkl_vm *vm)
{
	if (vm->dis) return MS_OK;
	const uint8_t *base = vm->d;
	const size_t end = vm->in_frame ? vm->frame_end : vm->len;
	size_t pos = vm->pos;
	ms_err rc = MS_OK;
	while (rc == MS_OK && end - pos >= 2 && vm->nops < MS_MAX_PKL_OPS) {
		const uint8_t *d = base + pos;
		const size_t avail = end - pos;
		vm->op_off = pos;
		switch (d[0]) {
#define OP(name, code, argk, pr, fl, fast) PKL_FAST_CASE_##fast(name)
#include "pickle_ops.h"
#undef OP
		default: return MS_OK;
		}
		vm->nops++;
	}
	return rc;
}

/* Runs the opcode at vm->pos. Sets *stop on STOP (root in *root). */
PKL_HOT ms_err pkl_step(pkl_vm *vm, bool *stop, pv **root)
{
	vm->op_off = vm->pos;
	vm->note[0] = 0;
	ms_err rc = pkl_want(vm, 1, "opcode");
	if (rc != MS_OK) return rc;
	vm->op_off = vm->pos;
	uint8_t code = vm->d[vm->pos++];
	const pkl_opinfo *oi = &pkl_ops[code];
	if (!oi->known) {
		/* CPython raises "invalid load key": an error, not a finding (a finding would make
		 * every garbage byte after a STOP noisy); findings made before it stay. */
		if (vm->dis) ms_job_dis(vm->job, "%8zu: <invalid 0x%02x>\n", vm->op_off, code);
		return pkl_fail(vm, MS_ERR_MALFORMED, "invalid load key 0x%02x", code);
	}
	if (++vm->nops > MS_MAX_PKL_OPS)
		return pkl_fail(vm, MS_ERR_LIMIT, "more than %zu opcodes (MS_MAX_PKL_OPS)",
		                (size_t)MS_MAX_PKL_OPS);
	pkl_arg a;
	memset(&a, 0, sizeof a);
	rc = pkl_read_arg(vm, oi->arg, &a);
	if (rc == MS_OK && vm->weights_only && !(oi->flags & OPF_WO) && !vm->wo_op_seen[code]) {
		vm->wo_op_seen[code] = true;
		pkl_wo(vm, "opcode %s is not supported", oi->name);
	}
	pv *x = NULL, *y = NULL, *z = NULL;
	size_t m = 0;
	if (rc == MS_OK) switch (code) {
	case PKL_MARK: rc = pkl_mark(vm); break;
	case PKL_STOP:
		if ((rc = pkl_pop(vm, root)) == MS_OK) *stop = true;
		break;
	case PKL_POP: rc = pkl_op_pop(vm); break;
	case PKL_POP_MARK:
		if ((rc = pkl_marker(vm, &m)) == MS_OK) vm->sp = m;
		break;
	case PKL_DUP:
		if (vm->sp <= pkl_fence(vm)) rc = pkl_underflow(vm);
		else rc = pkl_push(vm, vm->stack[vm->sp - 1]);
		break;
	case PKL_FLOAT: rc = pkl_op_float(vm, &a); break;
	case PKL_INT: rc = pkl_op_int(vm, &a); break;
	case PKL_BININT: rc = pkl_push(vm, pkl_new_int(vm, PV_INT, a.i)); break;
	case PKL_BININT1: case PKL_BININT2: rc = pkl_op_int_const(vm, PV_INT, (int64_t)a.u); break;
	case PKL_LONG: rc = pkl_op_long(vm, &a); break;
	case PKL_NONE: rc = pkl_op_new(vm, PV_NONE); break;
	case PKL_PERSID:
		for (size_t i = 0; i < a.n; i++)
			if (a.p[i] & 0x80) return pkl_fail(vm, MS_ERR_MALFORMED, "PERSID: id is not ASCII");
		x = pkl_new_bytes(vm, PV_STR, a.p, a.n);
		rc = x ? pkl_op_persid(vm, x) : vm->err.code;
		break;
	case PKL_BINPERSID: rc = pkl_op_binpersid(vm); break;
	case PKL_REDUCE: rc = pkl_op_reduce(vm); break;
	case PKL_STRING: rc = pkl_op_string(vm, &a); break;
	case PKL_BINSTRING: case PKL_SHORT_BINSTRING:
		x = pkl_py2str(vm, a.p, a.n);
		pkl_sadd_const(vm, x);
		rc = pkl_push(vm, x);
		break;
	case PKL_UNICODE:
		x = pkl_raw_unicode(vm, a.p, a.n);
		pkl_sadd_const(vm, x);
		rc = x ? pkl_push(vm, x) : vm->err.code ? vm->err.code : pkl_nomem(vm);
		break;
	case PKL_BINUNICODE: case PKL_SHORT_BINUNICODE: case PKL_BINUNICODE8:
		rc = pkl_op_unicode(vm, a.p, a.n);
		break;
	case PKL_BINBYTES: case PKL_SHORT_BINBYTES: case PKL_BINBYTES8:
		x = pkl_new_bytes(vm, PV_BYTES, a.p, a.n);
		pkl_sadd_const(vm, x);
		rc = pkl_push(vm, x);
		break;
	case PKL_BYTEARRAY8:
		x = pkl_new_bytes(vm, PV_BYTEARRAY, a.p, a.n);
		pkl_sadd_const(vm, x);
		rc = pkl_push(vm, x);
		break;
	case PKL_EMPTY_LIST: rc = pkl_op_new(vm, PV_LIST); break;
	case PKL_EMPTY_DICT: rc = pkl_op_new(vm, PV_DICT); break;
	case PKL_EMPTY_TUPLE: rc = pkl_op_new(vm, PV_TUPLE); break;
	case PKL_EMPTY_SET: rc = pkl_op_new(vm, PV_SET); break;
	case PKL_APPEND: rc = pkl_op_append_one(vm); break;
	case PKL_APPENDS: rc = pkl_op_appends(vm); break;
	case PKL_SETITEM: rc = pkl_op_setitem(vm); break;
	case PKL_SETITEMS: rc = pkl_op_setitems_marked(vm); break;
	case PKL_ADDITEMS:
		if ((rc = pkl_marker(vm, &m)) != MS_OK) break;
		if (m > vm->sp || m <= pkl_fence(vm)) { rc = pkl_underflow(vm); break; }
		if (m == vm->sp) break;
		x = vm->stack[m - 1];
		if (x->kind == PV_SET) {
			for (size_t i = m; i < vm->sp && rc == MS_OK; i++)
				if (!pkl_vec_push(vm, &x->u.seq, vm->stack[i])) rc = vm->err.code;
		} else if (x->kind == PV_OBJ || x->kind == PV_GLOBAL) {
			pkl_method_on(vm, x, "add");
			if (x->kind == PV_OBJ)
				for (size_t i = m; i < vm->sp && rc == MS_OK; i++)
					if (!pkl_vec_push(vm, &x->u.obj.items, vm->stack[i])) rc = vm->err.code;
		} else if (x->kind != PV_PERSID && x->kind != PV_BUFFER) {
			rc = pkl_fail(vm, MS_ERR_MALFORMED, "ADDITEMS on an object without add");
		}
		vm->sp = m;
		break;
	case PKL_BUILD: rc = pkl_op_build(vm); break;
	case PKL_GLOBAL:
		if (a.n == 0 || a.n2 == 0) { rc = pkl_fail(vm, MS_ERR_MALFORMED, "GLOBAL: empty name"); break; }
		if (!ms_utf8_ok(a.p, a.n, false) || !ms_utf8_ok(a.p2, a.n2, false)) {
			rc = pkl_fail(vm, MS_ERR_MALFORMED, "GLOBAL: name is not UTF-8");
			break;
		}
		rc = pkl_push(vm, pkl_global(vm, a.p, a.n, a.p2, a.n2, "GLOBAL"));
		break;
	case PKL_INST:
		/* load_inst: the MARK is taken before the two lines are decoded */
		if ((rc = pkl_marker(vm, &m)) != MS_OK) break;
		if (a.n == 0 || a.n2 == 0) { rc = pkl_fail(vm, MS_ERR_MALFORMED, "INST: empty name"); break; }
		for (size_t i = 0; i < a.n; i++)
			if (a.p[i] & 0x80) rc = pkl_fail(vm, MS_ERR_MALFORMED, "INST: name is not ASCII");
		for (size_t i = 0; i < a.n2; i++)
			if (a.p2[i] & 0x80) rc = pkl_fail(vm, MS_ERR_MALFORMED, "INST: name is not ASCII");
		if (rc != MS_OK) break;
		x = pkl_global(vm, a.p, a.n, a.p2, a.n2, "INST");
		if (!x) { rc = vm->err.code; break; }
		if (m < pkl_fence(vm)) { rc = pkl_underflow(vm); break; }
		y = pkl_new(vm, PV_TUPLE);
		if (!y || !pkl_vec_from(vm, &y->u.seq, m)) { rc = vm->err.code; break; }
		vm->sp = m;
		rc = pkl_call(vm, x, y, NULL, PV_HOW_INST);
		break;
	case PKL_OBJ:
		if ((rc = pkl_marker(vm, &m)) != MS_OK) break;
		if (vm->sp < m + 1) { rc = pkl_underflow(vm); break; }
		y = pkl_new(vm, PV_TUPLE);
		if (!y || !pkl_vec_from(vm, &y->u.seq, m + 1)) { rc = vm->err.code; break; }
		vm->sp = m + 1;
		if ((rc = pkl_pop(vm, &x)) != MS_OK) break;
		rc = pkl_call(vm, x, y, NULL, PV_HOW_OBJ);
		break;
	case PKL_NEWOBJ:
		if ((rc = pkl_pop(vm, &y)) != MS_OK || (rc = pkl_pop(vm, &x)) != MS_OK) break;
		if (pkl_is_const(y) && y->kind != PV_TUPLE) { rc = pkl_fail(vm, MS_ERR_MALFORMED, "NEWOBJ expected an arg tuple"); break; }
		rc = pkl_call(vm, x, y, NULL, PV_HOW_NEWOBJ);
		break;
	case PKL_NEWOBJ_EX:
		if ((rc = pkl_pop(vm, &z)) != MS_OK || (rc = pkl_pop(vm, &y)) != MS_OK ||
		    (rc = pkl_pop(vm, &x)) != MS_OK)
			break;
		if (pkl_is_const(y) && y->kind != PV_TUPLE) { rc = pkl_fail(vm, MS_ERR_MALFORMED, "NEWOBJ_EX args must be a tuple"); break; }
		if (pkl_is_const(z) && z->kind != PV_DICT) { rc = pkl_fail(vm, MS_ERR_MALFORMED, "NEWOBJ_EX kwargs must be a dict"); break; }
		rc = pkl_call(vm, x, y, z, PV_HOW_NEWOBJ_EX);
		break;
	case PKL_DICT:
		if ((rc = pkl_marker(vm, &m)) != MS_OK) break;
		if ((vm->sp - m) % 2) { rc = pkl_fail(vm, MS_ERR_MALFORMED, "odd number of items for DICT"); break; }
		rc = pkl_op_seq(vm, PV_DICT, m);
		break;
	case PKL_LIST: rc = pkl_op_seq_marked(vm, PV_LIST); break;
	case PKL_TUPLE: rc = pkl_op_seq_marked(vm, PV_TUPLE); break;
	case PKL_FROZENSET: rc = pkl_op_seq_marked(vm, PV_FROZENSET); break;
	case PKL_TUPLE1: case PKL_TUPLE2: case PKL_TUPLE3:
		rc = pkl_op_tuple_n(vm, (size_t)(code - PKL_TUPLE1 + 1));
		break;
	case PKL_GET: {
		uint64_t idx;
		bool neg;
		if ((rc = pkl_text_index(vm, &a, "GET", &idx, &neg)) == MS_OK) rc = pkl_op_get(vm, idx, neg);
		break;
	}
	case PKL_BINGET: case PKL_LONG_BINGET: rc = pkl_op_get(vm, a.u, false); break;
	case PKL_PUT: {
		uint64_t idx;
		bool neg;
		if ((rc = pkl_text_index(vm, &a, "PUT", &idx, &neg)) != MS_OK) break;
		rc = neg ? pkl_fail(vm, MS_ERR_MALFORMED, "negative PUT argument") : pkl_op_put(vm, idx);
		break;
	}
	case PKL_BINPUT: case PKL_LONG_BINPUT: rc = pkl_op_put(vm, a.u); break;
	case PKL_MEMOIZE: rc = pkl_op_put(vm, vm->mcount); break;
	case PKL_BINFLOAT:
		x = pkl_new(vm, PV_FLOAT);
		if (x) x->u.f = a.f;
		rc = pkl_push(vm, x);
		break;
	case PKL_PROTO:
		if (a.u > PKL_HIGHEST_PROTO) {
			rc = pkl_fail(vm, MS_ERR_MALFORMED, "unsupported pickle protocol: %llu",
			              (unsigned long long)a.u);
			break;
		}
		/* a PROTO after the first opcode changes name resolution mid-stream (compat
		 * renames stop or start): worth a note; a leading PROTO is ordinary */
		if (vm->op_off > vm->pick_start && !vm->quiet) {
			pkl_note(vm, "protocol changes from %d", vm->proto);
			ms_job_finding(vm->job, vm->src, vm->op_off, MS_RULE_PKL_PROTO, NULL, NULL,
			               "PROTO %llu in the middle of the stream (protocol was %d): Python 2 "
			               "renames of later globals change", (unsigned long long)a.u, vm->proto);
		}
		vm->proto = (int)a.u;
		if (vm->max_proto < vm->proto) vm->max_proto = vm->proto;
		if (vm->weights_only && a.u != 2) pkl_note(vm, "torch warns on protocol != 2");
		break;
	case PKL_EXT1: case PKL_EXT2: rc = pkl_op_ext(vm, (int64_t)a.u); break;
	case PKL_EXT4: rc = pkl_op_ext(vm, a.i); break;
	case PKL_NEWTRUE: rc = pkl_op_int_const(vm, PV_BOOL, 1); break;
	case PKL_NEWFALSE: rc = pkl_op_int_const(vm, PV_BOOL, 0); break;
	case PKL_LONG1: case PKL_LONG4: rc = pkl_push(vm, pkl_long_bytes(vm, a.p, a.n)); break;
	case PKL_STACK_GLOBAL: rc = pkl_op_stack_global(vm); break;
	case PKL_FRAME: rc = pkl_op_frame(vm, a.u); break;
	case PKL_NEXT_BUFFER:
		pkl_note(vm, "out-of-band buffer (needs buffers= in pickle.loads)");
		rc = pkl_push(vm, pkl_new(vm, PV_BUFFER));
		break;
	case PKL_READONLY_BUFFER:
		if (vm->sp <= pkl_fence(vm)) rc = pkl_underflow(vm);
		break;
	default:
		rc = pkl_fail(vm, MS_ERR_MALFORMED, "opcode %s not handled", oi->name);
		break;
	}
	if (vm->dis) pkl_dis_line(vm, oi, &a, rc);
	return rc;
}

/* Runs one pickle from vm->pos up to its STOP (a fresh Unpickler.load(): protocol 0, empty
 * stack and marks; the memo of the same Unpickler is kept). */
ms_err pkl_exec(pkl_vm *vm, pv **root)
{
	vm->sp = 0;
	vm->nmarks = 0;
	vm->proto = 0;
	vm->in_frame = false;
	ms_error_clear(&vm->err);
	size_t start = vm->pos;
	vm->pick_start = start;
	if (vm->pos >= vm->len) {
		vm->op_off = vm->pos;
		return pkl_fail(vm, MS_ERR_TRUNCATED, "pickle data was truncated (ran out of input)");
	}
	if (vm->dis) ms_job_dis(vm->job, "# pickle at offset %zu%s%s\n", start,
	                        vm->src->member[0] ? " of " : "", vm->src->member);
	bool stop = false;
	ms_err rc = MS_OK;
	while (!stop) {
		if ((rc = pkl_run_fast(vm)) != MS_OK) break;
		if (vm->pos >= vm->len) {
			vm->op_off = vm->pos;
			rc = pkl_fail(vm, MS_ERR_TRUNCATED, "pickle data was truncated (no STOP opcode)");
			break;
		}
		if ((rc = pkl_step(vm, &stop, root)) != MS_OK) break;
	}
	pkl_flush_globals(vm);
	return rc;
}
