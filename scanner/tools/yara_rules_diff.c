/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * yara-rules-diff OLD.yar NEW.yar INPUTS...
 *
 * Tells whether two rule sets decide alike: every input is scanned by both, as each kind in
 * turn, and the names of the rules that match must be the same. It is how a string respelt
 * for a better atom (rules/README.md) is shown to match exactly what the old one did.
 * INPUTS are files; one named *.rec holds many inputs, each a 4-byte little-endian length
 * and its bytes (rules/gen/yara_diff_inputs.py writes them). Exit 0: no input differs.
 * A host tool, never sanitized, like yara-precompile.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../yara_externals.h"

#define DIFF_MAX_HITS 64

typedef struct diff_hits {
	const char *name[DIFF_MAX_HITS];
	int n;
} diff_hits;

static const char *const diff_kinds[] = {"pickle", "pickle-strings", "member", "metadata", "data"};

static char *diff_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	char *buf = NULL;
	long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = 0;
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static YR_RULES *diff_compile(const char *path)
{
	size_t n;
	char *text = diff_slurp(path, &n);
	YR_COMPILER *c = NULL;
	YR_RULES *rules = NULL;
	if (text && yr_compiler_create(&c) == ERROR_SUCCESS && !yg_define_externals(c) &&
	    yr_compiler_add_string(c, text, YG_NS_BUILTIN) == 0)
		yr_compiler_get_rules(c, &rules);
	if (c) yr_compiler_destroy(c);
	free(text);
	if (!rules) fprintf(stderr, "yara-rules-diff: %s: cannot read or compile\n", path);
	return rules;
}

static int diff_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	(void)ctx;
	diff_hits *h = user;
	if (msg == CALLBACK_MSG_RULE_MATCHING && h->n < DIFF_MAX_HITS)
		h->name[h->n++] = ((const YR_RULE *)data)->identifier;
	return CALLBACK_CONTINUE;
}

static bool diff_scan(YR_RULES *rules, const char *kind, const uint8_t *p, size_t n, diff_hits *h)
{
	YR_SCANNER *s;
	h->n = 0;
	if (yr_scanner_create(rules, &s) != ERROR_SUCCESS) return false;
	yr_scanner_set_callback(s, diff_cb, h);
	yr_scanner_set_flags(s, SCAN_FLAGS_REPORT_RULES_MATCHING);
	bool ok = yr_scanner_define_string_variable(s, "kind", kind) == ERROR_SUCCESS &&
	          yr_scanner_scan_mem(s, p, n) == ERROR_SUCCESS;
	yr_scanner_destroy(s);
	return ok;
}

static bool diff_same(const diff_hits *a, const diff_hits *b)
{
	if (a->n != b->n) return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->name[i], b->name[i]) != 0) return false;
	return true;
}

static void diff_print(const char *tag, const diff_hits *h)
{
	printf(" %s:", tag);
	for (int i = 0; i < h->n; i++) printf(" %s", h->name[i]);
}

typedef struct diff_count {
	unsigned long inputs, matches, differ, errors;
} diff_count;

static void diff_one(YR_RULES *old, YR_RULES *new, const char *label, size_t index,
                     const uint8_t *p, size_t n, diff_count *c)
{
	c->inputs++;
	for (size_t k = 0; k < sizeof diff_kinds / sizeof diff_kinds[0]; k++) {
		diff_hits a, b;
		if (!diff_scan(old, diff_kinds[k], p, n, &a) || !diff_scan(new, diff_kinds[k], p, n, &b)) {
			c->errors++;
			continue;
		}
		c->matches += (unsigned long)a.n;
		if (diff_same(&a, &b)) continue;
		c->differ++;
		printf("differs: %s#%zu kind %s", label, index, diff_kinds[k]);
		diff_print("old", &a);
		diff_print("new", &b);
		printf("\n");
	}
}

static bool diff_file(YR_RULES *old, YR_RULES *new, const char *path, diff_count *c)
{
	size_t len;
	char *buf = diff_slurp(path, &len);
	if (!buf) {
		fprintf(stderr, "yara-rules-diff: %s: cannot read\n", path);
		return false;
	}
	size_t plen = strlen(path);
	if (plen > 4 && strcmp(path + plen - 4, ".rec") == 0) {
		size_t off = 0, i = 0;
		while (len - off >= 4) {
			uint32_t n;
			memcpy(&n, buf + off, 4); /* the generator writes little-endian, as this host */
			off += 4;
			if (n > len - off) break;
			diff_one(old, new, path, i++, (const uint8_t *)buf + off, n, c);
			off += n;
		}
	} else {
		diff_one(old, new, path, 0, (const uint8_t *)buf, len, c);
	}
	free(buf);
	return true;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: yara-rules-diff OLD.yar NEW.yar INPUTS...\n");
		return 2;
	}
	if (yr_initialize() != ERROR_SUCCESS) return 2;
	YR_RULES *old = diff_compile(argv[1]), *new = diff_compile(argv[2]);
	if (!old || !new) return 2;
	diff_count c = {0};
	bool read_all = true;
	for (int i = 3; i < argc; i++) read_all &= diff_file(old, new, argv[i], &c);
	printf("%lu inputs, %lu rule matches (old rules), %lu differ, %lu scan errors\n", c.inputs,
	       c.matches, c.differ, c.errors);
	yr_rules_destroy(old);
	yr_rules_destroy(new);
	yr_finalize();
	return c.differ || c.errors || !read_all ? 1 : 0;
}
