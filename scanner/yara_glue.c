/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * The only file that talks to libyara (4.2 API: https://yara.readthedocs.io/en/v4.2.3/capi.html).
 *
 * Rules are compiled once per context: the built-in rules/ *.yar files (embedded at build time,
 * namespace "mscan") plus every user file added with ms_yara_add_path (namespace "user"). libyara
 * cannot add rules to a compiled set, so each ms_yara_add_path recompiles everything from the
 * texts kept here; that happens during setup, before any scan.
 *
 * Scans run from several threads at once over the same YR_RULES. Per-scan values (the external
 * variables below) therefore go on a YR_SCANNER made for each call, never on the shared rules
 * (yr_rules_define_*_variable would race). libyara 4.x keeps no per-thread slot in YR_RULES any
 * more, so YR_MAX_THREADS does not cap our workers (VirusTotal/yara issue 2068).
 *
 * External variables every rule may use (documented in rules/README.md):
 *   kind    "pickle", "pickle-strings", "member", "metadata", "data" (what the bytes are)
 *   member  archive member path ("" for the file itself)
 *   depth   container nesting depth (0 for the file itself)
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yara.h>

#include "arena_private.h"
#include "limits.h"
#include "rules_data_private.h"
#include "yara_externals.h"
#include "yara_private.h"
#define YG_ID_PREFIX "MS-YARA-"
#define YG_EVIDENCE_BYTES 48   /* matched bytes quoted in a finding's message */
#define YG_SECRET_SHOWN 4      /* leading bytes shown of a match whose rule has secret = true */
#define YG_POOL_MAX 64         /* scanners kept per rule set (one per thread up to -j 64);
                                  more are made and destroyed per scan */

typedef struct yg_text {
	char *name;   /* file path as given (for error messages) */
	char *text;   /* NUL-terminated */
} yg_text;

/* Scanners made for the current rules, kept for the next scan: yr_scanner_create allocates
 * and clears per-rule tables (tens of microseconds), more than scanning a small member.
 *
 * Each thread parks the scanner it used last (yg_parked) and takes it back without a lock: a
 * scanner passed between threads drags its tables from one CPU's cache to the other's at every
 * scan, which cost a folder's scan 4% on two cores. Every scanner kept is listed in made[]
 * and destroyed with the rules, wherever it is parked; a park is only taken back by the pool
 * of the same generation. A park that gives way to another pool's scanner, or whose thread
 * ends, goes back to its own pool's idle list if that pool is still there (yg_pools). */
typedef struct yg_pool {
	pthread_mutex_t lock;
	uint64_t gen;                  /* unique per process and rule set (yg_pool_gens) */
	YR_SCANNER *made[YG_POOL_MAX]; /* every kept scanner: idle, in use or parked */
	size_t nmade;
	YR_SCANNER *idle[YG_POOL_MAX]; /* kept scanners no thread has parked */
	size_t nidle;
	struct yg_pool *next;          /* in yg_pools */
} yg_pool;

static atomic_uint_fast64_t yg_pool_gens;
/* The live pools. Lock order: yg_pools_lock, then a pool's lock. A pool's gen changes, and a
 * pool leaves the list, only with both held. */
static pthread_mutex_t yg_pools_lock = PTHREAD_MUTEX_INITIALIZER;
static yg_pool *yg_pools;
static _Thread_local struct {
	uint64_t gen;
	YR_SCANNER *sc;
} yg_parked;
static pthread_key_t yg_park_key; /* its destructor unparks at thread exit */
static pthread_once_t yg_park_once = PTHREAD_ONCE_INIT;

/* Which byte pairs begin an atom of the built-in rules (see yg_atoms_absent). */
typedef struct yg_gate {
	uint64_t pair[(1u << 16) / 64]; /* bit b1 << 8 | b0 */
} yg_gate;

struct ms_yara {
	YR_RULES *rules;
	yg_text *user;
	size_t nuser, capuser;
	yg_pool *pool; /* separate so that a const ms_yara can still lend scanners */
	yg_gate *gate; /* built-in rules only, NULL when every scan must run */
};

/* ---- libyara initialisation: once per process, reference counted ---------------------- */

static pthread_mutex_t yg_init_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t yg_init_refs;

static bool yg_init(void)
{
	bool ok = true;
	pthread_mutex_lock(&yg_init_lock);
	if (yg_init_refs == 0 && yr_initialize() != ERROR_SUCCESS) ok = false;
	if (ok) yg_init_refs++;
	pthread_mutex_unlock(&yg_init_lock);
	return ok;
}

static void yg_fini(void)
{
	pthread_mutex_lock(&yg_init_lock);
	if (yg_init_refs > 0 && --yg_init_refs == 0) yr_finalize();
	pthread_mutex_unlock(&yg_init_lock);
}

/* ---- compiling ------------------------------------------------------------------------- */

typedef struct yg_diag {
	char *err;
	size_t errlen;
	const char *file;   /* the text being added */
	unsigned nerr;
} yg_diag;

/* Keeps the first error ("FILE:LINE: message"); warnings are not errors. */
static void yg_compile_cb(int level, const char *file, int line, const YR_RULE *rule,
                          const char *msg, void *user)
{
	(void)file; (void)rule;
	yg_diag *d = user;
	if (level != YARA_ERROR_LEVEL_ERROR) return;
	if (d->nerr++ == 0)
		snprintf(d->err, d->errlen, "%s:%d: %s", d->file ? d->file : "(rules)", line, msg);
}

static const char *yg_meta_str(const YR_RULE *rule, const char *name)
{
	const YR_META *m;
	yr_rule_metas_foreach(rule, m)
	{
		if (m->type == META_TYPE_STRING && strcmp(m->identifier, name) == 0) return m->string;
	}
	return NULL;
}

static bool yg_meta_true(const YR_RULE *rule, const char *name)
{
	const YR_META *m;
	yr_rule_metas_foreach(rule, m)
	{
		if (m->type == META_TYPE_BOOLEAN && strcmp(m->identifier, name) == 0)
			return m->integer != 0;
	}
	return false;
}

/* A rule without severity metadata is medium; a value we do not know is a compile error. */
static bool yg_rule_severity(const YR_RULE *rule, ms_severity *out)
{
	const char *s = yg_meta_str(rule, "severity");
	*out = MS_SEV_MEDIUM;
	return !s || ms_severity_parse(s, out) == MS_OK;
}

static bool yg_has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

typedef struct yg_mem {
	const unsigned char *p;
	size_t n, off;
} yg_mem;

static size_t yg_mem_read(void *ptr, size_t size, size_t count, void *user)
{
	yg_mem *m = user;
	if (size == 0 || count > (m->n - m->off) / size) return 0;
	memcpy(ptr, m->p + m->off, size * count);
	m->off += size * count;
	return count;
}

/* The built-in rules as the build compiled them; false when there are none or this libyara
 * cannot load them (then they are compiled from the embedded text). */
static bool yg_load_builtin(YR_RULES **out)
{
	yg_mem m = {ms_yara_compiled, ms_yara_compiled_len, 0};
	YR_STREAM s = {.user_data = &m, .read = yg_mem_read};
	return ms_yara_compiled_len > 0 && yr_rules_load_stream(&s, out) == ERROR_SUCCESS;
}

/* Compiles built-in + user texts into *out (built-in alone: loads the precompiled form).
 * Returns MS_OK, MS_ERR_NOMEM or MS_ERR_YARA. */
static ms_err yg_compile(const ms_yara *y, YR_RULES **out, char *err, size_t errlen)
{
	YR_COMPILER *c = NULL;
	YR_RULES *rules = NULL;
	ms_err rc = MS_ERR_YARA;
	yg_diag d = {.err = err, .errlen = errlen};
	*out = NULL;
	if (y->nuser == 0 && yg_load_builtin(&rules)) goto check;
	if (yr_compiler_create(&c) != ERROR_SUCCESS) {
		snprintf(err, errlen, "YARA: cannot create a compiler");
		return MS_ERR_NOMEM;
	}
	yr_compiler_set_callback(c, yg_compile_cb, &d);
	if (yg_define_externals(c)) {
		snprintf(err, errlen, "YARA: cannot define external variables");
		rc = MS_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < ms_rules_nfiles; i++) {
		const ms_rules_file *f = &ms_rules_files[i];
		if (!yg_has_suffix(f->name, ".yar")) continue;
		d.file = f->name;
		if (yr_compiler_add_string(c, f->text, YG_NS_BUILTIN) != 0) goto out;
	}
	for (size_t i = 0; i < y->nuser; i++) {
		d.file = y->user[i].name;
		if (yr_compiler_add_string(c, y->user[i].text, YG_NS_USER) != 0) goto out;
	}
	if (yr_compiler_get_rules(c, &rules) != ERROR_SUCCESS) {
		snprintf(err, errlen, "YARA: out of memory compiling rules");
		rc = MS_ERR_NOMEM;
		goto out;
	}
check:;
	const YR_RULE *rule;
	yr_rules_foreach(rules, rule)
	{
		ms_severity sev;
		if (!yg_rule_severity(rule, &sev)) {
			snprintf(err, errlen,
			         "rule %s: severity \"%s\" is not one of info, low, medium, high, critical",
			         rule->identifier, yg_meta_str(rule, "severity"));
			goto out;
		}
	}
	*out = rules;
	rules = NULL;
	rc = MS_OK;
out:
	if (rules) yr_rules_destroy(rules);
	if (c) yr_compiler_destroy(c);
	return rc;
}

/* Destroys every kept scanner, parked ones included, and starts a new generation: they belong
 * to the rules they were made for. Only between scans of this pool (setup, ms_yara_free). */
static void yg_pool_drain(yg_pool *pool)
{
	pthread_mutex_lock(&yg_pools_lock);
	pthread_mutex_lock(&pool->lock);
	while (pool->nmade) yr_scanner_destroy(pool->made[--pool->nmade]);
	pool->nidle = 0;
	pool->gen = atomic_fetch_add(&yg_pool_gens, 1) + 1;
	pthread_mutex_unlock(&pool->lock);
	pthread_mutex_unlock(&yg_pools_lock);
}

/* Empties this thread's park: its scanner goes back to the idle list of the pool whose
 * generation it has, or is forgotten when there is none (its rules were recompiled or freed,
 * and it with them). */
static void yg_unpark(void)
{
	if (!yg_parked.sc) return;
	pthread_mutex_lock(&yg_pools_lock);
	for (yg_pool *p = yg_pools; p; p = p->next)
		if (p->gen == yg_parked.gen) {
			pthread_mutex_lock(&p->lock);
			p->idle[p->nidle++] = yg_parked.sc; /* one of p->made[], not idle before */
			pthread_mutex_unlock(&p->lock);
			break;
		}
	pthread_mutex_unlock(&yg_pools_lock);
	yg_parked.sc = NULL;
}

static void yg_park_exit(void *unused)
{
	(void)unused;
	yg_unpark();
}

static void yg_park_key_make(void) { (void)pthread_key_create(&yg_park_key, yg_park_exit); }

/* A scanner for y's rules; *kept false when the pool is full and yg_scanner_put must destroy it. */
static YR_SCANNER *yg_scanner_get(const ms_yara *y, bool *kept)
{
	yg_pool *pool = y->pool;
	YR_SCANNER *sc = NULL;
	*kept = true;
	if (yg_parked.sc && yg_parked.gen == pool->gen) {
		sc = yg_parked.sc;
		yg_parked.sc = NULL; /* in use: a nested scan gets another */
		return sc;
	}
	pthread_mutex_lock(&pool->lock);
	if (pool->nidle) sc = pool->idle[--pool->nidle];
	pthread_mutex_unlock(&pool->lock);
	if (sc) return sc;
	if (yr_scanner_create(y->rules, &sc) != ERROR_SUCCESS) return NULL;
	pthread_mutex_lock(&pool->lock);
	if (pool->nmade < YG_POOL_MAX) pool->made[pool->nmade++] = sc;
	else *kept = false;
	pthread_mutex_unlock(&pool->lock);
	return sc;
}

static void yg_scanner_put(const ms_yara *y, YR_SCANNER *sc, bool kept)
{
	yg_pool *pool = y->pool;
	if (!kept) {
		yr_scanner_destroy(sc);
		return;
	}
	if (!yg_parked.sc || yg_parked.gen != pool->gen) {
		yg_unpark(); /* another pool's scanner: back to it */
		pthread_once(&yg_park_once, yg_park_key_make);
		(void)pthread_setspecific(yg_park_key, &yg_parked); /* any non-NULL value */
		yg_parked.gen = pool->gen;
		yg_parked.sc = sc;
		return;
	}
	pthread_mutex_lock(&pool->lock);
	pool->idle[pool->nidle++] = sc; /* nidle < nmade <= YG_POOL_MAX: sc is one of made[] */
	pthread_mutex_unlock(&pool->lock);
}

/* ---- bytes no built-in rule can match -------------------------------------------------
 * libyara finds a string only where one of its atoms (1 to YR_MAX_ATOM_LENGTH bytes) begins:
 * its Aho-Corasick scan meets the atom, then verifies the string around it. The atoms are
 * the paths of the automaton's trie (yara/types.h, ahocorasick.h: slot 0 of a state is its
 * failure link, slot b + 1 the transition on byte b when its low bits say b + 1), and a
 * state where one ends has a match list. Bytes in which no atom begins therefore match no
 * string, and as every built-in condition needs a string, no built-in rule: their scan (the
 * walk, every condition, the externals and the scan's set-up, ~20 k instructions for a small
 * checkpoint's pickle) would report nothing. The gate is the set of byte pairs that begin an
 * atom: one bit tested per byte, and where a pair is set a walk of the trie (four steps at
 * most in libyara 4.2).
 * An automaton with atoms of one byte, or of none (matches on the root), gets no gate. */

/* Whether an atom begins at d: the trie followed from the root, without failure links, as
 * deep as it goes (YR_MAX_ATOM_LENGTH, but nothing here depends on that bound). */
static bool yg_atom_at(const YR_RULES *rules, const uint8_t *d, size_t n)
{
	const YR_AC_TRANSITION *tt = rules->ac_transition_table;
	uint32_t state = YR_AC_ROOT_STATE;
	for (size_t k = 0; k < n; k++) {
		uint16_t index = (uint16_t)(d[k] + 1);
		YR_AC_TRANSITION t = tt[state + index];
		if (YR_AC_INVALID_TRANSITION(t, index)) return false;
		state = YR_AC_NEXT_STATE(t);
		if (rules->ac_match_table[state]) return true;
	}
	return false;
}

/* The gate of rules, or NULL when the automaton has an atom of one byte (a string without
 * atoms hangs its matches on the root: one of zero) or there is no memory: every scan runs. */
static yg_gate *yg_gate_new(const YR_RULES *rules)
{
	const YR_AC_TRANSITION *tt = rules->ac_transition_table;
	const uint32_t *mt = rules->ac_match_table;
	if (mt[YR_AC_ROOT_STATE]) return NULL;
	yg_gate *g = calloc(1, sizeof *g);
	if (!g) return NULL;
	for (unsigned b0 = 0; b0 < 256; b0++) {
		YR_AC_TRANSITION t = tt[YR_AC_ROOT_STATE + b0 + 1];
		if (YR_AC_INVALID_TRANSITION(t, b0 + 1)) continue;
		uint32_t s1 = YR_AC_NEXT_STATE(t);
		if (mt[s1]) {
			free(g);
			return NULL;
		}
		for (unsigned b1 = 0; b1 < 256; b1++)
			if (!YR_AC_INVALID_TRANSITION(tt[s1 + b1 + 1], b1 + 1))
				g->pair[(b1 << 8 | b0) >> 6] |= 1ull << (b0 & 63);
	}
	return g;
}

/* True when no atom of the gate's rules begins anywhere in d (each is two bytes or more). */
static bool yg_atoms_absent(const YR_RULES *rules, const yg_gate *g, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		uint16_t pair; /* d[i] | d[i + 1] << 8 in one load (gcc keeps two for the shifts) */
		memcpy(&pair, d + i, 2);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		pair = __builtin_bswap16(pair);
#endif
		if (g->pair[pair >> 6] >> (pair & 63) & 1 && yg_atom_at(rules, d + i, n - i))
			return false;
	}
	return true;
}

ms_yara *ms_yara_new(char *err, size_t errlen)
{
	if (!yg_init()) {
		snprintf(err, errlen, "YARA: yr_initialize failed");
		return NULL;
	}
	ms_yara *y = calloc(1, sizeof *y);
	yg_pool *pool = y ? calloc(1, sizeof *pool) : NULL;
	if (!pool || pthread_mutex_init(&pool->lock, NULL) != 0) {
		free(pool);
		free(y);
		y = NULL;
	} else {
		pool->gen = atomic_fetch_add(&yg_pool_gens, 1) + 1;
		pthread_mutex_lock(&yg_pools_lock);
		pool->next = yg_pools;
		yg_pools = pool;
		pthread_mutex_unlock(&yg_pools_lock);
		y->pool = pool;
	}
	if (!y) {
		snprintf(err, errlen, "YARA: out of memory");
		yg_fini();
		return NULL;
	}
	if (yg_compile(y, &y->rules, err, errlen) != MS_OK) {
		ms_yara_free(y);
		return NULL;
	}
	y->gate = yg_gate_new(y->rules); /* NULL only costs speed */
	return y;
}

void ms_yara_free(ms_yara *y)
{
	if (!y) return;
	if (y->pool) {
		pthread_mutex_lock(&yg_pools_lock);
		for (yg_pool **pp = &yg_pools; *pp; pp = &(*pp)->next)
			if (*pp == y->pool) {
				*pp = y->pool->next;
				break;
			}
		pthread_mutex_unlock(&yg_pools_lock);
		yg_pool_drain(y->pool);
		pthread_mutex_destroy(&y->pool->lock);
		free(y->pool);
	}
	if (y->rules) yr_rules_destroy(y->rules);
	free(y->gate);
	for (size_t i = 0; i < y->nuser; i++) {
		free(y->user[i].name);
		free(y->user[i].text);
	}
	free(y->user);
	free(y);
	yg_fini();
}

/* Reads a user rule file whole (the user named it explicitly; never a path from the scan). */
static ms_err yg_read_file(const char *path, char **out, char *err, size_t errlen)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MS_ERR_IO;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ms_err rc = MS_OK;
	while (buf) {
		if (n + 1 >= cap) {
			if (cap >= MS_MAX_RULES_FILE) {
				snprintf(err, errlen, "%s: rule file larger than %zu bytes", path,
				         MS_MAX_RULES_FILE);
				rc = MS_ERR_LIMIT;
				break;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) break;
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) break;
	}
	if (!buf) {
		rc = MS_ERR_NOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
	} else if (rc == MS_OK && ferror(f)) {
		rc = MS_ERR_IO;
		snprintf(err, errlen, "%s: read error", path);
	} else if (rc == MS_OK && memchr(buf, 0, n)) {
		rc = MS_ERR_YARA;
		snprintf(err, errlen, "%s: not a text file (NUL byte)", path);
	}
	fclose(f);
	if (rc != MS_OK) {
		free(buf);
		return rc;
	}
	buf[n] = 0;
	*out = buf;
	return MS_OK;
}

static ms_err yg_push_user(ms_yara *y, const char *path, char *err, size_t errlen)
{
	if (y->nuser == y->capuser) {
		size_t nc = y->capuser ? y->capuser * 2 : 8;
		yg_text *p = realloc(y->user, nc * sizeof *p);
		if (!p) goto nomem;
		y->user = p;
		y->capuser = nc;
	}
	yg_text t = {.name = strdup(path)};
	if (!t.name) goto nomem;
	ms_err rc = yg_read_file(path, &t.text, err, errlen);
	if (rc != MS_OK) {
		free(t.name);
		return rc;
	}
	y->user[y->nuser++] = t;
	return MS_OK;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
	return MS_ERR_NOMEM;
}

static int yg_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds every *.yar / *.yara directly in dir, in name order (so a run is reproducible). */
static ms_err yg_push_dir(ms_yara *y, const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return MS_ERR_IO;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	ms_err rc = MS_OK;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') continue;
		if (!yg_has_suffix(e->d_name, ".yar") && !yg_has_suffix(e->d_name, ".yara")) continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **p = realloc(names, nc * sizeof *p);
			if (!p) {
				rc = MS_ERR_NOMEM;
				break;
			}
			names = p;
			cap = nc;
		}
		size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
		names[n] = malloc(len);
		if (!names[n]) {
			rc = MS_ERR_NOMEM;
			break;
		}
		snprintf(names[n], len, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (rc == MS_ERR_NOMEM) snprintf(err, errlen, "%s: out of memory", dir);
	if (rc == MS_OK && n == 0) {
		snprintf(err, errlen, "%s: no *.yar or *.yara files in this folder", dir);
		rc = MS_ERR_IO;
	}
	if (rc == MS_OK) qsort(names, n, sizeof *names, yg_cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (rc == MS_OK && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			rc = yg_push_user(y, names[i], err, errlen);
		free(names[i]);
	}
	free(names);
	return rc;
}

ms_err ms_yara_add_path(ms_yara *y, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MS_ERR_IO;
	}
	size_t before = y->nuser;
	ms_err rc = S_ISDIR(st.st_mode) ? yg_push_dir(y, path, err, errlen)
	                                : yg_push_user(y, path, err, errlen);
	YR_RULES *rules = NULL;
	if (rc == MS_OK) rc = yg_compile(y, &rules, err, errlen);
	if (rc != MS_OK) {
		/* Leave the context as it was: the rules compiled before this path still apply. */
		while (y->nuser > before) {
			y->nuser--;
			free(y->user[y->nuser].name);
			free(y->user[y->nuser].text);
		}
		return rc;
	}
	yg_pool_drain(y->pool);
	yr_rules_destroy(y->rules);
	y->rules = rules;
	/* a user rule may match on no string at all (filesize, kind, uint32(0)) */
	free(y->gate);
	y->gate = NULL;
	return MS_OK;
}

/* ---- scanning -------------------------------------------------------------------------- */

typedef struct yg_scan {
	ms_job *job;
	const ms_src *src;
	const char *kind;
	ms_err rc;
} yg_scan;

static ms_err yg_report(yg_scan *s, YR_SCAN_CONTEXT *ctx, const YR_RULE *rule)
{
	ms_severity sev;
	yg_rule_severity(rule, &sev); /* checked when compiled */
	const char *desc = yg_meta_str(rule, "description");
	const YR_STRING *str;
	YR_MATCH first = {0};
	bool found = false;
	yr_rule_strings_foreach(rule, str)
	{
		/* libyara 4.2 keeps matches in a notebook without aligning them: copy each out
		 * rather than reading fields through a misaligned pointer (UBSan flags that). */
		const void *p = ctx->matches[str->idx].head;
		while (p) {
			YR_MATCH m;
			memcpy(&m, p, sizeof m);
			if (!m.is_private &&
			    (!found || m.base + m.offset < first.base + first.offset)) {
				first = m;
				found = true;
			}
			p = m.next;
		}
	}
	uint64_t off = found ? (uint64_t)(first.base + first.offset) : 0;
	char evidence[YG_EVIDENCE_BYTES * 4 + 8] = "";
	if (found && first.data_length > 0) {
		size_t n = (size_t)first.data_length;
		if (n > YG_EVIDENCE_BYTES) n = YG_EVIDENCE_BYTES;
		bool secret = yg_meta_true(rule, "secret");
		if (secret && n > YG_SECRET_SHOWN) n = YG_SECRET_SHOWN;
		ms_printable(evidence, sizeof evidence - 4, first.data, n);
		if (secret || (size_t)first.data_length > n) strcat(evidence, "...");
	}
	size_t idlen = strlen(YG_ID_PREFIX) + strlen(rule->identifier);
	char *id = ms_arena_alloc(s->job->arena, idlen + 1);
	if (!id) return MS_ERR_NOMEM;
	snprintf(id, idlen + 1, "%s%s", YG_ID_PREFIX, rule->identifier);
	return ms_job_finding_named(s->job, s->src, off, id, sev, NULL, NULL, "%s (YARA %s rule on %s%s%s%s)",
	                      desc ? desc : rule->identifier,
	                      strcmp(rule->ns->name, YG_NS_USER) == 0 ? "user" : "built-in", s->kind,
	                      evidence[0] ? ": \"" : "", evidence, evidence[0] ? "\"" : "");
}

static int yg_scan_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	yg_scan *s = user;
	if (msg != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
	s->rc = yg_report(s, ctx, data);
	return s->rc == MS_OK ? CALLBACK_CONTINUE : CALLBACK_ABORT;
}

bool ms_yara_gate_passes(const ms_yara *y, const uint8_t *d, size_t n)
{
	return !y->gate || !yg_atoms_absent(y->rules, y->gate, d, n);
}

const struct YR_RULES *ms_yara_yr_rules(const ms_yara *y) { return y->rules; }

/* Mapped members up to this size are scanned from a copy on the stack (see ms_yara_scan). */
#define YG_COPY_MAX ((size_t)16 << 10)

ms_err ms_yara_scan(const ms_yara *y, ms_job *job, const ms_src *src, const char *kind)
{
	if (!y || !y->rules || src->len == 0) return MS_OK;
	/* Every built-in rule's condition needs one of its strings (tests/cli/t_yara.sh checks the
	 * rules' text), so bytes in which no atom occurs match none of them: their scan would
	 * report nothing. A user rule may match on no string at all (filesize, kind, uint32(0)),
	 * so with user rules loaded every scan runs. A mapped file that shrinks faults here as in
	 * the copy below (ctx.c). */
	if (y->gate && yg_atoms_absent(y->rules, y->gate, src->data, src->len)) return MS_OK;
	/* YARA's try/catch (a SIGBUS/SIGSEGV handler set and reset around every scan, six system
	 * calls) guards against a mapped file shrinking; memory this process owns cannot. A small
	 * mapped member (the data.pkl of most checkpoints) is copied first instead: a fault in
	 * the copy is the scan's own SIGBUS (ctx.c), taken before a scanner is borrowed. */
	uintptr_t at = (uintptr_t)src->data, map = (uintptr_t)job->mapped;
	bool in_map = job->mapped && at >= map && at - map < job->mapped_len;
	uint8_t copy[YG_COPY_MAX];
	const uint8_t *data = src->data;
	if (in_map && src->len <= sizeof copy) {
		memcpy(copy, src->data, src->len);
		data = copy;
		in_map = false;
	}
	bool kept;
	YR_SCANNER *sc = yg_scanner_get(y, &kept);
	if (!sc) return ms_job_error(job, src, 0, MS_ERR_NOMEM, "no memory for a YARA scanner");
	yg_scan s = {.job = job, .src = src, .kind = kind ? kind : "data", .rc = MS_OK};
	yr_scanner_set_callback(sc, yg_scan_cb, &s);
	/* Matching rules only: with neither report flag libyara calls back for every rule that did
	 * not match too (27 calls a scan for nothing). */
	yr_scanner_set_flags(sc, SCAN_FLAGS_REPORT_RULES_MATCHING |
	                             (in_map ? 0 : SCAN_FLAGS_NO_TRYCATCH));
	int yrc = ERROR_SUCCESS;
	if (yr_scanner_define_string_variable(sc, "kind", s.kind) != ERROR_SUCCESS ||
	    yr_scanner_define_string_variable(sc, "member", src->member ? src->member : "") !=
	            ERROR_SUCCESS ||
	    yr_scanner_define_integer_variable(sc, "depth", (int64_t)src->depth) != ERROR_SUCCESS)
		yrc = ERROR_INSUFFICIENT_MEMORY;
	if (yrc == ERROR_SUCCESS) yrc = yr_scanner_scan_mem(sc, data, src->len);
	yg_scanner_put(y, sc, kept);
	if (s.rc != MS_OK) return ms_job_error(job, src, 0, s.rc, "out of memory recording YARA matches");
	if (yrc == ERROR_SUCCESS || yrc == ERROR_CALLBACK_ERROR) return MS_OK;
	if (yrc == ERROR_INSUFFICIENT_MEMORY)
		return ms_job_error(job, src, 0, MS_ERR_NOMEM, "out of memory in the YARA scan");
	return ms_job_error(job, src, 0, MS_ERR_YARA, "YARA scan failed (libyara error %d)", yrc);
}

/* ---- listing and YARA-only scans (mscan rules) ----------------------------------------- */

size_t ms_yara_rules_foreach(const ms_yara *y, ms_rule_cb cb, void *user)
{
	size_t n = 0;
	if (!y || !y->rules) return 0;
	const YR_RULE *rule;
	yr_rules_foreach(y->rules, rule)
	{
		ms_severity sev;
		yg_rule_severity(rule, &sev);
		char id[256];
		snprintf(id, sizeof id, "%s%s", YG_ID_PREFIX, rule->identifier);
		const char *ref = yg_meta_str(rule, "reference");
		const char *desc = yg_meta_str(rule, "description");
		const char *meta_id = yg_meta_str(rule, "id");
		ms_rule_info info = {
			.id = id,
			.meta_id = meta_id,
			.identifier = rule->identifier,
			.builtin = strcmp(rule->ns->name, YG_NS_BUILTIN) == 0,
			.severity = sev,
			.description = desc ? desc : "",
			.reference = ref ? ref : "",
		};
		n++;
		if (cb && cb(&info, user) != 0) break;
	}
	return n;
}

size_t ms_rules_foreach(const ms_ctx *ctx, ms_rule_cb cb, void *user)
{
	return ms_yara_rules_foreach(ctx->yara, cb, user);
}

ms_err ms_rules_scan_buffer(const ms_ctx *ctx, const char *name, const uint8_t *buf,
                            size_t len, const char *kind, ms_result **out)
{
	*out = NULL;
	ms_result *r = calloc(1, sizeof *r);
	if (!r) return MS_ERR_NOMEM;
	r->path = strdup(name ? name : "");
	r->strings = ms_arena_new(MS_MAX_ARENA_BYTES);
	r->format = "yara";
	if (!r->path || !r->strings) {
		ms_result_free(r);
		return MS_ERR_NOMEM;
	}
	ms_job job = {.ctx = ctx, .res = r, .arena = r->strings};
	ms_src src = {.data = buf, .len = len, .member = "", .file_off = 0, .depth = 0};
	ms_yara_scan(ctx->yara, &job, &src, kind);
	*out = r;
	return MS_OK;
}
