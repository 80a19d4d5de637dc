/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Findings, globals, errors and disassembly collected on a result while a file is scanned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena_private.h"
#include "limits.h"
#include "policy_private.h"
#include "yara_private.h"
#include "scan_private.h"

static bool job_plain(uint8_t c) { return c >= 0x20 && c < 0x7f && c != '\\'; }

/* Nonzero when one of the eight bytes of w is not job_plain (bytes below 0x20 or above 0x7e,
 * or a backslash), by the usual has-less/has-zero bit tricks on the high bit of each byte. */
static uint64_t job_word_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t below = (w - ones * 0x20) & ~w;          /* a byte < 0x20 */
	uint64_t above = (w + ones * (0x80 - 0x7f)) | w;  /* a byte > 0x7e */
	uint64_t bs = w ^ (ones * '\\');
	uint64_t is_bs = (bs - ones) & ~bs;               /* a byte == '\\' */
	return (below | above | is_bs) & high;
}

/* Length of the run of bytes ms_printable copies as they are: names are long runs of plain
 * bytes, checked eight at a time. */
static size_t job_plain_run(const uint8_t *s, size_t n)
{
	size_t i = 0;
	for (uint64_t w; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (job_word_special(w)) break;
	}
	while (i < n && job_plain(s[i])) i++;
	return i;
}

void ms_printable(char *dst, size_t dstlen, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	if (!dstlen) return;
	while (i < n && o + 1 < dstlen) {
		size_t run = job_plain_run(s + i, n - i);
		if (run > dstlen - 1 - o) run = dstlen - 1 - o;
		memcpy(dst + o, s + i, run);
		o += run;
		i += run;
		if (i == n || o + 5 >= dstlen) break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[s[i] >> 4];
		dst[o++] = hex[s[i] & 15];
		i++;
	}
	dst[o] = 0;
}

char *ms_arena_printable(ms_arena *a, const uint8_t *s, size_t n)
{
	/* Plain names, nearly all, are copied as they are: no buffer for the worst case. */
	if (job_plain_run(s, n) == n) return ms_arena_strndup(a, (const char *)s, n);
	if (n > (SIZE_MAX - 1) / 4) return NULL;
	size_t cap = n * 4 + 1;
	char *d = ms_arena_alloc(a, cap);
	if (d) ms_printable(d, cap, s, n);
	return d;
}

static const char *job_str(ms_job *job, const char *s)
{
	if (!s) return "";
	size_t n = strlen(s);
	/* Names and messages are almost always plain: copied once, not escaped into a buffer. */
	if (n < MS_MAX_MSG_BYTES && job_plain_run((const uint8_t *)s, n) == n)
		return ms_arena_strndup(job->res->strings, s, n);
	char buf[MS_MAX_MSG_BYTES];
	ms_printable(buf, sizeof buf, (const uint8_t *)s, n);
	return ms_arena_strndup(job->res->strings, buf, strlen(buf));
}

static const char *job_vfmt(ms_job *job, const char *fmt, va_list ap)
{
	char raw[MS_MAX_MSG_BYTES];
	vsnprintf(raw, sizeof raw, fmt, ap);
	return job_str(job, raw);
}

static bool job_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap) return true;
	size_t nc = *cap ? *cap * 2 : 16;
	void *p = realloc(*v, nc * elem);
	if (!p) return false;
	*v = p;
	*cap = nc;
	return true;
}

static uint64_t job_file_off(const ms_src *src, uint64_t off)
{
	if (!src || src->file_off == MS_NO_FILE_OFFSET) return MS_NO_FILE_OFFSET;
	return src->file_off + off;
}

static ms_err job_vfinding(ms_job *job, const ms_src *src, uint64_t off, const char *rule_id,
                           ms_severity sev, const char *module, const char *name,
                           const char *fmt, va_list ap) MS_PRINTF(8, 0);
static ms_err job_vfinding(ms_job *job, const ms_src *src, uint64_t off, const char *rule_id,
                           ms_severity sev, const char *module, const char *name,
                           const char *fmt, va_list ap)
{
	ms_result *r = job->res;
	int override = ms_policy_severity_override(job->ctx->policy, rule_id);
	if (override >= 0) sev = (ms_severity)override;
	if (sev < job->floor) return MS_OK; /* a speculative reading reports only what matters */
	if (r->nfindings >= MS_MAX_FINDINGS) {
		r->dropped_findings++;
		return MS_OK;
	}
	if (!job_grow((void **)&r->findings, &r->capfindings, r->nfindings, sizeof *r->findings))
		return MS_ERR_NOMEM;
	const char *msg = job_vfmt(job, fmt, ap);
	ms_finding f = {
		.rule_id = rule_id,
		.severity = sev,
		.file = r->path,
		.member = job_str(job, src ? src->member : ""),
		.offset = off,
		.file_offset = job_file_off(src, off),
		.module = job_str(job, module),
		.name = job_str(job, name),
		.message = msg,
	};
	if (!f.member || !f.module || !f.name || !f.message) return MS_ERR_NOMEM;
	r->findings[r->nfindings++] = f;
	return MS_OK;
}

/* What ms_result_error returns when there is no record: no error, or one that happened when
 * its record could not be allocated (still an error: the file is not reported clean). */
static const ms_error job_no_error = {.code = MS_OK, .offset = MS_NO_OFFSET};
static const ms_error job_error_nomem = {
	.code = MS_ERR_NOMEM,
	.offset = MS_NO_OFFSET,
	.message = "out of memory: no room to record why the file could not be analysed",
};

const ms_error *ms_result_error(const ms_result *r)
{
	if (r->error) return r->error;
	return r->error_nomem ? &job_error_nomem : &job_no_error;
}

ms_err ms_result_fail(ms_result *r, ms_err code, const char *member, uint64_t off,
                      const char *fmt, ...)
{
	if (!r->error && !(r->error = malloc(sizeof *r->error))) {
		r->error_nomem = true;
		return code;
	}
	va_list ap;
	va_start(ap, fmt);
	ms_error_vset(r->error, code, r->path, member, off, fmt, ap);
	va_end(ap);
	return code;
}

ms_err ms_job_error(ms_job *job, const ms_src *src, uint64_t off, ms_err code,
                    const char *fmt, ...)
{
	ms_result *r = job->res;
	if (ms_result_error(r)->code != MS_OK) return code; /* the first error explains the rest */
	char what[MS_MAX_MSG_BYTES], where[MS_MAX_MSG_BYTES / 2 + 64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what - 64, fmt, ap);
	va_end(ap);
	char member[MS_MAX_MSG_BYTES / 4];
	ms_printable(member, sizeof member, (const uint8_t *)(src ? src->member : ""),
	             src ? strlen(src->member) : 0);
	if (member[0])
		snprintf(where, sizeof where, "member '%s', offset %llu", member,
		         (unsigned long long)off);
	else
		snprintf(where, sizeof where, "offset %llu", (unsigned long long)off);
	return ms_result_fail(r, code, member, off, "%s: %s (%s)", ms_strerror(code), what, where);
}

bool ms_job_keeps_globals(const ms_job *job) { return !job->ctx->opts.no_globals; }

ms_err ms_job_global(ms_job *job, const ms_src *src, uint64_t off, const char *module,
                     const char *name, const char *fq_module, const char *fq_name,
                     ms_global_use use, const char *args)
{
	ms_result *r = job->res;
	if (!ms_job_keeps_globals(job) || r->nglobals >= MS_MAX_GLOBALS) return MS_OK;
	if (!job_grow((void **)&r->globals, &r->capglobals, r->nglobals, sizeof *r->globals))
		return MS_ERR_NOMEM;
	ms_global g = {
		.member = job_str(job, src ? src->member : ""),
		.offset = off,
		.module = job_str(job, module),
		.name = job_str(job, name),
		.use = use,
		.args = args ? job_str(job, args) : NULL,
	};
	/* Most globals are not renamed: their names in force are the same strings. */
	g.fq_module = fq_module == module ? g.module : job_str(job, fq_module);
	g.fq_name = fq_name == name ? g.name : job_str(job, fq_name);
	if (!g.member || !g.module || !g.name || !g.fq_module || !g.fq_name) return MS_ERR_NOMEM;
	r->globals[r->nglobals++] = g;
	return MS_OK;
}

void ms_job_global_use(ms_job *job, size_t i, ms_global_use use, const char *args)
{
	ms_result *r = job->res;
	if (i >= r->nglobals) return;
	if (use > r->globals[i].use) r->globals[i].use = use;
	if (args && !r->globals[i].args) r->globals[i].args = job_str(job, args);
}

ms_err ms_job_finding(ms_job *job, const ms_src *src, uint64_t off, ms_rule rule,
                      const char *module, const char *name, const char *fmt, ...)
{
	const ms_rule_row *row = ms_rule_row_get(rule);
	va_list ap;
	va_start(ap, fmt);
	ms_err rc = job_vfinding(job, src, off, row->id, row->severity, module, name, fmt, ap);
	va_end(ap);
	return rc;
}

ms_err ms_job_finding_named(ms_job *job, const ms_src *src, uint64_t off, const char *rule_id,
                            ms_severity sev, const char *module, const char *name,
                            const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ms_err rc = job_vfinding(job, src, off, rule_id, sev, module, name, fmt, ap);
	va_end(ap);
	return rc;
}

size_t ms_job_finding_count(const ms_job *job) { return job->res->nfindings; }

bool ms_job_global_wants_args(const ms_job *job, size_t i)
{
	return i < job->res->nglobals && !job->res->globals[i].args;
}

size_t ms_job_global_count(const ms_job *job) { return job->res->nglobals; }

bool ms_job_dis_enabled(const ms_job *job) { return job->ctx->opts.record_ops != 0; }

void ms_job_dis(ms_job *job, const char *fmt, ...)
{
	if (!ms_job_dis_enabled(job)) return;
	ms_result *r = job->res;
	char line[MS_MAX_MSG_BYTES];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0) return;
	size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
	if (r->dislen + len + 1 > r->discap) {
		size_t nc = r->discap ? r->discap * 2 : 4096;
		while (nc < r->dislen + len + 1) nc *= 2;
		char *p = realloc(r->dis, nc);
		if (!p) return;
		r->dis = p;
		r->discap = nc;
	}
	memcpy(r->dis + r->dislen, line, len);
	r->dislen += len;
	r->dis[r->dislen] = 0;
}

void ms_job_set_format(ms_job *job, const char *name) { job->res->format = name; }

/* Member names nest: "outer.zip/archive/data.pkl". */
static const char *job_member(ms_job *job, const ms_src *parent, const char *name)
{
	if (!parent->member[0]) return job_str(job, name);
	char buf[MS_MAX_NAME_BYTES];
	size_t a = strlen(parent->member), b = strlen(name);
	/* joined by hand when it fits: snprintf was a third of this per member */
	if (b < sizeof buf && a < sizeof buf - b - 1) {
		memcpy(buf, parent->member, a);
		buf[a] = '/';
		memcpy(buf + a + 1, name, b + 1);
	} else {
		snprintf(buf, sizeof buf, "%s/%s", parent->member, name);
	}
	return job_str(job, buf);
}

bool ms_src_slice(ms_job *job, const ms_src *parent, uint64_t off, uint64_t len,
                  const char *member, ms_src *out)
{
	if (off > parent->len || len > parent->len - off) return false;
	out->data = parent->data + off;
	out->len = (size_t)len;
	out->member = job_member(job, parent, member);
	out->file_off = parent->file_off == MS_NO_FILE_OFFSET ? MS_NO_FILE_OFFSET
	                                                      : parent->file_off + off;
	out->depth = parent->depth + 1;
	return out->member != NULL;
}

ms_src ms_src_child(ms_job *job, const ms_src *parent, const uint8_t *data, size_t len,
                    const char *member)
{
	ms_src s = {data, len, job_member(job, parent, member), MS_NO_FILE_OFFSET, parent->depth + 1};
	if (!s.member) s.member = "";
	return s;
}

ms_err ms_job_yara(ms_job *job, const ms_src *src, const char *kind)
{
	if (!job->ctx->yara || job->ctx->opts.no_yara) return MS_OK;
	return ms_yara_scan(job->ctx->yara, job, src, kind);
}
