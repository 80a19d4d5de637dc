/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The GPU backend of CPU-only builds: no device, ever. */
#include <stdio.h>
#include <stdlib.h>

#include "gpu_private.h"

int ms_gpu_available(char *why, size_t whylen)
{
	if (why && whylen) snprintf(why, whylen, "this mscan was built without CUDA");
	return 0;
}

void *ms_gpu_host_alloc(size_t n) { return malloc(n); }
void ms_gpu_host_free(void *p, size_t n) { (void)n; free(p); }

int ms_gpu_compare(const void *a, const void *b, size_t n, uint64_t *first_diff, char *why,
                   size_t whylen)
{
	(void)a; (void)b; (void)n;
	*first_diff = MS_GPU_NO_DIFF;
	if (why && whylen) snprintf(why, whylen, "this mscan was built without CUDA");
	return -1;
}

const char *ms_gpu_backend(void) { return "none"; }
