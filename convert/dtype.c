/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* safetensors dtypes (formats.md B.2): names, element sizes, value rendering for reports. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "conv_private.h"

static const struct {
	const char *name;
	size_t size;
} cv_dtypes[CV_NDTYPES] = {
	[CV_BOOL] = {"BOOL", 1},          [CV_F4] = {"F4", 0},
	[CV_F6_E2M3] = {"F6_E2M3", 0},    [CV_F6_E3M2] = {"F6_E3M2", 0},
	[CV_U8] = {"U8", 1},              [CV_I8] = {"I8", 1},
	[CV_F8_E5M2] = {"F8_E5M2", 1},    [CV_F8_E4M3] = {"F8_E4M3", 1},
	[CV_F8_E8M0] = {"F8_E8M0", 1},    [CV_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", 1},
	[CV_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", 1},
	[CV_I16] = {"I16", 2},            [CV_U16] = {"U16", 2},
	[CV_F16] = {"F16", 2},            [CV_BF16] = {"BF16", 2},
	[CV_I32] = {"I32", 4},            [CV_U32] = {"U32", 4},
	[CV_F32] = {"F32", 4},            [CV_C64] = {"C64", 8},
	[CV_F64] = {"F64", 8},            [CV_I64] = {"I64", 8},
	[CV_U64] = {"U64", 8},
};

const char *cv_dtype_name(cv_dtype d) { return (unsigned)d < CV_NDTYPES ? cv_dtypes[d].name : "?"; }
size_t cv_dtype_size(cv_dtype d) { return (unsigned)d < CV_NDTYPES ? cv_dtypes[d].size : 0; }

bool cv_dtype_parse(const char *s, cv_dtype *out)
{
	for (int i = 0; i < CV_NDTYPES; i++)
		if (strcmp(s, cv_dtypes[i].name) == 0) {
			*out = (cv_dtype)i;
			return true;
		}
	return false;
}

static double cv_half(uint16_t h)
{
	int e = (h >> 10) & 31, m = h & 1023;
	double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
	return (h & 0x8000) ? -v : v;
}

void cv_value_str(cv_dtype d, const uint8_t *p, char *buf, size_t n)
{
	size_t es = cv_dtype_size(d);
	uint64_t bits = 0;
	for (size_t i = 0; i < es && i < 8; i++) bits |= (uint64_t)p[i] << (8 * i);
	char hex[24];
	snprintf(hex, sizeof hex, "0x%0*" PRIx64, (int)(2 * es), bits);
	switch (d) {
	case CV_F32: {
		float f;
		uint32_t u = (uint32_t)bits;
		memcpy(&f, &u, 4);
		snprintf(buf, n, "%s (%.9g)", hex, (double)f);
		break;
	}
	case CV_F64: {
		double f;
		memcpy(&f, &bits, 8);
		snprintf(buf, n, "%s (%.17g)", hex, f);
		break;
	}
	case CV_F16: snprintf(buf, n, "%s (%.6g)", hex, cv_half((uint16_t)bits)); break;
	case CV_BF16: {
		float f;
		uint32_t u = (uint32_t)bits << 16;
		memcpy(&f, &u, 4);
		snprintf(buf, n, "%s (%.4g)", hex, (double)f);
		break;
	}
	case CV_I8: snprintf(buf, n, "%s (%d)", hex, (int)(int8_t)bits); break;
	case CV_I16: snprintf(buf, n, "%s (%d)", hex, (int)(int16_t)bits); break;
	case CV_I32: snprintf(buf, n, "%s (%" PRId32 ")", hex, (int32_t)bits); break;
	case CV_I64: snprintf(buf, n, "%s (%" PRId64 ")", hex, (int64_t)bits); break;
	case CV_U8: case CV_U16: case CV_U32: case CV_U64: case CV_BOOL:
		snprintf(buf, n, "%s (%" PRIu64 ")", hex, bits);
		break;
	default: snprintf(buf, n, "%s", hex); break;
	}
}
