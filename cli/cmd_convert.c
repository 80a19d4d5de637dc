/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include "cli.h"
#include "cli_convert.h"

int cmd_convert(int argc, char **argv)
{
	(void)argc; (void)argv;
	return cli_usage_error("convert: not built yet");
}
