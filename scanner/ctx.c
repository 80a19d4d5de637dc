/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Context setup and the per-file entry points: map the file, dispatch by content, collect. */
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../formats/format.h" /* ms_job_scan_blob, ms_job_scan_as: the one call up */
#include "arena_private.h"
#include "limits.h"
#include "policy_private.h"
#include "scan_private.h"
#include "yara_private.h"

/* A result lives until the report is written, and a clean checkpoint's strings fit in 128
 * bytes: every byte more in the first block is heap held per file of a folder, which grows
 * by a fresh page (a page fault) every few files (folder_1000: 1 KiB -> 128 B, 250 fewer
 * faults, 1.7% of its scan). */
#define CTX_STRINGS_FIRST ((size_t)128)
/* opts.keep_mappings holds at most this many mappings and bytes of address space in the
 * whole process, past which files are unmapped after their scan as usual: each mapping is
 * a VMA (vm.max_map_count is 65530 by default) and user space is 128 TiB. Mappings left to
 * the exit (MS_MAPPINGS_UNTIL_EXIT) count until then. */
#define CTX_KEEP_MAPS_MAX ((size_t)8192)
#define CTX_KEEP_BYTES_MAX ((size_t)16 << 40)
static atomic_size_t ctx_kept_maps, ctx_kept_bytes;

#ifndef SCAN_READ_MAX
#define SCAN_READ_MAX ((size_t)64 << 10) /* files up to this size are read, not mapped */
#endif

ms_err ms_ctx_new(const ms_scan_opts *opts, ms_ctx **out)
{
	*out = NULL;
	ms_ctx *c = calloc(1, sizeof *c);
	if (!c) return MS_ERR_NOMEM;
	if (opts) c->opts = *opts;
	ms_error_clear(&c->error);
	c->policy = ms_policy_new_builtin();
	if (!c->policy) {
		ms_ctx_free(c);
		return MS_ERR_NOMEM;
	}
	if (!c->opts.no_yara) {
		char msg[sizeof c->error.message] = "";
		c->yara = ms_yara_new(msg, sizeof msg);
		if (!c->yara) {
			*out = c; /* keep the message readable through ms_ctx_error */
			return ms_error_set(&c->error, MS_ERR_YARA, NULL, NULL, MS_NO_OFFSET, "%s", msg);
		}
	}
	*out = c;
	return MS_OK;
}

void ms_ctx_free(ms_ctx *ctx)
{
	if (!ctx) return;
	ms_policy_free(ctx->policy);
	ms_yara_free(ctx->yara);
	free(ctx);
}

/* The setup readers (policy.c, yara_glue.c) write their message into msg; a failure is
 * recorded on ctx with the path it is about. */
static ms_err ctx_setup(ms_ctx *ctx, ms_err rc, const char *path, const char *msg)
{
	if (rc == MS_OK) return rc;
	return ms_error_set(&ctx->error, rc, path, NULL, MS_NO_OFFSET, "%s", msg);
}

ms_err ms_ctx_load_policy(ms_ctx *ctx, const char *path)
{
	char msg[sizeof ctx->error.message] = "";
	return ctx_setup(ctx, ms_policy_load_json(ctx->policy, path, msg, sizeof msg), path, msg);
}

ms_err ms_ctx_add_rules(ms_ctx *ctx, const char *path)
{
	if (!ctx->yara)
		return ms_error_set(&ctx->error, MS_ERR_ARG, path, NULL, MS_NO_OFFSET,
		                    "YARA is disabled (--no-yara)");
	char msg[sizeof ctx->error.message] = "";
	return ctx_setup(ctx, ms_yara_add_path(ctx->yara, path, msg, sizeof msg), path, msg);
}

const ms_error *ms_ctx_error(const ms_ctx *ctx) { return &ctx->error; }

static ms_result *res_new(const char *path)
{
	ms_result *r = calloc(1, sizeof *r);
	if (!r) return NULL;
	r->path = strdup(path ? path : "");
	r->strings = ms_arena_new_first(MS_MAX_RESULT_STRINGS, CTX_STRINGS_FIRST);
	r->format = "unknown";
	if (!r->path || !r->strings) {
		ms_result_free(r);
		return NULL;
	}
	return r;
}

/* format: the reader to use whatever the bids say (fuzz targets), NULL to recognise.
 * mapped: buf is the file's mapping (see ms_job.mapped). */
static void scan_src(const ms_ctx *ctx, ms_result *r, const uint8_t *buf, size_t len,
                     const char *format, bool mapped)
{
	ms_job job = {.ctx = ctx, .res = r, .arena = r->strings, .mapped = mapped ? buf : NULL,
	              .mapped_len = mapped ? len : 0};
	ms_src src = {.data = buf, .len = len, .member = "", .file_off = 0, .depth = 0};
	/* The one call from scanner/ up into formats/ (declared in formats/format.h): the
	 * format table decides what the bytes are; everything below calls back down. */
	if (format) ms_job_scan_as(&job, &src, format);
	else ms_job_scan_blob(&job, &src);
}

/* A buffer's scan, its result named name. */
static ms_err scan_buffer(const ms_ctx *ctx, const char *name, const char *format,
                          const uint8_t *buf, size_t len, ms_result **out)
{
	ms_result *r = res_new(name);
	if (!r) return MS_ERR_NOMEM;
	scan_src(ctx, r, buf, len, format, false);
	*out = r;
	return MS_OK;
}

ms_err ms_scan_buffer_as(const ms_ctx *ctx, const char *format, const uint8_t *buf, size_t len,
                         ms_result **out)
{
	return scan_buffer(ctx, format, format, buf, len, out);
}

ms_err ms_scan_buffer(const ms_ctx *ctx, const char *name, const uint8_t *buf, size_t len,
                      ms_result **out)
{
	return scan_buffer(ctx, name, NULL, buf, len, out);
}

/* Records an error that is about the file itself rather than its content. */
static void res_fail(ms_result *r, ms_err code, const char *what)
{
	ms_result_fail(r, code, NULL, MS_NO_OFFSET, "%s: %s", ms_strerror(code), what);
}

/* A mapped file that shrinks while we read it raises SIGBUS. As YARA does, the fault is
 * caught in one place and turned into an I/O error for that file; faults outside a scan, or
 * in other threads not scanning, get the default action. */
static _Thread_local sigjmp_buf *scan_bus_jmp;
static pthread_once_t scan_bus_once = PTHREAD_ONCE_INIT;

static void scan_bus_handler(int sig)
{
	if (scan_bus_jmp) siglongjmp(*scan_bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void scan_bus_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = scan_bus_handler;
	/* Not blocked while handled: the jump out then leaves the mask as it was, so sigsetjmp
	 * need not save it (a system call per mapped file). */
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

static void scan_mapped(const ms_ctx *ctx, ms_result *r, const uint8_t *map, size_t len)
{
	sigjmp_buf jb;
	pthread_once(&scan_bus_once, scan_bus_install);
	if (sigsetjmp(jb, 0) == 0) {
		scan_bus_jmp = &jb;
		scan_src(ctx, r, map, len, NULL, true);
	} else {
		/* Findings made before the fault stay; the file is not reported clean. This error
		 * replaces any the reader recorded. */
		res_fail(r, MS_ERR_IO, "file changed size while being scanned");
	}
	scan_bus_jmp = NULL;
}

int ms_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR) continue;
			return 0;
		}
		if (r == 0) {
			errno = 0;
			return 0;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 1;
}

static void scan_read(const ms_ctx *ctx, ms_result *r, int fd, size_t len)
{
	uint8_t *buf = malloc(len);
	if (!buf) {
		res_fail(r, MS_ERR_NOMEM, "no memory to read the file");
		return;
	}
	if (ms_pread_full(fd, buf, len, 0)) scan_src(ctx, r, buf, len, NULL, false);
	else res_fail(r, MS_ERR_IO, errno ? strerror(errno) : "file changed size while being scanned");
	free(buf);
}

/* Reserves room for one more kept mapping of len bytes (see CTX_KEEP_MAPS_MAX). */
static bool ctx_keep(size_t len)
{
	if (atomic_fetch_add(&ctx_kept_maps, 1) >= CTX_KEEP_MAPS_MAX) {
		atomic_fetch_sub(&ctx_kept_maps, 1);
		return false;
	}
	size_t before = atomic_fetch_add(&ctx_kept_bytes, len);
	if (before > CTX_KEEP_BYTES_MAX || len > CTX_KEEP_BYTES_MAX - before) {
		atomic_fetch_sub(&ctx_kept_bytes, len);
		atomic_fetch_sub(&ctx_kept_maps, 1);
		return false;
	}
	return true;
}

ms_err ms_scan_file(const ms_ctx *ctx, const char *path, ms_result **out)
{
	ms_result *r = res_new(path);
	if (!r) return MS_ERR_NOMEM;
	*out = r;
	/* O_NONBLOCK: opening a FIFO must never hang the scan. */
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		res_fail(r, MS_ERR_IO, strerror(errno));
		return MS_OK;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		res_fail(r, MS_ERR_IO, strerror(errno));
		close(fd);
		return MS_OK;
	}
	if (!S_ISREG(st.st_mode)) {
		res_fail(r, MS_ERR_UNSUPPORTED, "not a regular file");
		close(fd);
		return MS_OK;
	}
	size_t len = (size_t)st.st_size;
	if (len == 0) {
		close(fd);
		r->format = "empty";
		res_fail(r, MS_ERR_TRUNCATED, "empty file");
		return MS_OK;
	}
	/* A small file is read: one system call, where a mapping costs mmap, a fault per page,
	 * munmap and a TLB flush, more than scanning it. */
	if (len <= SCAN_READ_MAX) {
		scan_read(ctx, r, fd, len);
		close(fd);
		return MS_OK;
	}
	/* Mapped, not read: tensor payloads are never touched unless a reader asks for them. */
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		res_fail(r, MS_ERR_IO, strerror(errno));
		return MS_OK;
	}
	madvise(map, len, MADV_RANDOM);
	scan_mapped(ctx, r, map, len);
	int keep = ctx->opts.keep_mappings;
	if ((keep == MS_MAPPINGS_UNTIL_FREE || keep == MS_MAPPINGS_UNTIL_EXIT) && ctx_keep(len)) {
		/* until exit: nothing refers to the mapping, the process's exit unmaps it */
		if (keep == MS_MAPPINGS_UNTIL_FREE) {
			r->map = map;
			r->map_len = len;
		}
	} else {
		munmap(map, len);
	}
	return MS_OK;
}

void ms_result_free(ms_result *r)
{
	if (!r) return;
	if (r->map) {
		munmap(r->map, r->map_len);
		atomic_fetch_sub(&ctx_kept_bytes, r->map_len);
		atomic_fetch_sub(&ctx_kept_maps, 1);
	}
	free(r->path);
	free(r->findings);
	free(r->globals);
	free(r->error);
	free(r->dis);
	ms_arena_free(r->strings);
	free(r);
}

size_t ms_result_count(const ms_result *r) { return r->nfindings; }
const ms_finding *ms_result_get(const ms_result *r, size_t i)
{
	return i < r->nfindings ? &r->findings[i] : NULL;
}

int ms_result_max_severity(const ms_result *r)
{
	int m = -1;
	for (size_t i = 0; i < r->nfindings; i++)
		if ((int)r->findings[i].severity > m) m = (int)r->findings[i].severity;
	return m;
}

const char *ms_result_format(const ms_result *r) { return r->format; }
const char *ms_result_path(const ms_result *r) { return r->path; }
size_t ms_result_global_count(const ms_result *r) { return r->nglobals; }
const ms_global *ms_result_global(const ms_result *r, size_t i)
{
	return i < r->nglobals ? &r->globals[i] : NULL;
}
const char *ms_result_disassembly(const ms_result *r) { return r->dis ? r->dis : ""; }
