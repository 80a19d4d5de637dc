/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* GPU compare backend, YARA proc/ style: gpu_none.c (CPU-only builds) and gpu_cuda.cu (linked
 * when CUDA=1) implement these prototypes; nothing else in the tree uses #ifdef CUDA. */
#ifndef MSCAN_GPU_PRIVATE_H
#define MSCAN_GPU_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MS_GPU_NO_DIFF UINT64_MAX

/* 1 when a usable CUDA device is present; otherwise 0 and why (a sentence) in why. */
int ms_gpu_available(char *why, size_t whylen);
/* Host buffers for ms_gpu_compare (pinned when the backend can); free with ms_gpu_host_free. */
void *ms_gpu_host_alloc(size_t n);
void ms_gpu_host_free(void *p, size_t n);
/* Compares a[0..n) with b[0..n) on the device; *first_diff = index of the first differing
 * byte, or MS_GPU_NO_DIFF. Returns 0 on success, -1 on a device error (message in why). */
int ms_gpu_compare(const void *a, const void *b, size_t n, uint64_t *first_diff, char *why,
                   size_t whylen);
/* Human-readable backend name ("none", "cuda: NVIDIA H100 ..."). */
const char *ms_gpu_backend(void);

#ifdef __cplusplus
}
#endif

#endif
