/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* mscan convert: PyTorch checkpoint -> verified (optionally signed) safetensors. The input is
 * scanned first; findings at or above high refuse the conversion unless --force. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_convert.h"
#include "mscan/mscan.h"

#define CONV_MAX_META 256

static bool conv_line_open; /* a progress line is on the terminal */

/* SIGINT/SIGTERM/SIGHUP during ms_convert: the handler asks the library to stop (it removes
 * its temporary), then the process dies of the signal as it would have without a handler. */
static volatile sig_atomic_t conv_cancel;  /* the signal that arrived, 0 for none */
static volatile sig_atomic_t conv_running; /* inside ms_convert: the flag is polled */
static const int conv_sigs[] = {SIGINT, SIGTERM, SIGHUP};

static void conv_die(int sig)
{
	signal(sig, SIG_DFL);
	raise(sig);
}

static void conv_on_signal(int sig)
{
	if (!conv_cancel) conv_cancel = sig;
	if (!conv_running) conv_die(sig);
}

/* Installs the handlers (and ignores SIGXFSZ, so that a file size limit is an EFBIG error
 * with a message rather than a silent death). */
static void conv_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = conv_on_signal;
	for (size_t i = 0; i < sizeof conv_sigs / sizeof conv_sigs[0]; i++)
		sigaction(conv_sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &sa, NULL);
}

static void conv_line_clear(void)
{
	if (conv_line_open) fputs("\r\033[K", stderr);
	conv_line_open = false;
}

/* The progress line: on a terminal only, at most ten updates a second, erased at the end. */
static void conv_progress(void *ud, const char *stage, uint64_t done, uint64_t total)
{
	static struct timespec last;
	struct timespec now;
	(void)ud;
	clock_gettime(CLOCK_MONOTONIC, &now);
	bool writing = strcmp(stage, "writing") == 0;
	if (writing && done < total &&
	    (now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec) < 100000000L)
		return;
	last = now;
	if (writing)
		fprintf(stderr, "\rmscan: writing %3u%% (%llu of %llu MB)\033[K",
		        total ? (unsigned)(done * 100 / total) : 100u, (unsigned long long)(done >> 20),
		        (unsigned long long)(total >> 20));
	else
		fprintf(stderr, "\rmscan: %s\033[K", stage);
	conv_line_open = true;
}

static void conv_notice(void *ud, const char *msg)
{
	conv_line_clear();
	(void)ud;
	fprintf(stderr, "mscan: notice: %s\n", msg);
}

/* Scans every checkpoint file of input; returns 0 ok, 1 refused, 2 error. */
static int conv_scan_one(ms_ctx *ctx, const char *path, int force)
{
	ms_result *r = NULL;
	if (ms_scan_file(ctx, path, &r) != MS_OK) {
		cli_warn("%s: out of memory while scanning", path);
		return CLI_EXIT_ERROR;
	}
	int status = 0;
	if (ms_result_max_severity(r) >= MS_SEV_HIGH) {
		for (size_t i = 0; i < ms_result_count(r); i++) {
			const ms_finding *f = ms_result_get(r, i);
			if (f->severity >= MS_SEV_HIGH)
				cli_warn("%s: %s %s: %s", path, ms_severity_name(f->severity), f->rule_id,
				         f->message);
		}
		if (force) {
			cli_warn("%s: converting despite the findings above (--force); nothing in it is "
			         "executed", path);
		} else {
			cli_warn("%s: refused: the scan found code that loading would run (use --force to "
			         "convert the tensors anyway)", path);
			status = CLI_EXIT_FINDINGS;
		}
	}
	ms_result_free(r);
	return status;
}

static int conv_scan(const char *input, int force)
{
	ms_scan_opts so = {0};
	ms_ctx *ctx = NULL;
	if (ms_ctx_new(&so, &ctx) != MS_OK) {
		cli_warn("cannot set up the scanner: %s", ctx ? ms_ctx_error(ctx)->message : "out of memory");
		ms_ctx_free(ctx);
		return CLI_EXIT_ERROR;
	}
	int status = 0;
	struct stat st;
	if (stat(input, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* The shards named by the index are scanned by convert's own reader list; here, every
		 * .bin/.pt/.pth file in the folder. */
		char cmd[64];
		(void)cmd;
		FILE *idx = NULL;
		char ip[4200];
		snprintf(ip, sizeof ip, "%s/pytorch_model.bin.index.json", input);
		idx = fopen(ip, "r");
		if (idx) {
			/* Scan the files the index names (values of weight_map): cheap text scan for
			 * "...bin" strings is enough here; convert reads the index strictly itself. */
			char line[8192];
			char seen[64][512];
			size_t ns = 0;
			while (fgets(line, sizeof line, idx)) {
				char *q = strrchr(line, '"');
				if (!q) continue;
				*q = 0;
				char *p = strrchr(line, '"');
				if (!p || strchr(p + 1, '/') || !strstr(p + 1, ".bin")) continue;
				p++;
				int dup = 0;
				for (size_t i = 0; i < ns; i++)
					if (!strcmp(seen[i], p)) dup = 1;
				if (dup || strlen(p) >= sizeof seen[0]) continue;
				if (ns < 64) snprintf(seen[ns++], sizeof seen[0], "%s", p);
				char fp[4800];
				snprintf(fp, sizeof fp, "%s/%s", input, p);
				int s = conv_scan_one(ctx, fp, force);
				if (s > status) status = s;
			}
			fclose(idx);
		}
	} else {
		status = conv_scan_one(ctx, input, force);
	}
	ms_ctx_free(ctx);
	return status;
}

int cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = {
		{"byteorder", required_argument, NULL, 'b'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"key", required_argument, NULL, 'k'},
		{"metadata", required_argument, NULL, 'm'},
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"shard-size", required_argument, NULL, 'S'},
		{"sign", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *meta[CONV_MAX_META];
	ms_convert_opts o = {0};
	int c, quiet = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:fhk:m:o:qS:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (o.byteorder) return cli_usage_error("convert: --byteorder given twice");
			if (!strcmp(optarg, "little")) o.byteorder = 1;
			else if (!strcmp(optarg, "big")) o.byteorder = 2;
			else return cli_usage_error("convert: --byteorder must be little or big");
			break;
		case 'f': o.force = 1; break;
		case 'k':
			if (o.key) return cli_usage_error("convert: --key given twice");
			o.key = optarg;
			break;
		case 'm':
			if (o.nmetadata == CONV_MAX_META) return cli_usage_error("convert: too many --metadata");
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return cli_usage_error("convert: --metadata %s: expected KEY=VALUE", optarg);
			meta[o.nmetadata++] = optarg;
			break;
		case 'o':
			if (out) return cli_usage_error("convert: -o given twice");
			out = optarg;
			break;
		case 'q': quiet = 1; break;
		case 'S':
			if (o.shard_size) return cli_usage_error("convert: --shard-size given twice");
			if (ms_parse_size(optarg, &o.shard_size) != MS_OK)
				return cli_usage_error("convert: --shard-size %s: expected a size like 5GB", optarg);
			break;
		case 's':
			if (o.sign_key) return cli_usage_error("convert: --sign given twice");
			o.sign_key = optarg;
			break;
		case 'h':
			printf("usage: mscan convert INPUT -o OUTPUT [options]\n\n"
			       "Converts a PyTorch checkpoint (zip or legacy format) to safetensors, or a\n"
			       "folder holding pytorch_model.bin.index.json and its shards to a folder of\n"
			       "model-0000K-of-0000N.safetensors files and model.safetensors.index.json.\n"
			       "Nothing is executed. The output is written to a hidden temporary next to\n"
			       "OUTPUT, verified bit for bit against the input, fsynced, then renamed.\n\n"
			       "  -o, --output PATH       output file (or folder for a sharded input)\n"
			       "  -k, --key KEY           convert the state dict nested under KEY\n"
			       "  -S, --shard-size SIZE   max shard size for folder output (default 5GB)\n"
			       "  -m, --metadata K=V      extra __metadata__ entry (repeatable)\n"
			       "  -s, --sign SECKEY       sign the output (minisign format; folder: manifest)\n"
			       "  -b, --byteorder little|big  override the byte order of the storages\n"
			       "  -f, --force             replace OUTPUT; convert despite high scan findings\n"
			       "  -q, --quiet             no notices\n\n"
			       "Exit status: 0 converted, 1 refused (scan findings) or self-check mismatch,\n"
			       "2 error (unsupported or malformed input, I/O error).\n");
			return CLI_EXIT_CLEAN;
		default: return cli_usage_error("convert: bad option");
		}
	}
	if (optind == argc) return cli_usage_error("convert: INPUT is required");
	if (argc - optind > 1) return cli_usage_error("convert: one INPUT at a time");
	if (!out) return cli_usage_error("convert: -o OUTPUT is required");
	const char *input = argv[optind];
	o.metadata = meta;
	o.notice = quiet ? NULL : conv_notice;
	bool tty = !quiet && isatty(STDERR_FILENO);
	o.progress = tty ? conv_progress : NULL;
	const char *pw = getenv("MSCAN_PASSWORD");
	o.password = pw && *pw ? pw : NULL;
	int s = conv_scan(input, o.force);
	if (s != CLI_EXIT_CLEAN) return s;
	ms_error msg;
	o.cancel = &conv_cancel;
	conv_signals();
	conv_running = 1;
	ms_err rc = ms_convert(input, out, &o, &msg);
	conv_running = 0;
	conv_line_clear();
	if (conv_cancel) conv_die(conv_cancel);
	if (rc != MS_OK) {
		cli_warn("%s", msg.message);
		return rc == MS_ERR_MISMATCH ? CLI_EXIT_FINDINGS : CLI_EXIT_ERROR;
	}
	if (!quiet) fprintf(stderr, "mscan: %s -> %s: converted and verified\n", input, out);
	return CLI_EXIT_CLEAN;
}
