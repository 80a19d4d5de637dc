/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Every cap on hostile input lives here (YARA limits.h). Each is documented in mscan(1). */
#ifndef MSCAN_LIMITS_H
#define MSCAN_LIMITS_H

/* Pickle machine */
#define MS_MAX_PKL_STACK       (1u << 20)   /* values on the stack, all MARK frames together */
#define MS_MAX_PKL_MARKS       (1u << 20)   /* open MARKs (10^6 nested MARKs still analysed) */
#define MS_MAX_PKL_MEMO        (1u << 22)   /* distinct memo slots; indices near 2^32 are sparse */
#define MS_MAX_PKL_OPS         ((size_t)1 << 31) /* opcodes per stream */
#define MS_MAX_PKL_STREAMS     4096u        /* pickles back to back in one stream */
#define MS_MAX_PKL_PERSIDS     ((size_t)1 << 22) /* persistent ids logged for a loader's check */
#define MS_MAX_PKL_DEPTH       10000u       /* nesting when rendering or walking values */
#define MS_MAX_ARENA_BYTES     ((size_t)2 << 30) /* per-scan value arena */
#define MS_MAX_PKL_ARG_TEXT    4096u        /* rendered constant arguments kept per call */
#define MS_MAX_PKL_RENDER_DEPTH 16u         /* nesting shown when rendering a value as text */
#define MS_MAX_PKL_STRINGS     ((size_t)16 << 20) /* constant text collected for YARA per stream */
#define MS_MAX_PKL_NAME_PARTS  64u          /* dotted components of a global checked by policy */
#define MS_MAX_PKL_INT_DIGITS  4300u        /* decimal digits of a text INT/LONG (CPython's
                                               sys.int_info.default_max_str_digits) */
#define MS_MAX_GLOBALS         (1u << 20)   /* recorded global references per file */
#define MS_MAX_FINDINGS        100000u      /* findings per file; more are counted, not kept */

/* Containers */
#define MS_MAX_NEST_DEPTH      8u           /* archive inside archive */
#define MS_MAX_ZIP_ENTRIES     200000u
#define MS_MAX_NAME_BYTES      65536u       /* member names */
#define MS_MAX_MEMBER_BYTES    ((size_t)4 << 30)  /* one decompressed member */
#define MS_MAX_INFLATE_TOTAL   ((size_t)8 << 30)  /* all decompressed bytes per file */
#define MS_MAX_INFLATE_RATIO   1000u        /* decompressed / compressed for one member */
/* Below this many output bytes MS_MAX_INFLATE_RATIO is not applied: deflate's own maximum
 * ratio is about 1032:1, so an all-zero array (np.savez_compressed of zeros) is a legitimate
 * ~1000:1 member. The ratio then only stops bombs once they are large. */
#define MS_INFLATE_RATIO_FLOOR ((size_t)64 << 20)
#define MS_MAX_TAR_WRAPS       16u          /* pax / GNU long-name headers in a row before one
                                               tar member */
#define MS_MAX_LZMA_MEMORY     ((uint64_t)512 << 20) /* xz/lzma decoder memory (dictionary) */
#define MS_MAX_ST_HEADER       100000000u   /* safetensors header bytes, as the Rust reader */
#define MS_MAX_NPY_HEADER      65535u * 16u /* numpy header (format 2/3 allow 4 GiB; real ones are tiny) */
#define MS_MAX_NPY_DEPTH       32u          /* nesting of the numpy header's Python literal */
#define MS_MAX_NPY_ITEMSIZE    ((uint64_t)1 << 40) /* bytes of one numpy element (a dtype's
                                               itemsize, a structured dtype's sum) */
#define MS_MAX_TENSOR_DIMS     64u

/* scanner and CLI */
#define MS_MAX_RESULT_STRINGS  ((size_t)256 << 20) /* finding messages, member and global names
                                               kept per scanned file (past it: out of memory) */
#define MS_MAX_MSG_BYTES       2048u        /* a finding's message or a disassembly line, before
                                               escaping; longer text is cut */
#define MS_MAX_REPORT_PATH     4096u        /* a file path as reports print it; longer is cut */
#define MS_MAX_REPORT_TEXT     8192u        /* a SARIF message or fingerprint input; longer is cut */
#define MS_MAX_POLICY_FILE     ((size_t)4 << 20) /* a --policy file; real ones are a few KiB */
#define MS_MAX_POLICY_LINE     1024u        /* a line of the built-in lists, a name in a --policy
                                               entry */
#define MS_MAX_POLICY_OVERRIDES 1024        /* severity overrides of a --policy file (int: %d) */
#define MS_MAX_POLICY_STRINGS  ((size_t)64 << 20) /* keys and values, built-in and --policy files */
#define MS_MAX_RULES_FILE      ((size_t)16 << 20) /* one --rules file; real ones are kilobytes */
#define MS_MAX_JOBS            256          /* -j/--jobs: scan threads (int: %d) */
#define MS_MAX_OPT_REPEATS     256u         /* times --rules, --include or --exclude may be given */

/* pickle machine */
#define MS_MAX_PKL_DENSE_MEMO  ((size_t)1 << 20) /* memo keys kept in an array (8 MiB at most); others hash */
#define MS_MAX_PKL_WO_FINDINGS 32u          /* weights-only findings per stream (the same cause repeats) */
#define MS_MAX_PKL_STRADDLE_FINDINGS 16u    /* FRAME-straddle findings per stream */
#define MS_MAX_PKL_LOOK_GLOBALS 100000u     /* globals of the first reading a second reading compares */
#define MS_MAX_PKL_CALLS_ARG_DEPTH 8u       /* allowlisted wrappers judged inside one another */
#define MS_PKL_ARENA_SLACK     ((size_t)1 << 20) /* arena use this close to its cap reads as the cap */
#define MS_MAX_JOBLIB_DTYPE_VALUES 4096u    /* values visited in one joblib dtype (shared tuples) */
#define MS_MAX_JOBLIB_DTYPE_DEPTH 32u       /* nesting of fields in one joblib dtype */

/* convert */
#define MS_MAX_CONVERT_PKL     ((size_t)1 << 30) /* a zip checkpoint's data.pkl, decompressed */
#define MS_MAX_CONVERT_BYTEORDER 16u        /* a zip checkpoint's byteorder record */

#endif
