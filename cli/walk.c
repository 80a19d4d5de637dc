/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Folder expansion for `mscan scan`: an explicit stack, never recursion on attacker depth. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "walk.h"

typedef struct walk_seen {
	struct { dev_t dev; ino_t ino; } *v;
	size_t n, cap;   /* open-addressing hash set, cap a power of two */
} walk_seen;

static size_t walk_hash(dev_t d, ino_t i)
{
	uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15ull ^ (uint64_t)d;
	return (size_t)(h ^ h >> 29);
}

/* Returns 1 if (dev, ino) was new, 0 if seen, -1 out of memory. */
static int walk_seen_add(walk_seen *s, dev_t d, ino_t i)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024;
		walk_seen ns = {calloc(nc, sizeof *ns.v), 0, nc};
		if (!ns.v) return -1;
		for (size_t k = 0; k < s->cap; k++)
			if (s->v[k].ino || s->v[k].dev) walk_seen_add(&ns, s->v[k].dev, s->v[k].ino);
		free(s->v);
		*s = ns;
	}
	for (size_t k = walk_hash(d, i) & (s->cap - 1);; k = (k + 1) & (s->cap - 1)) {
		if (!s->v[k].ino && !s->v[k].dev) {
			s->v[k].dev = d;
			s->v[k].ino = i;
			s->n++;
			return 1;
		}
		if (s->v[k].dev == d && s->v[k].ino == i) return 0;
	}
}

static int walk_push(walk_list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		char **p = realloc(l->paths, nc * sizeof *p);
		if (!p) return -1;
		l->paths = p;
		l->cap = nc;
	}
	if (!(l->paths[l->n] = strdup(path))) return -1;
	l->n++;
	return 0;
}

static int walk_match(const char **globs, size_t n, const char *rel, const char *base)
{
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(globs[i], rel, 0) || !fnmatch(globs[i], base, 0)) return 1;
	return 0;
}

static int walk_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file found while walking, before links and hard links are deduplicated. */
typedef struct walk_cand {
	char *path;
	dev_t dev;
	ino_t ino;
	int is_link, dangling;
} walk_cand;

typedef struct walk_cands {
	walk_cand *v;
	size_t n, cap;
} walk_cands;

static int walk_cand_push(walk_cands *c, const char *path, const struct stat *st, int is_link,
                          int dangling)
{
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 256;
		walk_cand *p = realloc(c->v, nc * sizeof *p);
		if (!p) return -1;
		c->v = p;
		c->cap = nc;
	}
	walk_cand x = {strdup(path), dangling ? 0 : st->st_dev, dangling ? 0 : st->st_ino, is_link,
	               dangling};
	if (!x.path) return -1;
	c->v[c->n++] = x;
	return 0;
}

/* Real files claim their inode before links to them do, then by path: which name of a file
 * is reported must not depend on readdir order. */
static int walk_cand_claim_order(const void *a, const void *b)
{
	const walk_cand *x = a, *y = b;
	if (x->is_link != y->is_link) return x->is_link - y->is_link;
	return strcmp(x->path, y->path);
}

/* Walks one folder argument; found files go to out, sorted by path. */
static int walk_dir(const char *root, const walk_opts *o, walk_list *out, walk_seen *seen,
                    size_t *errors)
{
	walk_list dirs = {0}, files = {0};
	walk_cands cands = {0};
	int rc = 0;
	if (walk_push(&dirs, root)) return -1;
	size_t rootlen = strlen(root);
	while (dirs.n && rc == 0) {
		char *dir = dirs.paths[--dirs.n];
		DIR *d = opendir(dir);
		if (!d) {
			cli_warn("%s: %s", dir, strerror(errno));
			(*errors)++;
			free(dir);
			continue;
		}
		struct dirent *e;
		while ((e = readdir(d)) && rc == 0) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
			size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
			char *p = malloc(len);
			if (!p) { rc = -1; break; }
			snprintf(p, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
			const char *rel = p + rootlen + (p[rootlen] == '/');
			struct stat lst, st;
			if (lstat(p, &lst) != 0 || walk_match(o->exclude, o->nexclude, rel, e->d_name)) {
				free(p); /* vanished (nothing to scan) or excluded */
				continue;
			}
			int is_link = S_ISLNK(lst.st_mode);
			int dangling = is_link && stat(p, &st) != 0;
			if (!is_link) st = lst;
			if (!dangling && S_ISDIR(st.st_mode)) {
				if (!is_link && walk_seen_add(seen, st.st_dev, st.st_ino) == 1)
					rc = walk_push(&dirs, p);
			} else if (o->ninclude == 0 || walk_match(o->include, o->ninclude, rel, e->d_name)) {
				/* a dangling link is kept so that the scan reports it */
				rc = walk_cand_push(&cands, p, &st, is_link, dangling);
			}
			free(p);
		}
		closedir(d);
		free(dir);
	}
	qsort(cands.v, cands.n, sizeof *cands.v, walk_cand_claim_order);
	for (size_t i = 0; i < cands.n && rc == 0; i++) {
		int fresh = cands.v[i].dangling ? 1 : walk_seen_add(seen, cands.v[i].dev, cands.v[i].ino);
		if (fresh < 0) rc = -1;
		else if (fresh) rc = walk_push(&files, cands.v[i].path);
	}
	qsort(files.paths, files.n, sizeof *files.paths, walk_cmp);
	for (size_t i = 0; i < files.n && rc == 0; i++) rc = walk_push(out, files.paths[i]);
	for (size_t i = 0; i < cands.n; i++) free(cands.v[i].path);
	free(cands.v);
	walk_list_free(&files);
	walk_list_free(&dirs);
	return rc;
}

int walk_collect(char *const *args, size_t nargs, const walk_opts *o, walk_list *out,
                 size_t *errors)
{
	walk_seen seen = {0};
	int rc = 0;
	for (size_t i = 0; i < nargs && rc == 0; i++) {
		struct stat st;
		if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			walk_seen_add(&seen, st.st_dev, st.st_ino);
			rc = walk_dir(args[i], o, out, &seen, errors);
		} else {
			/* Files named explicitly are scanned whatever the globs say; a missing one
			 * is reported by the scan itself. */
			int fresh = stat(args[i], &st) == 0 ? walk_seen_add(&seen, st.st_dev, st.st_ino) : 1;
			if (fresh < 0) rc = -1;
			else if (fresh) rc = walk_push(out, args[i]);
		}
	}
	free(seen.v);
	return rc;
}

void walk_list_free(walk_list *l)
{
	for (size_t i = 0; i < l->n; i++) free(l->paths[i]);
	free(l->paths);
	l->paths = NULL;
	l->n = l->cap = 0;
}
