/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Archives mscan cannot open, and executables, recognised by magic (file(1) magic database,
 * each format's specification):
 *
 *   7z   37 7a bc af 27 1c        RAR  52 61 72 21 1a 07 00     RAR5 52 61 72 21 1a 07 01 00
 *   zstd 28 b5 2f fd              lz4  04 22 4d 18              cab  4d 53 43 46 00 00 00 00
 *   ar   "!<arch>\n"              xar  "xar!"                   lzip "LZIP"
 *   arj  60 ea                    cpio "070701" "070702" "070707"
 *   ELF / PE / Mach-O / "#!"      (fmt_common.c)
 *
 * An archive we cannot open is never clean: MS_ERR_UNSUPPORTED "<kind>: cannot be scanned".
 * An executable is a high finding (MS-ARCHIVE-EXECUTABLE) inside an archive and at top level.
 */
#include <string.h>

#include "fmt_private.h"

#define AR_BID 50u

static const struct {
	const char *magic;
	size_t len;
	const char *name;
} ar_magics[] = {
	{"7z\xbc\xaf\x27\x1c", 6, "7z archive"},
	{"Rar!\x1a\x07\x01\x00", 8, "RAR5 archive"},
	{"Rar!\x1a\x07\x00", 7, "RAR archive"},
	{"\x28\xb5\x2f\xfd", 4, "zstd stream"},
	{"\x04\x22\x4d\x18", 4, "lz4 stream"},
	{"MSCF\0\0\0\0", 8, "cab archive"},
	{"!<arch>\n", 8, "ar archive"},
	{"xar!", 4, "xar archive"},
	{"LZIP", 4, "lzip stream"},
	{"070701", 6, "cpio archive"},
	{"070702", 6, "cpio archive"},
	{"070707", 6, "cpio archive"},
	{"\x60\xea", 2, "arj archive"},
};

static const char *ar_kind(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < sizeof ar_magics / sizeof ar_magics[0]; i++)
		if (len >= ar_magics[i].len && memcmp(p, ar_magics[i].magic, ar_magics[i].len) == 0)
			return ar_magics[i].name;
	return NULL;
}

static unsigned ar_bid(const uint8_t *p, size_t len)
{
	return ar_kind(p, len) || fmt_exec_kind(p, len) ? AR_BID : 0;
}

static ms_err ar_scan(ms_job *job, const ms_src *src)
{
	const char *x = fmt_exec_kind(src->data, src->len);
	if (x) {
		if (src->depth > 0)
			fmt_check_exec(job, src);
		else
			ms_job_finding(job, src, 0, MS_RULE_ARCHIVE_EXECUTABLE, NULL, NULL,
			               "%s, not a model file", x);
		return ms_job_yara(job, src, "member");
	}
	const char *k = ar_kind(src->data, src->len);
	ms_job_yara(job, src, "data");
	return ms_job_error(job, src, 0, MS_ERR_UNSUPPORTED, "%s: cannot be scanned", k ? k : "archive");
}

const ms_format ms_format_archive = {
	.name = "archive",
	.bid = ar_bid,
	.scan = ar_scan,
};
