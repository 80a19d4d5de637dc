/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The zip engine shared by the generic zip and the PyTorch zip readers (fmt_zip.c). */
#ifndef MSCAN_ZIP_PRIVATE_H
#define MSCAN_ZIP_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include "fmt_private.h"

typedef struct zip_entry {
	const uint8_t *name;  /* central directory name bytes (borrowed from the input) */
	size_t nlen;
	char *pname;          /* NUL-terminated printable copy (owned) */
	uint16_t flags, method;
	uint32_t crc;
	uint64_t csize, usize;
	uint64_t lho;         /* local header offset in the input (base applied) */
	uint64_t doff;        /* data offset in the input, valid when readable */
	bool readable;        /* local header found and data range inside the input */
} zip_entry;

typedef struct zip_archive {
	zip_entry *e;
	size_t n;
	struct ms_arena *names; /* every entry's pname (one free for the archive) */
	uint64_t base;        /* bytes before the archive proper (prepended data) */
	uint64_t cd_start;    /* where the central directory read was found */
} zip_archive;

/* Finds the end of central directory record; false if none. Peek only (used by bids). */
bool zip_find_eocd(const uint8_t *p, size_t len, size_t *eocd);
/* True if the central directory has an entry whose name ends with suffix (bids only). */
bool zip_cd_has_suffix(const uint8_t *p, size_t len, const char *suffix);

/* Reads the central directory and every local header of src; reports anomalies (prefix data,
 * flags, header mismatches, escaping names, libzip refusal) as findings. Caller frees with
 * zip_free even on error. Returns MS_OK or the error recorded on job. */
ms_err zip_load(ms_job *job, const ms_src *src, zip_archive *z);
void zip_free(zip_archive *z);

/* Gives member i as a source: a slice of src for stored members, decompressed bytes for
 * deflate/bzip2 (then *owned is set, caller frees after scanning out). check_crc: verify the
 * CRC (never for tensor records, whose bytes are not touched). Errors recorded on job. */
ms_err zip_member(ms_job *job, const ms_src *src, const zip_archive *z, size_t i, bool check_crc,
                  ms_src *out, uint8_t **owned);

/* PyTorch's reader (miniz) finds the central directory by absolute offset, Python's zipfile
 * relative to the end record: where they find different ones (two directories, a bogus zip64
 * locator), reports MS-ZIP-TWO-DIRECTORIES and scans the members of miniz's by content. */
ms_err zip_scan_miniz_view(ms_job *job, const ms_src *src, const zip_archive *z);

/* Scans every member by content (the generic zip reader). */
ms_err zip_scan_generic(ms_job *job, const ms_src *src, zip_archive *z);

#endif
