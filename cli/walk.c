/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Folder expansion for `mscan scan`: an explicit stack, never recursion on attacker depth. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdbool.h>
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

/* Appends path, which the list then owns. */
static int walk_take(walk_list *l, char *path)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		char **p = realloc(l->paths, nc * sizeof *p);
		if (!p) return -1;
		l->paths = p;
		l->cap = nc;
	}
	l->paths[l->n++] = path;
	return 0;
}

static int walk_push(walk_list *l, const char *path)
{
	char *copy = strdup(path);
	if (!copy || walk_take(l, copy)) {
		free(copy);
		return -1;
	}
	return 0;
}

static int walk_match(const char **globs, size_t n, const char *rel, const char *base)
{
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(globs[i], rel, 0) || !fnmatch(globs[i], base, 0)) return 1;
	return 0;
}

/* A file found while walking, before links and hard links are deduplicated. */
typedef struct walk_cand {
	char *path;
	dev_t dev;
	ino_t ino;
	int is_link, dangling;
	int from_readdir; /* dev, ino: the folder's device and the entry's d_ino, not a stat */
} walk_cand;

typedef struct walk_cands {
	walk_cand *v;
	size_t n, cap;
	size_t skip; /* bytes every path starts with (the folder argument): not compared */
} walk_cands;

static int walk_cand_push(walk_cands *c, const char *path, size_t len, const struct stat *st,
                          int is_link, int dangling)
{
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 256;
		walk_cand *p = realloc(c->v, nc * sizeof *p);
		if (!p) return -1;
		c->v = p;
		c->cap = nc;
	}
	walk_cand x = {malloc(len + 1), dangling ? 0 : st->st_dev, dangling ? 0 : st->st_ino,
	               is_link, dangling, 0};
	if (!x.path) return -1;
	memcpy(x.path, path, len + 1);
	c->v[c->n++] = x;
	return 0;
}

static int walk_cand_path_order(const void *a, const void *b, void *skip)
{
	const walk_cand *x = a, *y = b;
	return strcmp(x->path + *(size_t *)skip, y->path + *(size_t *)skip);
}

/* Replaces a readdir identity by the file's own (lstat); false if it has none any more. */
static bool walk_cand_confirm(walk_cand *x)
{
	struct stat st;
	if (!x->from_readdir || lstat(x->path, &st) != 0) return false;
	bool changed = st.st_dev != x->dev || st.st_ino != x->ino;
	x->dev = st.st_dev;
	x->ino = st.st_ino;
	x->from_readdir = 0;
	return changed;
}

/* Sorts the candidates by path and moves the ones to scan into out, in that order. Real files
 * claim their inode before links to them do, then by path: which name of a file is reported
 * must not depend on readdir order. A regular file named by readdir alone is only dropped
 * once its own stat agrees (d_ino and the folder's device are the stat's on ordinary file
 * systems, not always on overlayfs), and links are compared against stat identities only. */
static int walk_cands_claim(walk_cands *c, walk_seen *seen, walk_list *out)
{
	qsort_r(c->v, c->n, sizeof *c->v, walk_cand_path_order, &c->skip);
	bool links_seen = false;
	for (size_t i = 0; i < c->n && !links_seen; i++) links_seen = c->v[i].is_link;
	for (size_t i = 0; links_seen && i < c->n; i++) walk_cand_confirm(&c->v[i]);
	for (int links = 0; links < 2; links++)
		for (size_t i = 0; i < c->n; i++) {
			walk_cand *x = &c->v[i];
			if (x->is_link != links) continue;
			int fresh = x->dangling ? 1 : walk_seen_add(seen, x->dev, x->ino);
			if (fresh == 0 && walk_cand_confirm(x)) fresh = walk_seen_add(seen, x->dev, x->ino);
			if (fresh < 0) return -1;
			if (!fresh) {
				free(x->path);
				x->path = NULL;
			}
		}
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].path && walk_take(out, c->v[i].path)) return -1;
		c->v[i].path = NULL;
	}
	return 0;
}

/* dir + "/" + name into *buf (grown as needed); returns its length, or 0 when out of memory. */
static size_t walk_join(char **buf, size_t *cap, const char *dir, size_t dlen, const char *name)
{
	size_t nlen = strlen(name), sep = dlen && dir[dlen - 1] != '/';
	size_t len = dlen + sep + nlen;
	if (len + 1 > *cap) {
		size_t nc = (len + 1) * 2;
		char *nb = realloc(*buf, nc);
		if (!nb) return 0;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf, dir, dlen);
	if (sep) (*buf)[dlen] = '/';
	memcpy(*buf + dlen + sep, name, nlen + 1);
	return len;
}

/* Walks one folder argument; found files go to out, sorted by path. A regular file is known
 * from its readdir type and inode number; other entries are examined relative to their open
 * folder (fstatat), not by full path: one lookup instead of one per path component. */
static int walk_dir(const char *root, const walk_opts *o, walk_list *out, walk_seen *seen,
                    size_t *errors)
{
	walk_list dirs = {0};
	size_t rootlen = strlen(root);
	walk_cands cands = {.skip = rootlen};
	char *p = NULL;
	size_t pcap = 0;
	int rc = 0;
	if (walk_push(&dirs, root)) return -1;
	while (dirs.n && rc == 0) {
		char *dir = dirs.paths[--dirs.n];
		size_t dlen = strlen(dir);
		DIR *d = opendir(dir);
		if (!d) {
			cli_warn("%s: %s", dir, strerror(errno));
			(*errors)++;
			free(dir);
			continue;
		}
		int dfd = dirfd(d);
		struct stat dst;
		bool dev_known = fstat(dfd, &dst) == 0;
		struct dirent *e;
		while ((e = readdir(d)) && rc == 0) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
			size_t len = walk_join(&p, &pcap, dir, dlen, e->d_name);
			if (!len) { rc = -1; break; }
			const char *rel = p + rootlen + (p[rootlen] == '/');
			if (e->d_type == DT_REG && dev_known) {
				if (walk_match(o->exclude, o->nexclude, rel, e->d_name) ||
				    (o->ninclude && !walk_match(o->include, o->ninclude, rel, e->d_name)))
					continue;
				struct stat guess = {.st_dev = dst.st_dev, .st_ino = e->d_ino};
				rc = walk_cand_push(&cands, p, len, &guess, 0, 0);
				if (rc == 0) cands.v[cands.n - 1].from_readdir = 1;
				continue;
			}
			struct stat lst, st;
			if (fstatat(dfd, e->d_name, &lst, AT_SYMLINK_NOFOLLOW) != 0 ||
			    walk_match(o->exclude, o->nexclude, rel, e->d_name))
				continue; /* vanished (nothing to scan) or excluded */
			int is_link = S_ISLNK(lst.st_mode);
			int dangling = is_link && fstatat(dfd, e->d_name, &st, 0) != 0;
			if (!is_link) st = lst;
			if (!dangling && S_ISDIR(st.st_mode)) {
				if (!is_link && walk_seen_add(seen, st.st_dev, st.st_ino) == 1)
					rc = walk_push(&dirs, p);
			} else if (o->ninclude == 0 || walk_match(o->include, o->ninclude, rel, e->d_name)) {
				/* a dangling link is kept so that the scan reports it */
				rc = walk_cand_push(&cands, p, len, &st, is_link, dangling);
			}
		}
		closedir(d);
		free(dir);
	}
	if (rc == 0) rc = walk_cands_claim(&cands, seen, out);
	for (size_t i = 0; i < cands.n; i++) free(cands.v[i].path);
	free(cands.v);
	free(p);
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
