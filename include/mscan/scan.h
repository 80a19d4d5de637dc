/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#ifndef MSCAN_SCAN_H
#define MSCAN_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "finding.h"

/* Scan configuration: built-in policy plus user additions. Set it up on one thread, then
 * share it read-only between threads scanning different files. */
typedef struct ms_ctx ms_ctx;
/* The verdict on one input: findings, globals seen, and at most one error. */
typedef struct ms_result ms_result;

typedef struct ms_scan_opts {
	int weights_only;     /* anything torch.load(weights_only=True) refuses is a high finding */
	int no_yara;          /* skip YARA rules */
	int yara_all_bytes;   /* also run YARA over tensor payloads */
	int record_ops;       /* keep the annotated disassembly (mscan dis) */
	int no_globals;       /* keep no list of globals (ms_result_global_count is 0): less work
	                       * and memory per file when no report lists them */
	int keep_mappings;    /* when a mapped file is unmapped: MS_MAPPINGS_* below */
} ms_scan_opts;

/* ms_scan_opts.keep_mappings. Files over 64 KiB are mapped, not read. */
enum {
	MS_MAPPINGS_UNMAP = 0,      /* when the file's scan ends */
	MS_MAPPINGS_UNTIL_FREE = 1, /* by ms_result_free: for scans on several threads whose
	                             * results are freed after the threads end (each munmap while
	                             * they run interrupts every CPU to flush its TLB) */
	MS_MAPPINGS_UNTIL_EXIT = 2, /* never: the process's exit unmaps them all at once, cheaper
	                             * than a munmap each; for a process that exits after its
	                             * report (mscan scan). The address space stays taken. */
};

/* Creates a context with the built-in policy and rules.
 * Returns MS_OK, MS_ERR_NOMEM, MS_ERR_YARA. Caller frees *out with ms_ctx_free. */
MS_API ms_err ms_ctx_new(const ms_scan_opts *opts, ms_ctx **out);
MS_API void ms_ctx_free(ms_ctx *ctx);
/* Adds a JSON policy file (allowed/denied globals, severity overrides).
 * Returns MS_OK, MS_ERR_IO, MS_ERR_MALFORMED; the details are in ms_ctx_error(). */
MS_API ms_err ms_ctx_load_policy(ms_ctx *ctx, const char *path);
/* Adds YARA rules from a file or folder. Returns MS_OK, MS_ERR_IO, MS_ERR_YARA, or MS_ERR_ARG
 * when the context was made with no_yara; the details are in ms_ctx_error(). */
MS_API ms_err ms_ctx_add_rules(ms_ctx *ctx, const char *path);
/* The last setup error on ctx (ms_ctx_new, ms_ctx_load_policy, ms_ctx_add_rules): its code,
 * file (the policy or rules path, "" for built-in data) and message; code MS_OK and message ""
 * when none failed. Never NULL. Borrowed from ctx: valid until ms_ctx_free. */
MS_API const ms_error *ms_ctx_error(const ms_ctx *ctx);

/* Scans one file (never a folder). Always produces a result unless memory runs out: read
 * and parse errors are recorded in the result, never returned here.
 * Returns MS_OK or MS_ERR_NOMEM. Caller frees *out with ms_result_free. */
MS_API ms_err ms_scan_file(const ms_ctx *ctx, const char *path, ms_result **out);
/* Same for bytes in memory; name labels findings. Borrows buf. */
MS_API ms_err ms_scan_buffer(const ms_ctx *ctx, const char *name, const uint8_t *buf,
                             size_t len, ms_result **out);

MS_API void ms_result_free(ms_result *res);
MS_API size_t ms_result_count(const ms_result *res);
/* i < ms_result_count(res). Borrowed; valid until ms_result_free. */
MS_API const ms_finding *ms_result_get(const ms_result *res, size_t i);
/* Highest severity among findings; -1 when there are none. */
MS_API int ms_result_max_severity(const ms_result *res);
/* Why the input was not analysed completely (the first error; findings made before it stay):
 * code MS_OK and message "" when it was. Otherwise file is the scanned path, member the
 * archive member ("" for the file itself), offset the byte offset in that member
 * (MS_NO_OFFSET for errors about the file itself) and message the line reports print, which
 * names member and offset. Never NULL. Borrowed from res: valid until ms_result_free. */
MS_API const ms_error *ms_result_error(const ms_result *res);
/* Content-detected format of the top-level input ("pickle", "torchzip", ...). Borrowed. */
MS_API const char *ms_result_format(const ms_result *res);
MS_API const char *ms_result_path(const ms_result *res);

/* A global the pickle machine resolved: raw (module, name) exactly as find_class would be
 * asked, the name after _compat_pickle renames, and how the stream used it. */
typedef enum {
	MS_USE_REFERENCED = 0,   /* pushed, never called */
	MS_USE_INSTANTIATED = 1, /* NEWOBJ with no arguments / BUILD target */
	MS_USE_CALLED = 2,       /* REDUCE, INST, OBJ, NEWOBJ with arguments, NEWOBJ_EX */
} ms_global_use;

typedef struct ms_global {
	const char *member;
	uint64_t offset;
	const char *module;        /* as in the stream */
	const char *name;
	const char *fq_module;     /* after _compat_pickle mapping */
	const char *fq_name;
	ms_global_use use;
	const char *args;          /* constant arguments rendered as text, or NULL */
} ms_global;

MS_API size_t ms_result_global_count(const ms_result *res);
MS_API const ms_global *ms_result_global(const ms_result *res, size_t i);

/* The annotated disassembly, when opts.record_ops was set: NUL-terminated text. Borrowed. */
MS_API const char *ms_result_disassembly(const ms_result *res);

#endif
