/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#ifndef MSCAN_CLI_WALK_H
#define MSCAN_CLI_WALK_H

#include <stddef.h>

typedef struct walk_opts {
	const char **include;   /* globs; a found file must match one when any are given */
	size_t ninclude;
	const char **exclude;   /* globs; matching files and folders are skipped */
	size_t nexclude;
} walk_opts;

typedef struct walk_list {
	char **paths;           /* sorted within each argument; explicit files first-come */
	size_t n, cap;
} walk_list;

/* Expands files and folders (recursively) into a list of paths to scan. Symlinks to files are
 * followed (a Hugging Face snapshot is links into blobs/), links to folders are not, each
 * inode is listed once, and special files are listed so that the scan reports them.
 * Unreadable folders are reported on stderr and counted in *errors. Returns 0, or -1 when out
 * of memory. */
int walk_collect(char *const *args, size_t nargs, const walk_opts *o, walk_list *out,
                 size_t *errors);
void walk_list_free(walk_list *l);

#endif
