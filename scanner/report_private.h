/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#ifndef MSCAN_REPORT_PRIVATE_H
#define MSCAN_REPORT_PRIVATE_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include "mscan/mscan.h"

ms_err ms_report_text(FILE *out, const ms_result *const *results, size_t n,
                      const ms_report_opts *opts);
ms_err ms_report_json(FILE *out, const ms_result *const *results, size_t n,
                      const ms_report_opts *opts);
ms_err ms_report_sarif(FILE *out, const ms_result *const *results, size_t n,
                       const ms_report_opts *opts);
/* Printable copy of a file path (paths may hold any bytes; output must stay valid UTF-8). */
void ms_report_path(char *dst, size_t dstlen, const char *path);
const char *ms_global_use_name(ms_global_use use);
struct cJSON;
/* The tail of the JSON and SARIF reports: prints root and a newline to out, then frees root.
 * Returns MS_OK, MS_ERR_NOMEM, or MS_ERR_IO when writing failed. */
ms_err ms_report_cjson(FILE *out, struct cJSON *root);

#endif
