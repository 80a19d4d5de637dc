/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the tar reader (formats/, reader "tar"): see fuzz_reader.h. */
#define FUZZ_FORMAT "tar"
#include "fuzz_reader.h"
