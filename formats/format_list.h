/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* X-macro list of every format reader. Order only breaks ties between equal bids. */
MS_FORMAT(safetensors)
MS_FORMAT(torchzip)
MS_FORMAT(zip)
MS_FORMAT(tar)
MS_FORMAT(torchlegacy)
MS_FORMAT(npy)
MS_FORMAT(archive)
MS_FORMAT(joblib)
MS_FORMAT(pickle)
