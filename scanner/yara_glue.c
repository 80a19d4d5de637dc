/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* PLACEHOLDER until the YARA issue lands: no rules. */
#include <stdio.h>
#include <stdlib.h>

#include "yara_private.h"

struct ms_yara { int unused; };

ms_yara *ms_yara_new(char *err, size_t errlen) { (void)err; (void)errlen; return calloc(1, sizeof(ms_yara)); }
ms_err ms_yara_add_path(ms_yara *y, const char *path, char *err, size_t errlen)
{
	(void)y;
	snprintf(err, errlen, "%s: YARA rules not supported yet", path);
	return MS_ERR_UNSUPPORTED;
}
void ms_yara_free(ms_yara *y) { free(y); }
ms_err ms_yara_scan(const ms_yara *y, ms_job *job, const ms_src *src, const char *kind)
{
	(void)y; (void)job; (void)src; (void)kind;
	return MS_OK;
}
