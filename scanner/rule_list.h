/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * Every built-in rule id, as data: MS_RULE(ENUM, "ID", default severity, one-line text).
 * Findings name a row (ms_job_finding takes the enum, never a string); the SARIF writer's rule
 * metadata and tests/cli/t_docs.sh (every row has a line with the same severity in
 * docs/rules-*.md, and every documented id a row) read the same rows. A --policy file may still
 * override the severity of any id at run time. YARA findings (MS-YARA-<rule>) are named by
 * their rules in the rules folder, not here.
 * Include with MS_RULE defined; the header undefines it.
 */
/* pickle machine and policy (docs/rules-pickle.md) */
MS_RULE(PKL_GLOBAL_DENY, "MS-PKL-GLOBAL-DENY", MS_SEV_CRITICAL,
        "a denylisted global is referenced")
MS_RULE(PKL_CALL_DENY, "MS-PKL-CALL-DENY", MS_SEV_CRITICAL,
        "a denylisted global is called")
MS_RULE(PKL_CALL_UNKNOWN, "MS-PKL-CALL-UNKNOWN", MS_SEV_HIGH,
        "a global outside the allowlist is called")
MS_RULE(PKL_CALL_DYNAMIC, "MS-PKL-CALL-DYNAMIC", MS_SEV_HIGH,
        "something that is not a named global is called")
MS_RULE(PKL_GLOBAL_UNRESOLVED, "MS-PKL-GLOBAL-UNRESOLVED", MS_SEV_HIGH,
        "a STACK_GLOBAL whose module or name is computed at load time")
MS_RULE(PKL_EXT, "MS-PKL-EXT", MS_SEV_HIGH,
        "an object from the copyreg extension registry (EXT1/EXT2/EXT4)")
MS_RULE(PKL_BUILD_GLOBAL, "MS-PKL-BUILD-GLOBAL", MS_SEV_HIGH,
        "BUILD sets attributes on a class or function object")
MS_RULE(PKL_HOOK, "MS-PKL-HOOK", MS_SEV_HIGH,
        "a tensor rebuild function is given backward hooks")
MS_RULE(PKL_CALL_TYPE_ONLY, "MS-PKL-CALL-TYPE-ONLY", MS_SEV_HIGH,
        "a global allowlisted only as a referenced type is called with arguments")
MS_RULE(PKL_BUILD_PERSID, "MS-PKL-BUILD-PERSID", MS_SEV_HIGH,
        "BUILD sets attributes on a persistent-id object")
MS_RULE(PKL_WEIGHTS_ONLY, "MS-PKL-WEIGHTS-ONLY", MS_SEV_HIGH,
        "something torch.load(weights_only=True) refuses")
MS_RULE(PKL_GLOBAL_UNKNOWN, "MS-PKL-GLOBAL-UNKNOWN", MS_SEV_MEDIUM,
        "a global outside the allowlist is referenced or instantiated, not called")
MS_RULE(PKL_FRAME_STRADDLE, "MS-PKL-FRAME-STRADDLE", MS_SEV_MEDIUM,
        "an opcode crosses the end of its FRAME, or bytes follow a STOP inside a frame")
MS_RULE(PKL_MULTIPLE, "MS-PKL-MULTIPLE", MS_SEV_MEDIUM,
        "several pickles back to back in one stream")
MS_RULE(PKL_TRAILING, "MS-PKL-TRAILING", MS_SEV_MEDIUM,
        "bytes after the last STOP that are not a complete pickle")
MS_RULE(PKL_PROTO, "MS-PKL-PROTO", MS_SEV_INFO,
        "a PROTO opcode after the start of a pickle changes the protocol mid-stream")
/* containers (docs/rules-formats.md) */
MS_RULE(ZIP_PREFIX_DATA, "MS-ZIP-PREFIX-DATA", MS_SEV_MEDIUM,
        "bytes before the first zip member")
MS_RULE(ZIP_FLAGS, "MS-ZIP-FLAGS", MS_SEV_MEDIUM,
        "unusual zip general-purpose flags")
MS_RULE(ZIP_CRC, "MS-ZIP-CRC", MS_SEV_MEDIUM,
        "a zip member's CRC-32 does not match its data")
MS_RULE(ZIP_HEADER_MISMATCH, "MS-ZIP-HEADER-MISMATCH", MS_SEV_MEDIUM,
        "a zip local header and the central directory disagree")
MS_RULE(ZIP_INCONSISTENT, "MS-ZIP-INCONSISTENT", MS_SEV_MEDIUM,
        "libzip's consistency check refuses the archive")
MS_RULE(ZIP_TWO_DIRECTORIES, "MS-ZIP-TWO-DIRECTORIES", MS_SEV_MEDIUM,
        "PyTorch's reader and Python's zipfile find different central directories")
MS_RULE(ZIP_DUPLICATE_NAME, "MS-ZIP-DUPLICATE-NAME", MS_SEV_MEDIUM,
        "two zip members with the same name")
MS_RULE(ZIP_PATH_ESCAPE, "MS-ZIP-PATH-ESCAPE", MS_SEV_HIGH,
        "a zip member name escapes the extraction folder")
MS_RULE(ARCHIVE_EXECUTABLE, "MS-ARCHIVE-EXECUTABLE", MS_SEV_HIGH,
        "an executable (ELF, PE, Mach-O, #! script) in a model archive or given to scan")
MS_RULE(TORCH_TORCHSCRIPT, "MS-TORCH-TORCHSCRIPT", MS_SEV_MEDIUM,
        "a TorchScript archive, whose code torch.jit.load runs")
MS_RULE(TORCH_NO_DATA_PKL, "MS-TORCH-NO-DATA-PKL", MS_SEV_MEDIUM,
        "a PyTorch-style zip without <prefix>/data.pkl")
MS_RULE(TORCH_PREFIX, "MS-TORCH-PREFIX", MS_SEV_MEDIUM,
        "the first member of a PyTorch zip is not inside a folder")
MS_RULE(TORCH_OUTSIDE_PREFIX, "MS-TORCH-OUTSIDE-PREFIX", MS_SEV_MEDIUM,
        "a member lies outside the archive folder of entry 0")
MS_RULE(TORCH_STORAGE_MISSING, "MS-TORCH-STORAGE-MISSING", MS_SEV_MEDIUM,
        "a referenced storage has no data record")
MS_RULE(TORCH_STORAGE_SIZE, "MS-TORCH-STORAGE-SIZE", MS_SEV_MEDIUM,
        "a storage record's size differs from what its first reference needs")
MS_RULE(TORCH_STORAGE_EXTRA, "MS-TORCH-STORAGE-EXTRA", MS_SEV_MEDIUM,
        "a data/ record that no storage references")
MS_RULE(TORCH_BYTEORDER, "MS-TORCH-BYTEORDER", MS_SEV_MEDIUM,
        "the byteorder record is neither little nor big")
MS_RULE(TORCH_VERSION, "MS-TORCH-VERSION", MS_SEV_MEDIUM,
        "the version record is not a supported format version")
MS_RULE(TORCH_LEGACY_PROTOCOL, "MS-TORCH-LEGACY-PROTOCOL", MS_SEV_MEDIUM,
        "a legacy stream whose protocol-version pickle is not 1001")
MS_RULE(TORCH_TRAILING, "MS-TORCH-TRAILING", MS_SEV_MEDIUM,
        "bytes after the last storage of a legacy checkpoint")
MS_RULE(TORCH_LEGACY_TAR, "MS-TORCH-LEGACY-TAR", MS_SEV_LOW,
        "a legacy torch tar checkpoint (torch <= 0.1)")
MS_RULE(TAR_PATH_ESCAPE, "MS-TAR-PATH-ESCAPE", MS_SEV_HIGH,
        "a tar member name or link target escapes the extraction folder")
MS_RULE(TAR_SPECIAL, "MS-TAR-SPECIAL", MS_SEV_MEDIUM,
        "a tar member that is a link, a device or a FIFO")
MS_RULE(TAR_TRAILING, "MS-TAR-TRAILING", MS_SEV_MEDIUM,
        "non-zero bytes after the end of a tar archive")
MS_RULE(NPY_OBJECT, "MS-NPY-OBJECT", MS_SEV_LOW,
        "an object-dtype .npy array, whose data is a pickle")
MS_RULE(NPY_TRAILING, "MS-NPY-TRAILING", MS_SEV_MEDIUM,
        "bytes after a .npy array's data")
MS_RULE(JOBLIB_TRAILING, "MS-JOBLIB-TRAILING", MS_SEV_MEDIUM,
        "bytes after the end of a compressed stream")
#undef MS_RULE
