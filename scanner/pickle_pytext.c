/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Python-literal decoding for the pickle machine, as CPython's Unpickler does it: the text
 * INT/LONG/FLOAT/STRING opcodes of protocol 0 (strtol, PyLong_FromString, PyOS_string_to_double,
 * PyBytes_DecodeEscape), raw-unicode-escape (UNICODE), Python 2 str (STRING family) and the
 * LONG1/LONG4 byte form. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_vm_private.h"
#include "utf8_private.h"

#define PKL_SMALL_LINE 64          /* INT lines longer than this cannot fit a C long */

/* A Python 2 str (STRING family) as a Python 3 str: the Unpickler decodes it with its
 * encoding (ASCII by default, "utf-8" in torch.load, "latin1" in numpy). Valid UTF-8 is kept;
 * anything else is read as latin-1 so that every loader's view is covered. */
pv *pkl_py2str(pkl_vm *vm, const uint8_t *p, size_t n)
{
	if (ms_utf8_ok(p, n, false)) return pkl_new_bytes(vm, PV_STR, p, n);
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
pv *pkl_raw_unicode(pkl_vm *vm, const uint8_t *p, size_t n)
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
pv *pkl_long_bytes(pkl_vm *vm, const uint8_t *p, size_t n)
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

ms_err pkl_op_int(pkl_vm *vm, const pkl_arg *a)
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

ms_err pkl_op_long(pkl_vm *vm, const pkl_arg *a)
{
	if (a->n + 1 < 2) return pkl_fail(vm, MS_ERR_MALFORMED, "LONG: empty line");
	size_t n = a->n;
	if (a->p[n - 1] == 'L') n--;
	return pkl_push(vm, pkl_pylong(vm, "LONG", a->p, n, 0));
}

ms_err pkl_op_float(pkl_vm *vm, const pkl_arg *a)
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

ms_err pkl_op_string(pkl_vm *vm, const pkl_arg *a)
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

/* GET/PUT text argument: PyLong_FromString(base 10) then PyLong_AsSsize_t. */
ms_err pkl_text_index(pkl_vm *vm, const pkl_arg *a, const char *what, uint64_t *idx,
                             bool *neg)
{
	if (a->n + 1 < 2) return pkl_fail(vm, MS_ERR_MALFORMED, "%s: empty line", what);
	pv *v = pkl_pylong(vm, what, a->p, a->n, 10);
	if (!v) return vm->err.code;
	if (v->kind != PV_INT)
		return pkl_fail(vm, MS_ERR_MALFORMED, "%s: index does not fit Py_ssize_t", what);
	*neg = v->u.i < 0;
	*idx = (uint64_t)v->u.i;
	return MS_OK;
}
