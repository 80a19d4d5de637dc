/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the torchzip reader (formats/, reader "torchzip"): see fuzz_reader.h. */
#define FUZZ_FORMAT "torchzip"
#include "fuzz_reader.h"
