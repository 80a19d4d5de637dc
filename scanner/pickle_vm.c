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
 * Values live in the per-scan arena; memo references share the same pv (mutations visible
 * through every reference, as in Python). No recursion depends on the input: containers are
 * built with explicit stacks and rendering is depth-bounded.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "limits.h"
#include "pickle_private.h"
#include "policy_private.h"

/* ---- opcode table ---------------------------------------------------------------------- */

enum { ARG_NONE, ARG_U1, ARG_U2, ARG_U4, ARG_U8, ARG_I4, ARG_F8, ARG_LINE, ARG_LINE2,
       ARG_BYTES1, ARG_BYTES4, ARG_BYTES4S, ARG_BYTES8 };
/* The per-opcode path, inlined into pkl_exec's loop whatever the compiler's size heuristics
 * say: as calls they were a fifth of a small checkpoint's pickle work. */
#define PKL_HOT static inline __attribute__((always_inline))
#define OPF_WO 1u

enum {
#define OP(name, code, arg, proto, flags) PKL_##name = code,
#include "pickle_ops.h"
#undef OP
};

typedef struct pkl_opinfo {
	const char *name;
	unsigned char arg, proto, flags, known;
} pkl_opinfo;

static const pkl_opinfo pkl_ops[256] = {
#define OP(name, code, argk, pr, fl) [code] = {#name, argk, pr, fl, 1},
#include "pickle_ops.h"
#undef OP
};

#define PKL_HIGHEST_PROTO 5
#define PKL_SMALL_INTS 256         /* 0..255 (BININT1) share one value each, as CPython's cache */
_Static_assert(PKL_SMALL_INTS > UINT8_MAX, "pkl_step indexes small[] by BININT1's byte");
#define PKL_MAX_WO_FINDINGS 32     /* weights-only findings per stream (same cause repeats) */
#define PKL_MAX_STRADDLE_FINDINGS 16
#define PKL_NOTE 1024              /* disassembly annotation */
#define PKL_SMALL_LINE 64          /* INT lines longer than this cannot fit a C long */

/* ---- machine state --------------------------------------------------------------------- */

typedef struct pkl_sset {     /* string set (dedupe of findings) */
	char **v;
	size_t cap, n;
} pkl_sset;

typedef struct pkl_vm {
	ms_job *job;
	const ms_src *src;
	ms_arena *arena;
	const ms_policy *policy;
	const uint8_t *d;
	size_t len, pos;
	size_t op_off;             /* offset of the opcode being run */
	pv **stack;
	size_t sp, scap;
	size_t *marks;
	size_t nmarks, mcap;
	pv **mdense;               /* memo keys below PKL_DENSE_MEMO: an array, as CPython keeps */
	size_t mdcap;
	uint64_t *mkeys;           /* other keys: open addressing, empty when mvals[i] == NULL */
	pv **mvals;
	size_t memocap, mcount;
	int proto;
	size_t frame_end;
	bool in_frame;
	bool linear;               /* pickle.loads(bytes) reading instead of pickle.load(file) */
	bool quiet;                /* second look at a stream: findings only, no globals/dis */
	bool joblib_skipped;       /* joblib array bytes were skipped: look again without that */
	bool straddled;            /* the two readings diverged somewhere */
	size_t pick_start;         /* offset of the current pickle's first opcode */
	size_t gl_base, gl_end;    /* job globals recorded by the primary reading */
	pkl_sset look_seen;        /* "module\nname\nk": k-th sighting in the second look */
	size_t nops;
	bool weights_only, dis;
	unsigned wo_findings, straddles;
	bool wo_op_seen[256];
	pv **gl;                   /* globals made in the current pickle (for deferred findings) */
	size_t ngl, capgl;
	pkl_sset unknown_seen;
	pkl_sset method_seen;      /* "method\nmodule\nname" item calls reported */
	pv **persids;              /* pkl_persids, in the arena */
	size_t npersids, cappersids;
	ms_err persids_lost;
	bool persids_done;         /* the first pickle has ended: no more are logged */
	uint8_t *sbuf;             /* strings for YARA */
	size_t slen, scap2;
	ms_err strings_lost;       /* why some constants are not in sbuf (MS_OK: none lost) */
	ms_err err;
	uint64_t err_off;
	char err_msg[512];
	char note[PKL_NOTE];
	int max_proto;
	pv *none, *small[PKL_SMALL_INTS], *bools[2]; /* shared immutable scalars */
} pkl_vm;

static ms_err pkl_fail(pkl_vm *vm, ms_err code, const char *fmt, ...) MS_PRINTF(3, 4);
static ms_err pkl_fail(pkl_vm *vm, ms_err code, const char *fmt, ...)
{
	if (vm->err == MS_OK) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(vm->err_msg, sizeof vm->err_msg, fmt, ap);
		va_end(ap);
		vm->err = code;
		vm->err_off = vm->op_off;
	}
	return code;
}

/* A note for the disassembly (mscan dis). The macro skips the call, and the evaluation of its
 * arguments, in scans, which are most of the opcodes run. */
#define pkl_note(vm, ...) ((vm)->dis ? pkl_note_dis(vm, __VA_ARGS__) : (void)0)
static void pkl_note_dis(pkl_vm *vm, const char *fmt, ...) MS_PRINTF(2, 3);
static void pkl_note_dis(pkl_vm *vm, const char *fmt, ...)
{
	size_t n = strlen(vm->note);
	if (n + 4 >= sizeof vm->note) return;
	if (n) {
		memcpy(vm->note + n, "; ", 2);
		n += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(vm->note + n, sizeof vm->note - n, fmt, ap);
	va_end(ap);
}

static ms_err pkl_nomem(pkl_vm *vm)
{
	if (ms_arena_used(vm->arena) + (1u << 20) >= MS_MAX_ARENA_BYTES)
		return pkl_fail(vm, MS_ERR_LIMIT, "pickle values exceed %zu bytes (MS_MAX_ARENA_BYTES)",
		                (size_t)MS_MAX_ARENA_BYTES);
	return pkl_fail(vm, MS_ERR_NOMEM, "out of memory in the pickle machine");
}

/* ---- values ---------------------------------------------------------------------------- */

/* Bytes a value of this kind needs: the header and its own union member only. Scalars are
 * most values of a large pickle; at sizeof(pv) each, 40 MB of NONE/POP filled the arena. A
 * value's kind never changes after it is made. */
static inline size_t pkl_value_size(pv_kind kind)
{
	const size_t head = offsetof(pv, u);
	pv x;
	switch (kind) {
	case PV_NONE: case PV_BUFFER: case PV_BOOL: case PV_INT: return head + sizeof x.u.i;
	case PV_FLOAT: return head + sizeof x.u.f;
	case PV_BIGINT: case PV_STR: case PV_BYTES: case PV_BYTEARRAY: return head + sizeof x.u.s;
	case PV_TUPLE: case PV_LIST: case PV_DICT: case PV_SET: case PV_FROZENSET:
		return head + sizeof x.u.seq;
	case PV_GLOBAL: return head + sizeof x.u.g;
	case PV_PERSID: return head + sizeof x.u.persid;
	default: return sizeof x;
	}
}

static inline pv *pkl_alloc(pkl_vm *vm, pv_kind kind)
{
	pv *v = ms_arena_alloc(vm->arena, pkl_value_size(kind));
	if (!v) {
		pkl_nomem(vm);
		return NULL;
	}
	v->kind = kind;
	v->off = vm->op_off;
	return v;
}

/* None, booleans and small ints are never mutated, so one value each serves every opcode
 * that makes one: gigabytes of NONE/POP or BININT1/POP run in constant memory. */
static inline pv *pkl_new(pkl_vm *vm, pv_kind kind)
{
	if (kind != PV_NONE) return pkl_alloc(vm, kind);
	if (!vm->none) vm->none = pkl_alloc(vm, PV_NONE);
	return vm->none;
}

static pv *pkl_new_bytes(pkl_vm *vm, pv_kind kind, const uint8_t *p, size_t n)
{
	pv *v = pkl_new(vm, kind);
	if (!v) return NULL;
	uint8_t *c = n == SIZE_MAX ? NULL : ms_arena_alloc_copy_target(vm->arena, n + 1);
	if (!c) {
		pkl_nomem(vm);
		return NULL;
	}
	if (n) memcpy(c, p, n);
	c[n] = 0;
	v->u.s.p = c;
	v->u.s.len = n;
	return v;
}

static pv *pkl_new_int(pkl_vm *vm, pv_kind kind, int64_t i)
{
	pv **slot = NULL;
	if (kind == PV_BOOL && (i == 0 || i == 1)) slot = &vm->bools[i];
	else if (kind == PV_INT && i >= 0 && i < PKL_SMALL_INTS) slot = &vm->small[i];
	if (slot && *slot) return *slot;
	pv *v = pkl_alloc(vm, kind);
	if (v) v->u.i = i;
	if (slot) *slot = v;
	return v;
}

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

static const char *pkl_strdup(pkl_vm *vm, const char *s, size_t n)
{
	char *c = ms_arena_strndup(vm->arena, s, n);
	if (!c) pkl_nomem(vm);
	return c;
}

/* ---- stack, marks, memo ---------------------------------------------------------------- */

static size_t pkl_fence(const pkl_vm *vm) { return vm->nmarks ? vm->marks[vm->nmarks - 1] : 0; }

static ms_err pkl_underflow(pkl_vm *vm)
{
	return pkl_fail(vm, MS_ERR_MALFORMED, "%s",
	                vm->nmarks ? "unexpected MARK found" : "unpickling stack underflow");
}

/* pkl_push when v is NULL (a failed allocation) or the stack is full. */
static ms_err pkl_push_slow(pkl_vm *vm, pv *v)
{
	if (!v) return vm->err ? vm->err : pkl_nomem(vm);
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

/* Most opcodes push: the common case is inline. */
static inline ms_err pkl_push(pkl_vm *vm, pv *v)
{
	if (!v || vm->sp == vm->scap) return pkl_push_slow(vm, v);
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

#define PKL_DENSE_MEMO ((size_t)1 << 20) /* keys below: the array (8 MiB at most) */

static size_t pkl_memo_slot(const pkl_vm *vm, uint64_t key)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ull;
	size_t mask = vm->memocap - 1, i = (size_t)(h >> 17) & mask;
	while (vm->mvals[i] && vm->mkeys[i] != key) i = (i + 1) & mask;
	return i;
}

static pv *pkl_memo_get(const pkl_vm *vm, uint64_t key)
{
	if (key < PKL_DENSE_MEMO) return key < vm->mdcap ? vm->mdense[key] : NULL;
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
		if (nc > PKL_DENSE_MEMO) nc = PKL_DENSE_MEMO;
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
	if (key < PKL_DENSE_MEMO) return pkl_memo_put_dense(vm, (size_t)key, v);
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

/* ---- string sets ----------------------------------------------------------------------- */

static uint64_t pkl_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* Adds s; returns true if it was not there yet (false also when out of memory). */
static bool pkl_sset_add(pkl_sset *set, const char *s)
{
	if ((set->n + 1) * 2 > set->cap) {
		size_t nc = set->cap ? set->cap * 2 : 64;
		char **nv = calloc(nc, sizeof *nv);
		if (!nv) return false;
		for (size_t i = 0; i < set->cap; i++) {
			if (!set->v[i]) continue;
			size_t j = (size_t)pkl_hash(set->v[i]) & (nc - 1);
			while (nv[j]) j = (j + 1) & (nc - 1);
			nv[j] = set->v[i];
		}
		free(set->v);
		set->v = nv;
		set->cap = nc;
	}
	size_t j = (size_t)pkl_hash(s) & (set->cap - 1);
	while (set->v[j]) {
		if (strcmp(set->v[j], s) == 0) return false;
		j = (j + 1) & (set->cap - 1);
	}
	set->v[j] = strdup(s);
	if (!set->v[j]) return false;
	set->n++;
	return true;
}

static void pkl_sset_free(pkl_sset *set)
{
	for (size_t i = 0; i < set->cap; i++) free(set->v[i]);
	free(set->v);
	memset(set, 0, sizeof *set);
}

/* ---- rendering ------------------------------------------------------------------------- */

typedef struct pkl_w {
	char *b;
	size_t n, cap;
	bool full;
} pkl_w;

static void pkl_w_put(pkl_w *w, const char *s, size_t n)
{
	if (w->full) return;
	if (n + 4 > w->cap - w->n) {
		size_t room = w->cap - w->n > 4 ? w->cap - w->n - 4 : 0;
		memcpy(w->b + w->n, s, room);
		w->n += room;
		memcpy(w->b + w->n, "...", 4);
		w->n += 3;
		w->full = true;
		return;
	}
	memcpy(w->b + w->n, s, n);
	w->n += n;
	w->b[w->n] = 0;
}

static void pkl_w_str(pkl_w *w, const char *s) { pkl_w_put(w, s, strlen(s)); }

static void pkl_w_quoted(pkl_w *w, const uint8_t *p, size_t n, bool bytes)
{
	char tmp[8];
	pkl_w_str(w, bytes ? "b'" : "'");
	for (size_t i = 0; i < n && !w->full; i++) {
		uint8_t c = p[i];
		if (c == '\'' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			pkl_w_put(w, tmp, 2);
		} else if (c >= 0x20 && c < 0x7f) {
			tmp[0] = (char)c;
			pkl_w_put(w, tmp, 1);
		} else if (c == '\n') {
			pkl_w_put(w, "\\n", 2);
		} else {
			snprintf(tmp, sizeof tmp, "\\x%02x", c);
			pkl_w_put(w, tmp, 4);
		}
	}
	pkl_w_str(w, "'");
}

/* Decimal text of an int: shapes and sizes in every rendered call, where snprintf's
 * format machinery cost more than the rest of the rendering. */
static void pkl_w_int(pkl_w *w, int64_t x)
{
	char tmp[24];
	size_t k = sizeof tmp;
	uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
	do tmp[--k] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (x < 0) tmp[--k] = '-';
	pkl_w_put(w, tmp + k, sizeof tmp - k);
}

static void pkl_render(pkl_w *w, const pv *v, unsigned depth);

static void pkl_render_seq(pkl_w *w, const pv_vec *s, const char *open, const char *close,
                           bool pairs, unsigned depth)
{
	pkl_w_str(w, open);
	for (size_t i = 0; i < s->n && !w->full; i++) {
		if (i) pkl_w_str(w, pairs && (i & 1) ? ": " : ", ");
		pkl_render(w, s->v[i], depth + 1);
	}
	pkl_w_str(w, close);
}

static void pkl_render(pkl_w *w, const pv *v, unsigned depth)
{
	char tmp[64];
	if (w->full) return;
	if (!v) {
		pkl_w_str(w, "?");
		return;
	}
	if (depth >= MS_MAX_PKL_RENDER_DEPTH) {
		pkl_w_str(w, "...");
		return;
	}
	switch (v->kind) {
	case PV_NONE: pkl_w_str(w, "None"); break;
	case PV_BOOL: pkl_w_str(w, v->u.i ? "True" : "False"); break;
	case PV_INT:
		pkl_w_int(w, v->u.i);
		break;
	case PV_BIGINT: {
		pkl_w_str(w, "0x");
		size_t n = v->u.s.len;
		bool neg = n && (v->u.s.p[n - 1] & 0x80);
		if (neg) pkl_w_str(w, "-(2^");
		for (size_t i = n; i-- > 0 && !w->full;) {
			snprintf(tmp, sizeof tmp, "%02x", v->u.s.p[i]);
			pkl_w_str(w, tmp);
		}
		if (neg) pkl_w_str(w, ")");
		break;
	}
	case PV_FLOAT:
		snprintf(tmp, sizeof tmp, "%.17g", v->u.f);
		pkl_w_str(w, tmp);
		break;
	case PV_STR: pkl_w_quoted(w, v->u.s.p, v->u.s.len, false); break;
	case PV_BYTES: pkl_w_quoted(w, v->u.s.p, v->u.s.len, true); break;
	case PV_BYTEARRAY:
		pkl_w_str(w, "bytearray(");
		pkl_w_quoted(w, v->u.s.p, v->u.s.len, true);
		pkl_w_str(w, ")");
		break;
	case PV_BUFFER: pkl_w_str(w, "<out-of-band buffer>"); break;
	case PV_TUPLE:
		pkl_render_seq(w, &v->u.seq, "(", v->u.seq.n == 1 ? ",)" : ")", false, depth);
		break;
	case PV_LIST: pkl_render_seq(w, &v->u.seq, "[", "]", false, depth); break;
	case PV_DICT: pkl_render_seq(w, &v->u.seq, "{", "}", true, depth); break;
	case PV_SET: pkl_render_seq(w, &v->u.seq, "{", "}", false, depth); break;
	case PV_FROZENSET: pkl_render_seq(w, &v->u.seq, "frozenset({", "})", false, depth); break;
	case PV_GLOBAL:
		if (v->u.g.unresolved) {
			pkl_w_str(w, "<unresolved global>");
			break;
		}
		pkl_w_str(w, v->u.g.fq_module);
		pkl_w_str(w, ".");
		pkl_w_str(w, v->u.g.fq_name);
		break;
	case PV_OBJ:
		if (v->u.obj.how == PV_HOW_EXT) {
			snprintf(tmp, sizeof tmp, "<extension %lld>", (long long)v->u.obj.ext_code);
			pkl_w_str(w, tmp);
			break;
		}
		pkl_render(w, v->u.obj.callable, depth + 1);
		if (v->u.obj.args && v->u.obj.args->kind == PV_TUPLE)
			pkl_render_seq(w, &v->u.obj.args->u.seq, "(", ")", false, depth);
		else {
			pkl_w_str(w, "(*");
			pkl_render(w, v->u.obj.args, depth + 1);
			pkl_w_str(w, ")");
		}
		break;
	case PV_PERSID:
		pkl_w_str(w, "persistent_load(");
		pkl_render(w, v->u.persid.pid, depth + 1);
		pkl_w_str(w, ")");
		break;
	}
}

void pv_render(const pv *v, char *buf, size_t buflen)
{
	if (!buflen) return;
	buf[0] = 0;
	if (buflen < 8) return;
	pkl_w w = {buf, 0, buflen, false};
	pkl_render(&w, v, 0);
	buf[w.n < buflen ? w.n : buflen - 1] = 0;
}

bool pv_is_global(const pv *v, const char *fq_module, const char *fq_name)
{
	return v && v->kind == PV_GLOBAL && !v->u.g.unresolved && v->u.g.fq_module &&
	       strcmp(v->u.g.fq_module, fq_module) == 0 && strcmp(v->u.g.fq_name, fq_name) == 0;
}

/* ---- strings for YARA ------------------------------------------------------------------ */

/* Constants YARA will not see: the file must not be reported clean (pkl_take_strings). */
static void pkl_strings_lost(pkl_vm *vm, ms_err why)
{
	if (vm->strings_lost == MS_OK) vm->strings_lost = why;
}

static void pkl_sadd(pkl_vm *vm, const uint8_t *p, size_t n)
{
	if (!n) return;
	if (vm->slen >= MS_MAX_PKL_STRINGS || n > MS_MAX_PKL_STRINGS - vm->slen - 1) {
		pkl_strings_lost(vm, MS_ERR_LIMIT);
		if (vm->slen >= MS_MAX_PKL_STRINGS) return;
		n = MS_MAX_PKL_STRINGS - vm->slen - 1;
	}
	if (vm->slen + n + 1 > vm->scap2) {
		size_t nc = vm->scap2 ? vm->scap2 : 4096;
		while (nc < vm->slen + n + 1) nc *= 2;
		if (nc > MS_MAX_PKL_STRINGS) nc = MS_MAX_PKL_STRINGS;
		uint8_t *b = realloc(vm->sbuf, nc);
		if (!b) {
			pkl_strings_lost(vm, MS_ERR_NOMEM);
			return;
		}
		vm->sbuf = b;
		vm->scap2 = nc;
	}
	memcpy(vm->sbuf + vm->slen, p, n);
	vm->slen += n;
	vm->sbuf[vm->slen++] = '\n';
}

static int pkl_b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+' || c == '-') return 62;
	if (c == '/' || c == '_') return 63;
	return -1;
}

#define PKL_B64_MIN 16

/* Adds the decoded form of p when it is valid base64 (standard or URL-safe) of >= 16 chars. */
static void pkl_sadd_b64(pkl_vm *vm, const uint8_t *p, size_t n)
{
	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
	if (n < PKL_B64_MIN) return;
	size_t pad = 0;
	while (pad < 2 && n > pad && p[n - 1 - pad] == '=') pad++;
	if (pad && (n % 4) != 0) return;
	size_t m = n - pad;
	if (m % 4 == 1) return;
	for (size_t i = 0; i < m; i++)
		if (pkl_b64val(p[i]) < 0) return;
	size_t outn = m / 4 * 3 + (m % 4 ? m % 4 - 1 : 0);
	uint8_t *o = malloc(outn + 1);
	if (!o) {
		pkl_strings_lost(vm, MS_ERR_NOMEM);
		return;
	}
	size_t k = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < m; i++) {
		acc = acc << 6 | (uint32_t)pkl_b64val(p[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (uint8_t)(acc >> bits);
		}
	}
	pkl_sadd(vm, o, k);
	free(o);
}

static void pkl_sadd_const(pkl_vm *vm, const pv *v)
{
	if (!v || (v->kind != PV_STR && v->kind != PV_BYTES && v->kind != PV_BYTEARRAY)) return;
	pkl_sadd(vm, v->u.s.p, v->u.s.len);
	pkl_sadd_b64(vm, v->u.s.p, v->u.s.len);
}

/* ---- text decoding --------------------------------------------------------------------- */

/* Strict UTF-8 check; surrogates (ED A0..BF) only when allow_surr ("surrogatepass"). */
static bool pkl_utf8_ok(const uint8_t *p, size_t n, bool allow_surr)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k;
		uint32_t cp, min;
		if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; min = 0x80; }
		else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; min = 0x800; }
		else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; min = 0x10000; }
		else return false;
		if (n - i <= k) return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80) return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff) return false;
		if (cp >= 0xd800 && cp <= 0xdfff && !allow_surr) return false;
		i += k + 1;
	}
	return true;
}


static int pkl_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* A Python 2 str (STRING family) as a Python 3 str: the Unpickler decodes it with its
 * encoding (ASCII by default, "utf-8" in torch.load, "latin1" in numpy). Valid UTF-8 is kept;
 * anything else is read as latin-1 so that every loader's view is covered. */
static pv *pkl_py2str(pkl_vm *vm, const uint8_t *p, size_t n)
{
	if (pkl_utf8_ok(p, n, false)) return pkl_new_bytes(vm, PV_STR, p, n);
	size_t cap;
	if (ms_mul_ovf_sz(n, 2, &cap)) return NULL;
	uint8_t *o = malloc(cap + 1);
	if (!o) {
		pkl_nomem(vm);
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) k += ms_utf8_put(o + k, p[i]);
	pv *v = pkl_new_bytes(vm, PV_STR, o, k);
	free(o);
	return v;
}

/* PyBytes_DecodeEscape over p[0..n) into o (n bytes suffice). Returns length or -1. */
static ptrdiff_t pkl_unescape(const uint8_t *p, size_t n, uint8_t *o)
{
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (p[i] != '\\') {
			o[k++] = p[i++];
			continue;
		}
		if (++i >= n) return -1; /* "Trailing \ in string" */
		uint8_t c = p[i++];
		switch (c) {
		case '\n': break;
		case '\\': o[k++] = '\\'; break;
		case '\'': o[k++] = '\''; break;
		case '"': o[k++] = '"'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 't': o[k++] = '\t'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 'v': o[k++] = '\v'; break;
		case 'a': o[k++] = '\a'; break;
		case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
			unsigned v = c - '0';
			for (int j = 0; j < 2 && i < n && p[i] >= '0' && p[i] <= '7'; j++)
				v = v * 8 + (unsigned)(p[i++] - '0');
			o[k++] = (uint8_t)v;
			break;
		}
		case 'x': {
			if (n - i < 2 || pkl_hexval(p[i]) < 0 || pkl_hexval(p[i + 1]) < 0) return -1;
			o[k++] = (uint8_t)(pkl_hexval(p[i]) << 4 | pkl_hexval(p[i + 1]));
			i += 2;
			break;
		}
		default: /* unknown escapes keep the backslash */
			o[k++] = '\\';
			o[k++] = c;
			break;
		}
	}
	return (ptrdiff_t)k;
}

/* raw-unicode-escape (UNICODE opcode) to UTF-8. */
static pv *pkl_raw_unicode(pkl_vm *vm, const uint8_t *p, size_t n)
{
	size_t cap;
	if (ms_mul_ovf_sz(n, 4, &cap)) return NULL;
	uint8_t *o = malloc(cap + 1);
	if (!o) {
		pkl_nomem(vm);
		return NULL;
	}
	size_t k = 0, i = 0;
	pv *v = NULL;
	while (i < n) {
		if (p[i] != '\\') {
			k += ms_utf8_put(o + k, p[i++]);
			continue;
		}
		size_t bs = i;
		while (i < n && p[i] == '\\') o[k++] = p[i++];
		if (((i - bs) & 1) == 0 || i >= n || (p[i] != 'u' && p[i] != 'U')) continue;
		k--; /* the escaping backslash */
		unsigned count = p[i] == 'u' ? 4 : 8;
		i++;
		uint32_t cp = 0;
		for (; count; count--, i++) {
			if (i >= n || pkl_hexval(p[i]) < 0) {
				pkl_fail(vm, MS_ERR_MALFORMED, "UNICODE: truncated \\uXXXX escape");
				goto out;
			}
			cp = cp << 4 | (uint32_t)pkl_hexval(p[i]);
		}
		if (cp > 0x10ffff) {
			pkl_fail(vm, MS_ERR_MALFORMED, "UNICODE: \\Uxxxxxxxx out of range");
			goto out;
		}
		k += ms_utf8_put(o + k, cp);
	}
	v = pkl_new_bytes(vm, PV_STR, o, k);
out:
	free(o);
	return v;
}

static bool pkl_isspace(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* PyLong_FromString(s, NULL, base) for base 0 or 10 over p[0..n) (trailing newline is
 * whitespace). Produces PV_INT or PV_BIGINT; NULL (with vm->err set) when invalid. */
static pv *pkl_pylong(pkl_vm *vm, const char *what, const uint8_t *p, size_t n, int base)
{
	size_t i = 0;
	bool neg = false;
	while (i < n && pkl_isspace(p[i])) i++;
	if (i < n && (p[i] == '+' || p[i] == '-')) neg = p[i++] == '-';
	bool zero_lead = false;
	if (base == 0) {
		if (n - i >= 2 && p[i] == '0' && (p[i + 1] | 0x20) == 'x') { base = 16; i += 2; }
		else if (n - i >= 2 && p[i] == '0' && (p[i + 1] | 0x20) == 'o') { base = 8; i += 2; }
		else if (n - i >= 2 && p[i] == '0' && (p[i + 1] | 0x20) == 'b') { base = 2; i += 2; }
		else {
			base = 10;
			zero_lead = i < n && p[i] == '0';
		}
		if (base != 10 && i < n && p[i] == '_') i++;
	}
	uint8_t *dig = malloc(n + 1);
	if (!dig) {
		pkl_nomem(vm);
		return NULL;
	}
	size_t nd = 0;
	bool ok = true, last_us = false;
	for (; i < n && !pkl_isspace(p[i]); i++) {
		if (p[i] == '_') {
			if (nd == 0 || last_us) { ok = false; break; }
			last_us = true;
			continue;
		}
		int d = pkl_hexval(p[i]);
		if (d < 0 || d >= base) { ok = false; break; }
		dig[nd++] = (uint8_t)d;
		last_us = false;
	}
	while (ok && i < n && pkl_isspace(p[i])) i++;
	if (i != n || nd == 0 || last_us) ok = false;
	if (ok && zero_lead)
		for (size_t j = 0; j < nd; j++)
			if (dig[j]) ok = false;
	if (ok && base == 10 && nd > MS_MAX_PKL_INT_DIGITS) {
		free(dig);
		pkl_fail(vm, MS_ERR_MALFORMED, "%s: integer string has more than %u digits", what,
		         MS_MAX_PKL_INT_DIGITS);
		return NULL;
	}
	if (!ok) {
		free(dig);
		pkl_fail(vm, MS_ERR_MALFORMED, "%s: invalid literal for int()", what);
		return NULL;
	}
	/* magnitude, little-endian bytes */
	size_t cap = nd / 2 + 2;
	uint8_t *mag = calloc(cap + 1, 1);
	size_t mlen = 1;
	if (!mag) {
		free(dig);
		pkl_nomem(vm);
		return NULL;
	}
	if (base == 10) {
		for (size_t j = 0; j < nd; j++) {
			unsigned carry = dig[j];
			for (size_t b = 0; b < mlen; b++) {
				unsigned x = mag[b] * 10u + carry;
				mag[b] = (uint8_t)x;
				carry = x >> 8;
			}
			if (carry) mag[mlen++] = (uint8_t)carry;
		}
	} else {
		unsigned bpd = base == 16 ? 4 : base == 8 ? 3 : 1;
		size_t bit = 0;
		for (size_t j = nd; j-- > 0;) {
			for (unsigned b = 0; b < bpd; b++, bit++)
				if (dig[j] >> b & 1) mag[bit / 8] |= (uint8_t)(1u << (bit % 8));
		}
		mlen = bit / 8 + 1;
		if (mlen > cap) mlen = cap;
	}
	free(dig);
	while (mlen > 1 && mag[mlen - 1] == 0) mlen--;
	pv *v = NULL;
	if (mlen <= 8) {
		uint64_t u = 0;
		for (size_t b = mlen; b-- > 0;) u = u << 8 | mag[b];
		if (!neg && u <= INT64_MAX) v = pkl_new_int(vm, PV_INT, (int64_t)u);
		else if (neg && u <= (uint64_t)INT64_MAX + 1)
			v = pkl_new_int(vm, PV_INT, u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u);
		if (v) {
			free(mag);
			return v;
		}
	}
	/* two's complement with room for the sign bit */
	mag[mlen++] = 0;
	if (neg) {
		unsigned carry = 1;
		for (size_t b = 0; b < mlen; b++) {
			unsigned x = (uint8_t)~mag[b] + carry;
			mag[b] = (uint8_t)x;
			carry = x >> 8;
		}
	}
	v = pkl_new_bytes(vm, PV_BIGINT, mag, mlen);
	free(mag);
	return v;
}

/* LONG1/LONG4 argument: little-endian two's complement. */
static pv *pkl_long_bytes(pkl_vm *vm, const uint8_t *p, size_t n)
{
	if (n == 0) return pkl_new_int(vm, PV_INT, 0);
	if (n <= 8) {
		uint64_t u = 0;
		for (size_t b = n; b-- > 0;) u = u << 8 | p[b];
		if (n < 8 && (p[n - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * n);
		return pkl_new_int(vm, PV_INT, (int64_t)u);
	}
	return pkl_new_bytes(vm, PV_BIGINT, p, n);
}

/* ---- findings and globals -------------------------------------------------------------- */

static const char *pkl_verdict_name(int v)
{
	return v == MS_VERDICT_ALLOW ? "allowed" : v == MS_VERDICT_DENY ? "DENIED" : "not allowlisted";
}

static void pkl_wo(pkl_vm *vm, const char *fmt, ...) MS_PRINTF(2, 3);
static void pkl_wo(pkl_vm *vm, const char *fmt, ...)
{
	if (!vm->weights_only || vm->wo_findings >= PKL_MAX_WO_FINDINGS) return;
	vm->wo_findings++;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-WEIGHTS-ONLY", MS_SEV_HIGH, NULL, NULL,
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

#define PKL_LOOK_SCAN_MAX 100000u /* globals of the first reading compared by the second */

/* In the second reading, a global is listed only beyond as many times as the first reading
 * listed it: the list is the union of both readings (what either kind of loader resolves). */
static bool pkl_look_new(pkl_vm *vm, const char *mod, const char *name)
{
	if (vm->gl_end - vm->gl_base > PKL_LOOK_SCAN_MAX) return false;
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

#define PKL_ROLE_TYPE_ONLY (1u << 31) /* pkl_type_only names it */
#define PKL_ROLE_CODECS (1u << 30)    /* codecs.encode/decode (pkl_codecs) */
static unsigned pkl_global_roles(const char *fq_module, const char *fq_name);

static pv *pkl_global(pkl_vm *vm, const uint8_t *m, size_t mlen, const uint8_t *n, size_t nlen,
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
		ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-GLOBAL-DENY", MS_SEV_CRITICAL, fm, fn,
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
static pv *pkl_global_unresolved(pkl_vm *vm, const pv *mod, const pv *name)
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
	ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-GLOBAL-UNRESOLVED", MS_SEV_HIGH, NULL,
	               NULL, "STACK_GLOBAL with operands that are not string constants: module %s, "
	               "name %s (the imported name is computed while loading)", a, b);
	pkl_wo(vm, "STACK_GLOBAL with computed operands");
	pkl_note(vm, "unresolved global from %s, %s", a, b);
	return g;
}

/* Medium findings for globals outside the allowlist that were never called. */
static void pkl_flush_globals(pkl_vm *vm)
{
	for (size_t i = 0; i < vm->ngl; i++) {
		pv *g = vm->gl[i];
		if (g->u.g.verdict != MS_VERDICT_UNKNOWN || g->u.g.use >= MS_USE_CALLED) continue;
		char key[1024];
		snprintf(key, sizeof key, "%s\n%s", g->u.g.fq_module, g->u.g.fq_name);
		if (!pkl_sset_add(&vm->unknown_seen, key)) continue;
		ms_job_finding(vm->job, vm->src, g->off, "MS-PKL-GLOBAL-UNKNOWN", MS_SEV_MEDIUM,
		               g->u.g.fq_module, g->u.g.fq_name,
		               "%s %s.%s is outside the allowlist (a full-object pickle, not weights only)",
		               g->u.g.use == MS_USE_INSTANTIATED ? "instantiates" : "references",
		               g->u.g.fq_module, g->u.g.fq_name);
	}
	vm->ngl = 0;
}

static void pkl_use(pkl_vm *vm, pv *g, int use, const char *args)
{
	if (g->u.g.use < use) g->u.g.use = use;
	if (g->u.g.global_idx != SIZE_MAX)
		ms_job_global_use(vm->job, g->u.g.global_idx, (ms_global_use)use, args);
}

/* latin-1 encoding of UTF-8 text (codecs "latin1"): code points >= 256 end it. */
static void pkl_sadd_latin1(pkl_vm *vm, const uint8_t *p, size_t n)
{
	uint8_t *o = malloc(n + 1);
	if (!o) {
		pkl_strings_lost(vm, MS_ERR_NOMEM);
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		if (c < 0x80) { o[k++] = c; i++; }
		else if ((c & 0xe0) == 0xc0 && i + 1 < n && c <= 0xc3) {
			o[k++] = (uint8_t)((c & 0x1f) << 6 | (p[i + 1] & 0x3f));
			i += 2;
		} else break;
	}
	pkl_sadd(vm, o, k);
	free(o);
}

static void pkl_sadd_hex(pkl_vm *vm, const uint8_t *p, size_t n)
{
	uint8_t *o = malloc(n / 2 + 1);
	if (!o) {
		pkl_strings_lost(vm, MS_ERR_NOMEM);
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		int a = pkl_hexval(p[i]), b = pkl_hexval(p[i + 1]);
		if (a < 0 || b < 0) break;
		o[k++] = (uint8_t)(a << 4 | b);
	}
	pkl_sadd(vm, o, k);
	free(o);
}

static void pkl_sadd_rot13(pkl_vm *vm, const uint8_t *p, size_t n)
{
	uint8_t *o = malloc(n + 1);
	if (!o) {
		pkl_strings_lost(vm, MS_ERR_NOMEM);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 'a' && c <= 'z') c = (uint8_t)('a' + (c - 'a' + 13) % 26);
		else if (c >= 'A' && c <= 'Z') c = (uint8_t)('A' + (c - 'A' + 13) % 26);
		o[i] = c;
	}
	pkl_sadd(vm, o, n);
	free(o);
}

static bool pkl_str_is(const pv *v, const char *s)
{
	return v && v->kind == PV_STR && v->u.s.len == strlen(s) && memcmp(v->u.s.p, s, v->u.s.len) == 0;
}

/* _codecs.encode / codecs.decode with constant arguments: what the call would produce. */
static void pkl_codecs(pkl_vm *vm, const pv *callable, const pv *args)
{
	if (!callable || callable->kind != PV_GLOBAL || !(callable->u.g.roles & PKL_ROLE_CODECS))
		return;
	if (!args || args->kind != PV_TUPLE || args->u.seq.n < 1) return;
	const pv *x = args->u.seq.v[0], *enc = args->u.seq.n > 1 ? args->u.seq.v[1] : NULL;
	if (!x || (x->kind != PV_STR && x->kind != PV_BYTES)) return;
	if (!enc || pkl_str_is(enc, "latin1") || pkl_str_is(enc, "latin-1") ||
	    pkl_str_is(enc, "iso-8859-1") || pkl_str_is(enc, "utf-8") || pkl_str_is(enc, "utf8"))
		pkl_sadd_latin1(vm, x->u.s.p, x->u.s.len);
	else if (pkl_str_is(enc, "base64") || pkl_str_is(enc, "base_64") || pkl_str_is(enc, "base64_codec"))
		pkl_sadd_b64(vm, x->u.s.p, x->u.s.len);
	else if (pkl_str_is(enc, "hex") || pkl_str_is(enc, "hex_codec"))
		pkl_sadd_hex(vm, x->u.s.p, x->u.s.len);
	else if (pkl_str_is(enc, "rot13") || pkl_str_is(enc, "rot_13"))
		pkl_sadd_rot13(vm, x->u.s.p, x->u.s.len);
}

static bool pkl_is_const(const pv *v)
{
	switch (v->kind) {
	case PV_NONE: case PV_BOOL: case PV_INT: case PV_BIGINT: case PV_FLOAT: case PV_STR:
	case PV_BYTES: case PV_BYTEARRAY: case PV_TUPLE: case PV_LIST: case PV_DICT: case PV_SET:
	case PV_FROZENSET:
		return true;
	default:
		return false;
	}
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

static bool pkl_wo_type(const pv *obj)
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
#define PKL_MAX_CALLS_ARG_DEPTH 8

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
		ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-CALL-DYNAMIC", MS_SEV_HIGH, NULL,
		               NULL, "%s calls something that is not a named global: %s%s", via, ft,
		               argtext);
		return;
	}
	const char *m = fn->u.g.fq_module, *n = fn->u.g.fq_name;
	pkl_use(vm, fn, MS_USE_CALLED, argtext);
	if (fn->u.g.verdict == MS_VERDICT_DENY)
		ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-CALL-DENY", MS_SEV_CRITICAL, m, n,
		               "%s calls denylisted %s%s", via, ft, argtext);
	else if (fn->u.g.verdict == MS_VERDICT_UNKNOWN)
		ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-CALL-UNKNOWN", MS_SEV_HIGH, m, n,
		               "%s calls %s%s, which is outside the allowlist", via, ft, argtext);
	else
		pkl_inner_call(vm, fn, fa, depth + 1);
}

static void pkl_hook(pkl_vm *vm, const char *via, pv *hook, unsigned depth)
{
	char ht[256];
	pv_render(hook, ht, sizeof ht);
	ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-HOOK", MS_SEV_HIGH, NULL, NULL,
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
	if (depth >= PKL_MAX_CALLS_ARG_DEPTH || !args || args->kind != PV_TUPLE) return;
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
			ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-CALL-TYPE-ONLY", MS_SEV_HIGH,
			               pkl_type_only[k].module, pkl_type_only[k].name,
			               "calls %s, a type checkpoints only reference (an ndarray over raw "
			               "bytes can be an object array of forged pointers)",
			               pkl_text(o, text, textlen));
}

/* A call or instantiation: callable(*args, **kwargs). Pushes the symbolic result. */
static ms_err pkl_call(pkl_vm *vm, pv *callable, pv *args, pv *kwargs, pv_how how)
{
	if (pkl_is_const(callable))
		return pkl_fail(vm, MS_ERR_MALFORMED, "%s: the callable is a constant, not callable",
		                pkl_how_name(how));
	pv *o = pkl_new(vm, PV_OBJ);
	if (!o) return vm->err;
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
			ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-CALL-DENY", MS_SEV_CRITICAL, m,
			               n, "%s calls denylisted %s", pkl_how_name(how),
			               pkl_text(o, text, sizeof text));
		else if (callable->u.g.verdict == MS_VERDICT_UNKNOWN && use == MS_USE_CALLED)
			ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-CALL-UNKNOWN", MS_SEV_HIGH, m, n,
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
		ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-CALL-UNKNOWN", MS_SEV_HIGH, NULL, NULL,
		               "%s calls %s (an extension-registry object)", pkl_how_name(how), text);
		pkl_note(vm, "calls %s", text);
	} else {
		pkl_text(o, text, sizeof text);
		ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-CALL-DYNAMIC", MS_SEV_HIGH, NULL, NULL,
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
static ms_err pkl_method_on(pkl_vm *vm, pv *target, const char *method)
{
	if (target->kind == PV_GLOBAL) {
		char t[256];
		pv_render(target, t, sizeof t);
		ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-CALL-DYNAMIC", MS_SEV_HIGH,
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
				               c->u.g.verdict == MS_VERDICT_DENY ? "MS-PKL-CALL-DENY"
				                                                 : "MS-PKL-CALL-UNKNOWN",
				               c->u.g.verdict == MS_VERDICT_DENY ? MS_SEV_CRITICAL : MS_SEV_HIGH,
				               c->u.g.fq_module, c->u.g.fq_name,
				               "calls %s.%s.%s on an instance (the class is outside the allowlist)",
				               c->u.g.fq_module, c->u.g.fq_name, method);
		}
	}
	return MS_OK;
}

/* ---- argument reading ------------------------------------------------------------------ */

typedef struct pkl_arg {
	uint64_t u;
	int64_t i;
	double f;
	const uint8_t *p, *p2;  /* lines exclude the \n */
	size_t n, n2;
} pkl_arg;

/* The C unpickler reading from a file object without peek() (io.BytesIO: torch.load,
 * pickle.load) keeps a FRAME in a buffer; _Unpickler_Read of n bytes that are not all in the
 * buffer drops the rest of the buffer and reads n fresh bytes from the file, which is at the
 * frame's end. pickle.loads(bytes) and peekable files read linearly instead. The primary run
 * follows the file reading; a stream where the two differ is run a second time linearly. */
static void pkl_straddle(pkl_vm *vm, const char *what)
{
	vm->straddled = true;
	if (vm->quiet || vm->straddles >= PKL_MAX_STRADDLE_FINDINGS) return;
	vm->straddles++;
	ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-FRAME-STRADDLE", MS_SEV_MEDIUM, NULL,
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

static void pkl_arg_text(pkl_vm *vm, unsigned kind, const pkl_arg *a, char *out, size_t outlen)
{
	char t1[160], t2[160];
	out[0] = 0;
	switch (kind) {
	case ARG_NONE: break;
	case ARG_U1: case ARG_U2: case ARG_U4: case ARG_U8:
		snprintf(out, outlen, "%llu", (unsigned long long)a->u);
		break;
	case ARG_I4: snprintf(out, outlen, "%lld", (long long)a->i); break;
	case ARG_F8: snprintf(out, outlen, "%.17g", a->f); break;
	case ARG_LINE:
		ms_printable(t1, sizeof t1, a->p, a->n);
		snprintf(out, outlen, "'%s'", t1);
		break;
	case ARG_LINE2:
		ms_printable(t1, sizeof t1, a->p, a->n);
		ms_printable(t2, sizeof t2, a->p2, a->n2);
		snprintf(out, outlen, "'%s %s'", t1, t2);
		break;
	default:
		ms_printable(t1, sizeof t1, a->p, a->n < 64 ? a->n : 64);
		snprintf(out, outlen, "%zu bytes '%s%s'", a->n, t1, a->n > 64 ? "..." : "");
		break;
	}
	(void)vm;
}

/* ---- opcode semantics ------------------------------------------------------------------ */

static bool pkl_text_int_small(const uint8_t *p, size_t n, long *out)
{
	/* strtol(s, &end, 0) with end at the newline (the C unpickler's fast path) */
	char buf[PKL_SMALL_LINE + 2];
	if (n > PKL_SMALL_LINE) return false;
	memcpy(buf, p, n);
	buf[n] = 0;
	char *end;
	errno = 0;
	long x = strtol(buf, &end, 0);
	if (errno || *end != 0) return false;
	*out = x;
	return true;
}

static ms_err pkl_op_int(pkl_vm *vm, const pkl_arg *a)
{
	long x;
	if (a->n + 1 < 2) return pkl_fail(vm, MS_ERR_MALFORMED, "INT: empty line");
	if (pkl_text_int_small(a->p, a->n, &x)) {
		/* "I01\n" / "I00\n": a 3-byte line (with \n) holding 0 or 1 is a bool (Python 2) */
		if (a->n + 1 == 3 && (x == 0 || x == 1)) return pkl_push(vm, pkl_new_int(vm, PV_BOOL, x));
		return pkl_push(vm, pkl_new_int(vm, PV_INT, x));
	}
	return pkl_push(vm, pkl_pylong(vm, "INT", a->p, a->n, 0));
}

static ms_err pkl_op_long(pkl_vm *vm, const pkl_arg *a)
{
	if (a->n + 1 < 2) return pkl_fail(vm, MS_ERR_MALFORMED, "LONG: empty line");
	size_t n = a->n;
	if (a->p[n - 1] == 'L') n--;
	return pkl_push(vm, pkl_pylong(vm, "LONG", a->p, n, 0));
}

static ms_err pkl_op_float(pkl_vm *vm, const pkl_arg *a)
{
	char buf[512];
	if (a->n + 1 < 2) return pkl_fail(vm, MS_ERR_MALFORMED, "FLOAT: empty line");
	/* PyOS_string_to_double: no leading space, no hex floats, overflow is an error */
	bool bad = a->n >= sizeof buf || pkl_isspace(a->p[0]);
	for (size_t i = 0; !bad && i < a->n; i++)
		if (a->p[i] == 'x' || a->p[i] == 'X' || a->p[i] == 0 || a->p[i] == '_') bad = true;
	double f = 0;
	if (!bad) {
		memcpy(buf, a->p, a->n);
		buf[a->n] = 0;
		char *end;
		errno = 0;
		f = strtod(buf, &end);
		if (*end != 0 || end == buf || (errno == ERANGE && isinf(f))) bad = true;
	}
	if (bad) return pkl_fail(vm, MS_ERR_MALFORMED, "FLOAT: could not convert string to float");
	pv *v = pkl_new(vm, PV_FLOAT);
	if (v) v->u.f = f;
	return pkl_push(vm, v);
}

static ms_err pkl_op_string(pkl_vm *vm, const pkl_arg *a)
{
	size_t n = a->n;
	if (n < 2 || a->p[0] != a->p[n - 1] || (a->p[0] != '\'' && a->p[0] != '"'))
		return pkl_fail(vm, MS_ERR_MALFORMED, "the STRING opcode argument must be quoted");
	uint8_t *o = malloc(n);
	if (!o) return pkl_nomem(vm);
	ptrdiff_t k = pkl_unescape(a->p + 1, n - 2, o);
	ms_err rc;
	if (k < 0) {
		rc = pkl_fail(vm, MS_ERR_MALFORMED, "STRING: invalid escape");
	} else {
		pv *v = pkl_py2str(vm, o, (size_t)k);
		pkl_sadd_const(vm, v);
		rc = pkl_push(vm, v);
	}
	free(o);
	return rc;
}

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

/* GET/PUT text argument: PyLong_FromString(base 10) then PyLong_AsSsize_t. */
static ms_err pkl_text_index(pkl_vm *vm, const pkl_arg *a, const char *what, uint64_t *idx,
                             bool *neg)
{
	if (a->n + 1 < 2) return pkl_fail(vm, MS_ERR_MALFORMED, "%s: empty line", what);
	pv *v = pkl_pylong(vm, what, a->p, a->n, 10);
	if (!v) return vm->err;
	if (v->kind != PV_INT)
		return pkl_fail(vm, MS_ERR_MALFORMED, "%s: index does not fit Py_ssize_t", what);
	*neg = v->u.i < 0;
	*idx = (uint64_t)v->u.i;
	return MS_OK;
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
			if (!pkl_vec_push(vm, &list->u.seq, vm->stack[i])) rc = vm->err;
		break;
	case PV_BYTEARRAY: break; /* bytearray.extend: data only */
	case PV_OBJ:
		pkl_method_on(vm, list, "extend");
		for (size_t i = x; i < len && rc == MS_OK; i++)
			if (!pkl_vec_push(vm, &list->u.obj.items, vm->stack[i])) rc = vm->err;
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
			if (!pkl_vec_push(vm, kv, vm->stack[i])) return vm->err;
	vm->sp = x;
	return MS_OK;
}

/* ---- joblib: array bytes written into the stream after a NumpyArrayWrapper --------------
 * joblib.dump pickles each ndarray as a NumpyArrayWrapper whose BUILD is followed, outside
 * any frame, by the array itself: a nested pickle for object dtypes, else [1 padding-length
 * byte + padding when 'numpy_array_alignment_bytes' is set] and count x itemsize raw bytes.
 * NumpyUnpickler.load_build reads them there (joblib/numpy_pickle.py read_array). */

/* d[key] as Python has it: of repeated keys the last one wins. */
static const pv *pkl_dict_get(const pv *d, const char *key)
{
	const pv *v = NULL;
	if (!d || d->kind != PV_DICT) return NULL;
	for (size_t i = 0; i + 1 < d->u.seq.n; i += 2)
		if (pkl_str_is(d->u.seq.v[i], key)) v = d->u.seq.v[i + 1];
	return v;
}

/* An attribute BUILD sets: state is a dict, or (dict or None, slotstate dict) whose
 * slotstate is applied after the dict (pickle.py load_build). */
static const pv *pkl_state_get(const pv *state, const char *key)
{
	if (state && state->kind == PV_TUPLE && state->u.seq.n == 2) {
		const pv *v = pkl_dict_get(state->u.seq.v[1], key);
		return v ? v : pkl_dict_get(state->u.seq.v[0], key);
	}
	return pkl_dict_get(state, key);
}

/* A numpy.dtype(...) object: its type string ('f8', 'V24', 'O8') and state tuple. */
static const pv *pkl_dtype_str(const pv *dt)
{
	if (!dt || dt->kind != PV_OBJ || !pv_is_global(dt->u.obj.callable, "numpy", "dtype")) return NULL;
	const pv *a = dt->u.obj.args;
	if (!a || a->kind != PV_TUPLE || a->u.seq.n < 1 || a->u.seq.v[0]->kind != PV_STR) return NULL;
	return a->u.seq.v[0];
}

/* Whether a dtype holds objects anywhere in its fields. *budget bounds the values visited:
 * a hostile state can share one tuple at every level (2^depth paths). Out of budget counts
 * as an object dtype, so the bytes are read as a pickle, never skipped unseen. */
static bool pkl_dtype_has_object(const pv *v, unsigned depth, size_t *budget)
{
	if (!v) return false;
	if (depth > 32 || (*budget)-- == 0) return true;
	const pv *ts = pkl_dtype_str(v);
	if (ts && ts->u.s.len && ts->u.s.p[0] == 'O') return true;
	const pv *st = v->kind == PV_OBJ ? v->u.obj.state : v;
	if (!st) return false;
	if (st->kind == PV_TUPLE || st->kind == PV_DICT || st->kind == PV_LIST)
		for (size_t i = 0; i < st->u.seq.n; i++)
			if (pkl_dtype_has_object(st->u.seq.v[i], depth + 1, budget)) return true;
	return false;
}

/* Item size as numpy's dtype __setstate__ sets it: the state's elsize only for the flexible
 * kinds ('U2' is 8 bytes, 'V24' structured), which alone honour it; the type string's digits
 * otherwise ('f8', 'M8' of 'M8[ns]'), whatever elsize the state claims. */
static bool pkl_dtype_itemsize(const pv *dt, uint64_t *size)
{
	const pv *ts = pkl_dtype_str(dt);
	if (!ts || ts->u.s.len < 2) return false;
	uint8_t kind = ts->u.s.p[0];
	const pv *st = dt->u.obj.state;
	if ((kind == 'U' || kind == 'S' || kind == 'V') && st && st->kind == PV_TUPLE &&
	    st->u.seq.n >= 6 && st->u.seq.v[5]->kind == PV_INT && st->u.seq.v[5]->u.i > 0) {
		*size = (uint64_t)st->u.seq.v[5]->u.i;
		return true;
	}
	uint64_t n = 0;
	size_t i = 1;
	for (; i < ts->u.s.len && ts->u.s.p[i] >= '0' && ts->u.s.p[i] <= '9' && n <= UINT32_MAX; i++)
		n = n * 10 + (uint64_t)(ts->u.s.p[i] - '0');
	if (i == 1 || (i < ts->u.s.len && ts->u.s.p[i] != '[')) return false;
	*size = n;
	return true;
}

static ms_err pkl_joblib_array(pkl_vm *vm, const pv *state)
{
	const pv *dt = pkl_state_get(state, "dtype"), *shape = pkl_state_get(state, "shape");
	if (!dt || !shape || shape->kind != PV_TUPLE)
		return pkl_fail(vm, MS_ERR_MALFORMED, "joblib NumpyArrayWrapper without dtype and shape");
	if (vm->in_frame && vm->pos < vm->frame_end)
		return pkl_fail(vm, MS_ERR_UNSUPPORTED, "joblib array data inside an open frame");
	vm->in_frame = false;
	size_t budget = 4096;
	if (pkl_dtype_has_object(dt, 0, &budget)) {
		/* pickle.load(file_handle): a whole pickle of its own */
		ms_src sub;
		if (vm->src->depth >= MS_MAX_NEST_DEPTH ||
		    !ms_src_slice(vm->job, vm->src, vm->pos, vm->len - vm->pos, "[joblib object array]", &sub))
			return pkl_fail(vm, MS_ERR_LIMIT, "joblib object arrays nested too deep");
		pv *root = NULL;
		size_t used = 0;
		/* Its constants reach YARA through the second, linear reading (joblib_skipped). */
		ms_err rc = pkl_run_one(vm->job, &sub, vm->arena, &root, &used, NULL, NULL, NULL);
		if (rc != MS_OK) return pkl_fail(vm, rc, "joblib object array pickle is broken");
		vm->pos += used;
		vm->joblib_skipped = true;
		return MS_OK;
	}
	uint64_t count = 1, isz, nb;
	for (size_t i = 0; i < shape->u.seq.n; i++) {
		const pv *d = shape->u.seq.v[i];
		if (d->kind != PV_INT || d->u.i < 0 || ms_mul_ovf(count, (uint64_t)d->u.i, &count))
			return pkl_fail(vm, MS_ERR_MALFORMED, "joblib array shape is not a tuple of sizes");
	}
	if (!pkl_dtype_itemsize(dt, &isz))
		return pkl_fail(vm, MS_ERR_UNSUPPORTED, "joblib array dtype whose item size is unknown");
	if (ms_mul_ovf(count, isz, &nb))
		return pkl_fail(vm, MS_ERR_OVERFLOW, "joblib array size overflows");
	const pv *align = pkl_state_get(state, "numpy_array_alignment_bytes");
	if (align && align->kind != PV_NONE) {
		if (vm->pos >= vm->len) return pkl_fail(vm, MS_ERR_TRUNCATED, "joblib array padding cut");
		size_t pad = vm->d[vm->pos];
		if (pad > vm->len - vm->pos - 1)
			return pkl_fail(vm, MS_ERR_TRUNCATED, "joblib array padding cut");
		vm->pos += 1 + pad;
	}
	if (nb > vm->len - vm->pos)
		return pkl_fail(vm, MS_ERR_TRUNCATED, "joblib array needs %llu bytes, %zu left",
		                (unsigned long long)nb, vm->len - vm->pos);
	pkl_note(vm, "skips %llu bytes of joblib array data", (unsigned long long)nb);
	vm->pos += (size_t)nb;
	vm->joblib_skipped = true;
	return MS_OK;
}

/* True when module "." name spells path, wherever the dot falls: 'joblib' +
 * 'numpy_pickle.NumpyArrayWrapper' (protocol 4) is the same class as 'joblib.numpy_pickle' +
 * 'NumpyArrayWrapper'. */
static bool pkl_global_path_is(const pv *g, const char *path)
{
	size_t m = strlen(g->u.g.fq_module);
	return strncmp(path, g->u.g.fq_module, m) == 0 && path[m] == '.' &&
	       strcmp(path + m + 1, g->u.g.fq_name) == 0;
}

/* Only joblib's NumpyUnpickler reads array bytes; pickle.load does not, so a stream where
 * bytes were skipped is also read without skipping (pkl_second_look). */
static bool pkl_is_joblib_wrapper(const pv *inst)
{
	const pv *c = inst->u.obj.callable;
	if (!c || c->kind != PV_GLOBAL || c->u.g.unresolved) return false;
	return pkl_global_path_is(c, "joblib.numpy_pickle.NumpyArrayWrapper") ||
	       pkl_global_path_is(c, "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper");
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
		if (!vm->quiet && pkl_is_joblib_wrapper(inst)) return pkl_joblib_array(vm, state);
	} else if (inst->kind == PV_GLOBAL) {
		char t[256];
		pv_render(inst, t, sizeof t);
		ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-BUILD-GLOBAL", MS_SEV_HIGH,
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
		ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-BUILD-PERSID", MS_SEV_HIGH, NULL,
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
	if (!v) return vm->err;
	if (!pkl_vec_from(vm, &v->u.seq, from)) return vm->err;
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

static pkl_persids pkl_take_persids(const pkl_vm *vm)
{
	return (pkl_persids){vm->persids, vm->npersids, vm->persids_lost};
}

static ms_err pkl_op_persid(pkl_vm *vm, pv *pid)
{
	pv *v = pkl_new(vm, PV_PERSID);
	if (!v) return vm->err;
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
		           (pkl_str_is(pid->u.seq.v[0], "storage") ||
		            (pid->u.seq.v[0]->kind == PV_BYTES && pid->u.seq.v[0]->u.s.len == 7 &&
		             memcmp(pid->u.seq.v[0]->u.s.p, "storage", 7) == 0)));
		if (!ok) pkl_wo(vm, "persistent id is not a ('storage', ...) tuple or an int");
	}
	return pkl_push(vm, v);
}

static ms_err pkl_op_ext(pkl_vm *vm, int64_t code)
{
	if (code <= 0) return pkl_fail(vm, MS_ERR_MALFORMED, "EXT specifies code <= 0");
	ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-EXT", MS_SEV_HIGH, NULL, NULL,
	               "EXT opcode loads extension code %lld from the copyreg registry (empty in stock "
	               "Python; no checkpoint needs one)", (long long)code);
	pv *v = pkl_new(vm, PV_OBJ);
	if (!v) return vm->err;
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
	if (!pkl_utf8_ok(p, n, true))
		return pkl_fail(vm, MS_ERR_MALFORMED, "%s: invalid UTF-8", pkl_ops[vm->d[vm->op_off]].name);
	pv *x = pkl_new_bytes(vm, PV_STR, p, n);
	pkl_sadd_const(vm, x);
	return pkl_push(vm, x);
}

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
		/* each case moves vm->pos past the opcode and its argument before the body runs,
		 * as the general path does */
		switch (d[0]) {
		case PKL_BINPUT: vm->pos = pos += 2; rc = pkl_op_put(vm, d[1]); break;
		case PKL_BINGET: vm->pos = pos += 2; rc = pkl_op_get(vm, d[1], false); break;
		case PKL_LONG_BINPUT:
			if (avail < 5) return MS_OK;
			vm->pos = pos += 5;
			rc = pkl_op_put(vm, ms_le32(d + 1));
			break;
		case PKL_LONG_BINGET:
			if (avail < 5) return MS_OK;
			vm->pos = pos += 5;
			rc = pkl_op_get(vm, ms_le32(d + 1), false);
			break;
		case PKL_BININT1:
			vm->pos = pos += 2;
			rc = pkl_push(vm, vm->small[d[1]] ? vm->small[d[1]] : pkl_new_int(vm, PV_INT, d[1]));
			break;
		case PKL_BININT2:
			if (avail < 3) return MS_OK;
			vm->pos = pos += 3;
			rc = pkl_op_int_const(vm, PV_INT, ms_le16(d + 1));
			break;
		case PKL_BINUNICODE: {
			if (avail < 5 || ms_le32(d + 1) > avail - 5) return MS_OK;
			size_t n = ms_le32(d + 1);
			vm->pos = pos += 5 + n;
			rc = pkl_op_unicode(vm, d + 5, n);
			break;
		}
		case PKL_MARK: vm->pos = pos += 1; rc = pkl_mark(vm); break;
		case PKL_NONE: vm->pos = pos += 1; rc = pkl_op_new(vm, PV_NONE); break;
		case PKL_NEWFALSE: vm->pos = pos += 1; rc = pkl_op_int_const(vm, PV_BOOL, 0); break;
		case PKL_NEWTRUE: vm->pos = pos += 1; rc = pkl_op_int_const(vm, PV_BOOL, 1); break;
		case PKL_EMPTY_TUPLE: vm->pos = pos += 1; rc = pkl_op_new(vm, PV_TUPLE); break;
		case PKL_EMPTY_LIST: vm->pos = pos += 1; rc = pkl_op_new(vm, PV_LIST); break;
		case PKL_EMPTY_DICT: vm->pos = pos += 1; rc = pkl_op_new(vm, PV_DICT); break;
		case PKL_TUPLE: vm->pos = pos += 1; rc = pkl_op_seq_marked(vm, PV_TUPLE); break;
		case PKL_TUPLE1: vm->pos = pos += 1; rc = pkl_op_tuple_n(vm, 1); break;
		case PKL_TUPLE2: vm->pos = pos += 1; rc = pkl_op_tuple_n(vm, 2); break;
		case PKL_TUPLE3: vm->pos = pos += 1; rc = pkl_op_tuple_n(vm, 3); break;
		case PKL_REDUCE: vm->pos = pos += 1; rc = pkl_op_reduce(vm); break;
		case PKL_BINPERSID: vm->pos = pos += 1; rc = pkl_op_binpersid(vm); break;
		case PKL_APPEND: vm->pos = pos += 1; rc = pkl_op_append_one(vm); break;
		case PKL_APPENDS: vm->pos = pos += 1; rc = pkl_op_appends(vm); break;
		case PKL_SETITEM: vm->pos = pos += 1; rc = pkl_op_setitem(vm); break;
		case PKL_SETITEMS: vm->pos = pos += 1; rc = pkl_op_setitems_marked(vm); break;
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
		rc = x ? pkl_op_persid(vm, x) : vm->err;
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
		rc = x ? pkl_push(vm, x) : vm->err ? vm->err : pkl_nomem(vm);
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
				if (!pkl_vec_push(vm, &x->u.seq, vm->stack[i])) rc = vm->err;
		} else if (x->kind == PV_OBJ || x->kind == PV_GLOBAL) {
			pkl_method_on(vm, x, "add");
			if (x->kind == PV_OBJ)
				for (size_t i = m; i < vm->sp && rc == MS_OK; i++)
					if (!pkl_vec_push(vm, &x->u.obj.items, vm->stack[i])) rc = vm->err;
		} else if (x->kind != PV_PERSID && x->kind != PV_BUFFER) {
			rc = pkl_fail(vm, MS_ERR_MALFORMED, "ADDITEMS on an object without add");
		}
		vm->sp = m;
		break;
	case PKL_BUILD: rc = pkl_op_build(vm); break;
	case PKL_GLOBAL:
		if (a.n == 0 || a.n2 == 0) { rc = pkl_fail(vm, MS_ERR_MALFORMED, "GLOBAL: empty name"); break; }
		if (!pkl_utf8_ok(a.p, a.n, false) || !pkl_utf8_ok(a.p2, a.n2, false)) {
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
		if (!x) { rc = vm->err; break; }
		if (m < pkl_fence(vm)) { rc = pkl_underflow(vm); break; }
		y = pkl_new(vm, PV_TUPLE);
		if (!y || !pkl_vec_from(vm, &y->u.seq, m)) { rc = vm->err; break; }
		vm->sp = m;
		rc = pkl_call(vm, x, y, NULL, PV_HOW_INST);
		break;
	case PKL_OBJ:
		if ((rc = pkl_marker(vm, &m)) != MS_OK) break;
		if (vm->sp < m + 1) { rc = pkl_underflow(vm); break; }
		y = pkl_new(vm, PV_TUPLE);
		if (!y || !pkl_vec_from(vm, &y->u.seq, m + 1)) { rc = vm->err; break; }
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
			ms_job_finding(vm->job, vm->src, vm->op_off, "MS-PKL-PROTO", MS_SEV_INFO, NULL, NULL,
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
	if (vm->dis) {
		char argt[400];
		pkl_arg_text(vm, oi->arg, &a, argt, sizeof argt);
		if (rc != MS_OK && vm->err_msg[0]) pkl_note(vm, "error: %s", vm->err_msg);
		ms_job_dis(vm->job, "%8zu: %-16s %s%s%s\n", vm->op_off, oi->name, argt,
		           vm->note[0] ? (argt[0] ? "  ; " : "; ") : "", vm->note);
	}
	return rc;
}

/* Runs one pickle from vm->pos up to its STOP (a fresh Unpickler.load(): protocol 0, empty
 * stack and marks; the memo of the same Unpickler is kept). */
static ms_err pkl_exec(pkl_vm *vm, pv **root)
{
	vm->sp = 0;
	vm->nmarks = 0;
	vm->proto = 0;
	vm->in_frame = false;
	vm->err = MS_OK;
	vm->err_msg[0] = 0;
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

static void pkl_vm_init(pkl_vm *vm, ms_job *job, const ms_src *src, ms_arena *arena)
{
	memset(vm, 0, sizeof *vm);
	vm->job = job;
	vm->src = src;
	vm->arena = arena;
	vm->policy = job->ctx->policy;
	vm->d = src->data;
	vm->len = src->len;
	vm->weights_only = job->ctx->opts.weights_only != 0;
	vm->dis = ms_job_dis_enabled(job);
	vm->max_proto = -1;
	vm->gl_base = ms_job_global_count(job);
}

static void pkl_vm_free(pkl_vm *vm)
{
	free(vm->stack);
	free(vm->marks);
	free(vm->mdense);
	free(vm->mkeys);
	free(vm->mvals);
	free(vm->gl);
	free(vm->sbuf);
	pkl_sset_free(&vm->unknown_seen);
	pkl_sset_free(&vm->method_seen);
	pkl_sset_free(&vm->look_seen);
}

/* Runs up to max pickles from `from` again, reading linearly (pickle.loads of the bytes) and
 * without joblib's array skipping (quiet): findings only, errors ignored. Used where the file
 * reading and the bytes reading differ, or joblib's and pickle's. */
static void pkl_second_look(pkl_vm *vm, size_t from, size_t max)
{
	bool dis = vm->dis;
	size_t pos = vm->pos;
	vm->gl_end = ms_job_global_count(vm->job);
	pkl_sset_free(&vm->look_seen);
	vm->dis = false;
	vm->quiet = true;
	vm->linear = true;
	vm->pos = from;
	for (size_t i = 0; i < max && vm->pos < vm->len; i++) {
		pv *r = NULL;
		if (pkl_exec(vm, &r) != MS_OK) break;
	}
	vm->dis = dis;
	vm->quiet = false;
	vm->linear = false;
	vm->pos = pos;
	vm->in_frame = false;
	vm->err = MS_OK;
	vm->err_msg[0] = 0;
}

static ms_err pkl_report(pkl_vm *vm)
{
	return ms_job_error(vm->job, vm->src, vm->err_off, vm->err, "%s", vm->err_msg);
}

/* The decoded constants for YARA, copied into the run's arena (NULL, 0 when none). Any that
 * YARA will not see make the file an error: a limit or no memory, never a clean verdict. */
static void pkl_take_strings(pkl_vm *vm, const uint8_t **strings, size_t *len)
{
	*strings = NULL;
	*len = 0;
	uint8_t *s = vm->slen ? ms_arena_alloc(vm->arena, vm->slen + 1) : NULL;
	if (s) {
		memcpy(s, vm->sbuf, vm->slen);
		*strings = s;
		*len = vm->slen;
	} else if (vm->slen) {
		pkl_strings_lost(vm, MS_ERR_NOMEM);
	}
	if (!vm->job->ctx->yara) return; /* --no-yara: nothing was to see them */
	if (vm->strings_lost == MS_ERR_LIMIT)
		ms_job_error(vm->job, vm->src, 0, MS_ERR_LIMIT,
		             "decoded constants exceed %zu bytes (MS_MAX_PKL_STRINGS): YARA saw only "
		             "the first", (size_t)MS_MAX_PKL_STRINGS);
	else if (vm->strings_lost != MS_OK)
		ms_job_error(vm->job, vm->src, 0, vm->strings_lost,
		             "no memory for the decoded constants YARA scans");
}

ms_err pkl_run(ms_job *job, const ms_src *src, ms_arena *arena, pkl_stream *out)
{
	pkl_vm vm;
	pkl_vm_init(&vm, job, src, arena);
	pv **roots = NULL;
	size_t nroots = 0;
	ms_err rc = MS_OK;
	bool complete = false;
	if (out) memset(out, 0, sizeof *out);
	for (;;) {
		size_t start = vm.pos;
		pv *root = NULL;
		/* After the first pickle, the rest is tried as another pickle: a payload there is
		 * found either way; bytes that are not a pickle are reported, not an error. */
		ms_err r = pkl_exec(&vm, &root);
		if (r != MS_OK) {
			if (nroots == 0) {
				rc = pkl_report(&vm);
			} else {
				ms_job_finding(job, src, start, "MS-PKL-TRAILING", MS_SEV_MEDIUM, NULL, NULL,
				               "%zu bytes after the last STOP are not a complete pickle (%s at "
				               "offset %llu)", vm.len - start, vm.err_msg,
				               (unsigned long long)vm.err_off);
				complete = true;
			}
			break;
		}
		if (nroots >= MS_MAX_PKL_STREAMS) {
			vm.op_off = start;
			pkl_fail(&vm, MS_ERR_LIMIT, "more than %u pickles in one stream (MS_MAX_PKL_STREAMS)",
			         MS_MAX_PKL_STREAMS);
			rc = pkl_report(&vm);
			break;
		}
		pv **nr = ms_arena_grow(arena, roots, nroots * sizeof *nr, (nroots + 1) * sizeof *nr);
		if (!nr) {
			pkl_nomem(&vm);
			rc = pkl_report(&vm);
			break;
		}
		roots = nr;
		roots[nroots++] = root;
		vm.persids_done = true;
		if (nroots == 2)
			ms_job_finding(job, src, start, "MS-PKL-MULTIPLE", MS_SEV_MEDIUM, NULL, NULL,
			               "several pickles back to back in one stream (a loader calling "
			               "pickle.load repeatedly runs each)");
		if (vm.in_frame && vm.pos < vm.frame_end) {
			/* pickle.load(file) has read the whole frame: the next load starts at its end,
			 * while a loader given the rest of the bytes runs what follows the STOP. */
			ms_job_finding(job, src, vm.pos, "MS-PKL-FRAME-STRADDLE", MS_SEV_MEDIUM, NULL, NULL,
			               "%zu bytes after STOP inside a FRAME: skipped by pickle.load(file), "
			               "run by a loader reading the rest of the bytes (both are analysed)",
			               vm.frame_end - vm.pos);
			pkl_second_look(&vm, vm.pos, MS_MAX_PKL_STREAMS);
			vm.pos = vm.frame_end;
		}
		if (out) out->consumed = vm.pos;
		if (vm.pos >= vm.len) {
			complete = true;
			break;
		}
	}
	if (vm.straddled || vm.joblib_skipped) pkl_second_look(&vm, 0, MS_MAX_PKL_STREAMS);
	if (out) {
		out->roots = roots;
		out->nroots = nroots;
		out->max_proto = vm.max_proto;
		out->complete = complete && rc == MS_OK;
		pkl_take_strings(&vm, &out->strings, &out->strings_len);
		out->persids = pkl_take_persids(&vm);
	}
	pkl_vm_free(&vm);
	return rc;
}

void pkl_run_speculative(ms_job *job, const ms_src *src)
{
	ms_arena *arena = ms_arena_new(MS_MAX_ARENA_BYTES);
	if (!arena) return;
	ms_severity floor = job->floor;
	job->floor = MS_SEV_HIGH;
	pkl_vm vm;
	pkl_vm_init(&vm, job, src, arena);
	pkl_second_look(&vm, 0, MS_MAX_PKL_STREAMS);
	pkl_vm_free(&vm);
	job->floor = floor;
	ms_arena_free(arena);
}

ms_err pkl_run_one(ms_job *job, const ms_src *src, ms_arena *arena, pv **root, size_t *consumed,
                   const uint8_t **strings, size_t *strings_len, pkl_persids *persids)
{
	pkl_vm vm;
	pkl_vm_init(&vm, job, src, arena);
	pv *r = NULL;
	ms_err rc = pkl_exec(&vm, &r);
	if (rc != MS_OK) rc = pkl_report(&vm);
	size_t end = vm.pos;
	if (vm.straddled || vm.joblib_skipped) pkl_second_look(&vm, 0, 1);
	vm.pos = end;
	if (root) *root = rc == MS_OK ? r : NULL;
	if (consumed) *consumed = vm.pos;
	if (strings) pkl_take_strings(&vm, strings, strings_len);
	if (persids) *persids = pkl_take_persids(&vm);
	pkl_vm_free(&vm);
	return rc;
}
