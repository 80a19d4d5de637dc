/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* What the built-in rules are compiled with, shared by the run-time compiler (yara_glue.c) and
 * the build-time one (tools/yara_precompile.c), so precompiled and compiled rules agree. */
#ifndef MSCAN_YARA_EXTERNALS_H
#define MSCAN_YARA_EXTERNALS_H

#include <yara.h>

#define YG_NS_BUILTIN "mscan"
#define YG_NS_USER "user"

/* The external variables every rule may use (rules/README.md); non-zero on failure. */
static inline int yg_define_externals(YR_COMPILER *c)
{
	return yr_compiler_define_string_variable(c, "kind", "") != ERROR_SUCCESS ||
	       yr_compiler_define_string_variable(c, "member", "") != ERROR_SUCCESS ||
	       yr_compiler_define_integer_variable(c, "depth", 0) != ERROR_SUCCESS;
}

/* The built-in rules compiled at build time (yr_rules_save_stream output), empty when the
 * build made none; generated into the build folder. */
extern const unsigned char ms_yara_compiled[];
extern const size_t ms_yara_compiled_len;

#endif
