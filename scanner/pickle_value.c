/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Values of the pickle machine (pv, pickle_private.h): rendering as short Python-like text
 * for findings and the disassembly, and the string sets that dedupe findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf_private.h"
#include "pickle_vm_private.h"

/* ---- string sets ----------------------------------------------------------------------- */

static uint64_t pkl_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

bool pkl_sset_add(pkl_sset *set, const char *s)
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

void pkl_sset_free(pkl_sset *set)
{
	for (size_t i = 0; i < set->cap; i++) free(set->v[i]);
	free(set->v);
	memset(set, 0, sizeof *set);
}

/* ---- rendering ------------------------------------------------------------------------- */

static void pkl_w_quoted(ms_buf *w, const uint8_t *p, size_t n, bool bytes)
{
	char tmp[8];
	ms_buf_puts(w, bytes ? "b'" : "'");
	for (size_t i = 0; i < n && !w->full; i++) {
		uint8_t c = p[i];
		if (c == '\'' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			ms_buf_put(w, tmp, 2);
		} else if (c >= 0x20 && c < 0x7f) {
			tmp[0] = (char)c;
			ms_buf_put(w, tmp, 1);
		} else if (c == '\n') {
			ms_buf_put(w, "\\n", 2);
		} else {
			snprintf(tmp, sizeof tmp, "\\x%02x", c);
			ms_buf_put(w, tmp, 4);
		}
	}
	ms_buf_puts(w, "'");
}

/* Decimal text of an int: shapes and sizes in every rendered call, where snprintf's
 * format machinery cost more than the rest of the rendering. */
static void pkl_w_int(ms_buf *w, int64_t x)
{
	char tmp[24];
	size_t k = sizeof tmp;
	uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
	do tmp[--k] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (x < 0) tmp[--k] = '-';
	ms_buf_put(w, tmp + k, sizeof tmp - k);
}

static void pkl_render(ms_buf *w, const pv *v, unsigned depth);

static void pkl_render_seq(ms_buf *w, const pv_vec *s, const char *open, const char *close,
                           bool pairs, unsigned depth)
{
	ms_buf_puts(w, open);
	for (size_t i = 0; i < s->n && !w->full; i++) {
		if (i) ms_buf_puts(w, pairs && (i & 1) ? ": " : ", ");
		pkl_render(w, s->v[i], depth + 1);
	}
	ms_buf_puts(w, close);
}

static void pkl_render(ms_buf *w, const pv *v, unsigned depth)
{
	char tmp[64];
	if (w->full) return;
	if (!v) {
		ms_buf_puts(w, "?");
		return;
	}
	if (depth >= MS_MAX_PKL_RENDER_DEPTH) {
		ms_buf_puts(w, "...");
		return;
	}
	switch (v->kind) {
	case PV_NONE: ms_buf_puts(w, "None"); break;
	case PV_BOOL: ms_buf_puts(w, v->u.i ? "True" : "False"); break;
	case PV_INT:
		pkl_w_int(w, v->u.i);
		break;
	case PV_BIGINT: {
		ms_buf_puts(w, "0x");
		size_t n = v->u.s.len;
		bool neg = n && (v->u.s.p[n - 1] & 0x80);
		if (neg) ms_buf_puts(w, "-(2^");
		for (size_t i = n; i-- > 0 && !w->full;) {
			snprintf(tmp, sizeof tmp, "%02x", v->u.s.p[i]);
			ms_buf_puts(w, tmp);
		}
		if (neg) ms_buf_puts(w, ")");
		break;
	}
	case PV_FLOAT:
		snprintf(tmp, sizeof tmp, "%.17g", v->u.f);
		ms_buf_puts(w, tmp);
		break;
	case PV_STR: pkl_w_quoted(w, v->u.s.p, v->u.s.len, false); break;
	case PV_BYTES: pkl_w_quoted(w, v->u.s.p, v->u.s.len, true); break;
	case PV_BYTEARRAY:
		ms_buf_puts(w, "bytearray(");
		pkl_w_quoted(w, v->u.s.p, v->u.s.len, true);
		ms_buf_puts(w, ")");
		break;
	case PV_BUFFER: ms_buf_puts(w, "<out-of-band buffer>"); break;
	case PV_TUPLE:
		pkl_render_seq(w, &v->u.seq, "(", v->u.seq.n == 1 ? ",)" : ")", false, depth);
		break;
	case PV_LIST: pkl_render_seq(w, &v->u.seq, "[", "]", false, depth); break;
	case PV_DICT: pkl_render_seq(w, &v->u.seq, "{", "}", true, depth); break;
	case PV_SET: pkl_render_seq(w, &v->u.seq, "{", "}", false, depth); break;
	case PV_FROZENSET: pkl_render_seq(w, &v->u.seq, "frozenset({", "})", false, depth); break;
	case PV_GLOBAL:
		if (v->u.g.unresolved) {
			ms_buf_puts(w, "<unresolved global>");
			break;
		}
		ms_buf_puts(w, v->u.g.fq_module);
		ms_buf_puts(w, ".");
		ms_buf_puts(w, v->u.g.fq_name);
		break;
	case PV_OBJ:
		if (v->u.obj.how == PV_HOW_EXT) {
			snprintf(tmp, sizeof tmp, "<extension %lld>", (long long)v->u.obj.ext_code);
			ms_buf_puts(w, tmp);
			break;
		}
		pkl_render(w, v->u.obj.callable, depth + 1);
		if (v->u.obj.args && v->u.obj.args->kind == PV_TUPLE)
			pkl_render_seq(w, &v->u.obj.args->u.seq, "(", ")", false, depth);
		else {
			ms_buf_puts(w, "(*");
			pkl_render(w, v->u.obj.args, depth + 1);
			ms_buf_puts(w, ")");
		}
		break;
	case PV_PERSID:
		ms_buf_puts(w, "persistent_load(");
		pkl_render(w, v->u.persid.pid, depth + 1);
		ms_buf_puts(w, ")");
		break;
	}
}

void pv_render(const pv *v, char *buf, size_t buflen)
{
	if (!buflen) return;
	buf[0] = 0;
	if (buflen < 8) return;
	ms_buf w = ms_buf_fixed(buf, buflen);
	pkl_render(&w, v, 0);
	buf[w.n < buflen ? w.n : buflen - 1] = 0;
}

bool pv_is_global(const pv *v, const char *fq_module, const char *fq_name)
{
	return v && v->kind == PV_GLOBAL && !v->u.g.unresolved && v->u.g.fq_module &&
	       strcmp(v->u.g.fq_module, fq_module) == 0 && strcmp(v->u.g.fq_name, fq_name) == 0;
}

bool pv_is_str(const pv *v, const char *s)
{
	return v && v->kind == PV_STR && v->u.s.len == strlen(s) && memcmp(v->u.s.p, s, v->u.s.len) == 0;
}
