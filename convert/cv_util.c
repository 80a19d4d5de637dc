/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Small helpers shared by the convert/ files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cv_private.h"
#include "scanner/scan_private.h"

void cv_printable(char *dst, size_t dstlen, const char *s)
{
	ms_printable(dst, dstlen, (const uint8_t *)s, strlen(s));
}

ms_err cv_fail(ms_error *err, ms_err code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ms_error_vset(err, code, NULL, NULL, MS_NO_OFFSET, fmt, ap);
	va_end(ap);
	return code;
}

ms_err cv_fail_in(ms_error *err, ms_err rc, const char *file, const char *prefix,
                  const ms_error *inner)
{
	return ms_error_set(err, rc, file ? file : inner->file, inner->member, inner->offset,
	                    "%s: %s", prefix, inner->message[0] ? inner->message : ms_strerror(rc));
}

ms_err cv_done(ms_error *err, ms_err rc)
{
	if (err && rc != MS_OK && err->code == MS_OK) err->code = rc;
	if (err && rc != MS_OK && !err->message[0])
		snprintf(err->message, sizeof err->message, "%s", ms_strerror(rc));
	return rc;
}

bool cv_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap) return true;
	size_t nc = *cap ? *cap * 2 : 16;
	void *q = realloc(*v, nc * elem);
	if (!q) return false;
	*v = q;
	*cap = nc;
	return true;
}

ms_err cv_open_regular(const char *path, int *fd, struct stat *st, ms_error *err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0) return ms_error_set(err, MS_ERR_IO, path, NULL, MS_NO_OFFSET, "%s: %s", path,
	                                 strerror(errno));
	if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return ms_error_set(err, MS_ERR_IO, path, NULL, MS_NO_OFFSET, "%s: not a regular file",
		                    path);
	}
	return MS_OK;
}

int cv_write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r < 0) {
			if (errno == EINTR) continue;
			return 0;
		}
		p += r;
		n -= (size_t)r;
	}
	return 1;
}

ms_err cv_read_small(const char *path, size_t max, char **out, size_t *len, ms_error *err)
{
	*out = NULL;
	int fd;
	struct stat st;
	ms_err rc = cv_open_regular(path, &fd, &st, err);
	if (rc != MS_OK) return rc;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return cv_fail(err, MS_ERR_LIMIT, "%s: larger than %zu bytes", path, max);
	}
	size_t n = (size_t)st.st_size;
	char *b = malloc(n + 1);
	if (!b) {
		close(fd);
		return cv_fail(err, MS_ERR_NOMEM, "%s: out of memory", path);
	}
	if (n && !ms_pread_full(fd, b, n, 0)) {
		int e = errno;
		close(fd);
		free(b);
		return cv_fail(err, MS_ERR_IO, "%s: %s", path,
		               e ? strerror(e) : "file shrank while reading");
	}
	close(fd);
	b[n] = 0;
	*out = b;
	if (len) *len = n;
	return MS_OK;
}

int cv_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s) return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9') return 0;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return 0;
	}
	*out = v;
	return 1;
}
