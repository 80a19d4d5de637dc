/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the npy reader (formats/, reader "npy"): see fuzz_reader.h. */
#define FUZZ_FORMAT "npy"
#include "fuzz_reader.h"
