/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Inside the pickle machine: its state, shared by the files it is made of, and what the
 * opcode loops call on every opcode (static inline here, so that the hot path compiles as
 * one unit). Files: pickle_vm.c the machine (stack, marks, memo, opcode bodies, both loops);
 * pickle_run.c its entry points (a stream's pickles, second looks); pickle_value.c values and their rendering; pickle_pytext.c Python-literal
 * decoding; pickle_judge.c the policy verdicts and the model of allowlisted functions;
 * pickle_strings.c constants collected for YARA; pickle_dis.c the disassembly. */
#ifndef MSCAN_PICKLE_VM_PRIVATE_H
#define MSCAN_PICKLE_VM_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"
#include "err_private.h"
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
#define OP(name, code, arg, proto, flags, fast) PKL_##name = code,
#include "pickle_ops.h"
#undef OP
};

typedef struct pkl_opinfo {
	const char *name;
	unsigned char arg, proto, flags, known;
} pkl_opinfo;

#define PKL_HIGHEST_PROTO 5
#define PKL_SMALL_INTS 256         /* 0..255 (BININT1) share one value each, as CPython's cache */
_Static_assert(PKL_SMALL_INTS > UINT8_MAX, "pkl_step indexes small[] by BININT1's byte");
#define PKL_NOTE 1024              /* disassembly annotation */

/* pv.u.g.roles bits besides pkl_calls_arg's (pickle_judge.c) */
#define PKL_ROLE_TYPE_ONLY (1u << 31) /* pkl_type_only names it */
#define PKL_ROLE_CODECS (1u << 30)    /* codecs.encode/decode (pkl_codecs) */

/* ---- machine state --------------------------------------------------------------------- */

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
	bool loader_skipped;       /* a loader hook read bytes as data: look again without that */
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
	ms_error err;              /* the first error of the current pickle (code MS_OK: none) */
	char note[PKL_NOTE];
	int max_proto;
	pv *none, *small[PKL_SMALL_INTS], *bools[2]; /* shared immutable scalars */
} pkl_vm;

/* An opcode's argument as read from the stream. */
typedef struct pkl_arg {
	uint64_t u;
	int64_t i;
	double f;
	const uint8_t *p, *p2;  /* lines exclude the \n */
	size_t n, n2;
} pkl_arg;

/* ---- pickle_vm.c ----------------------------------------------------------------------- */

/* Records the first error of the current pickle at the opcode being run; returns code. */
ms_err pkl_fail(pkl_vm *vm, ms_err code, const char *fmt, ...) MS_PRINTF(3, 4);
/* The error of an allocation that failed: the arena's cap, or no memory. */
ms_err pkl_nomem(pkl_vm *vm);
/* pkl_push when v is NULL (a failed allocation) or the stack is full. */
ms_err pkl_push_slow(pkl_vm *vm, pv *v);
/* Runs one pickle from vm->pos up to its STOP (a fresh Unpickler.load(): protocol 0, empty
 * stack and marks; the memo of the same Unpickler is kept). Root in *root. */
ms_err pkl_exec(pkl_vm *vm, pv **root);

/* ---- values (inline: the opcode loops make one per opcode) ----------------------------- */

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

static inline pv *pkl_new_bytes(pkl_vm *vm, pv_kind kind, const uint8_t *p, size_t n)
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

static inline pv *pkl_new_int(pkl_vm *vm, pv_kind kind, int64_t i)
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

static inline size_t pkl_fence(const pkl_vm *vm) { return vm->nmarks ? vm->marks[vm->nmarks - 1] : 0; }

/* Most opcodes push: the common case is inline. */
static inline ms_err pkl_push(pkl_vm *vm, pv *v)
{
	if (!v || vm->sp == vm->scap) return pkl_push_slow(vm, v);
	vm->stack[vm->sp++] = v;
	return MS_OK;
}

static inline bool pkl_is_const(const pv *v)
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

static inline int pkl_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static inline bool pkl_isspace(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* ---- pickle_value.c -------------------------------------------------------------------- */

/* String sets (dedupe of findings): adds s; returns true if it was not there yet (false also
 * when out of memory). */
bool pkl_sset_add(pkl_sset *set, const char *s);
void pkl_sset_free(pkl_sset *set);

/* ---- pickle_pytext.c: Python-literal decoding ------------------------------------------ */

/* A Python 2 str (STRING family) as a Python 3 str (valid UTF-8 kept, else latin-1). */
pv *pkl_py2str(pkl_vm *vm, const uint8_t *p, size_t n);
/* raw-unicode-escape (UNICODE opcode) to UTF-8; NULL with vm->err set when invalid. */
pv *pkl_raw_unicode(pkl_vm *vm, const uint8_t *p, size_t n);
/* LONG1/LONG4 argument: little-endian two's complement. */
pv *pkl_long_bytes(pkl_vm *vm, const uint8_t *p, size_t n);
/* The text opcodes: INT, LONG, FLOAT, STRING (push their value), and the GET/PUT index. */
ms_err pkl_op_int(pkl_vm *vm, const pkl_arg *a);
ms_err pkl_op_long(pkl_vm *vm, const pkl_arg *a);
ms_err pkl_op_float(pkl_vm *vm, const pkl_arg *a);
ms_err pkl_op_string(pkl_vm *vm, const pkl_arg *a);
ms_err pkl_text_index(pkl_vm *vm, const pkl_arg *a, const char *what, uint64_t *idx, bool *neg);

/* ---- pickle_judge.c: verdicts and the model of allowlisted functions ------------------- */

/* A weights-only finding (torch.load(weights_only=True) would refuse this). */
void pkl_wo(pkl_vm *vm, const char *fmt, ...) MS_PRINTF(2, 3);
/* GLOBAL/STACK_GLOBAL/INST: the global, with its verdict, recorded on the job. */
pv *pkl_global(pkl_vm *vm, const uint8_t *m, size_t mlen, const uint8_t *n, size_t nlen,
               const char *opname);
/* A STACK_GLOBAL whose operands are not string constants. */
pv *pkl_global_unresolved(pkl_vm *vm, const pv *mod, const pv *name);
/* Medium findings for the current pickle's globals outside the allowlist never called. */
void pkl_flush_globals(pkl_vm *vm);
/* Raises the recorded use of global g (args: argument text or NULL). */
void pkl_use(pkl_vm *vm, pv *g, int use, const char *args);
/* A call or instantiation: callable(*args, **kwargs), judged; pushes the symbolic result. */
ms_err pkl_call(pkl_vm *vm, pv *callable, pv *args, pv *kwargs, pv_how how);
/* An item operation or BUILD on something that is not the builtin container: a method call
 * on that object, judged. */
ms_err pkl_method_on(pkl_vm *vm, pv *target, const char *method);
/* Whether obj's type is a weights_only-allowed class. */
bool pkl_wo_type(const pv *obj);

/* ---- pickle_strings.c: constants for YARA ---------------------------------------------- */

/* Constants YARA will not see (why: MS_ERR_LIMIT or MS_ERR_NOMEM). */
void pkl_strings_lost(pkl_vm *vm, ms_err why);
/* Adds p[0..n) and a newline to the strings for YARA. */
void pkl_sadd(pkl_vm *vm, const uint8_t *p, size_t n);
/* Adds the decoded form of p when it is valid base64 (standard or URL-safe) of >= 16 chars. */
void pkl_sadd_b64(pkl_vm *vm, const uint8_t *p, size_t n);
/* _codecs.encode / codecs.decode with constant arguments: what the call would produce. */
void pkl_codecs(pkl_vm *vm, const pv *callable, const pv *args);
/* The decoded constants, copied into the run's arena (NULL, 0 when none); constants YARA
 * will not see are an error on the job. */
void pkl_take_strings(pkl_vm *vm, const uint8_t **strings, size_t *len);

/* A str/bytes constant: itself and its base64 decoding (every BINUNICODE runs this). */
static inline void pkl_sadd_const(pkl_vm *vm, const pv *v)
{
	if (!v || (v->kind != PV_STR && v->kind != PV_BYTES && v->kind != PV_BYTEARRAY)) return;
	pkl_sadd(vm, v->u.s.p, v->u.s.len);
	pkl_sadd_b64(vm, v->u.s.p, v->u.s.len);
}

/* ---- pickle_dis.c: the disassembly ----------------------------------------------------- */

/* A note for the disassembly (mscan dis). The macro skips the call, and the evaluation of its
 * arguments, in scans, which are most of the opcodes run. */
#define pkl_note(vm, ...) ((vm)->dis ? pkl_note_dis(vm, __VA_ARGS__) : (void)0)
void pkl_note_dis(pkl_vm *vm, const char *fmt, ...) MS_PRINTF(2, 3);
/* The disassembly line of the opcode just run (rc: how it ended). */
void pkl_dis_line(pkl_vm *vm, const pkl_opinfo *oi, const pkl_arg *a, ms_err rc);

#endif
