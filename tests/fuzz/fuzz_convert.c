/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* libFuzzer target for the tensor planner: any bytes -> pickle machine -> cv_plan_build ->
 * cv_plan_check (bounds, overflow, alias groups). Also feeds the bytes, when they are a zip
 * or legacy checkpoint, through the full source reader from a memory file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "convert/conv_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ms_error msg;
	cv_plan plan = {0};
	cv_plan_from_pickle(data, size, NULL, &plan, &msg);
	cv_plan_free(&plan);
	if (size >= 16 && (data[0] == 'P' || data[0] == 0x80)) {
		int fd = memfd_create("fuzz_convert", 0);
		if (fd < 0) return 0;
		if (write(fd, data, size) == (ssize_t)size) {
			char path[64];
			snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
			cv_source *s = NULL;
			cv_src_opts o = {0};
			if (cv_source_open(path, &o, &s, &msg) == MS_OK) cv_source_free(s);
		}
		close(fd);
	}
	return 0;
}
