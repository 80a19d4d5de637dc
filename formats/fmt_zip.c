/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Zip archives: the engine behind the generic zip reader (here) and the PyTorch zip reader
 * (fmt_torchzip.c). Reference: PKWARE APPNOTE.TXT 6.3.10, sections 4.3.7 (local file header),
 * 4.3.12 (central directory header), 4.3.14-16 (zip64 end of central directory record and
 * locator, end of central directory record), 4.5.3 (zip64 extra field 0x0001).
 *
 *   [prefix data?] { local header "PK\3\4" (30 bytes + name + extra), data, [descriptor] }*
 *   central directory { "PK\1\2" (46 bytes + name + extra + comment) }*
 *   [zip64 EOCD "PK\6\6" (56 bytes), zip64 locator "PK\6\7" (20 bytes)]
 *   EOCD "PK\5\6" (22 bytes + comment, within the last 64 KiB + 22 bytes)
 *
 * Members are located the way the loaders do: from the central directory (PyTorch's miniz and
 * Python's zipfile both do), with Python's correction for data prepended to the archive
 * (offsets shifted by EOCD position - CD size - CD offset). Everything a loader tolerates is
 * a finding and the member is still read: local headers that disagree with the central
 * directory, odd flag bits, bad CRCs, prepended data. libzip (ZIP_RDONLY | ZIP_CHECKCONS) is
 * asked as an oracle about an archive this walk found irregular; when it refuses one the
 * loaders accept, that is a finding, and the members are read by this engine anyway (a
 * scanner stricter than the loader is a bypass). Tensor records are never read: only their
 * sizes are used.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../scanner/arena_private.h"
#include "../scanner/bytes.h"
#include "../scanner/limits.h"
#include "libzip_api.h"
#include "zip_private.h"

#define ZIP_LFH_SIG "PK\x03\x04"
#define ZIP_CDH_SIG "PK\x01\x02"
#define ZIP_EOCD_SIG "PK\x05\x06"
#define ZIP_Z64_EOCD_SIG "PK\x06\x06"
#define ZIP_Z64_LOC_SIG "PK\x06\x07"
#define ZIP_LFH_LEN 30u
#define ZIP_CDH_LEN 46u
#define ZIP_EOCD_LEN 22u
#define ZIP_Z64_EOCD_LEN 56u
#define ZIP_Z64_LOC_LEN 20u
#define ZIP_NAMES_FIRST ((size_t)2 << 10) /* a checkpoint's names fit; blocks double */
#define ZIP_NAMES_CAP SIZE_MAX            /* names are bounded by the central directory */
#define ZIP_MAX_COMMENT 65535u
#define ZIP_U32_MAX 0xffffffffu
#define ZIP_EXTRA_ZIP64 0x0001u

#define ZIP_FLAG_DEFLATE_OPTS 0x0006u
#define ZIP_FLAG_DESCRIPTOR 0x0008u
#define ZIP_FLAG_PATCHED 0x0020u
#define ZIP_FLAG_UTF8 0x0800u
#define ZIP_FLAGS_ORDINARY (ZIP_FLAG_DEFLATE_OPTS | ZIP_FLAG_DESCRIPTOR | ZIP_FLAG_UTF8)

#define ZIP_M_STORED 0u
#define ZIP_M_DEFLATE 8u
#define ZIP_M_BZIP2 12u
#define ZIP_M_LZMA 14u
#define ZIP_M_AES 99u

#define ZIP_CRC_CHUNK ((size_t)1 << 30)

bool zip_find_eocd(const uint8_t *p, size_t len, size_t *eocd)
{
	if (len < ZIP_EOCD_LEN) return false;
	size_t lo = len - ZIP_EOCD_LEN > ZIP_MAX_COMMENT ? len - ZIP_EOCD_LEN - ZIP_MAX_COMMENT : 0;
	/* The last signature wins, as in Python's zipfile (rfind) and miniz (backward scan). */
	for (size_t i = len - ZIP_EOCD_LEN + 1; i-- > lo;) {
		if (p[i] == 'P' && memcmp(p + i, ZIP_EOCD_SIG, 4) == 0) {
			*eocd = i;
			return true;
		}
	}
	return false;
}

/* Locates the central directory from the EOCD (and zip64 records); false if implausible.
 * As Python's zipfile does (the directory ends where the end record begins, so bytes
 * prepended to the archive shift every offset by a base; a bad zip64 locator falls back to
 * the adjacent zip64 record), or, miniz, as PyTorch's reader does: offsets absolute, the
 * zip64 record only where the locator says. */
bool zip_dir_find(const uint8_t *p, size_t len, size_t e, zip_dir *d, bool miniz)
{
	memset(d, 0, sizeof *d);
	uint64_t count = ms_le16(p + e + 10), size = ms_le32(p + e + 12), off = ms_le32(p + e + 16);
	uint64_t end = e;
	if (e >= ZIP_Z64_LOC_LEN && memcmp(p + e - ZIP_Z64_LOC_LEN, ZIP_Z64_LOC_SIG, 4) == 0) {
		uint64_t z = ms_le64(p + e - ZIP_Z64_LOC_LEN + 8);
		uint64_t cand[2] = {z, e - ZIP_Z64_LOC_LEN >= ZIP_Z64_EOCD_LEN
		                               ? e - ZIP_Z64_LOC_LEN - ZIP_Z64_EOCD_LEN : UINT64_MAX};
		for (int k = 0; k < (miniz ? 1 : 2); k++) {
			uint64_t c = cand[k];
			if (c > len || len - c < ZIP_Z64_EOCD_LEN || memcmp(p + c, ZIP_Z64_EOCD_SIG, 4) != 0)
				continue;
			count = ms_le64(p + c + 32);
			size = ms_le64(p + c + 40);
			off = ms_le64(p + c + 48);
			end = c;
			d->z64 = true;
			break;
		}
	}
	/* Python's zipfile: concat = location of the end record - CD size - CD offset. */
	uint64_t start;
	if (miniz) {
		if (off > len || size > len - off) return false;
		start = off;
	} else {
		if (size > end || end - size < off) return false;
		start = end - size;
	}
	d->base = start - off;
	d->cd_start = start;
	d->cd_size = size;
	d->count = count;
	d->cd_end = end;
	if (size == 0) return count == 0;
	return size >= ZIP_CDH_LEN && memcmp(p + start, ZIP_CDH_SIG, 4) == 0;
}

bool zip_cd_has_suffix(const uint8_t *p, size_t len, const char *suffix)
{
	size_t e;
	zip_dir d;
	if (!zip_find_eocd(p, len, &e) || !zip_dir_find(p, len, e, &d, false)) return false;
	size_t sl = strlen(suffix);
	ms_cur c = ms_cur_make(p + d.cd_start, (size_t)d.cd_size);
	for (size_t i = 0; i < MS_MAX_ZIP_ENTRIES && ms_need(&c, ZIP_CDH_LEN); i++) {
		const uint8_t *h = c.p + c.off;
		if (memcmp(h, ZIP_CDH_SIG, 4) != 0) break;
		size_t nl = ms_le16(h + 28), xl = ms_le16(h + 30), cl = ms_le16(h + 32);
		if (!ms_need(&c, ZIP_CDH_LEN + nl)) break;
		if (nl >= sl && memcmp(h + ZIP_CDH_LEN + nl - sl, suffix, sl) == 0) return true;
		if (!ms_skip(&c, ZIP_CDH_LEN + nl + xl + cl)) break;
	}
	return false;
}

/* The printable name of an entry, in the archive's name arena (a few hundred bytes for a
 * checkpoint: two mallocs and frees per member were a tenth of reading the directory). */
static char *zip_pname(zip_archive *z, const uint8_t *name, size_t n)
{
	if (!z->names && !(z->names = ms_arena_new_first(ZIP_NAMES_CAP, ZIP_NAMES_FIRST)))
		return NULL;
	return ms_arena_printable(z->names, name, n);
}

/* Reads zip64 extra values for the fields that are saturated (APPNOTE 4.5.3 order). */
static void zip_extra64(const uint8_t *x, size_t xl, uint64_t *usize, uint64_t *csize,
                        uint64_t *lho)
{
	ms_cur c = ms_cur_make(x, xl);
	uint16_t id, sz;
	while (ms_u16le(&c, &id) && ms_u16le(&c, &sz)) {
		const uint8_t *b;
		if (!ms_take(&c, sz, &b)) return;
		if (id != ZIP_EXTRA_ZIP64) continue;
		ms_cur f = ms_cur_make(b, sz);
		uint64_t v;
		if (usize && *usize == ZIP_U32_MAX && ms_u64le(&f, &v)) *usize = v;
		if (csize && *csize == ZIP_U32_MAX && ms_u64le(&f, &v)) *csize = v;
		if (lho && *lho == ZIP_U32_MAX && ms_u64le(&f, &v)) *lho = v;
		return;
	}
}

static void zip_flag_text(uint16_t f, char *buf, size_t n)
{
	snprintf(buf, n, "0x%04x%s%s%s", f, f & ZIP_FLAG_ENCRYPTED ? " encrypted" : "",
	         f & ZIP_FLAG_PATCHED ? " patched-data" : "",
	         f & ZIP_FLAG_STRONG_ENC ? " strong-encryption" : "");
}

zip_lfh zip_local_read(const uint8_t *p, size_t len, zip_entry *e, zip_lfh_info *li)
{
	if (e->lho > len || len - e->lho < ZIP_LFH_LEN || memcmp(p + e->lho, ZIP_LFH_SIG, 4) != 0)
		return ZIP_LFH_MISSING;
	const uint8_t *h = p + e->lho;
	li->flags = ms_le16(h + 6);
	li->method = ms_le16(h + 8);
	uint32_t lcrc = ms_le32(h + 14);
	li->csize = ms_le32(h + 18);
	uint64_t lus = ms_le32(h + 22);
	size_t nl = ms_le16(h + 26), xl = ms_le16(h + 28);
	li->name = h + ZIP_LFH_LEN;
	li->nlen = nl;
	uint64_t doff = e->lho + ZIP_LFH_LEN + nl + xl;
	li->doff = doff;
	li->mismatch = NULL;
	if (doff > len) return ZIP_LFH_HEADER_PAST_END;
	zip_extra64(h + ZIP_LFH_LEN + nl, xl, &lus, &li->csize, NULL);
	if (nl != e->nlen || memcmp(h + ZIP_LFH_LEN, e->name, nl) != 0) li->mismatch = "name";
	else if (li->method != e->method) li->mismatch = "compression method";
	else if ((li->flags & ~ZIP_FLAG_DESCRIPTOR) != (e->flags & ~ZIP_FLAG_DESCRIPTOR))
		li->mismatch = "flags";
	else if (!(li->flags & ZIP_FLAG_DESCRIPTOR) &&
	         (lcrc != e->crc || li->csize != e->csize || lus != e->usize))
		li->mismatch = "CRC or sizes";
	if (e->csize > len - doff) return ZIP_LFH_DATA_PAST_END;
	e->doff = doff;
	e->readable = true;
	return ZIP_LFH_OK;
}

/* Compares the local header of e with its central directory record; sets doff/readable. */
static void zip_check_local(ms_job *job, const ms_src *src, zip_entry *e)
{
	zip_lfh_info li;
	zip_lfh st = zip_local_read(src->data, src->len, e, &li);
	if (st == ZIP_LFH_MISSING) {
		ms_job_error(job, src, e->lho, MS_ERR_MALFORMED,
		             "member '%s': no local header at offset %llu", e->pname,
		             (unsigned long long)e->lho);
		return;
	}
	if (st == ZIP_LFH_HEADER_PAST_END) {
		ms_job_error(job, src, e->lho, MS_ERR_TRUNCATED,
		             "member '%s': local header runs past the end of the input", e->pname);
		return;
	}
	if (li.mismatch) {
		char ln[256];
		ms_printable(ln, sizeof ln, li.name, li.nlen < 60 ? li.nlen : 60);
		ms_job_finding(job, src, e->lho, MS_RULE_ZIP_HEADER_MISMATCH, NULL, NULL,
		               "member '%s': local header %s differs from the central directory "
		               "(local name '%s', flags 0x%04x/0x%04x, method %u/%u, sizes %llu/%llu)",
		               e->pname, li.mismatch, ln, li.flags, e->flags, li.method, e->method,
		               (unsigned long long)li.csize, (unsigned long long)e->csize);
	}
	if (st == ZIP_LFH_DATA_PAST_END)
		ms_job_error(job, src, li.doff, MS_ERR_TRUNCATED,
		             "member '%s': %llu bytes of data at offset %llu run past the end (%zu)",
		             e->pname, (unsigned long long)e->csize, (unsigned long long)li.doff,
		             src->len);
}

static int zip_cmp_name(const void *a, const void *b)
{
	const zip_entry *x = *(const zip_entry *const *)a, *y = *(const zip_entry *const *)b;
	size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int c = memcmp(x->name, y->name, n);
	if (c) return c;
	return x->nlen < y->nlen ? -1 : x->nlen > y->nlen;
}

/* True when the names strictly ascend in directory order, as torch.save writes them: then no
 * name is there twice and the sort that finds duplicates is not needed. */
static bool zip_names_ascending(const zip_archive *z)
{
	for (size_t i = 1; i < z->n; i++) {
		const zip_entry *x = &z->e[i - 1], *y = &z->e[i];
		if (zip_cmp_name(&x, &y) >= 0) return false;
	}
	return true;
}

/* libzip as an oracle: an archive it refuses but the loaders read is an anomaly. */
static void zip_libzip_check(ms_job *job, const ms_src *src, size_t n)
{
	const ms_zipapi *lz = ms_zipapi_get(NULL, 0);
	if (!lz) return; /* a second opinion about an archive already reported irregular */
	zip_error_t ze;
	lz->zip_error_init(&ze);
	zip_source_t *zs = lz->zip_source_buffer_create(src->data, src->len, 0, &ze);
	if (!zs) {
		lz->zip_error_fini(&ze);
		return;
	}
	zip_t *za = lz->zip_open_from_source(zs, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!za) {
		ms_job_finding(job, src, 0, MS_RULE_ZIP_INCONSISTENT, NULL, NULL,
		               "libzip refuses the archive (%s); its members were read from the "
		               "central directory as the loaders do", lz->zip_error_strerror(&ze));
		lz->zip_source_free(zs);
	} else {
		zip_int64_t k = lz->zip_get_num_entries(za, 0);
		if (k >= 0 && (uint64_t)k != n)
			ms_job_finding(job, src, 0, MS_RULE_ZIP_HEADER_MISMATCH, NULL, NULL,
			               "libzip sees %lld members, the central directory walk %zu",
			               (long long)k, n);
		lz->zip_discard(za);
	}
	lz->zip_error_fini(&ze);
}

zip_cd zip_cd_read(const uint8_t *p, size_t len, const zip_dir *d, zip_archive *z, size_t *bad)
{
	(void)len; /* d was found inside p[0, len) by zip_dir_find */
	z->base = d->base;
	z->cd_start = d->cd_start;
	/* Walk by size, as Python's zipfile does; miniz trusts the count. Both are checked. */
	ms_cur c = ms_cur_make(p + d->cd_start, (size_t)d->cd_size);
	size_t cap = 0;
	while (ms_left(&c) > 0) {
		*bad = d->cd_start + c.off;
		if (z->n >= MS_MAX_ZIP_ENTRIES) return ZIP_CD_LIMIT;
		if (!ms_need(&c, ZIP_CDH_LEN) || memcmp(c.p + c.off, ZIP_CDH_SIG, 4) != 0)
			return ZIP_CD_BAD;
		const uint8_t *h = c.p + c.off;
		size_t nl = ms_le16(h + 28), xl = ms_le16(h + 30), cl = ms_le16(h + 32);
		if (!ms_need(&c, ZIP_CDH_LEN + nl + xl + cl)) return ZIP_CD_TRUNCATED;
		if (z->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			zip_entry *ne = realloc(z->e, nc * sizeof *ne);
			if (!ne) {
				*bad = nc;
				return ZIP_CD_NOMEM;
			}
			z->e = ne;
			cap = nc;
		}
		zip_entry *en = &z->e[z->n];
		memset(en, 0, sizeof *en);
		en->name = h + ZIP_CDH_LEN;
		en->nlen = nl;
		en->flags = ms_le16(h + 8);
		en->method = ms_le16(h + 10);
		en->crc = ms_le32(h + 16);
		en->csize = ms_le32(h + 20);
		en->usize = ms_le32(h + 24);
		en->lho = ms_le32(h + 42);
		zip_extra64(h + ZIP_CDH_LEN + nl, xl, &en->usize, &en->csize, &en->lho);
		en->pname = zip_pname(z, en->name, nl);
		if (!en->pname) {
			*bad = SIZE_MAX;
			return ZIP_CD_NOMEM;
		}
		z->n++;
		if (ms_add_ovf(en->lho, d->base, &en->lho)) en->lho = UINT64_MAX;
		c.off += ZIP_CDH_LEN + nl + xl + cl;
	}
	return ZIP_CD_OK;
}

/* Reads the members of directory d into z. second: another reading of an archive already
 * loaded (the data before it and libzip's opinion are not looked at again). */
static ms_err zip_load_dir(ms_job *job, const ms_src *src, const zip_dir *dp, zip_archive *z,
                           bool second)
{
	const uint8_t *p = src->data;
	size_t len = src->len;
	zip_dir d = *dp;
	size_t findings_before = ms_job_finding_count(job);
	size_t bad = 0;
	ms_err rc = MS_OK;
	zip_cd st = zip_cd_read(p, len, &d, z, &bad);
	if (st == ZIP_CD_LIMIT)
		rc = ms_job_error(job, src, bad, MS_ERR_LIMIT, "zip: more than %u members",
		                  MS_MAX_ZIP_ENTRIES);
	else if (st == ZIP_CD_BAD)
		rc = ms_job_error(job, src, bad, MS_ERR_MALFORMED,
		                  "zip: bad central directory record %zu", z->n);
	else if (st == ZIP_CD_TRUNCATED)
		rc = ms_job_error(job, src, bad, MS_ERR_TRUNCATED,
		                  "zip: central directory record %zu truncated", z->n);
	else if (st == ZIP_CD_NOMEM && bad == SIZE_MAX)
		rc = ms_job_error(job, src, 0, MS_ERR_NOMEM, "zip: no memory");
	else if (st == ZIP_CD_NOMEM)
		rc = ms_job_error(job, src, 0, MS_ERR_NOMEM, "zip: no memory for %zu members", bad);
	if (z->n != d.count)
		ms_job_finding(job, src, d.cd_end, MS_RULE_ZIP_HEADER_MISMATCH, NULL, NULL,
		               "end record counts %llu members, the central directory holds %zu",
		               (unsigned long long)d.count, z->n);

	uint64_t first = d.cd_start;
	for (size_t i = 0; i < z->n; i++) {
		zip_entry *en = &z->e[i];
		if (fmt_name_escapes(en->name, en->nlen))
			ms_job_finding(job, src, en->lho, MS_RULE_ZIP_PATH_ESCAPE, NULL, NULL,
			               "member name '%s' escapes the extraction folder", en->pname);
		if (en->flags & ~ZIP_FLAGS_ORDINARY) {
			char ft[96];
			zip_flag_text(en->flags, ft, sizeof ft);
			ms_job_finding(job, src, en->lho, MS_RULE_ZIP_FLAGS, NULL, NULL,
			               "member '%s': unusual general-purpose flags %s", en->pname, ft);
		}
		zip_check_local(job, src, en);
		if (en->lho < first) first = en->lho;
	}
	/* Bytes before the first member: zipfile accepts them, torch.load does not look. */
	if (!second && first > 0 && first <= len) {
		ms_job_finding(job, src, 0, MS_RULE_ZIP_PREFIX_DATA, NULL, NULL,
		               "%llu bytes before the first zip member", (unsigned long long)first);
		ms_src pre;
		if (ms_src_slice(job, src, 0, first, "[data before the archive]", &pre)) {
			ms_err r2 = ms_job_scan_blob(job, &pre);
			if (rc == MS_OK) rc = r2;
		}
	}
	if (z->n > 1 && !zip_names_ascending(z)) {
		zip_entry **ix = malloc(z->n * sizeof *ix);
		/* no duplicate check is no verdict: the archive is an error, never clean */
		if (!ix && rc == MS_OK) rc = ms_job_error(job, src, 0, MS_ERR_NOMEM, "zip: no memory");
		if (ix) {
			for (size_t i = 0; i < z->n; i++) ix[i] = &z->e[i];
			qsort(ix, z->n, sizeof *ix, zip_cmp_name);
			for (size_t i = 1; i < z->n; i++)
				if (zip_cmp_name(&ix[i - 1], &ix[i]) == 0)
					ms_job_finding(job, src, ix[i]->lho, MS_RULE_ZIP_DUPLICATE_NAME,
					               NULL, NULL, "member name '%s' appears more than once",
					               ix[i]->pname);
			free(ix);
		}
	}
	/* libzip's opinion costs more than the rest of a scan (30 us for a small checkpoint, 10 ms
	 * for 10^4 members) and neither loader uses libzip; the walk above makes its checks itself.
	 * So it is asked only about an archive the walk already found irregular. */
	if (!second && (rc != MS_OK || ms_job_finding_count(job) > findings_before))
		zip_libzip_check(job, src, z->n);
	return rc;
}

ms_err zip_load(ms_job *job, const ms_src *src, zip_archive *z)
{
	memset(z, 0, sizeof *z);
	size_t e;
	zip_dir d;
	if (!zip_find_eocd(src->data, src->len, &e))
		return ms_job_error(job, src, 0, MS_ERR_MALFORMED,
		                    "zip: no end of central directory record in the last %u bytes",
		                    ZIP_MAX_COMMENT + ZIP_EOCD_LEN);
	if (!zip_dir_find(src->data, src->len, e, &d, false))
		return ms_job_error(job, src, e, MS_ERR_MALFORMED,
		                    "zip: central directory not found where the end record points");
	return zip_load_dir(job, src, &d, z, false);
}

ms_err zip_scan_miniz_view(ms_job *job, const ms_src *src, const zip_archive *z)
{
	size_t e;
	zip_dir d;
	if (!zip_find_eocd(src->data, src->len, &e) || !zip_dir_find(src->data, src->len, e, &d, true))
		return MS_OK; /* miniz cannot open it: torch.load fails before any pickle */
	if (d.cd_start == z->cd_start && d.base == z->base) return MS_OK;
	ms_job_finding(job, src, d.cd_start, MS_RULE_ZIP_TWO_DIRECTORIES, NULL, NULL,
	               "PyTorch's reader takes the central directory at offset %llu, Python's zipfile "
	               "the one at %llu: the members of both are scanned",
	               (unsigned long long)d.cd_start, (unsigned long long)z->cd_start);
	zip_archive other;
	memset(&other, 0, sizeof other);
	ms_err rc = zip_load_dir(job, src, &d, &other, true);
	if (rc != MS_ERR_NOMEM) {
		ms_err r2 = zip_scan_generic(job, src, &other);
		if (rc == MS_OK) rc = r2;
	}
	zip_free(&other);
	return rc;
}

void zip_free(zip_archive *z)
{
	ms_arena_free(z->names);
	free(z->e);
	memset(z, 0, sizeof *z);
}

static uint32_t zip_crc(const uint8_t *p, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	while (n) {
		size_t k = n < ZIP_CRC_CHUNK ? n : ZIP_CRC_CHUNK;
		crc = crc32(crc, p, (uInt)k);
		p += k;
		n -= k;
	}
	return (uint32_t)crc;
}

ms_err zip_member(ms_job *job, const ms_src *src, const zip_archive *z, size_t i, bool check_crc,
                  ms_src *out, uint8_t **owned)
{
	const zip_entry *e = &z->e[i];
	*owned = NULL;
	if (!e->readable) return MS_ERR_MALFORMED; /* recorded by zip_load */
	bool enc = (e->flags & (ZIP_FLAG_ENCRYPTED | ZIP_FLAG_STRONG_ENC)) != 0;
	if (e->method == ZIP_M_AES)
		return ms_job_error(job, src, e->lho, MS_ERR_UNSUPPORTED,
		                    "member '%s' is AES-encrypted: cannot be scanned", e->pname);
	if (e->method == ZIP_M_STORED) {
		if (!ms_src_slice(job, src, e->doff, e->csize, e->pname, out))
			return ms_job_error(job, src, e->doff, MS_ERR_TRUNCATED, "member '%s' out of bounds",
			                    e->pname);
		if (e->csize != e->usize && !enc)
			ms_job_finding(job, src, e->lho, MS_RULE_ZIP_HEADER_MISMATCH, NULL, NULL,
			               "stored member '%s' has compressed size %llu but size %llu",
			               e->pname, (unsigned long long)e->csize, (unsigned long long)e->usize);
	} else if (e->method == ZIP_M_DEFLATE || e->method == ZIP_M_BZIP2 || e->method == ZIP_M_LZMA) {
		uint8_t *buf;
		size_t blen;
		size_t hint = e->usize < MS_MAX_MEMBER_BYTES ? (size_t)e->usize : 0;
		ms_src named = ms_src_child(job, src, src->data + e->doff, (size_t)e->csize, e->pname);
		fd_kind k = e->method == ZIP_M_BZIP2 ? FD_BZ2 : e->method == ZIP_M_LZMA ? FD_ZIP_LZMA
		                                                                        : FD_RAW_DEFLATE;
		ms_err rc = fmt_decompress(job, &named, 0, k, src->data + e->doff, (size_t)e->csize, hint,
		                           &buf, &blen, NULL);
		if (rc != MS_OK) return rc;
		*owned = buf;
		*out = ms_src_child(job, src, buf, blen, e->pname);
		if (blen != e->usize && !enc)
			ms_job_finding(job, src, e->lho, MS_RULE_ZIP_HEADER_MISMATCH, NULL, NULL,
			               "member '%s' declares %llu bytes but holds %zu", e->pname,
			               (unsigned long long)e->usize, blen);
	} else {
		return ms_job_error(job, src, e->lho, MS_ERR_UNSUPPORTED,
		                    "member '%s': compression method %u cannot be scanned", e->pname,
		                    e->method);
	}
	if (!check_crc) return MS_OK;
	bool crc_ok = e->crc == 0 || zip_crc(out->data, out->len) == e->crc;
	if (enc && !crc_ok) {
		free(*owned);
		*owned = NULL;
		return ms_job_error(job, src, e->lho, MS_ERR_UNSUPPORTED,
		                    "member '%s' is encrypted: cannot be scanned", e->pname);
	}
	if (enc)
		ms_job_finding(job, src, e->lho, MS_RULE_ZIP_FLAGS, NULL, NULL,
		               "member '%s' is marked encrypted but is stored in clear", e->pname);
	else if (!crc_ok)
		ms_job_finding(job, src, e->lho, MS_RULE_ZIP_CRC, NULL, NULL,
		               "member '%s': CRC-32 does not match (recorded 0x%08x)", e->pname, e->crc);
	return MS_OK;
}

static bool zip_is_dir(const zip_entry *e)
{
	return e->nlen > 0 && e->name[e->nlen - 1] == '/' && e->usize == 0;
}

ms_err zip_scan_generic(ms_job *job, const ms_src *src, zip_archive *z)
{
	ms_err first = MS_OK;
	for (size_t i = 0; i < z->n; i++) {
		if (zip_is_dir(&z->e[i]) || !z->e[i].readable) continue;
		ms_src m;
		uint8_t *owned;
		ms_err rc = zip_member(job, src, z, i, true, &m, &owned);
		if (rc == MS_OK) rc = ms_job_scan_blob(job, &m);
		free(owned);
		if (rc == MS_ERR_NOMEM) return rc;
		if (first == MS_OK) first = rc;
	}
	return first;
}

/* ---- the generic zip reader ------------------------------------------------------------ */

#define ZIP_BID_AT_START 30u
#define ZIP_BID_AT_END 20u

static unsigned zipf_bid(const uint8_t *p, size_t len)
{
	size_t e;
	zip_dir d;
	bool at0 = len >= 4 && (memcmp(p, ZIP_LFH_SIG, 4) == 0 || memcmp(p, ZIP_EOCD_SIG, 4) == 0);
	if (!zip_find_eocd(p, len, &e)) return 0;
	if (at0) return ZIP_BID_AT_START;
	/* An archive after other bytes (zipfile accepts it): claim it when its directory is
	 * real, so the prefix is scanned as a member and the archive too. */
	if (zip_dir_find(p, len, e, &d, false) && d.cd_size > 0) return ZIP_BID_AT_END;
	return 0;
}

static ms_err zipf_scan(ms_job *job, const ms_src *src)
{
	zip_archive z;
	ms_err rc = zip_load(job, src, &z);
	if (rc != MS_ERR_NOMEM) {
		ms_err r2 = zip_scan_generic(job, src, &z);
		if (rc == MS_OK) rc = r2;
		r2 = zip_scan_miniz_view(job, src, &z);
		if (rc == MS_OK) rc = r2;
	}
	zip_free(&z);
	return rc;
}

const ms_format ms_format_zip = {
	.name = "zip",
	.bid = zipf_bid,
	.scan = zipf_scan,
};
