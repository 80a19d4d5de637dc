/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the zip reader (formats/, reader "zip"): see fuzz_reader.h. */
#define FUZZ_FORMAT "zip"
#include "fuzz_reader.h"
