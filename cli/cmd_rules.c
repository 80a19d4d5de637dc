/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* `mscan rules list` and `mscan rules check`: what YARA rules are loaded, and the YARA rules
 * alone over whole files (every byte, tensor payloads included: the --yara-all-bytes view). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mscan/mscan.h"
#include "scanner/limits.h" /* caps only: constants, no private interface */
#include "walk.h"

static const char rules_usage[] =
	"usage: mscan rules list [--rules PATH]...\n"
	"       mscan rules check [--rules PATH]... [--kind KIND] [--fail-on SEVERITY]\n"
	"                         [-f text|json|sarif] FILE|DIR...\n"
	"List the YARA rules mscan runs (built-in plus --rules), or run only those rules over\n"
	"whole files, every byte included (no format parsing: the --yara-all-bytes view).\n\n"
	"      --rules PATH         extra YARA rules (file or folder of *.yar/*.yara; repeatable)\n"
	"      --kind KIND          what rules are told the bytes are: pickle, pickle-strings,\n"
	"                           member, metadata, data (default), or all (each in turn)\n"
	"      --fail-on SEVERITY   exit 1 at or above: info (default)|low|medium|high|critical\n"
	"  -f, --format FMT         check report format: text (default), json, sarif\n"
	"  -h, --help               this help\n\n"
	"Exit status: 0 no match (list: success), 1 a match at or above --fail-on,\n"
	"2 an error (unreadable file, broken rule, usage).\n";

static const char *const rules_kinds[] = {"pickle", "pickle-strings", "member", "metadata",
                                          "data"};
#define RULES_NKINDS (sizeof rules_kinds / sizeof rules_kinds[0])

typedef struct rules_cfg {
	const char *paths[MS_MAX_OPT_REPEATS];
	size_t npaths;
	const char *kind;
	ms_severity fail_on;
	ms_report_format format;
} rules_cfg;

static int rules_print(const ms_rule_info *r, void *user)
{
	(void)user;
	printf("%-36s %-8s %-8s %s\n", r->id, ms_severity_name(r->severity),
	       r->builtin ? "built-in" : "user", r->description);
	return 0;
}

static int rules_list(const ms_ctx *ctx)
{
	printf("%-36s %-8s %-8s %s\n", "ID", "SEVERITY", "ORIGIN", "DESCRIPTION");
	size_t n = ms_rules_foreach(ctx, rules_print, NULL);
	fprintf(stderr, "mscan: %zu YARA rules loaded\n", n);
	return CLI_EXIT_CLEAN;
}

/* Scans one file under each kind; merges nothing: one result per (file, kind). */
static int rules_check_file(const ms_ctx *ctx, const char *path, const rules_cfg *c,
                            ms_result **rs, size_t *nrs)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cli_warn("%s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0) close(fd);
		return -1;
	}
	size_t len = (size_t)st.st_size;
	void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (map == MAP_FAILED) {
		cli_warn("%s: %s", path, strerror(errno));
		return -1;
	}
	if (len) madvise(map, len, MADV_SEQUENTIAL);
	int rc = 0;
	for (size_t k = 0; k < RULES_NKINDS; k++) {
		const char *kind = rules_kinds[k];
		if (strcmp(c->kind, "all") != 0 && strcmp(c->kind, kind) != 0) continue;
		if (ms_rules_scan_buffer(ctx, path, map ? map : (const void *)"", len, kind,
		                         &rs[(*nrs)]) != MS_OK) {
			cli_warn("out of memory");
			rc = -2;
			break;
		}
		(*nrs)++;
	}
	if (map) munmap(map, len);
	return rc;
}

static int rules_check(const ms_ctx *ctx, const rules_cfg *c, char **args, size_t nargs)
{
	walk_list files = {0};
	size_t walk_errors = 0, nrs = 0;
	ms_result **rs = NULL;
	int status = CLI_EXIT_ERROR, errors = 0;
	walk_opts wo = {0};
	if (walk_collect(args, nargs, &wo, &files, &walk_errors) != 0) {
		cli_warn("out of memory");
		goto out;
	}
	rs = calloc(files.n * RULES_NKINDS + 1, sizeof *rs);
	if (!rs) goto out;
	for (size_t i = 0; i < files.n; i++) {
		int r = rules_check_file(ctx, files.paths[i], c, rs, &nrs);
		if (r == -2) goto out;
		errors |= r != 0;
	}
	ms_report_opts ro = {.fail_on = c->fail_on, .verbose = 1};
	if (ms_report_write(stdout, c->format, (const ms_result *const *)rs, nrs, &ro) != MS_OK) {
		cli_warn("cannot write the report");
		goto out;
	}
	status = cli_exit_status(rs, nrs, c->fail_on, errors || walk_errors);
out:
	for (size_t i = 0; i < nrs; i++) ms_result_free(rs[i]);
	free(rs);
	walk_list_free(&files);
	return status;
}

static int rules_parse(int argc, char **argv, rules_cfg *c)
{
	enum { O_RULES = 256, O_KIND, O_FAIL_ON };
	static const struct option longopts[] = {
		{"fail-on", required_argument, NULL, O_FAIL_ON},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"kind", required_argument, NULL, O_KIND},
		{"rules", required_argument, NULL, O_RULES},
		{NULL, 0, NULL, 0},
	};
	int ch, seen_fmt = 0, seen_fail = 0, rc;
	c->kind = NULL;
	c->fail_on = MS_SEV_INFO;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': fputs(rules_usage, stdout); return 0;
		case 'f':
			if ((rc = cli_opt_format(optarg, &seen_fmt, &c->format)) >= 0) return rc;
			break;
		case O_FAIL_ON:
			if ((rc = cli_opt_fail_on(optarg, &seen_fail, &c->fail_on)) >= 0) return rc;
			break;
		case O_KIND: {
			if (c->kind) return cli_usage_error("--kind given twice");
			int known = !strcmp(optarg, "all");
			for (size_t k = 0; k < RULES_NKINDS; k++) known |= !strcmp(optarg, rules_kinds[k]);
			if (!known)
				return cli_usage_error("unknown kind '%s' (pickle, pickle-strings, member, "
				                       "metadata, data, all)", optarg);
			c->kind = optarg;
			break;
		}
		case O_RULES:
			if (c->npaths == MS_MAX_OPT_REPEATS) return cli_usage_error("too many --rules");
			c->paths[c->npaths++] = optarg;
			break;
		default: return cli_usage_error("bad option for 'rules'");
		}
	}
	if (!c->kind) c->kind = "data";
	return -1;
}

int cmd_rules(int argc, char **argv)
{
	if (argc < 2) return cli_usage_error("rules: want 'list' or 'check'");
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(rules_usage, stdout);
		return CLI_EXIT_CLEAN;
	}
	int list = !strcmp(sub, "list");
	if (!list && strcmp(sub, "check") != 0)
		return cli_usage_error("rules: unknown subcommand '%s' (list, check)", sub);
	rules_cfg c = {0};
	int st = rules_parse(argc - 1, argv + 1, &c);
	if (st >= 0) return st;
	int nargs = argc - 1 - optind;
	if (list && nargs > 0) return cli_usage_error("rules list: takes no FILE");
	if (!list && nargs <= 0) return cli_usage_error("rules check: no FILE or DIR given");

	ms_scan_opts opts = {.yara_all_bytes = 1};
	ms_ctx *ctx = NULL;
	st = cli_ctx_new(&opts, NULL, c.paths, c.npaths, &ctx);
	if (st == 0)
		st = list ? rules_list(ctx) : rules_check(ctx, &c, argv + 1 + optind, (size_t)nargs);
	ms_ctx_free(ctx);
	return st;
}
