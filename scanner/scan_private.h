/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The scan job: what format readers and the pickle machine use to report to a result. */
#ifndef MSCAN_SCAN_PRIVATE_H
#define MSCAN_SCAN_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mscan/mscan.h"

#include "scanner/err_private.h"
#include "scanner/rule_ids_private.h"
#define MS_NO_FILE_OFFSET UINT64_MAX

struct ms_policy;  /* policy_private.h */
struct ms_yara;    /* yara_private.h */

struct ms_ctx {
	ms_scan_opts opts;
	struct ms_policy *policy;
	struct ms_yara *yara;
	ms_error error;    /* the last setup error (ms_ctx_error) */
};

/* A view of bytes to analyse: a whole file (mmapped), a member of an archive, or bytes
 * decompressed from one. Readers see input only through this. */
typedef struct ms_src {
	const uint8_t *data;
	size_t len;
	const char *member;   /* "" for the file itself; "a.zip/inner.npy" style path for members */
	uint64_t file_off;    /* offset of data[0] in the file, MS_NO_FILE_OFFSET if not a plain slice */
	unsigned depth;       /* container nesting depth */
} ms_src;

/* Makes a child view: bytes [off, off+len) of parent, named parent->member + "/" + member
 * (just member at top level; copied).
 * Returns false if the range is out of bounds. */
typedef struct ms_job ms_job;
bool ms_src_slice(ms_job *job, const ms_src *parent, uint64_t off, uint64_t len,
                  const char *member, ms_src *out);
/* A child view over other bytes (decompressed): file_off unknown. data must outlive the scan
 * of the child. */
ms_src ms_src_child(ms_job *job, const ms_src *parent, const uint8_t *data, size_t len,
                    const char *member);

/* Reads n bytes at off, through short reads and EINTR. 1 when all were read; 0 on an error
 * (errno set) or at end of file (errno 0). */
int ms_pread_full(int fd, void *buf, size_t n, uint64_t off);

/* One file's scan in progress. */
struct ms_job {
	const ms_ctx *ctx;
	ms_result *res;
	struct ms_arena *arena;    /* strings for findings and members; freed with the result */
	uint64_t inflated_total;   /* decompressed bytes so far (MS_MAX_INFLATE_TOTAL) */
	ms_severity floor;         /* findings below it are dropped (speculative readings) */
	const uint8_t *mapped;     /* the file's mapping, which faults if the file shrinks; */
	size_t mapped_len;         /* NULL when the file was read into memory */
};

/* Records a finding of a built-in rule (scanner/rule_list.h gives its id and default
 * severity; a --policy override applies). member/offset come from src (src may be NULL for
 * file-level findings); module/name may be NULL. The message is printf-formatted and made
 * printable. Returns MS_OK or MS_ERR_NOMEM. */
ms_err ms_job_finding(ms_job *job, const ms_src *src, uint64_t off, ms_rule rule,
                      const char *module, const char *name, const char *fmt, ...) MS_PRINTF(7, 8);
/* The same for a rule that is not built in (a YARA rule: id "MS-YARA-<rule>", severity from
 * its meta). rule_id must outlive the result. */
ms_err ms_job_finding_named(ms_job *job, const ms_src *src, uint64_t off, const char *rule_id,
                            ms_severity sev, const char *module, const char *name,
                            const char *fmt, ...) MS_PRINTF(8, 9);
/* Findings recorded so far in this job (all sources). */
size_t ms_job_finding_count(const ms_job *job);
/* Records an error that stopped analysis of (part of) the input. The first error is kept; the
 * message names member and offset. Returns code, so readers can `return ms_job_error(...)`. */
ms_err ms_job_error(ms_job *job, const ms_src *src, uint64_t off, ms_err code,
                    const char *fmt, ...) MS_PRINTF(5, 6);
/* Records an error on r, overwriting any (ms_job_error keeps the first): file is r's path,
 * member and offset as given (member NULL: the file itself). Returns code. */
ms_err ms_result_fail(ms_result *r, ms_err code, const char *member, uint64_t off,
                      const char *fmt, ...) MS_PRINTF(5, 6);
/* Whether the context keeps the list of globals (ms_scan_opts.no_globals unset). */
bool ms_job_keeps_globals(const ms_job *job);
/* Records a resolved global (for --list-globals and the differential test); a no-op when
 * the context keeps no globals. */
ms_err ms_job_global(ms_job *job, const ms_src *src, uint64_t off, const char *module,
                     const char *name, const char *fq_module, const char *fq_name,
                     ms_global_use use, const char *args);
/* Raises the recorded use of global i (returned by ms_job_global) to at least use and sets its
 * argument text if none yet. */
void ms_job_global_use(ms_job *job, size_t i, ms_global_use use, const char *args);
/* Whether global i has no argument text yet (only the first call's is kept). */
bool ms_job_global_wants_args(const ms_job *job, size_t i);
size_t ms_job_global_count(const ms_job *job);
/* Appends text to the disassembly when opts.record_ops is set; no-op otherwise. */
void ms_job_dis(ms_job *job, const char *fmt, ...) MS_PRINTF(2, 3);
bool ms_job_dis_enabled(const ms_job *job);
/* Sets the detected top-level format name (static string). */
void ms_job_set_format(ms_job *job, const char *name);

/* ms_job_scan_blob and ms_job_scan_as, the dispatch by content, are the formats' side of the
 * one call from scanner/ up into formats/: see formats/format.h. */
/* ms_scan_buffer with the reader chosen by name (ms_job_scan_as); caller frees *out. */
ms_err ms_scan_buffer_as(const ms_ctx *ctx, const char *format, const uint8_t *buf, size_t len,
                         ms_result **out);
/* Runs the pickle machine over a pickle stream (possibly several pickles back to back) and
 * applies the policy. Findings and errors go to the job. */
ms_err ms_job_scan_pickle(ms_job *job, const ms_src *src);
/* YARA over a pickle stream the machine has run: the raw bytes as "pickle", then the
 * constants it decoded (pkl_stream.strings) as "pickle-strings". */
ms_err ms_job_yara_pickle(ms_job *job, const ms_src *src, const uint8_t *strings, size_t len);
/* Runs YARA rules over src (no-op when disabled). kind tells rules what the bytes are. */
ms_err ms_job_yara(ms_job *job, const ms_src *src, const char *kind);

/* Writes printable ASCII of s into dst (escaping everything else as \xNN), NUL-terminated. */
void ms_printable(char *dst, size_t dstlen, const uint8_t *s, size_t n);
/* A NUL-terminated ms_printable copy of s in arena a (4 bytes per byte at worst); NULL when
 * out of memory. */
char *ms_arena_printable(struct ms_arena *a, const uint8_t *s, size_t n);

/* Owned by the result; internal layout shared by job.c and the reports. */
struct ms_result {
	char *path;
	const char *format;
	ms_finding *findings;
	size_t nfindings, capfindings, dropped_findings;
	ms_global *globals;
	size_t nglobals, capglobals;
	ms_error *error;      /* the first error, allocated when it happens (most results have
	                       * none, and a record is 2.5 KiB of heap per file of a folder);
	                       * NULL when none */
	bool error_nomem;     /* an error happened but its record could not be allocated */
	char *dis;            /* disassembly text */
	size_t dislen, discap;
	struct ms_arena *strings;
	void *map;            /* the file's mapping, kept until freed (MS_MAPPINGS_UNTIL_FREE) */
	size_t map_len;
};

#endif
