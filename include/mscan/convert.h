/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Conversion of PyTorch checkpoints (zip, legacy magic-number, or a sharded folder with
 * pytorch_model.bin.index.json) to safetensors, and bitwise verification of the result.
 * Nothing is executed: tensors are found by interpreting only the allowlisted rebuild
 * functions in the symbolic pickle machine. The caller is expected to have scanned the input
 * (ms_scan_file) and to refuse it when it has high findings; ms_convert does not scan.
 * On failure err (caller-owned, may be NULL) receives the error record: code, file, tensor or
 * archive member and offset where known, and a one-line message naming them.
 */
#ifndef MSCAN_CONVERT_H
#define MSCAN_CONVERT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define MS_CONVERT_DEFAULT_SHARD 5000000000ULL /* "5GB", decimal as huggingface_hub */

typedef struct ms_convert_opts {
	const char *key;              /* nested state dict to convert (root[key]); NULL: the root,
	                                 or root["state_dict"] when present (as HF convert.py) */
	uint64_t shard_size;          /* folder output: max bytes per shard; 0: 5 GB */
	const char *const *metadata;  /* extra "k=v" __metadata__ entries (borrowed) */
	size_t nmetadata;
	const char *sign_key;         /* minisign secret key: sign the output; NULL: no signature */
	const char *password;         /* for an encrypted sign_key */
	int force;                    /* replace an existing OUTPUT */
	int byteorder;                /* 0: as the checkpoint records, 1: little, 2: big */
	/* Called with each notice (non-tensor entries skipped, aliases, fallbacks); may be NULL. */
	void (*notice)(void *ud, const char *msg);
	void *ud;
	/* Called after each tensor is written (stage "writing", done of total tensor bytes) and
	 * once as the self-check starts ("verifying"); may be NULL. */
	void (*progress)(void *ud, const char *stage, uint64_t done, uint64_t total);
	/* Cancellation, may be NULL. Once *cancel is nonzero (a signal handler may set it: storing
	 * to a volatile sig_atomic_t is async-signal-safe), ms_convert stops at its next step (between
	 * chunks of at most 64 MiB while writing or verifying), removes its temporary and returns
	 * MS_ERR_IO with the message "interrupted"; ms_verify stops likewise. A flag set only after
	 * the final rename leaves the complete OUTPUT and MS_OK. Each call has its own flag, so
	 * conversions in several threads are cancelled independently. The library installs no
	 * signal handler: a CLI that wants SIGINT to clean up sets the flag from its handler,
	 * waits for ms_convert to return, then re-raises the signal (cli/cmd_convert.c does). */
	const volatile sig_atomic_t *cancel;
} ms_convert_opts;

/* Converts input to output atomically: a temporary file (or folder) next to output is written,
 * verified bitwise against the input, fsynced, optionally signed, then renamed. On any error
 * or cancel (o->cancel) nothing is left at output. The input is only read.
 * Returns MS_OK; MS_ERR_ARG (bad options, output exists), MS_ERR_UNSUPPORTED (cannot convert:
 * complex, quantized, unknown callables ...), MS_ERR_MALFORMED/TRUNCATED (bad checkpoint),
 * MS_ERR_IO (EFBIG, ENOSPC, read-only destination ...), MS_ERR_MISMATCH (self-check failed),
 * MS_ERR_CRYPTO, MS_ERR_NOMEM. */
MS_API ms_err ms_convert(const char *input, const char *output, const ms_convert_opts *o,
                         ms_error *err);

typedef enum { MS_DEVICE_AUTO = 0, MS_DEVICE_CPU = 1, MS_DEVICE_CUDA = 2 } ms_device;

/* Checks that every tensor of original (file or sharded folder; o->key and o->byteorder as
 * for the conversion, o may be NULL) is in converted (a safetensors file, or a folder with
 * model.safetensors.index.json or *.safetensors) with the same dtype, shape and bits, and that
 * converted holds nothing else. MS_DEVICE_AUTO uses CUDA when a device is present and reports
 * the CPU fallback through o->notice.
 * Returns MS_OK, MS_ERR_MISMATCH (err->message: tensor, element index, both values), or an error. */
MS_API ms_err ms_verify(const char *converted, const char *original, ms_device dev,
                        const ms_convert_opts *o, ms_error *err);

/* Parses "5GB", "500MB", "10KiB", "123" (decimal units as huggingface_hub, binary with i).
 * Returns MS_OK or MS_ERR_ARG. */
MS_API ms_err ms_parse_size(const char *s, uint64_t *out);

#endif
