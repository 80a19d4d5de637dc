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

/* The one upward call: scanner/ctx.c starts every file's scan here, and nothing else in
 * scanner/ calls into formats/ (readers call down into scanner/: ms_job_*, the pickle machine,
 * YARA). formats.c implements both over the table of format_list.h.
 *
 * Recognises src by content and hands it to the format reader with the highest bid. Used for
 * the file itself (from ctx.c) and for every archive member (from the readers). A member
 * nobody recognises is fine (data), but a top-level file nobody recognises is an
 * MS_ERR_UNSUPPORTED error. Errors go to the job's result and are returned. */
ms_err ms_job_scan_blob(ms_job *job, const ms_src *src);
/* Hands src to the reader with this name whatever the bids say (the per-reader fuzz targets,
 * through ms_scan_buffer_as: input a mutation pushed out of the format still reaches that
 * parser). An unknown name is an MS_ERR_ARG error on the job. */
ms_err ms_job_scan_as(ms_job *job, const ms_src *src, const char *format);

#define MS_FORMAT(n) extern const ms_format ms_format_##n;
#include "format_list.h"
#undef MS_FORMAT

#endif
