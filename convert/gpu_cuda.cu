/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The CUDA compare backend: both buffers go to the device (pinned host memory, async copies on
 * one stream), a grid-stride kernel compares 16 bytes per load and records the first differing
 * byte index with atomicMin. Device buffers are allocated once and grown on demand. When no
 * device is present (cudaGetDeviceCount fails or returns 0) ms_gpu_available says why and the
 * caller falls back to the CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "gpu_private.h"

static unsigned char *gc_da, *gc_db;
static unsigned long long *gc_dfirst;
static size_t gc_cap;
static cudaStream_t gc_stream;
static char gc_name[256] = "cuda";

__global__ void gc_compare(const uint4 *a, const uint4 *b, size_t nvec, unsigned long long *first)
{
	size_t stride = (size_t)gridDim.x * blockDim.x;
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < nvec; i += stride) {
		if ((unsigned long long)i * 16 > *(volatile unsigned long long *)first) return;
		uint4 x = a[i], y = b[i];
		if (x.x != y.x || x.y != y.y || x.z != y.z || x.w != y.w) {
			const unsigned char *pa = (const unsigned char *)&x, *pb = (const unsigned char *)&y;
			for (int k = 0; k < 16; k++)
				if (pa[k] != pb[k]) {
					atomicMin(first, (unsigned long long)i * 16 + k);
					break;
				}
		}
	}
}

static int gc_err(cudaError_t e, char *why, size_t whylen)
{
	if (why && whylen) snprintf(why, whylen, "CUDA: %s", cudaGetErrorString(e));
	return -1;
}

extern "C" int ms_gpu_available(char *why, size_t whylen)
{
	int n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess || n == 0) {
		if (why && whylen)
			snprintf(why, whylen, "no CUDA device (%s)",
			         e != cudaSuccess ? cudaGetErrorString(e) : "none found");
		return 0;
	}
	cudaDeviceProp p;
	if (cudaGetDeviceProperties(&p, 0) == cudaSuccess)
		snprintf(gc_name, sizeof gc_name, "cuda: %s", p.name);
	return 1;
}

extern "C" const char *ms_gpu_backend(void) { return gc_name; }

extern "C" void *ms_gpu_host_alloc(size_t n)
{
	void *p = NULL;
	if (cudaMallocHost(&p, n) != cudaSuccess) return malloc(n);
	return p;
}

extern "C" void ms_gpu_host_free(void *p, size_t n)
{
	(void)n;
	if (!p) return;
	cudaPointerAttributes a;
	if (cudaPointerGetAttributes(&a, p) == cudaSuccess && a.type == cudaMemoryTypeHost)
		cudaFreeHost(p);
	else {
		cudaGetLastError();
		free(p);
	}
}

extern "C" int ms_gpu_compare(const void *a, const void *b, size_t n, uint64_t *first_diff,
                              char *why, size_t whylen)
{
	*first_diff = MS_GPU_NO_DIFF;
	cudaError_t e;
	if (!gc_stream && (e = cudaStreamCreate(&gc_stream)) != cudaSuccess) return gc_err(e, why, whylen);
	if (n > gc_cap) {
		cudaFree(gc_da);
		cudaFree(gc_db);
		gc_da = gc_db = NULL;
		gc_cap = 0;
		if ((e = cudaMalloc(&gc_da, n)) != cudaSuccess || (e = cudaMalloc(&gc_db, n)) != cudaSuccess)
			return gc_err(e, why, whylen);
		gc_cap = n;
	}
	if (!gc_dfirst && (e = cudaMalloc(&gc_dfirst, sizeof *gc_dfirst)) != cudaSuccess)
		return gc_err(e, why, whylen);
	size_t nvec = n / 16, tail = n % 16;
	unsigned long long first = ~0ULL;
	if ((e = cudaMemcpyAsync(gc_dfirst, &first, sizeof first, cudaMemcpyHostToDevice, gc_stream)) ||
	    (e = cudaMemcpyAsync(gc_da, a, nvec * 16, cudaMemcpyHostToDevice, gc_stream)) ||
	    (e = cudaMemcpyAsync(gc_db, b, nvec * 16, cudaMemcpyHostToDevice, gc_stream)))
		return gc_err(e, why, whylen);
	if (nvec) {
		size_t blocks = (nvec + 255) / 256;
		if (blocks > 65535) blocks = 65535;
		gc_compare<<<(unsigned)blocks, 256, 0, gc_stream>>>((const uint4 *)gc_da,
		                                                      (const uint4 *)gc_db, nvec, gc_dfirst);
		if ((e = cudaGetLastError()) != cudaSuccess) return gc_err(e, why, whylen);
	}
	if ((e = cudaMemcpyAsync(&first, gc_dfirst, sizeof first, cudaMemcpyDeviceToHost, gc_stream)) ||
	    (e = cudaStreamSynchronize(gc_stream)))
		return gc_err(e, why, whylen);
	if (first != ~0ULL) {
		*first_diff = first;
		return 0;
	}
	const unsigned char *pa = (const unsigned char *)a + nvec * 16;
	const unsigned char *pb = (const unsigned char *)b + nvec * 16;
	for (size_t k = 0; k < tail; k++)
		if (pa[k] != pb[k]) {
			*first_diff = nvec * 16 + k;
			break;
		}
	return 0;
}
