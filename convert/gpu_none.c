/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* PLACEHOLDER: the CPU-only GPU backend (replaced by the convert work). */
int ms_gpu_placeholder(void);
int ms_gpu_placeholder(void) { return 0; }
