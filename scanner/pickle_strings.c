/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The constants the pickle machine collects for YARA ("pickle-strings"): every str/bytes
 * constant, the base64 decoding of long base64 constants, and what codecs calls with constant
 * arguments would produce (latin-1, base64, hex, rot13), joined with '\n' and bounded by
 * MS_MAX_PKL_STRINGS. The raw stream hides them from rules (escapes, encodings). */
#include <stdlib.h>
#include <string.h>

#include "pickle_vm_private.h"

/* Constants YARA will not see: the file must not be reported clean (pkl_take_strings). */
void pkl_strings_lost(pkl_vm *vm, ms_err why)
{
	if (vm->strings_lost == MS_OK) vm->strings_lost = why;
}

void pkl_sadd(pkl_vm *vm, const uint8_t *p, size_t n)
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

#define PKL_B64_MIN 16 /* shorter constants are words, not payloads */

/* Adds the decoded form of p when it is valid base64 (standard or URL-safe) of >= 16 chars. */
void pkl_sadd_b64(pkl_vm *vm, const uint8_t *p, size_t n)
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

/* _codecs.encode / codecs.decode with constant arguments: what the call would produce. */
void pkl_codecs(pkl_vm *vm, const pv *callable, const pv *args)
{
	if (!callable || callable->kind != PV_GLOBAL || !(callable->u.g.roles & PKL_ROLE_CODECS))
		return;
	if (!args || args->kind != PV_TUPLE || args->u.seq.n < 1) return;
	const pv *x = args->u.seq.v[0], *enc = args->u.seq.n > 1 ? args->u.seq.v[1] : NULL;
	if (!x || (x->kind != PV_STR && x->kind != PV_BYTES)) return;
	if (!enc || pv_is_str(enc, "latin1") || pv_is_str(enc, "latin-1") ||
	    pv_is_str(enc, "iso-8859-1") || pv_is_str(enc, "utf-8") || pv_is_str(enc, "utf8"))
		pkl_sadd_latin1(vm, x->u.s.p, x->u.s.len);
	else if (pv_is_str(enc, "base64") || pv_is_str(enc, "base_64") || pv_is_str(enc, "base64_codec"))
		pkl_sadd_b64(vm, x->u.s.p, x->u.s.len);
	else if (pv_is_str(enc, "hex") || pv_is_str(enc, "hex_codec"))
		pkl_sadd_hex(vm, x->u.s.p, x->u.s.len);
	else if (pv_is_str(enc, "rot13") || pv_is_str(enc, "rot_13"))
		pkl_sadd_rot13(vm, x->u.s.p, x->u.s.len);
}

/* The decoded constants for YARA, copied into the run's arena (NULL, 0 when none). Any that
 * YARA will not see make the file an error: a limit or no memory, never a clean verdict. */
void pkl_take_strings(pkl_vm *vm, const uint8_t **strings, size_t *len)
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
