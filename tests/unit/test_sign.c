/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Signing: key files (mode, exclusivity, format), file and folder signatures, tampering. */
#include "test.h"

#include <sys/stat.h>
#include <unistd.h>

static char t_dir[64];

static void t_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", t_dir, name);
}

static void t_write(const char *name, const char *text)
{
	char p[256];
	t_path(p, sizeof p, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(t_dir, sizeof t_dir, "/tmp/mscan-test-sign-XXXXXX");
	return mkdtemp(t_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_keygen_files(void **state)
{
	(void)state;
	char pub[256], sec[256], id[17];
	ms_error msg;
	t_path(pub, sizeof pub, "k.pub");
	t_path(sec, sizeof sec, "k.key");
	assert_int_equal(ms_sign_keygen(pub, sec, NULL, 0, id, &msg), MS_OK);
	assert_int_equal(strlen(id), 16);
	struct stat st;
	assert_int_equal(stat(sec, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ms_sign_keygen(pub, sec, NULL, 0, id, &msg), MS_ERR_IO);
	FILE *f = fopen(pub, "r");
	char line[256];
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	char want[128];
	snprintf(want, sizeof want, "untrusted comment: minisign public key %s\n", id);
	assert_string_equal(line, want);
	ms_err rc = ms_sign_keygen(pub, sec, NULL, 1, id, &msg);
	if (rc != MS_OK) fprintf(stderr, "%s\n", msg.message);
	assert_int_equal(rc, MS_OK);
}

static void test_sign_verify_file(void **state)
{
	(void)state;
	char pub[256], sec[256], pub2[256], sec2[256], file[256], tc[256];
	ms_error msg;
	t_path(pub, sizeof pub, "a.pub");
	t_path(sec, sizeof sec, "a.key");
	t_path(pub2, sizeof pub2, "b.pub");
	t_path(sec2, sizeof sec2, "b.key");
	t_path(file, sizeof file, "data.txt");
	assert_int_equal(ms_sign_keygen(pub, sec, NULL, 0, NULL, &msg), MS_OK);
	assert_int_equal(ms_sign_keygen(pub2, sec2, NULL, 0, NULL, &msg), MS_OK);
	t_write("data.txt", "the weights");
	assert_int_equal(ms_sign_path(file, sec, NULL, "hello\tworld", &msg), MS_OK);
	assert_int_equal(ms_sign_verify(file, pub, tc, sizeof tc, &msg), MS_OK);
	assert_string_equal(tc, "hello\tworld");
	assert_int_equal(ms_sign_verify(file, pub2, NULL, 0, &msg), MS_ERR_MISMATCH);
	assert_non_null(strstr(msg.message, "signed by key"));
	t_write("data.txt", "the weightz");
	assert_int_equal(ms_sign_verify(file, pub, NULL, 0, &msg), MS_ERR_MISMATCH);
	/* trusted comments are one printable line */
	assert_int_equal(ms_sign_path(file, sec, NULL, "two\nlines", &msg), MS_ERR_ARG);
	/* a key file that is not one */
	assert_int_equal(ms_sign_path(file, file, NULL, NULL, &msg), MS_ERR_MALFORMED);
}

static void test_sign_folder_manifest(void **state)
{
	(void)state;
	char pub[256], sec[256], dir[256];
	ms_error msg;
	t_path(pub, sizeof pub, "f.pub");
	t_path(sec, sizeof sec, "f.key");
	t_path(dir, sizeof dir, "model");
	assert_int_equal(ms_sign_keygen(pub, sec, NULL, 0, NULL, &msg), MS_OK);
	assert_int_equal(mkdir(dir, 0755), 0);
	t_write("model/a.safetensors", "aaaa");
	t_write("model/b.safetensors", "bbbb");
	assert_int_equal(ms_sign_path(dir, sec, NULL, NULL, &msg), MS_OK);
	assert_int_equal(ms_sign_verify(dir, pub, NULL, 0, &msg), MS_OK);
	/* swap two files of equal size */
	char a[256], b[256], t[256];
	t_path(a, sizeof a, "model/a.safetensors");
	t_path(b, sizeof b, "model/b.safetensors");
	t_path(t, sizeof t, "model/t");
	assert_int_equal(rename(a, t), 0);
	assert_int_equal(rename(b, a), 0);
	assert_int_equal(rename(t, b), 0);
	assert_int_equal(ms_sign_verify(dir, pub, NULL, 0, &msg), MS_ERR_MISMATCH);
	assert_int_equal(rename(a, t), 0);
	assert_int_equal(rename(b, a), 0);
	assert_int_equal(rename(t, b), 0);
	assert_int_equal(ms_sign_verify(dir, pub, NULL, 0, &msg), MS_OK);
	t_write("model/c.bin", "new");
	assert_int_equal(ms_sign_verify(dir, pub, NULL, 0, &msg), MS_ERR_MISMATCH);
	assert_non_null(strstr(msg.message, "c.bin: not in the signed manifest"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_files),
		cmocka_unit_test(test_sign_verify_file),
		cmocka_unit_test(test_sign_folder_manifest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
