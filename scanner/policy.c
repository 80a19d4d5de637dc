/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * The policy as data: rules/allow.txt (exact `module qualname`, optional `wo` mark for
 * torch.load(weights_only=True)), rules/deny.txt (`module *`, `module qualname`, `* name`),
 * rules/compat_pickle.txt (CPython's _compat_pickle tables), all embedded at build time, plus
 * user --policy JSON files. See docs/rules-pickle.md.
 *
 * A global is denied when any prefix of its dotted path (module components then name
 * components) is a deny path, when any run of its name components is (`numpy prod.os.system`
 * reaches the os module), or when any name component is a dangerous attribute name. Deny
 * wins over allow; allow is exact.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arena_private.h"
#include "limits.h"
#include "policy_private.h"
#include "rules_data_private.h"
#include "scan_private.h"

typedef struct pol_map {      /* string -> string (value may be NULL: a set) */
	const char **k, **v;      /* strings in the policy's arena or the compiled tables */
	size_t cap, n;
	ms_arena *strs;           /* the policy's, shared by all its maps */
	bool borrowed;            /* k, v are a compiled table's arrays: copied before a write */
} pol_map;

typedef struct pol_override {
	char *rule;
	int sev;
} pol_override;

struct ms_policy {
	pol_map allow;      /* "module\nname" -> "wo" or NULL */
	pol_map deny;       /* dotted path (built-in) */
	pol_map udeny;      /* dotted path (user) */
	pol_map names;      /* dangerous attribute names */
	pol_map exempt;     /* exact paths carved out of a deny path ("!module qualname") */
	pol_map compat_n;   /* "module\nname" -> new module */
	pol_map compat_nn;  /* "module\nname" -> new name */
	pol_map compat_m;   /* module -> newmodule */
	pol_override *ov;
	size_t nov;
	ms_arena *strs;     /* every key and value: one free instead of a thousand */
	uint64_t gen;       /* new for each policy and each change to it (pol_touch) */
};

/* Generations are unique in the process, so a freed policy's answers never serve another. */
static atomic_uint_fast64_t pol_gens;

static void pol_touch(ms_policy *p) { p->gen = atomic_fetch_add(&pol_gens, 1) + 1; }

/* ---- string map ------------------------------------------------------------------------ */

/* Eight bytes a step (a byte-wise FNV-1a was a tenth of a small checkpoint's policy work):
 * each word is mixed in by a multiply and a shift, the length first. Keys are names, not
 * secrets: collisions only cost a comparison. */
static uint64_t pol_hash(const char *s, size_t n)
{
	const uint64_t k = 0x9E3779B97F4A7C15ull;
	uint64_t h = (uint64_t)n * k;
	for (; n >= 8; s += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	return h ^ h >> 32;
}

static size_t pol_slot(const pol_map *m, const char *k, size_t n)
{
	size_t mask = m->cap - 1, i = (size_t)pol_hash(k, n) & mask;
	while (m->k[i] && !(strncmp(m->k[i], k, n) == 0 && m->k[i][n] == 0)) i = (i + 1) & mask;
	return i;
}

/* Looks up the first n bytes of k. */
static bool pol_find(const pol_map *m, const char *k, size_t n, const char **val)
{
	if (!m->cap) return false;
	size_t i = pol_slot(m, k, n);
	if (!m->k[i]) return false;
	if (val) *val = m->v[i];
	return true;
}

static char *pol_strdup(pol_map *m, const char *s)
{
	return ms_arena_strndup(m->strs, s, strlen(s));
}

/* A map still on the compiled table's arrays gets its own copy (a --policy file adds to it). */
static bool pol_own(pol_map *m)
{
	const char **k = malloc(m->cap * sizeof *k), **v = malloc(m->cap * sizeof *v);
	if (!k || !v) {
		free(k);
		free(v);
		return false;
	}
	memcpy(k, m->k, m->cap * sizeof *k);
	memcpy(v, m->v, m->cap * sizeof *v);
	m->k = k;
	m->v = v;
	m->borrowed = false;
	return true;
}

static bool pol_put(pol_map *m, const char *k, const char *v)
{
	if (m->borrowed && !pol_own(m)) return false;
	if ((m->n + 1) * 2 > m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 256;
		pol_map nm = {calloc(nc, sizeof(char *)), calloc(nc, sizeof(char *)), nc, m->n, m->strs,
		              false};
		if (!nm.k || !nm.v) {
			free(nm.k);
			free(nm.v);
			return false;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->k[i]) continue;
			size_t j = pol_slot(&nm, m->k[i], strlen(m->k[i]));
			nm.k[j] = m->k[i];
			nm.v[j] = m->v[i];
		}
		free(m->k);
		free(m->v);
		*m = nm;
	}
	size_t i = pol_slot(m, k, strlen(k));
	char *nv = v ? pol_strdup(m, v) : NULL;
	if (v && !nv) return false;
	if (!m->k[i]) {
		if (!(m->k[i] = pol_strdup(m, k))) return false;
		m->n++;
	}
	m->v[i] = nv;
	return true;
}

static void pol_map_free(pol_map *m)
{
	if (m->borrowed) return;
	free(m->k);
	free(m->v);
}

/* ---- parsing the embedded lists -------------------------------------------------------- */

#define POL_MAX_TOK 8

/* Splits a line into whitespace-separated tokens (in place). Returns the count. */
static size_t pol_tokens(char *line, char **tok)
{
	size_t n = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " \t\r", &save); t && n < POL_MAX_TOK;
	     t = strtok_r(NULL, " \t\r", &save))
		tok[n++] = t;
	return n;
}

typedef bool (*pol_line_fn)(ms_policy *p, char **tok, size_t ntok);

static bool pol_each_line(ms_policy *p, const char *file, pol_line_fn fn)
{
	const ms_rules_file *f = ms_rules_find(file);
	if (!f) return true; /* a build without the file: empty list */
	const char *s = f->text, *end = f->text + f->len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		char line[MS_MAX_POLICY_LINE];
		if (n >= sizeof line) n = sizeof line - 1;
		memcpy(line, s, n);
		line[n] = 0;
		s += n + 1;
		char *hash = strchr(line, '#');
		if (hash) *hash = 0;
		char *tok[POL_MAX_TOK];
		size_t ntok = pol_tokens(line, tok);
		if (ntok && !fn(p, tok, ntok)) return false;
	}
	return true;
}

/* buf = m, sep, n; false when that does not fit in len. Every global's checks build several
 * of these, so no snprintf. */
static bool pol_join(char *buf, size_t len, const char *m, char sep, const char *n)
{
	size_t a = strlen(m), b = strlen(n);
	if (a >= len || b >= len - a - 1) return false;
	memcpy(buf, m, a);
	buf[a] = sep;
	memcpy(buf + a + 1, n, b + 1);
	return true;
}

/* "module\nname", the key of the allow and compat maps. */
static bool pol_key(char *buf, size_t len, const char *m, const char *n)
{
	return pol_join(buf, len, m, '\n', n);
}

static bool pol_allow_line(ms_policy *p, char **tok, size_t ntok)
{
	char key[MS_MAX_POLICY_LINE * 2];
	if (ntok < 2 || !pol_key(key, sizeof key, tok[0], tok[1])) return true;
	return pol_put(&p->allow, key, ntok > 2 && strcmp(tok[2], "wo") == 0 ? "wo" : NULL);
}

static bool pol_deny_add(pol_map *deny, pol_map *names, const char *m, const char *n)
{
	if (strcmp(m, "*") == 0) return pol_put(names, n, NULL);
	if (strcmp(n, "*") == 0) return pol_put(deny, m, NULL);
	char path[MS_MAX_POLICY_LINE * 2];
	if (!pol_join(path, sizeof path, m, '.', n)) return true;
	return pol_put(deny, path, NULL);
}

static bool pol_deny_line(ms_policy *p, char **tok, size_t ntok)
{
	if (ntok < 2) return true;
	if (tok[0][0] == '!') {
		char path[MS_MAX_POLICY_LINE * 2];
		if (!pol_join(path, sizeof path, tok[0] + 1, '.', tok[1])) return true;
		return pol_put(&p->exempt, path, NULL);
	}
	return pol_deny_add(&p->deny, &p->names, tok[0], tok[1]);
}

static bool pol_compat_line(ms_policy *p, char **tok, size_t ntok)
{
	char key[MS_MAX_POLICY_LINE * 2];
	if (ntok == 5 && strcmp(tok[0], "N") == 0) {
		if (!pol_key(key, sizeof key, tok[1], tok[2])) return true;
		return pol_put(&p->compat_n, key, tok[3]) && pol_put(&p->compat_nn, key, tok[4]);
	}
	if (ntok == 3 && strcmp(tok[0], "M") == 0) return pol_put(&p->compat_m, tok[1], tok[2]);
	return true;
}

/* The maps of p in the order of ms_policy_tables.m. */
static void pol_maps(ms_policy *p, pol_map *out[MS_POLICY_NMAPS])
{
	pol_map *m[MS_POLICY_NMAPS] = {&p->allow, &p->deny, &p->udeny, &p->names, &p->exempt,
	                               &p->compat_n, &p->compat_nn, &p->compat_m};
	memcpy(out, m, sizeof m);
}

static ms_policy *pol_new(void)
{
	ms_policy *p = calloc(1, sizeof *p);
	if (!p) return NULL;
	p->strs = ms_arena_new(MS_MAX_POLICY_STRINGS);
	if (!p->strs) {
		free(p);
		return NULL;
	}
	pol_map *maps[MS_POLICY_NMAPS];
	pol_maps(p, maps);
	for (size_t i = 0; i < MS_POLICY_NMAPS; i++) maps[i]->strs = p->strs;
	pol_touch(p);
	return p;
}

ms_policy *ms_policy_parse_builtin(void)
{
	ms_policy *p = pol_new();
	if (!p) return NULL;
	if (!pol_each_line(p, "allow.txt", pol_allow_line) ||
	    !pol_each_line(p, "deny.txt", pol_deny_line) ||
	    !pol_each_line(p, "compat_pickle.txt", pol_compat_line)) {
		ms_policy_free(p);
		return NULL;
	}
	return p;
}

ms_policy *ms_policy_new_builtin(void)
{
	const ms_policy_tables *t = ms_policy_builtin_tables();
	if (!t) return ms_policy_parse_builtin();
	ms_policy *p = pol_new();
	if (!p) return NULL;
	pol_map *maps[MS_POLICY_NMAPS];
	pol_maps(p, maps);
	for (size_t i = 0; i < MS_POLICY_NMAPS; i++) {
		maps[i]->k = t->m[i].k;
		maps[i]->v = t->m[i].v;
		maps[i]->cap = t->m[i].cap;
		maps[i]->n = t->m[i].n;
		maps[i]->borrowed = t->m[i].cap != 0;
	}
	return p;
}

/* ---- compiled tables (scanner/tools/policy_precompile.c) -------------------------------- */

static void pol_write_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
		else if (*c >= 0x20 && *c < 0x7f && *c != '?') fputc(*c, f);
		else fprintf(f, "\\%03o", *c);
	}
	fputc('"', f);
}

bool ms_policy_write_tables(ms_policy *p, FILE *f)
{
	pol_map *maps[MS_POLICY_NMAPS];
	pol_maps(p, maps);
	fprintf(f, "/* Generated by scanner/tools/policy_precompile.c from rules/: do not edit. */\n"
	           "#include \"scanner/policy_private.h\"\n\n");
	for (size_t i = 0; i < MS_POLICY_NMAPS; i++) {
		for (int kv = 0; kv < 2 && maps[i]->cap; kv++) {
			const char **a = kv ? maps[i]->v : maps[i]->k;
			fprintf(f, "static const char *pol_t%zu_%c[%zu] = {\n", i, kv ? 'v' : 'k',
			        maps[i]->cap);
			for (size_t j = 0; j < maps[i]->cap; j++) {
				if (!a[j]) continue;
				fprintf(f, "\t[%zu] = ", j);
				pol_write_str(f, a[j]);
				fputs(",\n", f);
			}
			fputs("};\n", f);
		}
	}
	fputs("\nconst ms_policy_tables *ms_policy_builtin_tables(void)\n{\n"
	      "\tstatic const ms_policy_tables t = {{\n", f);
	for (size_t i = 0; i < MS_POLICY_NMAPS; i++) {
		if (maps[i]->cap)
			fprintf(f, "\t\t{pol_t%zu_k, pol_t%zu_v, %zu, %zu},\n", i, i, maps[i]->cap,
			        maps[i]->n);
		else
			fputs("\t\t{NULL, NULL, 0, 0},\n", f);
	}
	fputs("\t}};\n\treturn &t;\n}\n", f);
	return !ferror(f);
}

/* Every map of a holds what the same map of b holds, and the other way round. */
static bool pol_map_within(const pol_map *a, const pol_map *b)
{
	for (size_t i = 0; i < a->cap; i++) {
		if (!a->k[i]) continue;
		const char *v = NULL;
		if (!pol_find(b, a->k[i], strlen(a->k[i]), &v)) return false;
		if ((v == NULL) != (a->v[i] == NULL) || (v && strcmp(v, a->v[i]) != 0)) return false;
	}
	return true;
}

bool ms_policy_same(ms_policy *a, ms_policy *b)
{
	pol_map *ma[MS_POLICY_NMAPS], *mb[MS_POLICY_NMAPS];
	pol_maps(a, ma);
	pol_maps(b, mb);
	for (size_t i = 0; i < MS_POLICY_NMAPS; i++)
		if (ma[i]->n != mb[i]->n || !pol_map_within(ma[i], mb[i]) || !pol_map_within(mb[i], ma[i]))
			return false;
	return a->nov == b->nov;
}

void ms_policy_free(ms_policy *p)
{
	if (!p) return;
	pol_map_free(&p->allow);
	pol_map_free(&p->deny);
	pol_map_free(&p->udeny);
	pol_map_free(&p->names);
	pol_map_free(&p->exempt);
	pol_map_free(&p->compat_n);
	pol_map_free(&p->compat_nn);
	pol_map_free(&p->compat_m);
	for (size_t i = 0; i < p->nov; i++) free(p->ov[i].rule);
	free(p->ov);
	ms_arena_free(p->strs);
	free(p);
}

/* ---- classification -------------------------------------------------------------------- */

typedef struct pol_parts {
	const char *s[MS_MAX_PKL_NAME_PARTS];
	size_t n[MS_MAX_PKL_NAME_PARTS];
	size_t count, nmod;   /* components; the first nmod come from the module */
	bool too_many;
} pol_parts;

static void pol_split(pol_parts *pp, const char *s, bool is_module)
{
	while (*s || is_module) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		if (pp->count >= MS_MAX_PKL_NAME_PARTS) {
			pp->too_many = true;
			return;
		}
		pp->s[pp->count] = s;
		pp->n[pp->count] = n;
		pp->count++;
		if (is_module) pp->nmod++;
		if (!dot) return;
		s = dot + 1;
	}
}

/* Is the dotted path made of components [i, j) in deny (built-in, and user when with_user)? */
static bool pol_path_denied(const ms_policy *p, const pol_parts *pp, size_t i, size_t j,
                            bool with_user)
{
	char buf[4096];
	size_t o = 0;
	for (size_t k = i; k < j; k++) {
		if (o + pp->n[k] + 2 >= sizeof buf) return false;
		if (k > i) buf[o++] = '.';
		memcpy(buf + o, pp->s[k], pp->n[k]);
		o += pp->n[k];
	}
	buf[o] = 0;
	return pol_find(&p->deny, buf, o, NULL) || (with_user && pol_find(&p->udeny, buf, o, NULL));
}

static bool pol_denied(const ms_policy *p, const char *module, const char *name, bool with_user)
{
	pol_parts pp;
	memset(&pp, 0, sizeof pp);
	pol_split(&pp, module, true);
	pol_split(&pp, name, false);
	if (pp.too_many) return true; /* nobody names a real object with 64 components */
	if (p->exempt.n) {
		char full[4096];
		if (pol_join(full, sizeof full, module, '.', name) &&
		    pol_find(&p->exempt, full, strlen(full), NULL))
			return false;
	}
	/* prefixes of the full path: os, os.path, builtins.eval, builtins.eval.__call__ ... */
	for (size_t j = 1; j <= pp.count; j++)
		if (pol_path_denied(p, &pp, 0, j, with_user)) return true;
	/* every run that starts inside the name: numpy prod.os.system -> os, os.system */
	for (size_t i = pp.nmod; i < pp.count; i++)
		for (size_t j = i + 1; j <= pp.count; j++)
			if (pol_path_denied(p, &pp, i, j, with_user)) return true;
	for (size_t i = pp.nmod; i < pp.count; i++)
		if (pol_find(&p->names, pp.s[i], pp.n[i], NULL)) return true;
	return false;
}

/* ---- answers per thread ------------------------------------------------------------------ */

/* A folder of checkpoints asks about the same dozen globals in every file, each question a
 * handful of hash lookups over every dotted prefix. Each thread keeps the answers for recent
 * (module, name) pairs, valid while the policy's generation is the one they were made under.
 * The key is module, NUL, name: unlike "module\nname" it cannot be the key of another pair. */
#define POL_MEMO_SLOTS 64
#define POL_MEMO_KEY 128
#define POL_MEMO_VERDICT 1u
#define POL_MEMO_COMPAT 2u

typedef struct pol_memo {
	uint64_t gen, hash;
	size_t klen;
	char key[POL_MEMO_KEY];
	unsigned have;
	ms_verdict verdict;
	int compat;          /* pol_compat's answer, with its strings */
	const char *cm, *cn;
} pol_memo;

static _Thread_local pol_memo pol_memos[POL_MEMO_SLOTS];

/* The slot for (module, name) under p, emptied when it held another question; NULL for
 * names too long to keep (they are answered every time). */
static pol_memo *pol_memo_slot(const ms_policy *p, const char *module, const char *name)
{
	size_t a = strlen(module), b = strlen(name);
	if (a >= POL_MEMO_KEY || b >= POL_MEMO_KEY - a - 1) return NULL;
	char key[POL_MEMO_KEY];
	memcpy(key, module, a);
	key[a] = 0;
	memcpy(key + a + 1, name, b);
	size_t klen = a + 1 + b;
	uint64_t h = pol_hash(key, klen);
	pol_memo *m = &pol_memos[h & (POL_MEMO_SLOTS - 1)];
	if (m->gen != p->gen || m->hash != h || m->klen != klen || memcmp(m->key, key, klen) != 0) {
		m->gen = p->gen;
		m->hash = h;
		m->klen = klen;
		memcpy(m->key, key, klen);
		m->have = 0;
	}
	return m;
}

static ms_verdict pol_check(const ms_policy *p, const char *module, const char *name)
{
	if (pol_denied(p, module, name, true)) return MS_VERDICT_DENY;
	char key[MS_MAX_POLICY_LINE * 2];
	if (pol_key(key, sizeof key, module, name) && pol_find(&p->allow, key, strlen(key), NULL))
		return MS_VERDICT_ALLOW;
	return MS_VERDICT_UNKNOWN;
}

ms_verdict ms_policy_check(const ms_policy *p, const char *module, const char *name)
{
	if (!p || !module || !name) return MS_VERDICT_UNKNOWN;
	pol_memo *m = pol_memo_slot(p, module, name);
	if (m && (m->have & POL_MEMO_VERDICT)) return m->verdict;
	ms_verdict v = pol_check(p, module, name);
	if (m) {
		m->verdict = v;
		m->have |= POL_MEMO_VERDICT;
	}
	return v;
}

bool ms_policy_weights_only_listed(const ms_policy *p, const char *module, const char *name)
{
	const char *v = NULL;
	char key[MS_MAX_POLICY_LINE * 2];
	if (!p || !pol_key(key, sizeof key, module, name)) return false;
	return pol_find(&p->allow, key, strlen(key), &v) && v != NULL;
}

int ms_policy_severity_override(const ms_policy *p, const char *rule_id)
{
	if (!p || !rule_id) return -1;
	for (size_t i = 0; i < p->nov; i++)
		if (strcmp(p->ov[i].rule, rule_id) == 0) return p->ov[i].sev;
	return -1;
}

/* The _compat_pickle answer: COMPAT_NONE, or the new module (COMPAT_MODULE, the name is
 * kept) or the new pair (COMPAT_PAIR); *cm and *cn point into the policy's strings. */
enum { COMPAT_NONE, COMPAT_MODULE, COMPAT_PAIR };

static int pol_compat(const ms_policy *p, const char *module, const char *name, const char **cm,
                      const char **cn)
{
	char key[MS_MAX_POLICY_LINE * 2];
	/* NAME_MAPPING for the pair first, then IMPORT_MAPPING for the module (find_class) */
	if (pol_key(key, sizeof key, module, name) && pol_find(&p->compat_n, key, strlen(key), cm) &&
	    pol_find(&p->compat_nn, key, strlen(key), cn) && *cm && *cn)
		return COMPAT_PAIR;
	if (pol_find(&p->compat_m, module, strlen(module), cm) && *cm) return COMPAT_MODULE;
	return COMPAT_NONE;
}

bool ms_policy_compat_map(const ms_policy *p, const char *module, const char *name,
                          const char **out_module, const char **out_name)
{
	*out_module = module;
	*out_name = name;
	if (!p) return false;
	pol_memo *m = pol_memo_slot(p, module, name);
	int how;
	const char *cm = NULL, *cn = NULL;
	if (m && (m->have & POL_MEMO_COMPAT)) {
		how = m->compat;
		cm = m->cm;
		cn = m->cn;
	} else {
		how = pol_compat(p, module, name, &cm, &cn);
		if (m) {
			m->compat = how;
			m->cm = cm;
			m->cn = cn;
			m->have |= POL_MEMO_COMPAT;
		}
	}
	/* Unmapped parts stay the caller's own pointers: callers tell a rename by address. */
	if (how != COMPAT_NONE) *out_module = cm;
	if (how == COMPAT_PAIR) *out_name = cn;
	return how != COMPAT_NONE;
}

/* ---- user policy files ----------------------------------------------------------------- */

static char *pol_read(const char *path, char *err, size_t errlen, ms_err *rc)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open policy file", path);
		*rc = MS_ERR_IO;
		return NULL;
	}
	char *buf = malloc(MS_MAX_POLICY_FILE + 1);
	size_t n = buf ? fread(buf, 1, MS_MAX_POLICY_FILE + 1, f) : 0;
	bool bad = buf && (ferror(f) || n > MS_MAX_POLICY_FILE);
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		*rc = MS_ERR_NOMEM;
		return NULL;
	}
	if (bad) {
		snprintf(err, errlen, "%s: unreadable or larger than %zu bytes", path, MS_MAX_POLICY_FILE);
		free(buf);
		*rc = MS_ERR_IO;
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

/* "module qualname" -> two tokens; false when the entry has another shape. */
static bool pol_entry(const char *s, char *m, char *n, size_t len)
{
	char line[MS_MAX_POLICY_LINE];
	char *tok[POL_MAX_TOK];
	if (strlen(s) >= sizeof line) return false;
	strcpy(line, s);
	if (pol_tokens(line, tok) != 2 || strlen(tok[0]) >= len || strlen(tok[1]) >= len) return false;
	strcpy(m, tok[0]);
	strcpy(n, tok[1]);
	return true;
}

ms_err ms_policy_load_json(ms_policy *p, const char *path, char *err, size_t errlen)
{
	ms_err rc = MS_OK;
	char *text = pol_read(path, err, errlen, &rc);
	if (!text) return rc;
	cJSON *root = cJSON_Parse(text);
	free(text);
	rc = MS_ERR_MALFORMED;
	if (!root || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "%s: not a JSON object (expected {\"allow\": [...], \"deny\": [...], "
		         "\"severity\": {...}})", path);
		goto out;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, root) {
		if (strcmp(it->string, "allow") && strcmp(it->string, "deny") &&
		    strcmp(it->string, "severity")) {
			snprintf(err, errlen, "%s: unknown key \"%s\" (allowed: allow, deny, severity)", path,
			         it->string);
			goto out;
		}
	}
	/* deny first, so that deny wins over allow inside one file */
	const cJSON *deny = cJSON_GetObjectItemCaseSensitive(root, "deny");
	const cJSON *allow = cJSON_GetObjectItemCaseSensitive(root, "allow");
	const cJSON *sev = cJSON_GetObjectItemCaseSensitive(root, "severity");
	if ((deny && !cJSON_IsArray(deny)) || (allow && !cJSON_IsArray(allow)) ||
	    (sev && !cJSON_IsObject(sev))) {
		snprintf(err, errlen, "%s: \"allow\" and \"deny\" must be arrays of strings, \"severity\" "
		         "an object", path);
		goto out;
	}
	char m[MS_MAX_POLICY_LINE], n[MS_MAX_POLICY_LINE];
	cJSON_ArrayForEach(it, deny) {
		if (!cJSON_IsString(it) || !pol_entry(it->valuestring, m, n, sizeof m) ||
		    strcmp(m, "*") == 0) {
			snprintf(err, errlen, "%s: deny entry %s is not \"module qualname\" or \"module *\"",
			         path, cJSON_IsString(it) ? it->valuestring : "(not a string)");
			goto out;
		}
		if (!pol_deny_add(&p->udeny, &p->names, m, n)) goto nomem;
	}
	cJSON_ArrayForEach(it, allow) {
		if (!cJSON_IsString(it) || !pol_entry(it->valuestring, m, n, sizeof m) ||
		    strchr(m, '*') || strchr(n, '*')) {
			snprintf(err, errlen, "%s: allow entry %s is not \"module qualname\" (allow entries "
			         "are exact, no wildcards)", path,
			         cJSON_IsString(it) ? it->valuestring : "(not a string)");
			goto out;
		}
		if (pol_denied(p, m, n, false)) {
			snprintf(err, errlen, "%s: refusing to allow \"%s\": it is in the built-in denylist",
			         path, it->valuestring);
			goto out;
		}
		char key[MS_MAX_POLICY_LINE * 2];
		/* user allows mirror torch.serialization.add_safe_globals: weights_only too */
		if (!pol_key(key, sizeof key, m, n) || !pol_put(&p->allow, key, "wo")) goto nomem;
	}
	cJSON_ArrayForEach(it, sev) {
		ms_severity s;
		if (!cJSON_IsString(it) || ms_severity_parse(it->valuestring, &s) != MS_OK) {
			snprintf(err, errlen, "%s: severity for %s must be one of info, low, medium, high, "
			         "critical", path, it->string);
			goto out;
		}
		if (p->nov >= MS_MAX_POLICY_OVERRIDES) {
			snprintf(err, errlen, "%s: more than %d severity overrides", path, MS_MAX_POLICY_OVERRIDES);
			goto out;
		}
		pol_override *nv = realloc(p->ov, (p->nov + 1) * sizeof *nv);
		if (!nv) goto nomem;
		p->ov = nv;
		p->ov[p->nov].rule = strdup(it->string);
		if (!p->ov[p->nov].rule) goto nomem;
		p->ov[p->nov].sev = (int)s;
		p->nov++;
	}
	rc = MS_OK;
	goto out;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
	rc = MS_ERR_NOMEM;
out:
	cJSON_Delete(root);
	pol_touch(p); /* even a failed load may have added entries: no answer made before stays */
	return rc;
}
