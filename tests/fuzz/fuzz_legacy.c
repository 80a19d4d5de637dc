/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the legacy reader (formats/, reader "torchlegacy"): see fuzz_reader.h. */
#define FUZZ_FORMAT "torchlegacy"
#include "fuzz_reader.h"
