/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Detached signatures in minisign's exact file formats (Ed25519 over a BLAKE2b-512 prehash,
 * algorithm "ED"), so that stock `minisign -V` verifies what mscan signs and the reverse.
 * A folder is signed through a manifest (MS_SIGN_MANIFEST) listing every file with its
 * BLAKE2b-512 hash and size; the manifest gets the detached signature.
 *
 * Every function takes err (caller-owned, may be NULL): on failure it receives the error record,
 * whose message is one line naming the file. Secret keys live only in sodium_malloc memory and are wiped after use.
 */
#ifndef MSCAN_SIGN_H
#define MSCAN_SIGN_H

#include <stddef.h>

#include "error.h"

#define MS_SIGN_MANIFEST "mscan-manifest.txt"
#define MS_SIGN_SUFFIX ".minisig"

/* Creates a key pair: pub_path (minisign public key) and sec_path (minisign secret key,
 * mode 0600, created with O_EXCL). password NULL or "" writes an unencrypted key (what
 * `minisign -G -W` writes); otherwise the key is encrypted with scrypt as minisign does.
 * force: replace existing files. key_id (may be NULL) receives the 16 hex digit key id.
 * Returns MS_OK, MS_ERR_IO (exists, unwritable), MS_ERR_CRYPTO, MS_ERR_NOMEM. */
MS_API ms_err ms_sign_keygen(const char *pub_path, const char *sec_path, const char *password,
                             int force, char key_id[17], ms_error *err);

/* Signs path: a regular file gets path.minisig; a folder gets MS_SIGN_MANIFEST (every regular
 * file in it, sorted) and MS_SIGN_MANIFEST.minisig. trusted_comment NULL gives minisign's
 * default ("timestamp:T\tfile:NAME\thashed"). password is used for encrypted keys.
 * Returns MS_OK, MS_ERR_IO, MS_ERR_MALFORMED (bad key file), MS_ERR_CRYPTO (wrong password),
 * MS_ERR_UNSUPPORTED (subfolders, odd file names), MS_ERR_ARG, MS_ERR_NOMEM. */
MS_API ms_err ms_sign_path(const char *path, const char *sec_path, const char *password,
                           const char *trusted_comment, ms_error *err);

/* Verifies path (file: path.minisig; folder: the manifest signature, then every listed file's
 * size and hash, and that no file is missing or unlisted) with the public key in pub_path.
 * trusted (may be NULL, size tlen) receives the verified trusted comment.
 * Returns MS_OK, MS_ERR_MISMATCH (bad signature, modified/missing/extra file, other key),
 * MS_ERR_IO, MS_ERR_MALFORMED (unreadable signature or key), MS_ERR_NOMEM. */
MS_API ms_err ms_sign_verify(const char *path, const char *pub_path, char *trusted,
                             size_t tlen, ms_error *err);

#endif
