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

/* ---- pure functions over the archive's bytes (no job, no findings): scan and convert ---- */

/* Where the central directory is, as the end records say. */
typedef struct zip_dir {
	uint64_t cd_start, cd_size, count, base, cd_end;
	bool z64;
} zip_dir;

/* Finds the end of central directory record; false if none. Peek only (used by bids). */
bool zip_find_eocd(const uint8_t *p, size_t len, size_t *eocd);
/* Locates the central directory from the end record at p[e] (and the zip64 records); false
 * if implausible. miniz false: as Python's zipfile (offsets relative to where the directory
 * ends, so prepended bytes give a base); true: as PyTorch's reader (miniz), offsets absolute
 * and the zip64 record only where the locator says. */
bool zip_dir_find(const uint8_t *p, size_t len, size_t e, zip_dir *d, bool miniz);

typedef enum { ZIP_CD_OK, ZIP_CD_LIMIT, ZIP_CD_BAD, ZIP_CD_TRUNCATED, ZIP_CD_NOMEM } zip_cd;
/* Reads the central directory records of d (found in p[0, len)) into z (empty on entry):
 * names, flags, method, CRC, sizes (zip64 extras applied), local header offsets (base
 * applied). Stops at the first bad record: *bad is then its offset (ZIP_CD_NOMEM: the entry
 * count asked for, SIZE_MAX for the names). Caller frees z with zip_free in every case. */
zip_cd zip_cd_read(const uint8_t *p, size_t len, const zip_dir *d, zip_archive *z, size_t *bad);

typedef enum {
	ZIP_LFH_OK,
	ZIP_LFH_MISSING,          /* no local header signature at e->lho */
	ZIP_LFH_HEADER_PAST_END,  /* the header's name and extra run past the input */
	ZIP_LFH_DATA_PAST_END,    /* the csize bytes of data run past the input */
} zip_lfh;
/* What the local header says (for the mismatch finding). */
typedef struct zip_lfh_info {
	const uint8_t *name;      /* local name bytes (borrowed) */
	size_t nlen;
	uint16_t flags, method;
	uint64_t csize;
	uint64_t doff;            /* where the data starts: lho + 30 + name + extra lengths */
	const char *mismatch;     /* the first field that differs from the directory, or NULL */
} zip_lfh_info;
/* Reads e's local header in p[0, len) and compares it with the directory record; on
 * ZIP_LFH_OK sets e->doff and e->readable. */
zip_lfh zip_local_read(const uint8_t *p, size_t len, zip_entry *e, zip_lfh_info *li);
#define ZIP_FLAG_ENCRYPTED 0x0001u  /* general-purpose flag bits */
#define ZIP_FLAG_STRONG_ENC 0x0040u

/* ---- the engine of the scan --------------------------------------------------------- */

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
