/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * minisign-compatible keys and detached signatures (formats.md D.2), plus a signed manifest
 * for folders (D.3). Byte layouts, all fixed size, base64 (original variant) on one line:
 *
 *   public key  (42):  "Ed" keynum[8] ed25519_pk[32]
 *   secret key (158):  "Ed" kdf[2] "B2" salt[32] opslimit_le[8] memlimit_le[8]
 *                      ( keynum[8] ed25519_sk[64] chk[32] )   <- XOR scrypt stream if kdf "Sc"
 *                      chk = BLAKE2b-256("Ed" || keynum || sk)
 *   signature   (74):  "ED" keynum[8] Ed25519(sk, BLAKE2b-512(file))[64]
 *   .minisig: "untrusted comment: ..." / b64(signature) / "trusted comment: TC" /
 *             b64(Ed25519(sk, sig[64] || TC))
 *
 * Manifest (MS_SIGN_MANIFEST), one line per regular file of the folder, sorted by name (bytes):
 *   mscan-manifest 1
 *   <128 hex BLAKE2b-512> <decimal size> <name>
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "mscan/sign.h"
#include "cv_private.h"

#define SG_PK_BYTES 42
#define SG_SK_BYTES 158
#define SG_SIG_BYTES 74
#define SG_KEYNUM 8
#define SG_SK_SECRET_OFF 54 /* keynum || sk || chk */
#define SG_SK_SECRET_LEN 104
#define SG_SALT_OFF 6
#define SG_OPS_OFF 38
#define SG_MEM_OFF 46
#define SG_HASH_BYTES crypto_generichash_BYTES_MAX
#define SG_TC_MAX 8192
#define SG_KEYFILE_MAX 4096
#define SG_SIGFILE_MAX (SG_TC_MAX + 2048)
#define SG_MANIFEST_MAX ((size_t)64 << 20)
#define SG_MANIFEST_HEAD "mscan-manifest 1\n"
#define SG_UC "untrusted comment: "
#define SG_TCP "trusted comment: "

static void sg_le64_store(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t sg_le64_load(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
	return v;
}

static void sg_keyid(const uint8_t *keynum, char out[17])
{
	snprintf(out, 17, "%016llX", (unsigned long long)sg_le64_load(keynum));
}

static int sg_init(void) { return sodium_init() >= 0; }

/* chk over "Ed" || keynum || sk of a decoded secret key. */
static void sg_chk(const uint8_t *sk_struct, uint8_t chk[32])
{
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, sk_struct, 2);
	crypto_generichash_update(&hs, sk_struct + SG_SK_SECRET_OFF, SG_KEYNUM + 64);
	crypto_generichash_final(&hs, chk, 32);
	sodium_memzero(&hs, sizeof hs);
}

/* Splits text into lines (in place); returns the number found (at most max). Trailing CR and
 * spaces/tabs at line ends are trimmed as minisign's trim() does. */
static size_t sg_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;
	char *p = text;
	while (*p && n < max) {
		char *e = strchr(p, '\n');
		if (e) *e = 0;
		size_t l = strlen(p);
		while (l && (p[l - 1] == '\r' || p[l - 1] == ' ' || p[l - 1] == '\t')) p[--l] = 0;
		lines[n++] = p;
		if (!e) break;
		p = e + 1;
	}
	return n;
}

static int sg_b64dec(const char *s, uint8_t *out, size_t want)
{
	size_t got = 0;
	if (sodium_base642bin(out, want, s, strlen(s), NULL, &got, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return 0;
	return got == want;
}

/* Creates path exclusively with mode and writes text; with force an old file is removed. */
static ms_err sg_write_new(const char *path, const char *text, mode_t mode, int force, ms_error *err)
{
	if (force && unlink(path) != 0 && errno != ENOENT)
		return cv_fail(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return cv_fail(err, MS_ERR_IO, "%s: %s%s", path, strerror(errno),
		               errno == EEXIST ? " (use --force to replace it)" : "");
	int ok = cv_write_full(fd, text, strlen(text)) && fsync(fd) == 0;
	int e = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		unlink(path);
		return cv_fail(err, MS_ERR_IO, "%s: %s", path, strerror(e));
	}
	return MS_OK;
}

/* Writes text to path through a hidden temporary file in the same folder, then renames. */
static ms_err sg_write_replace(const char *path, const char *text, ms_error *err)
{
	char tmp[4096];
	const char *slash = strrchr(path, '/');
	int dl = slash ? (int)(slash - path + 1) : 0;
	if ((size_t)snprintf(tmp, sizeof tmp, "%.*s.%s.tmp-XXXXXX", dl, path,
	                     slash ? slash + 1 : path) >= sizeof tmp)
		return cv_fail(err, MS_ERR_ARG, "%s: path too long", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) return cv_fail(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
	int ok = cv_write_full(fd, text, strlen(text)) && fsync(fd) == 0 && fchmod(fd, 0644) == 0;
	int e = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = 0;
		e = errno;
	}
	if (!ok) {
		unlink(tmp);
		return cv_fail(err, MS_ERR_IO, "%s: %s", path, strerror(e));
	}
	return MS_OK;
}

/* BLAKE2b-512 of a whole file, streamed; *size gets its length. */
static ms_err sg_hash_file(const char *path, uint8_t hash[SG_HASH_BYTES], uint64_t *size,
                           ms_error *err)
{
	int fd;
	struct stat st;
	ms_err orc = cv_open_regular(path, &fd, &st, err);
	if (orc != MS_OK) return orc;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	uint8_t *buf = malloc(CV_CHUNK);
	if (!buf) {
		close(fd);
		return cv_fail(err, MS_ERR_NOMEM, "out of memory");
	}
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, SG_HASH_BYTES);
	uint64_t total = 0;
	ms_err rc = MS_OK;
	for (;;) {
		ssize_t r = read(fd, buf, CV_CHUNK);
		if (r < 0) {
			if (errno == EINTR) continue;
			rc = cv_fail(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
			break;
		}
		if (r == 0) break;
		crypto_generichash_update(&hs, buf, (unsigned long long)r);
		total += (uint64_t)r;
	}
	crypto_generichash_final(&hs, hash, SG_HASH_BYTES);
	free(buf);
	close(fd);
	if (size) *size = total;
	return rc;
}

static ms_err sg_sign_keygen(const char *pub_path, const char *sec_path, const char *password,
                             int force, char key_id[17], ms_error *err)
{
	if (!sg_init()) return cv_fail(err, MS_ERR_CRYPTO, "libsodium failed to start");
	if (!pub_path || !sec_path) return cv_fail(err, MS_ERR_ARG, "key paths required");
	ms_err rc = MS_OK;
	uint8_t pk[SG_PK_BYTES];
	uint8_t *sk = sodium_malloc(SG_SK_BYTES);
	uint8_t *stream = sodium_malloc(SG_SK_SECRET_LEN);
	size_t b64len = sodium_base64_encoded_len(SG_SK_BYTES, sodium_base64_VARIANT_ORIGINAL);
	char *text = sodium_malloc(b64len + 256);
	if (!sk || !stream || !text) {
		rc = cv_fail(err, MS_ERR_NOMEM, "out of memory (sodium_malloc)");
		goto out;
	}
	memset(sk, 0, SG_SK_BYTES);
	int enc = password && *password;
	memcpy(sk, "Ed", 2);
	memcpy(sk + 2, enc ? "Sc" : "\0\0", 2);
	memcpy(sk + 4, "B2", 2);
	uint8_t *keynum = sk + SG_SK_SECRET_OFF, *secret = keynum + SG_KEYNUM;
	randombytes_buf(keynum, SG_KEYNUM);
	memcpy(pk, "Ed", 2);
	memcpy(pk + 2, keynum, SG_KEYNUM);
	if (crypto_sign_keypair(pk + 2 + SG_KEYNUM, secret) != 0) {
		rc = cv_fail(err, MS_ERR_CRYPTO, "key generation failed");
		goto out;
	}
	sg_chk(sk, secret + 64);
	if (enc) {
		unsigned long long ops = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE;
		size_t mem = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE;
		randombytes_buf(sk + SG_SALT_OFF, 32);
		/* As minisign: halve the memory limit (doubling ops) when memory is short. */
		for (;;) {
			if (crypto_pwhash_scryptsalsa208sha256(stream, SG_SK_SECRET_LEN, password,
			                                       strlen(password), sk + SG_SALT_OFF, ops,
			                                       mem) == 0)
				break;
			if (mem <= crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE) {
				rc = cv_fail(err, MS_ERR_CRYPTO, "scrypt failed (out of memory?)");
				goto out;
			}
			mem /= 2;
			ops *= 2;
		}
		sg_le64_store(sk + SG_OPS_OFF, ops);
		sg_le64_store(sk + SG_MEM_OFF, mem);
		for (size_t i = 0; i < SG_SK_SECRET_LEN; i++) sk[SG_SK_SECRET_OFF + i] ^= stream[i];
	}
	char id[17];
	sg_keyid(keynum, id);
	int n = snprintf(text, 256, SG_UC "minisign %ssecret key\n", enc ? "encrypted " : "");
	sodium_bin2base64(text + n, b64len, sk, SG_SK_BYTES, sodium_base64_VARIANT_ORIGINAL);
	strcat(text, "\n");
	/* The secret key first: a failure leaves no orphan public key. */
	if (!force) {
		struct stat st;
		if (lstat(pub_path, &st) == 0) {
			rc = cv_fail(err, MS_ERR_IO, "%s: file exists (use --force to replace it)",
			             pub_path);
			goto out;
		}
	}
	if ((rc = sg_write_new(sec_path, text, 0600, force, err)) != MS_OK) goto out;
	char pubtext[256];
	n = snprintf(pubtext, sizeof pubtext, SG_UC "minisign public key %s\n", id);
	sodium_bin2base64(pubtext + n, sizeof pubtext - (size_t)n - 2, pk, SG_PK_BYTES,
	                  sodium_base64_VARIANT_ORIGINAL);
	strcat(pubtext, "\n");
	if ((rc = sg_write_new(pub_path, pubtext, 0644, force, err)) != MS_OK) {
		unlink(sec_path);
		goto out;
	}
	if (key_id) memcpy(key_id, id, 17);
out:
	sodium_free(sk);
	sodium_free(stream);
	sodium_free(text);
	return rc;
}

ms_err ms_sign_keygen(const char *pub_path, const char *sec_path, const char *password,
                      int force, char key_id[17], ms_error *err)
{
	ms_error_clear(err);
	return cv_done(err, sg_sign_keygen(pub_path, sec_path, password, force, key_id, err));
}

/* Loads a secret key file into sodium_malloc memory (SG_SK_BYTES, decrypted). */
static ms_err sg_load_sk(const char *path, const char *password, uint8_t **out, ms_error *err)
{
	*out = NULL;
	char *text = NULL;
	size_t len = 0;
	ms_err rc = cv_read_small(path, SG_KEYFILE_MAX, &text, &len, err);
	if (rc != MS_OK) return rc;
	uint8_t *sk = sodium_malloc(SG_SK_BYTES);
	uint8_t *stream = sodium_malloc(SG_SK_SECRET_LEN);
	char *lines[2];
	if (!sk || !stream) {
		rc = cv_fail(err, MS_ERR_NOMEM, "out of memory (sodium_malloc)");
		goto out;
	}
	if (sg_lines(text, lines, 2) != 2 || strncmp(lines[0], SG_UC, strlen(SG_UC)) != 0 ||
	    !sg_b64dec(lines[1], sk, SG_SK_BYTES)) {
		rc = cv_fail(err, MS_ERR_MALFORMED, "%s: not a minisign secret key", path);
		goto out;
	}
	if (memcmp(sk, "Ed", 2) != 0 || memcmp(sk + 4, "B2", 2) != 0) {
		rc = cv_fail(err, MS_ERR_MALFORMED,
		             "%s: unsupported signature or checksum algorithm", path);
		goto out;
	}
	int enc;
	if (memcmp(sk + 2, "Sc", 2) == 0) {
		enc = 1;
	} else if (memcmp(sk + 2, "\0\0", 2) == 0) {
		enc = 0;
	} else {
		rc = cv_fail(err, MS_ERR_MALFORMED, "%s: unsupported key derivation function",
		             path);
		goto out;
	}
	if (enc) {
		if (!password || !*password) {
			rc = cv_fail(err, MS_ERR_CRYPTO,
			             "%s: the key is encrypted; set MSCAN_PASSWORD", path);
			goto out;
		}
		uint64_t ops = sg_le64_load(sk + SG_OPS_OFF), mem = sg_le64_load(sk + SG_MEM_OFF);
		if (mem > SIZE_MAX ||
		    crypto_pwhash_scryptsalsa208sha256(stream, SG_SK_SECRET_LEN, password,
		                                       strlen(password), sk + SG_SALT_OFF, ops,
		                                       (size_t)mem) != 0) {
			rc = cv_fail(err, MS_ERR_CRYPTO, "%s: scrypt failed", path);
			goto out;
		}
		for (size_t i = 0; i < SG_SK_SECRET_LEN; i++) sk[SG_SK_SECRET_OFF + i] ^= stream[i];
	}
	uint8_t chk[32];
	sg_chk(sk, chk);
	const uint8_t *stored = sk + SG_SK_SECRET_OFF + SG_KEYNUM + 64;
	/* minisign 0.11 leaves chk all zero in unencrypted (-W) keys: accept that there only. */
	static const uint8_t zero[32];
	if (sodium_memcmp(chk, stored, 32) != 0 && (enc || memcmp(stored, zero, 32) != 0)) {
		rc = cv_fail(err, MS_ERR_CRYPTO, "%s: %s", path,
		             enc ? "wrong password for that key" : "key checksum mismatch");
		goto out;
	}
	sodium_memzero(chk, sizeof chk);
	*out = sk;
	sk = NULL;
out:
	sodium_memzero(text, len);
	free(text);
	sodium_free(sk);
	sodium_free(stream);
	return rc;
}

static ms_err sg_load_pk(const char *path, uint8_t pk[SG_PK_BYTES], ms_error *err)
{
	char *text = NULL;
	ms_err rc = cv_read_small(path, SG_KEYFILE_MAX, &text, NULL, err);
	if (rc != MS_OK) return rc;
	char *lines[2];
	size_t n = sg_lines(text, lines, 2);
	/* minisign -P style: a bare base64 line is accepted as well. */
	const char *b64 = n == 2 ? lines[1] : n == 1 ? lines[0] : "";
	if (!sg_b64dec(b64, pk, SG_PK_BYTES) || memcmp(pk, "Ed", 2) != 0)
		rc = cv_fail(err, MS_ERR_MALFORMED, "%s: not a minisign public key", path);
	free(text);
	return rc;
}

static int sg_tc_ok(const char *tc)
{
	size_t n = strlen(tc);
	if (n >= SG_TC_MAX - sizeof SG_TCP) return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)tc[i] < 0x20 && tc[i] != '\t') return 0;
	return 1;
}

static const char *sg_basename(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static ms_err sg_sign_file(const char *file, const uint8_t *sk, const char *tc_in, ms_error *err)
{
	uint8_t hash[SG_HASH_BYTES];
	ms_err rc = sg_hash_file(file, hash, NULL, err);
	if (rc != MS_OK) return rc;
	char deftc[1024];
	const char *tc = tc_in;
	if (!tc) {
		char base[700];
		cv_printable(base, sizeof base, sg_basename(file));
		snprintf(deftc, sizeof deftc, "timestamp:%llu\tfile:%s\thashed",
		         (unsigned long long)time(NULL), base);
		tc = deftc;
	}
	if (!sg_tc_ok(tc))
		return cv_fail(err, MS_ERR_ARG,
		               "trusted comment must be one line of printable text under 8 KiB");
	uint8_t sig[SG_SIG_BYTES];
	memcpy(sig, "ED", 2);
	memcpy(sig + 2, sk + SG_SK_SECRET_OFF, SG_KEYNUM);
	const uint8_t *secret = sk + SG_SK_SECRET_OFF + SG_KEYNUM;
	crypto_sign_detached(sig + 10, NULL, hash, sizeof hash, secret);
	size_t tcl = strlen(tc);
	uint8_t *sigtc = malloc(64 + tcl);
	if (!sigtc) return cv_fail(err, MS_ERR_NOMEM, "out of memory");
	memcpy(sigtc, sig + 10, 64);
	memcpy(sigtc + 64, tc, tcl);
	uint8_t global[64];
	crypto_sign_detached(global, NULL, sigtc, 64 + tcl, secret);
	free(sigtc);

	size_t cap = tcl + 512;
	char *text = malloc(cap);
	if (!text) return cv_fail(err, MS_ERR_NOMEM, "out of memory");
	char b1[128], b2[128];
	sodium_bin2base64(b1, sizeof b1, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(b2, sizeof b2, global, sizeof global, sodium_base64_VARIANT_ORIGINAL);
	char id[17];
	sg_keyid(sk + SG_SK_SECRET_OFF, id);
	snprintf(text, cap, SG_UC "signature from mscan secret key %s\n%s\n" SG_TCP "%s\n%s\n", id,
	         b1, tc, b2);
	char sigpath[4096];
	if ((size_t)snprintf(sigpath, sizeof sigpath, "%s" MS_SIGN_SUFFIX, file) >= sizeof sigpath) {
		free(text);
		return cv_fail(err, MS_ERR_ARG, "%s: path too long", file);
	}
	rc = sg_write_replace(sigpath, text, err);
	free(text);
	return rc;
}

/* ---- folders: the manifest -------------------------------------------------------------- */

typedef struct sg_names {
	char **v;
	size_t n, cap;
} sg_names;

static void sg_names_free(sg_names *s)
{
	for (size_t i = 0; i < s->n; i++) free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int sg_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int sg_is_sig_or_manifest(const char *name)
{
	size_t n = strlen(name), sl = strlen(MS_SIGN_SUFFIX);
	if (strcmp(name, MS_SIGN_MANIFEST) == 0) return 1;
	return n >= sl && strcmp(name + n - sl, MS_SIGN_SUFFIX) == 0;
}

/* Lists the regular files of dir that the manifest covers, sorted. */
static ms_err sg_list(const char *dir, sg_names *out, ms_error *err)
{
	memset(out, 0, sizeof *out);
	DIR *d = opendir(dir);
	if (!d) return cv_fail(err, MS_ERR_IO, "%s: %s", dir, strerror(errno));
	ms_err rc = MS_OK;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		if (sg_is_sig_or_manifest(e->d_name)) continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = cv_fail(err, MS_ERR_IO, "%s/%s: %s", dir, e->d_name, strerror(errno));
			break;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = cv_fail(err, MS_ERR_UNSUPPORTED,
			             "%s/%s: only regular files can be signed in a folder (no subfolders, "
			             "links or devices)", dir, e->d_name);
			break;
		}
		for (const char *p = e->d_name; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				rc = cv_fail(err, MS_ERR_UNSUPPORTED,
				             "%s: a file name contains control characters", dir);
				goto done;
			}
		if (out->n == out->cap) {
			size_t nc = out->cap ? out->cap * 2 : 16;
			char **v = realloc(out->v, nc * sizeof *v);
			if (!v) {
				rc = cv_fail(err, MS_ERR_NOMEM, "out of memory");
				break;
			}
			out->v = v;
			out->cap = nc;
		}
		if (!(out->v[out->n] = strdup(e->d_name))) {
			rc = cv_fail(err, MS_ERR_NOMEM, "out of memory");
			break;
		}
		out->n++;
	}
done:
	closedir(d);
	if (rc != MS_OK) {
		sg_names_free(out);
		return rc;
	}
	if (out->n) qsort(out->v, out->n, sizeof *out->v, sg_cmp);
	return MS_OK;
}

static void sg_hex(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = 0;
}

static ms_err sg_manifest_text(const char *dir, const sg_names *names, char **out, ms_error *err)
{
	*out = NULL;
	size_t cap = 64, len = 0;
	for (size_t i = 0; i < names->n; i++) cap += strlen(names->v[i]) + 160;
	char *t = malloc(cap);
	if (!t) return cv_fail(err, MS_ERR_NOMEM, "out of memory");
	len += (size_t)snprintf(t, cap, SG_MANIFEST_HEAD);
	for (size_t i = 0; i < names->n; i++) {
		char path[4096], hex[2 * SG_HASH_BYTES + 1];
		uint8_t h[SG_HASH_BYTES];
		uint64_t size;
		snprintf(path, sizeof path, "%s/%s", dir, names->v[i]);
		ms_err rc = sg_hash_file(path, h, &size, err);
		if (rc != MS_OK) {
			free(t);
			return rc;
		}
		sg_hex(h, sizeof h, hex);
		len += (size_t)snprintf(t + len, cap - len, "%s %llu %s\n", hex,
		                        (unsigned long long)size, names->v[i]);
	}
	*out = t;
	return MS_OK;
}

static int sg_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static ms_err sg_sign_path(const char *path, const char *sec_path, const char *password,
                           const char *trusted_comment, ms_error *err)
{
	if (!sg_init()) return cv_fail(err, MS_ERR_CRYPTO, "libsodium failed to start");
	uint8_t *sk = NULL;
	ms_err rc = sg_load_sk(sec_path, password, &sk, err);
	if (rc != MS_OK) return rc;
	if (!sg_is_dir(path)) {
		rc = sg_sign_file(path, sk, trusted_comment, err);
		sodium_free(sk);
		return rc;
	}
	sg_names names;
	char *text = NULL;
	char mpath[4096];
	snprintf(mpath, sizeof mpath, "%s/%s", path, MS_SIGN_MANIFEST);
	if ((rc = sg_list(path, &names, err)) != MS_OK) goto out;
	if ((rc = sg_manifest_text(path, &names, &text, err)) != MS_OK) goto out;
	if ((rc = sg_write_replace(mpath, text, err)) != MS_OK) goto out;
	rc = sg_sign_file(mpath, sk, trusted_comment, err);
out:
	free(text);
	sg_names_free(&names);
	sodium_free(sk);
	return rc;
}

ms_err ms_sign_path(const char *path, const char *sec_path, const char *password,
                    const char *trusted_comment, ms_error *err)
{
	ms_error_clear(err);
	return cv_done(err, sg_sign_path(path, sec_path, password, trusted_comment, err));
}

/* Verifies file against file.minisig. */
static ms_err sg_verify_file(const char *file, const uint8_t pk[SG_PK_BYTES], char *trusted,
                             size_t tlen, ms_error *err)
{
	char sigpath[4096];
	if ((size_t)snprintf(sigpath, sizeof sigpath, "%s" MS_SIGN_SUFFIX, file) >= sizeof sigpath)
		return cv_fail(err, MS_ERR_ARG, "%s: path too long", file);
	char *text = NULL;
	ms_err rc = cv_read_small(sigpath, SG_SIGFILE_MAX, &text, NULL, err);
	if (rc != MS_OK) return rc;
	char *lines[4];
	uint8_t sig[SG_SIG_BYTES], global[64];
	if (sg_lines(text, lines, 4) != 4 || strncmp(lines[0], SG_UC, strlen(SG_UC)) != 0 ||
	    strncmp(lines[2], SG_TCP, strlen(SG_TCP)) != 0 ||
	    !sg_b64dec(lines[1], sig, sizeof sig) || !sg_b64dec(lines[3], global, sizeof global)) {
		rc = cv_fail(err, MS_ERR_MALFORMED, "%s: not a minisign signature", sigpath);
		goto out;
	}
	if (memcmp(sig, "ED", 2) != 0) {
		rc = cv_fail(err, MS_ERR_UNSUPPORTED,
		             "%s: only prehashed (\"ED\") signatures are supported (sign with minisign -H "
		             "or a minisign >= 0.11 default)", sigpath);
		goto out;
	}
	if (memcmp(sig + 2, pk + 2, SG_KEYNUM) != 0) {
		char a[17], b[17];
		sg_keyid(sig + 2, a);
		sg_keyid(pk + 2, b);
		rc = cv_fail(err, MS_ERR_MISMATCH,
		             "%s: signed by key %s, but the public key is %s", file, a, b);
		goto out;
	}
	uint8_t hash[SG_HASH_BYTES];
	if ((rc = sg_hash_file(file, hash, NULL, err)) != MS_OK) goto out;
	const uint8_t *edpk = pk + 2 + SG_KEYNUM;
	if (crypto_sign_verify_detached(sig + 10, hash, sizeof hash, edpk) != 0) {
		rc = cv_fail(err, MS_ERR_MISMATCH, "%s: signature verification failed", file);
		goto out;
	}
	const char *tc = lines[2] + strlen(SG_TCP);
	size_t tcl = strlen(tc);
	uint8_t *sigtc = malloc(64 + tcl);
	if (!sigtc) {
		rc = cv_fail(err, MS_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(sigtc, sig + 10, 64);
	memcpy(sigtc + 64, tc, tcl);
	int bad = crypto_sign_verify_detached(global, sigtc, 64 + tcl, edpk) != 0;
	free(sigtc);
	if (bad) {
		rc = cv_fail(err, MS_ERR_MISMATCH, "%s: trusted comment signature failed", file);
		goto out;
	}
	if (trusted && tlen) snprintf(trusted, tlen, "%s", tc);
out:
	free(text);
	return rc;
}

static ms_err sg_sign_verify(const char *path, const char *pub_path, char *trusted, size_t tlen,
                             ms_error *err)
{
	if (!sg_init()) return cv_fail(err, MS_ERR_CRYPTO, "libsodium failed to start");
	uint8_t pk[SG_PK_BYTES];
	ms_err rc = sg_load_pk(pub_path, pk, err);
	if (rc != MS_OK) return rc;
	if (!sg_is_dir(path)) return sg_verify_file(path, pk, trusted, tlen, err);

	char mpath[4096];
	snprintf(mpath, sizeof mpath, "%s/%s", path, MS_SIGN_MANIFEST);
	if ((rc = sg_verify_file(mpath, pk, trusted, tlen, err)) != MS_OK) return rc;
	/* The manifest is authentic; now every file must match it, and nothing else be there. */
	char *signed_text = NULL, *now_text = NULL;
	sg_names names;
	memset(&names, 0, sizeof names);
	if ((rc = cv_read_small(mpath, SG_MANIFEST_MAX, &signed_text, NULL, err)) != MS_OK)
		goto out;
	if (strncmp(signed_text, SG_MANIFEST_HEAD, strlen(SG_MANIFEST_HEAD)) != 0) {
		rc = cv_fail(err, MS_ERR_MALFORMED, "%s: not an mscan manifest", mpath);
		goto out;
	}
	if ((rc = sg_list(path, &names, err)) != MS_OK) goto out;
	if ((rc = sg_manifest_text(path, &names, &now_text, err)) != MS_OK) goto out;
	if (strcmp(signed_text, now_text) != 0) {
		/* Name the first line that differs: a modified, missing or extra file. */
		char *a = signed_text, *b = now_text;
		while (*a && *b) {
			char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
			if (!ea || !eb) break;
			if (ea - a != eb - b || memcmp(a, b, (size_t)(ea - a)) != 0) break;
			a = ea + 1;
			b = eb + 1;
		}
		const char *na = *a ? strchr(strchr(a, ' ') ? strchr(a, ' ') + 1 : a, ' ') : NULL;
		const char *nb = *b ? strchr(strchr(b, ' ') ? strchr(b, ' ') + 1 : b, ' ') : NULL;
		char fa[512] = "", fb[512] = "";
		if (na) snprintf(fa, sizeof fa, "%.*s", (int)strcspn(na + 1, "\n"), na + 1);
		if (nb) snprintf(fb, sizeof fb, "%.*s", (int)strcspn(nb + 1, "\n"), nb + 1);
		char pa[600], pb[600];
		cv_printable(pa, sizeof pa, fa);
		cv_printable(pb, sizeof pb, fb);
		if (*fa && *fb && strcmp(fa, fb) == 0)
			rc = cv_fail(err, MS_ERR_MISMATCH, "%s/%s: modified (hash or size differs "
			             "from the signed manifest)", path, pa);
		else if (*fa && (!*fb || strcmp(fa, fb) < 0))
			rc = cv_fail(err, MS_ERR_MISMATCH, "%s/%s: listed in the signed manifest "
			             "but missing", path, pa);
		else
			rc = cv_fail(err, MS_ERR_MISMATCH, "%s/%s: not in the signed manifest",
			             path, pb);
	}
out:
	free(signed_text);
	free(now_text);
	sg_names_free(&names);
	return rc;
}

ms_err ms_sign_verify(const char *path, const char *pub_path, char *trusted, size_t tlen,
                      ms_error *err)
{
	ms_error_clear(err);
	return cv_done(err, sg_sign_verify(path, pub_path, trusted, tlen, err));
}
