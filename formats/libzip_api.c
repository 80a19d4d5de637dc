/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "libzip_api.h"

/* The soname the build linked against (the Makefile reads it from libzip.so). */
#ifndef MS_LIBZIP_SONAME
#define MS_LIBZIP_SONAME "libzip.so.4"
#endif

static pthread_once_t zipapi_once = PTHREAD_ONCE_INIT;
static ms_zipapi zipapi;
static const ms_zipapi *zipapi_ok;
static char zipapi_err[256];

static void zipapi_load(void)
{
	void *h = dlopen(MS_LIBZIP_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(zipapi_err, sizeof zipapi_err, "cannot load %s: %s", MS_LIBZIP_SONAME,
		         dlerror());
		return;
	}
#define MS_ZIPAPI_LOAD(f)                                                                   \
	{                                                                                       \
		void *sym = dlsym(h, #f);                                                           \
		if (!sym) {                                                                         \
			snprintf(zipapi_err, sizeof zipapi_err, "%s has no %s", MS_LIBZIP_SONAME, #f); \
			dlclose(h);                                                                     \
			return;                                                                         \
		}                                                                                   \
		memcpy(&zipapi.f, &sym, sizeof sym); /* POSIX: data and function pointers agree */ \
	}
	MS_ZIPAPI_FUNCS(MS_ZIPAPI_LOAD)
#undef MS_ZIPAPI_LOAD
	zipapi_ok = &zipapi;
}

const ms_zipapi *ms_zipapi_get(char *err, size_t errlen)
{
	pthread_once(&zipapi_once, zipapi_load);
	if (!zipapi_ok && err && errlen) snprintf(err, errlen, "%s", zipapi_err);
	return zipapi_ok;
}
