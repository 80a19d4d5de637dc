/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* X-macro list of every format reader. Order only breaks ties between equal bids. */
MS_FORMAT(pickle)
