/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * mscan: scan machine-learning model files without executing them; convert legacy PyTorch
 * checkpoints to signed safetensors.
 *
 * Ownership rule for the whole API: a function that fills `T **out` gives the caller an
 * object it frees with the matching `ms_T_free`; every `const char *` returned is borrowed
 * from the object that returned it and lives as long as that object; pointer arguments are
 * borrowed for the call only. No function calls exit() or abort() on input.
 */
#ifndef MSCAN_H
#define MSCAN_H

#define MSCAN_VERSION "0.1.0"

#include "error.h"
#include "finding.h"
#include "scan.h"
#include "report.h"
#include "rules.h"
#include "sign.h"
#include "convert.h"

#endif
