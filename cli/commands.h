/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Commands beyond scan/dis, one row each: {"name", function, "one-line help"}, */
#ifdef CLI_EXTRA_COMMANDS
{"convert", cmd_convert, "convert a PyTorch checkpoint to verified (optionally signed) safetensors"},
{"verify", cmd_verify, "check a converted file tensor by tensor, bitwise, against its original"},
{"keygen", cmd_keygen, "create a minisign-compatible signing key pair"},
{"sign", cmd_sign, "sign a file, or a folder through a manifest (minisign format)"},
{"verify-sig", cmd_verify_sig, "verify a signature made by mscan sign or minisign"},
{"rules", cmd_rules, "list the YARA rules, or run only them over whole files"},
#endif
