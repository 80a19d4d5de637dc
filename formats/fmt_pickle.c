/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Raw pickle streams (protocols 0 to 5, several back to back).
 *
 * Layout (https://docs.python.org/3/library/pickle.html, Modules/_pickle.c): protocol 2+
 * streams start with PROTO (0x80, version byte); protocol 0/1 streams start with any opcode,
 * most often '(' MARK, ']' EMPTY_LIST, '}' EMPTY_DICT, 'c' GLOBAL or a constant. The bid is
 * therefore weak for protocols 0/1: it only claims input no stronger reader wants and whose
 * first byte is a valid opcode that can begin a pickle.
 */
#include <string.h>

#include "format.h"

#define PKL_PROTO 0x80
#define PKL_HIGHEST_PROTO 5

static unsigned pkl_bid(const uint8_t *head, size_t len)
{
	if (len >= 2 && head[0] == PKL_PROTO && head[1] <= PKL_HIGHEST_PROTO) return 16;
	/* Opcodes a protocol 0/1 pickle commonly starts with. */
	static const char starters[] = "(]}c)NIFLSVUTXJKMGiJ";
	if (len >= 2 && memchr(starters, head[0], sizeof starters - 1)) return 1;
	return 0;
}

static ms_err pkl_scan(ms_job *job, const ms_src *src)
{
	return ms_job_scan_pickle(job, src);
}

const ms_format ms_format_pickle = {
	.name = "pickle",
	.bid = pkl_bid,
	.scan = pkl_scan,
};
