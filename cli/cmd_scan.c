/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* `mscan scan` and `mscan dis`. */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mscan/mscan.h"
#include "scanner/limits.h" /* caps only: constants, no private interface */
#include "walk.h"

#define SCAN_DEFAULT_JOBS_MAX 8 /* more threads than this gain little on small files */

static const char scan_usage[] =
	"usage: mscan scan [OPTIONS] PATH...\n"
	"Scan model files and folders (recursively) for code that loading them would run.\n"
	"Nothing is executed or imported. Formats are recognised by content.\n\n"
	"  -f, --format text|json|sarif  output format (default text)\n"
	"  -o, --output FILE             write the report to FILE instead of stdout\n"
	"      --fail-on SEVERITY        exit 1 at or above: info|low|medium|high|critical\n"
	"                                (default high)\n"
	"      --list-globals            list every global the pickles resolve\n"
	"      --weights-only            also flag what torch.load(weights_only=True) refuses\n"
	"      --policy FILE             extra allowed/denied globals, severity overrides (JSON)\n"
	"      --rules PATH              extra YARA rules (file or folder; repeatable)\n"
	"      --no-yara                 do not run YARA rules\n"
	"      --yara-all-bytes          also run YARA over tensor payloads\n"
	"  -j, --jobs N                  scan N files in parallel (default: the CPUs mscan may\n"
	"                                run on, at most 8)\n"
	"      --include GLOB            in folders, only scan files matching GLOB (repeatable)\n"
	"      --exclude GLOB            in folders, skip files and folders matching GLOB\n"
	"  -q, --quiet                   findings and errors only\n"
	"  -v, --verbose                 also clean files and info findings\n"
	"  -h, --help                    this help\n\n"
	"Exit status: 0 clean, 1 findings at or above --fail-on (they win over errors),\n"
	"2 an error (unreadable, malformed or unscannable input, usage).\n";

static const char dis_usage[] =
	"usage: mscan dis [OPTIONS] FILE...\n"
	"Show the pickle stream(s) in FILE opcode by opcode, with resolved globals, memo\n"
	"references and the calls loading would make: the evidence behind a verdict.\n\n"
	"      --policy FILE   extra allowed/denied globals (JSON)\n"
	"  -h, --help          this help\n\n"
	"Exit status as for 'mscan scan'.\n";

typedef struct scan_cfg {
	ms_scan_opts opts;
	ms_report_opts report;
	ms_report_format format;
	const char *output;
	const char *policy;
	const char *rules[MS_MAX_OPT_REPEATS];
	size_t nrules;
	const char *include[MS_MAX_OPT_REPEATS], *exclude[MS_MAX_OPT_REPEATS];
	size_t ninclude, nexclude;
	unsigned jobs;
} scan_cfg;

typedef struct scan_pool {
	const ms_ctx *ctx;
	walk_list *files;
	ms_result **results;
	atomic_size_t next, done;
	atomic_int nomem;
} scan_pool;

/* The CPUs this process may run on (its affinity mask), at most SCAN_DEFAULT_JOBS_MAX. */
static unsigned scan_default_jobs(void)
{
	cpu_set_t set;
	int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
	if (n < 1) n = 1;
	return n > SCAN_DEFAULT_JOBS_MAX ? SCAN_DEFAULT_JOBS_MAX : (unsigned)n;
}

static void *scan_worker(void *arg)
{
	scan_pool *p = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->files->n) break;
		if (ms_scan_file(p->ctx, p->files->paths[i], &p->results[i]) != MS_OK)
			atomic_store(&p->nomem, 1);
		atomic_fetch_add(&p->done, 1);
	}
	return NULL;
}

/* Runs the pool; a progress line on stderr only when it is a terminal. */
static int scan_run(scan_pool *p, unsigned jobs, int quiet)
{
	pthread_t tids[MS_MAX_JOBS];
	unsigned started = 0;
	int tty = !quiet && isatty(STDERR_FILENO) && p->files->n > 1;
	/* One job and no progress line: scan on this thread (a thread costs a stack and a malloc
	 * arena, more than a small file's scan). */
	for (unsigned t = 0; t < jobs && (jobs > 1 || tty); t++)
		if (pthread_create(&tids[t], NULL, scan_worker, p) == 0) started++;
	if (started == 0) scan_worker(p);
	while (tty && atomic_load(&p->done) < p->files->n) {
		fprintf(stderr, "\rmscan: %zu/%zu files", atomic_load(&p->done), p->files->n);
		usleep(100000);
	}
	for (unsigned t = 0; t < started; t++) pthread_join(tids[t], NULL);
	if (tty) fprintf(stderr, "\r\033[K");
	return atomic_load(&p->nomem) ? -1 : 0;
}

static int scan_parse(int argc, char **argv, scan_cfg *c)
{
	enum { O_FAIL_ON = 256, O_LIST, O_WO, O_POLICY, O_RULES, O_NO_YARA, O_YARA_ALL,
	       O_INCLUDE, O_EXCLUDE };
	static const struct option longopts[] = {
		{"exclude", required_argument, NULL, O_EXCLUDE},
		{"fail-on", required_argument, NULL, O_FAIL_ON},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"include", required_argument, NULL, O_INCLUDE},
		{"jobs", required_argument, NULL, 'j'},
		{"list-globals", no_argument, NULL, O_LIST},
		{"no-yara", no_argument, NULL, O_NO_YARA},
		{"output", required_argument, NULL, 'o'},
		{"policy", required_argument, NULL, O_POLICY},
		{"quiet", no_argument, NULL, 'q'},
		{"rules", required_argument, NULL, O_RULES},
		{"verbose", no_argument, NULL, 'v'},
		{"weights-only", no_argument, NULL, O_WO},
		{"yara-all-bytes", no_argument, NULL, O_YARA_ALL},
		{NULL, 0, NULL, 0},
	};
	int seen_fmt = 0, seen_fail = 0, ch, rc;
	c->report.fail_on = MS_SEV_HIGH;
	c->jobs = scan_default_jobs();
	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:ho:j:qv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': fputs(scan_usage, stdout); return 0;
		case 'f':
			if ((rc = cli_opt_format(optarg, &seen_fmt, &c->format)) >= 0) return rc;
			break;
		case 'o':
			if (c->output) return cli_usage_error("--output given twice");
			c->output = optarg;
			break;
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > MS_MAX_JOBS)
				return cli_usage_error("--jobs wants a number from 1 to %d", MS_MAX_JOBS);
			c->jobs = (unsigned)v;
			break;
		}
		case 'q': c->report.quiet = 1; break;
		case 'v': c->report.verbose = 1; break;
		case O_FAIL_ON:
			if ((rc = cli_opt_fail_on(optarg, &seen_fail, &c->report.fail_on)) >= 0) return rc;
			break;
		case O_LIST: c->report.list_globals = 1; break;
		case O_WO: c->opts.weights_only = 1; break;
		case O_POLICY:
			if (c->policy) return cli_usage_error("--policy given twice");
			c->policy = optarg;
			break;
		case O_RULES:
			if (c->nrules == MS_MAX_OPT_REPEATS) return cli_usage_error("too many --rules");
			c->rules[c->nrules++] = optarg;
			break;
		case O_NO_YARA: c->opts.no_yara = 1; break;
		case O_YARA_ALL: c->opts.yara_all_bytes = 1; break;
		case O_INCLUDE:
			if (c->ninclude == MS_MAX_OPT_REPEATS) return cli_usage_error("too many --include");
			c->include[c->ninclude++] = optarg;
			break;
		case O_EXCLUDE:
			if (c->nexclude == MS_MAX_OPT_REPEATS) return cli_usage_error("too many --exclude");
			c->exclude[c->nexclude++] = optarg;
			break;
		default: return cli_usage_error("bad option for 'scan'");
		}
	}
	if (c->report.quiet && c->report.verbose) return cli_usage_error("--quiet and --verbose conflict");
	if (c->opts.no_yara && (c->nrules || c->opts.yara_all_bytes))
		return cli_usage_error("--no-yara conflicts with --rules and --yara-all-bytes");
	if (optind >= argc) return cli_usage_error("scan: no PATH given");
	c->opts.no_globals = !c->report.list_globals;
	/* mscan exits after the report: its exit unmaps every file at once, which costs less than
	 * a munmap each, and no munmap interrupts the other scan threads. */
	c->opts.keep_mappings = MS_MAPPINGS_UNTIL_EXIT;
	return -1; /* go on */
}

/* What a scan built is left to the process's exit, which main() reaches right after the
 * report: freeing it would be work for nothing (libyara's rules alone are ~2400 blocks, a
 * sixth of a small file's scan, and every result is its own few). Held here, reachable, so
 * that leak checkers do not count it as lost; volatile, or the compiler drops the stores to
 * a variable nothing reads. */
static volatile struct {
	ms_ctx *ctx;
	ms_result **rs;
	walk_list files;
} scan_left_to_exit;

static int scan_files(scan_cfg *c, char **paths, size_t npaths, int dis)
{
	ms_ctx *ctx = NULL;
	walk_list files = {0};
	ms_result **rs = NULL;
	FILE *out = stdout;
	size_t walk_errors = 0;
	int status = cli_ctx_new(&c->opts, c->policy, c->rules, c->nrules, &ctx);
	if (status) goto out;
	status = CLI_EXIT_ERROR;
	walk_opts wo = {c->include, c->ninclude, c->exclude, c->nexclude};
	if (walk_collect(paths, npaths, &wo, &files, &walk_errors) != 0) {
		cli_warn("out of memory");
		goto out;
	}
	rs = calloc(files.n ? files.n : 1, sizeof *rs);
	if (!rs) goto out;
	scan_pool pool = {.ctx = ctx, .files = &files, .results = rs};
	unsigned jobs = c->jobs < files.n ? c->jobs : (unsigned)(files.n ? files.n : 1);
	if (scan_run(&pool, jobs, c->report.quiet) != 0) {
		cli_warn("out of memory");
		goto out;
	}
	/* Diagnostics on stderr, unless the text report on stdout already carries them. */
	for (size_t i = 0; (c->format != MS_REPORT_TEXT || c->output) && i < files.n; i++) {
		const ms_error *err = ms_result_error(rs[i]);
		if (err->code != MS_OK) cli_warn("%s: %s", files.paths[i], err->message);
	}
	if (c->output && !(out = fopen(c->output, "w"))) {
		cli_warn("%s: cannot write: %m", c->output);
		out = stdout;
		goto out;
	}
	if (dis) {
		for (size_t i = 0; i < files.n; i++) {
			if (files.n > 1) fprintf(out, "==> %s <==\n", files.paths[i]);
			fputs(ms_result_disassembly(rs[i]), out);
		}
		c->report.quiet = 0;
		fputs("\n", out);
	}
	if (ms_report_write(out, c->format, (const ms_result *const *)rs, files.n, &c->report) != MS_OK) {
		cli_warn("%s: write failed", c->output ? c->output : "stdout");
		goto out;
	}
	status = cli_exit_status(rs, files.n, c->report.fail_on, walk_errors > 0);
out:
	if (out != stdout && fclose(out) != 0) {
		cli_warn("%s: write failed: %m", c->output);
		status = CLI_EXIT_ERROR;
	}
	scan_left_to_exit.ctx = ctx;
	scan_left_to_exit.rs = rs;
	scan_left_to_exit.files = files;
	return status;
}

int cmd_scan(int argc, char **argv)
{
	scan_cfg c = {0};
	int rc = scan_parse(argc, argv, &c);
	if (rc >= 0) return rc;
	return scan_files(&c, argv + optind, (size_t)(argc - optind), 0);
}

int cmd_dis(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"policy", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	scan_cfg c = {0};
	c.report.fail_on = MS_SEV_HIGH;
	c.report.verbose = 1;
	c.opts.record_ops = 1;
	c.jobs = 1;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': fputs(dis_usage, stdout); return 0;
		case 'p':
			if (c.policy) return cli_usage_error("--policy given twice");
			c.policy = optarg;
			break;
		default: return cli_usage_error("bad option for 'dis'");
		}
	}
	if (optind >= argc) return cli_usage_error("dis: no FILE given");
	return scan_files(&c, argv + optind, (size_t)(argc - optind), 1);
}
