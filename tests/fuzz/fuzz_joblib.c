/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the joblib reader (formats/, reader "compressed"): see fuzz_reader.h. */
#define FUZZ_FORMAT "compressed"
#include "fuzz_reader.h"
