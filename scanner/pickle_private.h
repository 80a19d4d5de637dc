/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The symbolic pickle machine: runs a pickle stream the way CPython's _pickle.c Unpickler
 * does, without importing or executing anything. Every object it would build is a `pv` value;
 * globals and calls are symbolic. The scanner applies the policy to what it records; the
 * converter walks the resulting value graph (rebuild calls over persistent ids). */
#ifndef MSCAN_PICKLE_PRIVATE_H
#define MSCAN_PICKLE_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena_private.h"
#include "scan_private.h"

typedef enum {
	PV_NONE,
	PV_BOOL,      /* u.i is 0 or 1 */
	PV_INT,       /* fits int64: u.i */
	PV_BIGINT,    /* u.s: little-endian two's complement bytes (LONG1/LONG4/LONG text) */
	PV_FLOAT,     /* u.f */
	PV_STR,       /* u.s: UTF-8 (Python str) */
	PV_BYTES,     /* u.s: bytes (BINBYTES*, STRING family decoded as bytes) */
	PV_BYTEARRAY, /* u.s */
	PV_BUFFER,    /* NEXT_BUFFER placeholder (out-of-band buffer) */
	PV_TUPLE,     /* u.seq */
	PV_LIST,      /* u.seq */
	PV_DICT,      /* u.seq: key, value, key, value ... */
	PV_SET,       /* u.seq */
	PV_FROZENSET, /* u.seq */
	PV_GLOBAL,    /* u.g: a class or function found by find_class (never resolved) */
	PV_OBJ,       /* u.obj: result of calling/instantiating something */
	PV_PERSID,    /* u.persid: persistent_load(pid) result (how PyTorch names storages) */
} pv_kind;

typedef enum {
	PV_HOW_REDUCE,     /* callable(*args) */
	PV_HOW_NEWOBJ,     /* cls.__new__(cls, *args) */
	PV_HOW_NEWOBJ_EX,  /* cls.__new__(cls, *args, **kwargs) */
	PV_HOW_OBJ,        /* OBJ opcode: cls(*args) / instantiate */
	PV_HOW_INST,       /* INST opcode (protocol 0) */
	PV_HOW_EXT,        /* EXT1/2/4: object from the copyreg extension registry */
} pv_how;

typedef struct pv pv;
typedef struct pv_vec {
	pv **v;
	size_t n, cap;
} pv_vec;

struct pv {
	pv_kind kind;
	uint64_t off;            /* stream offset of the opcode that made it */
	union {
		int64_t i;
		double f;
		struct { const uint8_t *p; size_t len; } s;   /* arena copy, NUL after len */
		pv_vec seq;
		struct {
			const char *module, *name;           /* raw, as find_class would be asked */
			const char *fq_module, *fq_name;     /* after _compat_pickle mapping */
			size_t global_idx;                   /* index in the job's global list */
			bool unresolved;                     /* STACK_GLOBAL operands not constants */
			int verdict;                         /* ms_verdict of the policy */
			int use;                             /* highest ms_global_use seen so far */
			unsigned roles;                      /* pickle_vm.c tables naming it (bits) */
		} g;
		struct {
			pv *callable;  /* PV_GLOBAL normally; anything for hostile streams */
			pv *args;      /* PV_TUPLE (may be NULL for EXT) */
			pv *kwargs;    /* NEWOBJ_EX only */
			pv_how how;
			pv *state;     /* from BUILD (last one wins), or NULL */
			pv_vec items;  /* APPEND/APPENDS onto it */
			pv_vec kv;     /* SETITEM/SETITEMS onto it: key, value, ... */
			int64_t ext_code;
		} obj;
		struct { pv *pid; } persid;
	} u;
};

/* The persistent id of every PERSID/BINPERSID run, in the order they ran: what the loader's
 * persistent_load is called with. torch loads a storage at each one, whether or not the
 * result still refers to it, and keeps the first it loads for a key. lost: MS_OK, or why
 * the list is incomplete (more than MS_MAX_PKL_PERSIDS, no memory). Arena memory. */
typedef struct pkl_persids {
	pv *const *v;
	size_t n;
	ms_err lost;
} pkl_persids;

/* What one run of the machine over a stream produced. */
typedef struct pkl_stream {
	pv **roots;         /* value of each pickle up to its STOP, in order */
	size_t nroots;
	size_t consumed;    /* bytes up to and including the last STOP */
	int max_proto;      /* highest PROTO seen, -1 if none */
	bool complete;      /* ended on a STOP with nothing but more pickles or trailing bytes */
	/* For YARA ("pickle-strings"): every str/bytes constant, base64-decoded forms of long
	 * base64 constants and decoded codecs arguments, joined with '\n' (arena copy, bounded by
	 * MS_MAX_PKL_STRINGS; NULL when there are none). */
	const uint8_t *strings;
	size_t strings_len;
	/* Of the first pickle only: a loader's one load() runs no other. */
	pkl_persids persids;
} pkl_stream;

/* Runs the machine over src. Values are allocated in arena. Globals, calls and findings are
 * reported to job (policy applied). Several pickles back to back are all run; trailing bytes
 * that are not a pickle are a finding. Errors (truncation, malformed opcodes, limits) are
 * recorded on job with the offset and also returned; findings found before the error stay.
 * out may be NULL. Returns MS_OK or the error. */
ms_err pkl_run(ms_job *job, const ms_src *src, ms_arena *arena, pkl_stream *out);

/* Runs exactly one pickle (up to its STOP) starting at src->data[0]; used by readers of
 * formats made of several pickles and raw bytes (legacy torch). *consumed gets its length;
 * strings (may be NULL) the decoded constants and persids (may be NULL) the persistent ids,
 * as in pkl_stream. */
ms_err pkl_run_one(ms_job *job, const ms_src *src, ms_arena *arena, pv **root, size_t *consumed,
                   const uint8_t **strings, size_t *strings_len, pkl_persids *persids);

/* Reads src as pickles from its start the way pickle.load(f) would if a loader fell back to
 * it (torch.load's legacy stream after tarfile gives up): findings of high severity and above
 * only, errors ignored. */
void pkl_run_speculative(ms_job *job, const ms_src *src);

/* Helpers for walkers (converter, policy): */
bool pv_is_global(const pv *v, const char *fq_module, const char *fq_name);
/* Renders v as short Python-like text into buf (truncated with "..."). */
void pv_render(const pv *v, char *buf, size_t buflen);
/* Whether v is the str s. */
bool pv_is_str(const pv *v, const char *s);

/* ---- loaders that read more of the stream than pickle.load -----------------------------
 * joblib's NumpyUnpickler reads an array's bytes from the stream itself, right after the
 * BUILD of its NumpyArrayWrapper. The reader of that format supplies ms_pkl_build_hook
 * (formats/fmt_joblib.c); the machine calls it after every BUILD on an object in every
 * primary reading of a stream, whatever reader handed it the stream (a joblib dump is read
 * as a plain pickle file, a zip member, a decompressed stream, ...). A second look reads as
 * pickle.load would, without the hook. */
typedef struct pkl_hook_io {
	ms_job *job;
	const ms_src *src;     /* the stream */
	ms_arena *arena;       /* the run's values */
	size_t pos;            /* in: just after the BUILD; out: after what the loader read */
	size_t frame_end;      /* end of the open FRAME when in_frame */
	bool in_frame;         /* in/out: a FRAME is open (the hook closes it once it reads) */
	bool skipped;          /* out: bytes pickle.load would run as opcodes were read as data */
	ms_error *err;         /* why the hook failed (ms_error_set; the code is returned) */
	char note[128];        /* out: a note for the disassembly, "" for none */
} pkl_hook_io;

typedef struct pkl_build_hook {
	/* Whether the loader reads from the stream after the BUILD of inst (a PV_OBJ). */
	bool (*wants)(const pv *inst);
	/* Reads what the loader reads after that BUILD (state: the BUILD's argument). Returns
	 * MS_OK or the error, described in io->err. */
	ms_err (*after_build)(pkl_hook_io *io, const pv *state);
} pkl_build_hook;
extern const pkl_build_hook ms_pkl_build_hook;

#endif
