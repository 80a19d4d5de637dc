/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Bounds-checked readers over untrusted bytes. Invariant: off <= len. Checks are written as
 * offset arithmetic (n <= len - off), never as pointer comparisons. */
#ifndef MSCAN_BYTES_H
#define MSCAN_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ms_cur {
	const uint8_t *p;
	size_t len, off;
} ms_cur;

static inline ms_cur ms_cur_make(const uint8_t *p, size_t len)
{
	ms_cur c = {p, len, 0};
	return c;
}

static inline size_t ms_left(const ms_cur *c) { return c->len - c->off; }
static inline bool ms_need(const ms_cur *c, size_t n) { return n <= c->len - c->off; }

static inline bool ms_add_ovf(uint64_t a, uint64_t b, uint64_t *r) { return __builtin_add_overflow(a, b, r); }
static inline bool ms_mul_ovf(uint64_t a, uint64_t b, uint64_t *r) { return __builtin_mul_overflow(a, b, r); }
static inline bool ms_add_ovf_sz(size_t a, size_t b, size_t *r) { return __builtin_add_overflow(a, b, r); }
static inline bool ms_mul_ovf_sz(size_t a, size_t b, size_t *r) { return __builtin_mul_overflow(a, b, r); }

/* Decoders on raw pointers: the caller has already checked that the bytes exist. */
static inline uint16_t ms_le16(const uint8_t *b) { return (uint16_t)(b[0] | (unsigned)b[1] << 8); }
static inline uint32_t ms_le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t ms_le64(const uint8_t *b) { return (uint64_t)ms_le32(b) | (uint64_t)ms_le32(b + 4) << 32; }
static inline uint32_t ms_be32(const uint8_t *b)
{
	return (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
}
static inline uint64_t ms_be64(const uint8_t *b) { return (uint64_t)ms_be32(b + 4) | (uint64_t)ms_be32(b) << 32; }

static inline bool ms_u8(ms_cur *c, uint8_t *v)
{
	if (!ms_need(c, 1)) return false;
	*v = c->p[c->off++];
	return true;
}
static inline bool ms_u16le(ms_cur *c, uint16_t *v)
{
	if (!ms_need(c, 2)) return false;
	*v = ms_le16(c->p + c->off);
	c->off += 2;
	return true;
}
static inline bool ms_u32le(ms_cur *c, uint32_t *v)
{
	if (!ms_need(c, 4)) return false;
	*v = ms_le32(c->p + c->off);
	c->off += 4;
	return true;
}
static inline bool ms_u64le(ms_cur *c, uint64_t *v)
{
	if (!ms_need(c, 8)) return false;
	*v = ms_le64(c->p + c->off);
	c->off += 8;
	return true;
}
/* Borrows n bytes at the cursor and advances. */
static inline bool ms_take(ms_cur *c, size_t n, const uint8_t **out)
{
	if (!ms_need(c, n)) return false;
	*out = c->p + c->off;
	c->off += n;
	return true;
}
static inline bool ms_skip(ms_cur *c, size_t n)
{
	if (!ms_need(c, n)) return false;
	c->off += n;
	return true;
}

/* Writes code point cp (<= 0x10ffff) as UTF-8 at o; returns the bytes written (1 to 4). */
static inline size_t ms_utf8_put(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) { o[0] = (uint8_t)cp; return 1; }
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

#endif
