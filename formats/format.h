/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* One reader per format behind one interface. A reader recognises its format by content
 * (bid), walks its members, hands pickle streams to ms_job_scan_pickle, nested members to
 * ms_job_scan_blob, and reports anomalies with ms_job_finding. The scanner knows no format. */
#ifndef MSCAN_FORMAT_H
#define MSCAN_FORMAT_H
#ifndef MSCAN_BUILD
#error "private header"
#endif

#include "../scanner/scan_private.h"

typedef struct ms_format {
	const char *name;
	/* Bits of magic/structure verified (higher wins); 0 = not mine. Peeks only: no I/O, no
	 * allocation. head is the whole input (len bytes). */
	unsigned (*bid)(const uint8_t *head, size_t len);
	/* Analyses src completely. Errors go through ms_job_error (and are returned). */
	ms_err (*scan)(ms_job *job, const ms_src *src);
} ms_format;

#define MS_FORMAT(n) extern const ms_format ms_format_##n;
#include "format_list.h"
#undef MS_FORMAT

#endif
