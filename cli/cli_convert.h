/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The convert, verify and signing commands (cli/cmd_convert.c, cmd_verify.c, cmd_sign.c). */
#ifndef MSCAN_CLI_CONVERT_H
#define MSCAN_CLI_CONVERT_H

int cmd_convert(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify_sig(int argc, char **argv);

#endif
