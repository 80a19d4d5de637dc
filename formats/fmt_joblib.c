/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Compressed joblib files (joblib/compressor.py, numpy_pickle_utils.py _detect_compressor):
 *
 *   "ZF" + hex(length).ljust(19) [+ ' '] + zlib stream     joblib < 0.9.3 (numpy_pickle_compat)
 *   78 ..                 zlib (compress='zlib')
 *   1f 8b                 gzip
 *   "BZh"                 bz2
 *   fd 37 7a 58 5a 00     xz
 *   5d 00 00              lzma (legacy .lzma "alone" stream)
 *
 * The decompressed bytes are a joblib pickle stream (or anything else): they are recognised
 * by content with the caps of limits.h. Bytes that no reader recognises make the file an
 * error, never clean: a compressed stream is not a model by itself. lz4 (04 22 4d 18) has no
 * decoder here and is reported unscannable by the archive reader.
 */
#include <stdlib.h>
#include <string.h>

#include "../scanner/bytes.h"
#include "fmt_private.h"

#define JL_ZF_PREFIX "ZF"
#define JL_ZF_LEN_FIELD 19u
#define JL_BID_STRONG 40u
#define JL_BID 20u
#define JL_BID_WEAK 12u

typedef struct jl_kind {
	fd_kind fd;
	size_t skip;       /* header bytes before the compressed stream */
	const char *name;
	unsigned bid;
} jl_kind;

static bool jl_detect(const uint8_t *p, size_t len, jl_kind *k)
{
	if (len >= 2 + JL_ZF_LEN_FIELD + 2 && memcmp(p, JL_ZF_PREFIX, 2) == 0) {
		bool hex = true;
		for (size_t i = 2; i < 2 + JL_ZF_LEN_FIELD; i++) {
			uint8_t c = p[i];
			if (!(c == ' ' || c == 'x' || c == 'L' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				hex = false;
		}
		if (hex) {
			size_t s = 2 + JL_ZF_LEN_FIELD;
			if (p[s] == ' ') s++; /* python 2 / joblib <= 0.8.4 wrote one more space */
			*k = (jl_kind){FD_ZLIB, s, "joblib (ZF zlib)", JL_BID_STRONG};
			return true;
		}
	}
	if (len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8) {
		*k = (jl_kind){FD_GZIP, 0, "gzip", JL_BID};
		return true;
	}
	if (len >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9') {
		*k = (jl_kind){FD_BZ2, 0, "bzip2", JL_BID};
		return true;
	}
	if (len >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0) {
		*k = (jl_kind){FD_XZ, 0, "xz", JL_BID};
		return true;
	}
	if (len >= 13 && p[0] == 0x5d && p[1] == 0 && p[2] == 0) {
		*k = (jl_kind){FD_XZ, 0, "lzma", JL_BID_WEAK};
		return true;
	}
	/* zlib: CMF 0x78 (deflate, 32K window) and FCHECK (RFC 1950 2.2), no preset dictionary. */
	if (len >= 2 && p[0] == 0x78 && (p[0] * 256u + p[1]) % 31 == 0 && !(p[1] & 0x20)) {
		*k = (jl_kind){FD_ZLIB, 0, "zlib", JL_BID_WEAK};
		return true;
	}
	return false;
}

static unsigned jl_bid(const uint8_t *p, size_t len)
{
	jl_kind k;
	return jl_detect(p, len, &k) ? k.bid : 0;
}

static ms_err jl_scan(ms_job *job, const ms_src *src)
{
	jl_kind k;
	if (!jl_detect(src->data, src->len, &k))
		return ms_job_error(job, src, 0, MS_ERR_MALFORMED, "not a compressed stream");
	uint8_t *buf = NULL;
	size_t blen = 0, used = 0;
	ms_err rc = fmt_decompress(job, src, k.skip, k.fd, src->data + k.skip, src->len - k.skip, 0,
	                           &buf, &blen, &used);
	if (rc != MS_OK) return rc;
	ms_src m = ms_src_child(job, src, buf, blen, "[decompressed]");
	if (!fmt_recognise(&m)) {
		rc = ms_job_error(job, src, 0, MS_ERR_UNSUPPORTED,
		                  "%s stream: its %zu decompressed bytes are no format mscan knows", k.name, blen);
		ms_job_yara(job, &m, "data");
	} else {
		rc = ms_job_scan_blob(job, &m);
	}
	if (used + k.skip < src->len)
		ms_job_finding(job, src, k.skip + used, "MS-JOBLIB-TRAILING", MS_SEV_MEDIUM, NULL, NULL,
		               "%zu bytes after the end of the %s stream", src->len - k.skip - used, k.name);
	free(buf);
	return rc;
}

const ms_format ms_format_joblib = {
	.name = "compressed",
	.bid = jl_bid,
	.scan = jl_scan,
};
