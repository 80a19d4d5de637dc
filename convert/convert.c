/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/*
 * ms_convert / ms_verify: inputs (one checkpoint, or a folder with pytorch_model.bin.index.json
 * and its shards), outputs (one safetensors file, or a folder of model-0000K-of-0000N.safetensors
 * plus model.safetensors.index.json in huggingface_hub's layout), and the atomic protocol:
 * hidden temporary file/folder next to OUTPUT -> write -> verify (CPU) -> fsync -> sign ->
 * rename. A cancel (ms_convert_opts.cancel, set by the caller's signal handler) removes the
 * temporary; SIGKILL can leave only the hidden temporary, never OUTPUT. No signal handler,
 * no static state: conversions in threads are independent.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "conv_private.h"
#include "gpu_private.h"
#include "mscan/sign.h"

#define CV_INDEX_IN "pytorch_model.bin.index.json"
#define CV_INDEX_OUT "model.safetensors.index.json"
#define CV_MAX_SHARDS 100000u
#define CV_INDEX_MAX ((size_t)256 << 20)

/* ---- inputs ----------------------------------------------------------------------------- */

typedef struct cv_input {
	cv_source **s;
	size_t n;
} cv_input;

static void cv_input_free(cv_input *in)
{
	for (size_t i = 0; i < in->n; i++) cv_source_free(in->s[i]);
	free(in->s);
	memset(in, 0, sizeof *in);
}

static int cv_is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cv_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cv_notify(const ms_convert_opts *o, const char *fmt, ...) MS_PRINTF(2, 3);
static void cv_notify(const ms_convert_opts *o, const char *fmt, ...)
{
	if (!o || !o->notice) return;
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	o->notice(o->ud, buf);
}

static void cv_report_plan(const ms_convert_opts *o, const cv_source *s)
{
	for (size_t i = 0; i < s->plan.nnotices; i++) cv_notify(o, "%s: %s", s->path, s->plan.notices[i]);
	if (s->plan.nskipped) {
		char list[1024];
		size_t l = 0;
		list[0] = 0;
		for (size_t i = 0; i < s->plan.nskipped && i < 20; i++) {
			char nm[200];
			cv_printable(nm, sizeof nm, s->plan.skipped[i]);
			l += (size_t)snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", nm);
			if (l >= sizeof list) break;
		}
		cv_notify(o, "%s: %zu non-tensor entr%s not converted: %s%s", s->path, s->plan.nskipped,
		          s->plan.nskipped == 1 ? "y" : "ies", list, s->plan.nskipped > 20 ? ", ..." : "");
	}
}

static ms_err cv_open_inputs(const char *input, const ms_convert_opts *o, cv_input *in,
                             bool *folder, ms_error *err)
{
	memset(in, 0, sizeof *in);
	cv_src_opts so = {o ? o->key : NULL, o ? o->byteorder : 0};
	ms_error em;
	ms_error_clear(&em);
	ms_err rc = MS_OK;
	*folder = cv_is_dir(input);
	char **names = NULL;
	size_t nn = 0;
	cJSON *j = NULL;
	char *text = NULL;
	if (!*folder) {
		in->s = calloc(1, sizeof *in->s);
		if (!in->s) return MS_ERR_NOMEM;
		if ((rc = cv_source_open(input, &so, &in->s[0], &em)) != MS_OK) {
			cv_input_free(in);
			return cv_fail_in(err, rc, input, input, &em);
		}
		in->n = 1;
		cv_report_plan(o, in->s[0]);
		return MS_OK;
	}
	char ipath[4096];
	snprintf(ipath, sizeof ipath, "%s/%s", input, CV_INDEX_IN);
	if ((rc = cv_read_small(ipath, CV_INDEX_MAX, &text, NULL, err)) != MS_OK) {
		if (rc == MS_ERR_IO)
			rc = cv_fail(err, MS_ERR_ARG, "%s: a folder must hold " CV_INDEX_IN, input);
		return rc;
	}
	j = cJSON_Parse(text);
	const cJSON *wm = j ? cJSON_GetObjectItemCaseSensitive(j, "weight_map") : NULL;
	if (!cJSON_IsObject(wm)) {
		rc = cv_fail(err, MS_ERR_MALFORMED, "%s: no weight_map object", ipath);
		goto out;
	}
	size_t cnt = (size_t)cJSON_GetArraySize(wm);
	names = calloc(cnt ? cnt : 1, sizeof *names);
	if (!names) {
		rc = MS_ERR_NOMEM;
		goto out;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, wm)
	{
		if (!cJSON_IsString(it) || !it->valuestring[0] || strchr(it->valuestring, '/') ||
		    !strcmp(it->valuestring, ".") || !strcmp(it->valuestring, "..")) {
			rc = cv_fail(err, MS_ERR_MALFORMED, "%s: weight_map values must be file "
			             "names in the folder", ipath);
			goto out;
		}
		names[nn++] = it->valuestring;
	}
	if (nn > 1) qsort(names, nn, sizeof *names, cv_strcmp);
	size_t u = 0;
	for (size_t i = 0; i < nn; i++)
		if (!u || strcmp(names[u - 1], names[i]) != 0) names[u++] = names[i];
	if (u > CV_MAX_SHARDS) {
		rc = cv_fail(err, MS_ERR_LIMIT, "%s: too many shards", ipath);
		goto out;
	}
	in->s = calloc(u ? u : 1, sizeof *in->s);
	if (!in->s) {
		rc = MS_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < u; i++) {
		char sp[4096];
		snprintf(sp, sizeof sp, "%s/%s", input, names[i]);
		if ((rc = cv_source_open(sp, &so, &in->s[in->n], &em)) != MS_OK) {
			rc = cv_fail_in(err, rc, sp, sp, &em);
			goto out;
		}
		in->n++;
		cv_report_plan(o, in->s[i]);
	}
	/* The index must describe the shards: every listed tensor where it says. */
	cJSON_ArrayForEach(it, wm)
	{
		bool found = false;
		for (size_t i = 0; i < in->n && !found; i++) {
			const char *base = strrchr(in->s[i]->path, '/') + 1;
			if (strcmp(base, it->valuestring) != 0) continue;
			for (size_t k = 0; k < in->s[i]->plan.nt; k++)
				if (strcmp(in->s[i]->plan.t[k].name, it->string) == 0) found = true;
		}
		if (!found) cv_notify(o, "%s: %s is listed for %s but not found there", ipath, it->string,
		                      it->valuestring);
	}
out:
	free(names);
	cJSON_Delete(j);
	free(text);
	if (rc != MS_OK) cv_input_free(in);
	return rc;
}

/* ---- outputs ---------------------------------------------------------------------------- */

typedef struct cv_shard {
	cv_out_tensor *t;
	size_t n, cap;
	cv_kv *meta;
	size_t nmeta, capmeta;
	uint64_t bytes;
	char name[64];
} cv_shard;

static ms_err cv_meta_add(cv_shard *sh, const char *k, const char *v)
{
	if (!cv_grow((void **)&sh->meta, &sh->capmeta, sh->nmeta, sizeof *sh->meta)) return MS_ERR_NOMEM;
	sh->meta[sh->nmeta].k = strdup(k);
	sh->meta[sh->nmeta].v = strdup(v);
	if (!sh->meta[sh->nmeta].k || !sh->meta[sh->nmeta].v) return MS_ERR_NOMEM;
	sh->nmeta++;
	return MS_OK;
}

static bool cv_meta_has(const cv_shard *sh, const char *k)
{
	for (size_t i = 0; i < sh->nmeta; i++)
		if (strcmp(sh->meta[i].k, k) == 0) return true;
	return false;
}

static void cv_shards_free(cv_shard *sh, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sh[i].nmeta; k++) {
			free(sh[i].meta[k].k);
			free(sh[i].meta[k].v);
		}
		free(sh[i].meta);
		free(sh[i].t);
	}
	free(sh);
}

static ms_err cv_write_file(const char *path, cv_shard *sh, cv_progress *pg, ms_error *err)
{
	uint8_t *hdr = NULL;
	size_t hl = 0;
	ms_err rc = cv_st_layout(sh->t, sh->n, sh->meta, sh->nmeta, &hdr, &hl, err);
	if (rc != MS_OK) return rc;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		free(hdr);
		return cv_fail(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
	}
	rc = cv_st_write(fd, hdr, hl, sh->t, sh->n, pg, err);
	free(hdr);
	/* Start writeback now so the disk works while the output is verified; fsync after. */
	if (rc == MS_OK) sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (close(fd) != 0 && rc == MS_OK)
		rc = cv_fail(err, MS_ERR_IO, "close %s: %s", path, strerror(errno));
	return rc;
}

static ms_err cv_write_index(const char *path, cv_shard *sh, size_t nsh, ms_error *err)
{
	uint64_t total = 0;
	size_t nt = 0;
	for (size_t i = 0; i < nsh; i++) {
		total += sh[i].bytes;
		nt += sh[i].n;
	}
	const char **names = calloc(nt ? nt : 1, sizeof *names);
	const char **files = calloc(nt ? nt : 1, sizeof *files);
	ms_err rc = MS_OK;
	char *text = NULL;
	if (!names || !files) {
		rc = MS_ERR_NOMEM;
		goto out;
	}
	/* weight_map sorted by name, as transformers' save_pretrained writes it */
	size_t k = 0;
	for (size_t i = 0; i < nsh; i++)
		for (size_t j = 0; j < sh[i].n; j++) {
			names[k] = sh[i].t[j].t->name;
			files[k++] = sh[i].name;
		}
	for (size_t i = 1; i < nt; i++)
		for (size_t q = i; q > 0 && strcmp(names[q - 1], names[q]) > 0; q--) {
			const char *x = names[q]; names[q] = names[q - 1]; names[q - 1] = x;
			x = files[q]; files[q] = files[q - 1]; files[q - 1] = x;
		}
	/* json.dump(index, indent=2) layout, as huggingface_hub writes it */
	size_t cap = 128, len = 0;
	for (size_t i = 0; i < nt; i++) cap += 6 * strlen(names[i]) + strlen(files[i]) + 16;
	if (!(text = malloc(cap))) {
		rc = MS_ERR_NOMEM;
		goto out;
	}
	len += (size_t)snprintf(text, cap, "{\n  \"metadata\": {\n    \"total_size\": %llu\n  },\n"
	                        "  \"weight_map\": {", (unsigned long long)total);
	for (size_t i = 0; i < nt; i++) {
		cJSON *js = cJSON_CreateString(names[i]);
		char *esc = js ? cJSON_PrintUnformatted(js) : NULL;
		cJSON_Delete(js);
		if (!esc) {
			rc = MS_ERR_NOMEM;
			goto out;
		}
		len += (size_t)snprintf(text + len, cap - len, "%s\n    %s: \"%s\"", i ? "," : "", esc,
		                        files[i]);
		free(esc);
	}
	snprintf(text + len, cap - len, "%s}\n}", nt ? "\n  " : "");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = cv_fail(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!cv_write_full(fd, text, strlen(text)) || !cv_write_full(fd, "\n", 1) || fsync(fd) != 0)
		rc = cv_fail(err, MS_ERR_IO, "%s: %s", path, strerror(errno));
	close(fd);
out:
	free(text);
	free(names);
	free(files);
	return rc;
}

/* Assigns tensors to shards (whole input order, greedy as huggingface_hub's splitter: a tensor
 * that does not fit starts a new shard; one larger than the limit gets its own) and records
 * aliases in the metadata of the shard holding what they alias. */
static ms_err cv_plan_shards(cv_input *in, const ms_convert_opts *o, bool folder, cv_shard **out,
                             size_t *nout, ms_error *err)
{
	uint64_t limit = folder ? (o && o->shard_size ? o->shard_size : MS_CONVERT_DEFAULT_SHARD)
	                        : UINT64_MAX;
	size_t cap = 4, n = 0;
	cv_shard *sh = calloc(cap, sizeof *sh);
	if (!sh) return MS_ERR_NOMEM;
	ms_err rc = MS_OK;
	/* Global metadata: format plus --metadata, in every shard. */
	for (size_t s = 0; s < in->n; s++) {
		cv_source *src = in->s[s];
		for (size_t i = 0; i < src->plan.nt; i++) {
			cv_tensor *t = &src->plan.t[i];
			if (t->alias_of >= 0) continue;
			uint64_t b = cv_tensor_bytes(t);
			if (n == 0 || (sh[n - 1].n && sh[n - 1].bytes + b > limit)) {
				if (n == cap) {
					cv_shard *q = realloc(sh, 2 * cap * sizeof *sh);
					if (!q) {
						rc = MS_ERR_NOMEM;
						goto out;
					}
					sh = q;
					memset(sh + cap, 0, cap * sizeof *sh);
					cap *= 2;
				}
				n++;
			}
			cv_shard *cur = &sh[n - 1];
			if (!cv_grow((void **)&cur->t, &cur->cap, cur->n, sizeof *cur->t)) {
				rc = MS_ERR_NOMEM;
				goto out;
			}
			cur->t[cur->n++] = (cv_out_tensor){src, t, 0, 0};
			cur->bytes += b;
		}
	}
	if (n == 0) n = 1; /* an empty state dict still gives one (empty) file */
	for (size_t i = 0; i < n; i++) {
		if ((rc = cv_meta_add(&sh[i], "format", "pt")) != MS_OK) goto out;
		for (size_t m = 0; o && m < o->nmetadata; m++) {
			const char *kv = o->metadata[m], *eq = strchr(kv, '=');
			char k[1024];
			if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof k) {
				rc = cv_fail(err, MS_ERR_ARG, "--metadata %s: expected KEY=VALUE", kv);
				goto out;
			}
			snprintf(k, sizeof k, "%.*s", (int)(eq - kv), kv);
			if (cv_meta_has(&sh[i], k)) {
				rc = cv_fail(err, MS_ERR_ARG, "--metadata %s: key given twice or reserved", k);
				goto out;
			}
			if ((rc = cv_meta_add(&sh[i], k, eq + 1)) != MS_OK) goto out;
		}
		if (folder) snprintf(sh[i].name, sizeof sh[i].name, "model-%05zu-of-%05zu.safetensors",
		                     i + 1, n);
	}
	/* Aliases: "alias": "kept" in the shard of the kept tensor (HF convert.py); a name that
	 * collides with a metadata key is stored as its own copy instead. */
	for (size_t s = 0; s < in->n; s++) {
		cv_plan *p = &in->s[s]->plan;
		for (size_t i = 0; i < p->nt; i++) {
			cv_tensor *t = &p->t[i];
			if (t->alias_of < 0) continue;
			const cv_tensor *kept = &p->t[t->alias_of];
			cv_shard *home = NULL;
			for (size_t q = 0; q < n && !home; q++)
				for (size_t r = 0; r < sh[q].n; r++)
					if (sh[q].t[r].t == kept) {
						home = &sh[q];
						break;
					}
			if (!home) continue;
			if (!cv_meta_has(home, t->name)) {
				if ((rc = cv_meta_add(home, t->name, kept->name)) != MS_OK) goto out;
				cv_notify(o, "%s: shares its storage with %s; stored once, recorded in "
				          "__metadata__ as an alias", t->name, kept->name);
			} else {
				t->alias_of = -1;
				if (!cv_grow((void **)&home->t, &home->cap, home->n, sizeof *home->t)) {
					rc = MS_ERR_NOMEM;
					goto out;
				}
				home->t[home->n++] = (cv_out_tensor){in->s[s], t, 0, 0};
				home->bytes += cv_tensor_bytes(t);
				cv_notify(o, "%s: tied to %s but its name is a metadata key; stored as a copy",
				          t->name, kept->name);
			}
		}
	}
out:
	if (rc != MS_OK) {
		cv_shards_free(sh, cap);
		return rc;
	}
	*out = sh;
	*nout = n;
	/* shards beyond n were zeroed and hold nothing */
	for (size_t i = n; i < cap; i++) free(sh[i].t);
	return MS_OK;
}

static ms_err cv_open_outputs(const char *dir, cv_shard *sh, size_t n, const char *single,
                              cv_st_file ***out, ms_error *err)
{
	cv_st_file **f = calloc(n, sizeof *f);
	if (!f) return MS_ERR_NOMEM;
	ms_err rc = MS_OK;
	for (size_t i = 0; i < n; i++) {
		char p[4200];
		if (single) snprintf(p, sizeof p, "%s", single);
		else snprintf(p, sizeof p, "%s/%s", dir, sh[i].name);
		if ((rc = cv_st_open(p, &f[i], err)) != MS_OK) {
			for (size_t k = 0; k < i; k++) cv_st_close(f[k]);
			free(f);
			return rc;
		}
	}
	*out = f;
	return MS_OK;
}

static void cv_split_path(const char *path, char *dir, size_t dl, char *base, size_t bl)
{
	const char *s = strrchr(path, '/');
	if (!s) {
		snprintf(dir, dl, ".");
		snprintf(base, bl, "%s", path);
	} else {
		snprintf(dir, dl, "%.*s", s == path ? 1 : (int)(s - path), path);
		snprintf(base, bl, "%s", s + 1);
	}
}

static void cv_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static ms_err cv_rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) return MS_ERR_IO;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	return rmdir(dir) == 0 ? MS_OK : MS_ERR_IO;
}

/* Removes the temporary output (a file and its signature, or a folder); "" is none. */
static void cv_tmp_remove(char *tmp, bool is_dir)
{
	if (!tmp[0]) return;
	if (is_dir) {
		cv_rm_tree(tmp);
	} else {
		unlink(tmp);
		char sig[4200];
		snprintf(sig, sizeof sig, "%s" MS_SIGN_SUFFIX, tmp);
		unlink(sig);
	}
	tmp[0] = 0;
}

static ms_err cv_interrupted(const cv_progress *pg, ms_error *err)
{
	return cv_cancelled(pg) ? cv_fail(err, MS_ERR_IO, "interrupted") : MS_OK;
}

static ms_err cv_convert_run(const char *input, const char *output, const ms_convert_opts *o,
                             ms_error *err)
{
	cv_input in = {0};
	cv_shard *sh = NULL;
	size_t nsh = 0;
	cv_st_file **outs = NULL;
	bool folder = false;
	ms_err rc;
	char dir[4096], base[1024], tmp[4096] = "";

	if (!input || !output || !*output) return cv_fail(err, MS_ERR_ARG, "input and output required");
	struct stat ost;
	bool exists = lstat(output, &ost) == 0;
	if (exists && !(o && o->force))
		return cv_fail(err, MS_ERR_ARG, "%s: already exists (use --force to replace it)",
		               output);
	/* --force replaces OUTPUT; it must never be the input itself (a link to it is fine:
	 * the link is what gets replaced). */
	struct stat ist;
	if (exists && stat(input, &ist) == 0 && ist.st_dev == ost.st_dev && ist.st_ino == ost.st_ino)
		return cv_fail(err, MS_ERR_ARG, "%s: is the input; the input is never replaced",
		               output);
	if ((rc = cv_open_inputs(input, o, &in, &folder, err)) != MS_OK) return rc;
	if (exists && S_ISDIR(ost.st_mode) != folder) {
		rc = cv_fail(err, MS_ERR_ARG, "%s: exists and is %s", output,
		             folder ? "not a folder" : "a folder");
		goto out;
	}
	/* Names must be unique over all shards. */
	for (size_t a = 0; a < in.n; a++)
		for (size_t b = a + 1; b < in.n; b++)
			for (size_t i = 0; i < in.s[a]->plan.nt; i++)
				for (size_t j = 0; j < in.s[b]->plan.nt && in.n > 1; j++)
					if (strcmp(in.s[a]->plan.t[i].name, in.s[b]->plan.t[j].name) == 0) {
						rc = cv_fail(err, MS_ERR_MALFORMED, "tensor %s is in two shards "
						             "(%s and %s)", in.s[a]->plan.t[i].name, in.s[a]->path,
						             in.s[b]->path);
						goto out;
					}
	if ((rc = cv_plan_shards(&in, o, folder, &sh, &nsh, err)) != MS_OK) goto out;
	cv_progress pg = {o ? o->progress : NULL, o ? o->ud : NULL, 0, 0, o ? o->cancel : NULL};
	for (size_t i = 0; i < nsh; i++)
		for (size_t k = 0; k < sh[i].n; k++) pg.total += cv_tensor_bytes(sh[i].t[k].t);

	cv_split_path(output, dir, sizeof dir, base, sizeof base);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.mscan-tmp-XXXXXX", dir, base) >= sizeof tmp) {
		tmp[0] = 0;
		rc = cv_fail(err, MS_ERR_ARG, "%s: path too long", output);
		goto out;
	}
	MS_TRY(cv_interrupted(&pg, err));
	if (folder) {
		if (!mkdtemp(tmp)) {
			int e = errno;
			tmp[0] = 0;
			rc = cv_fail(err, MS_ERR_IO, "%s: cannot create a folder there: %s", dir,
			             strerror(e));
			goto out;
		}
		for (size_t i = 0; i < nsh; i++) {
			char p[4200];
			snprintf(p, sizeof p, "%s/%s", tmp, sh[i].name);
			if ((rc = cv_write_file(p, &sh[i], &pg, err)) != MS_OK) goto out;
		}
		char ip[4200];
		snprintf(ip, sizeof ip, "%s/%s", tmp, CV_INDEX_OUT);
		if ((rc = cv_write_index(ip, sh, nsh, err)) != MS_OK) goto out;
	} else {
		int fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			tmp[0] = 0;
			rc = cv_fail(err, MS_ERR_IO, "%s: cannot create a file there: %s", dir,
			             strerror(e));
			goto out;
		}
		close(fd);
		unlink(tmp); /* recreated exclusively by cv_write_file */
		if ((rc = cv_write_file(tmp, &sh[0], &pg, err)) != MS_OK) goto out;
	}
	/* Verify what is on disk against the input, on the CPU, before anything is renamed. */
	MS_TRY(cv_interrupted(&pg, err));
	cv_progress_stage(&pg, "verifying");
	ms_error vm;
	ms_error_clear(&vm);
	if ((rc = cv_open_outputs(tmp, sh, nsh, folder ? NULL : tmp, &outs,
	                          &vm)) != MS_OK ||
	    (rc = cv_verify(in.s, in.n, outs, nsh, CV_DEV_CPU, pg.cancel, &vm)) != MS_OK) {
		rc = cv_fail_in(err, rc, NULL, "self-check of the output failed", &vm);
		goto out;
	}
	for (size_t i = 0; i < nsh; i++)
		if (fsync(outs[i]->fd) != 0) {
			rc = cv_fail(err, MS_ERR_IO, "fsync %s: %s", outs[i]->path, strerror(errno));
			goto out;
		}
	if (o && o->sign_key) {
		char tc[1400], safe[1100];
		cv_printable(safe, sizeof safe, folder ? MS_SIGN_MANIFEST : base);
		snprintf(tc, sizeof tc, "timestamp:%llu\tfile:%s\thashed\ttool:mscan/" MSCAN_VERSION,
		         (unsigned long long)time(NULL), safe);
		if ((rc = ms_sign_path(tmp, o->sign_key, o->password, tc, err)) != MS_OK)
			goto out;
	}
	if (folder) cv_fsync_dir(tmp);
	/* Publish, unless cancelled: a signal after this point leaves the complete OUTPUT. */
	MS_TRY(cv_interrupted(&pg, err));
	if (folder) {
		char aside[6000] = "";
		if (exists) {
			snprintf(aside, sizeof aside, "%s/.%s.mscan-old-XXXXXX", dir, base);
			if (!mkdtemp(aside) || rename(output, aside) != 0) {
				rc = cv_fail(err, MS_ERR_IO, "%s: cannot move the old output aside: %s",
				             output, strerror(errno));
				if (aside[0]) rmdir(aside);
				goto out;
			}
		}
		if (rename(tmp, output) != 0) {
			rc = cv_fail(err, MS_ERR_IO, "rename to %s: %s", output, strerror(errno));
			if (exists) rename(aside, output);
			goto out;
		}
		tmp[0] = 0;
		if (exists) cv_rm_tree(aside);
	} else {
		char sig_tmp[4200], sig_out[4200];
		snprintf(sig_tmp, sizeof sig_tmp, "%s" MS_SIGN_SUFFIX, tmp);
		snprintf(sig_out, sizeof sig_out, "%s" MS_SIGN_SUFFIX, output);
		if (rename(tmp, output) != 0) {
			rc = cv_fail(err, MS_ERR_IO, "rename to %s: %s", output, strerror(errno));
			goto out;
		}
		if (o && o->sign_key && rename(sig_tmp, sig_out) != 0) {
			/* Keep the promise: no unsigned OUTPUT when a signature was asked for. */
			unlink(output);
			rc = cv_fail(err, MS_ERR_IO, "rename to %s: %s", sig_out, strerror(errno));
			goto out;
		}
		if (!(o && o->sign_key)) unlink(sig_out); /* a stale signature would now be wrong */
		tmp[0] = 0;
	}
	cv_fsync_dir(dir);
	rc = MS_OK;
out:
	cv_tmp_remove(tmp, folder);
	if (outs)
		for (size_t i = 0; i < nsh; i++) cv_st_close(outs[i]);
	free(outs);
	if (sh) cv_shards_free(sh, nsh);
	cv_input_free(&in);
	return rc;
}

ms_err ms_convert(const char *input, const char *output, const ms_convert_opts *o, ms_error *err)
{
	ms_error_clear(err);
	return cv_done(err, cv_convert_run(input, output, o, err));
}

/* ---- verify ----------------------------------------------------------------------------- */

static ms_err cv_verify_run(const char *converted, const char *original, ms_device dev,
                            const ms_convert_opts *o, ms_error *err)
{
	cv_input in = {0};
	bool folder = false;
	cv_st_file **outs = NULL;
	size_t nout = 0;
	char **names = NULL;
	ms_err rc = cv_open_inputs(original, o, &in, &folder, err);
	if (rc != MS_OK) return rc;
	cv_dev d = CV_DEV_CPU;
	if (dev != MS_DEVICE_CPU) {
		char why[256];
		if (ms_gpu_available(why, sizeof why)) {
			d = CV_DEV_CUDA;
			cv_notify(o, "comparing on the GPU (%s)", ms_gpu_backend());
		} else if (dev == MS_DEVICE_CUDA) {
			rc = cv_fail(err, MS_ERR_UNSUPPORTED, "--device cuda: %s", why);
			goto out;
		} else {
			cv_notify(o, "no GPU available (%s); comparing on the CPU", why);
		}
	}
	if (cv_is_dir(converted)) {
		/* Shards: those named in the index, else every *.safetensors file of the folder. */
		char ip[4200];
		snprintf(ip, sizeof ip, "%s/%s", converted, CV_INDEX_OUT);
		char *text = NULL;
		size_t cap = 0;
		if (cv_read_small(ip, CV_INDEX_MAX, &text, NULL, NULL) == MS_OK) {
			cJSON *j = cJSON_Parse(text);
			const cJSON *wm = j ? cJSON_GetObjectItemCaseSensitive(j, "weight_map") : NULL, *it;
			cJSON_ArrayForEach(it, wm)
			{
				if (!cJSON_IsString(it) || strchr(it->valuestring, '/')) continue;
				if (!cv_grow((void **)&names, &cap, nout, sizeof *names)) break;
				names[nout++] = strdup(it->valuestring);
			}
			cJSON_Delete(j);
			free(text);
			if (!wm) {
				rc = cv_fail(err, MS_ERR_MALFORMED, "%s: no weight_map", ip);
				goto out;
			}
		} else {
			DIR *dd = opendir(converted);
			struct dirent *e;
			while (dd && (e = readdir(dd)) != NULL) {
				size_t l = strlen(e->d_name);
				if (l > 12 && strcmp(e->d_name + l - 12, ".safetensors") == 0 &&
				    cv_grow((void **)&names, &cap, nout, sizeof *names))
					names[nout++] = strdup(e->d_name);
			}
			if (dd) closedir(dd);
		}
		if (nout > 1) qsort(names, nout, sizeof *names, cv_strcmp);
		size_t u = 0;
		for (size_t i = 0; i < nout; i++) {
			if (!names[i]) {
				rc = MS_ERR_NOMEM;
				goto out;
			}
			if (u && strcmp(names[u - 1], names[i]) == 0) {
				free(names[i]);
				continue;
			}
			names[u++] = names[i];
		}
		nout = u;
		outs = calloc(nout ? nout : 1, sizeof *outs);
		if (!outs) {
			rc = MS_ERR_NOMEM;
			goto out;
		}
		for (size_t i = 0; i < nout; i++) {
			char p[4200];
			snprintf(p, sizeof p, "%s/%s", converted, names[i]);
			if ((rc = cv_st_open(p, &outs[i], err)) != MS_OK) goto out;
		}
	} else {
		outs = calloc(1, sizeof *outs);
		if (!outs) {
			rc = MS_ERR_NOMEM;
			goto out;
		}
		if ((rc = cv_st_open(converted, &outs[0], err)) != MS_OK) goto out;
		nout = 1;
	}
	rc = cv_verify(in.s, in.n, outs, nout, d, o ? o->cancel : NULL, err);
out:
	if (outs)
		for (size_t i = 0; i < nout; i++) cv_st_close(outs[i]);
	free(outs);
	if (names)
		for (size_t i = 0; i < nout; i++) free(names[i]);
	free(names);
	cv_input_free(&in);
	return rc;
}

ms_err ms_verify(const char *converted, const char *original, ms_device dev,
                 const ms_convert_opts *o, ms_error *err)
{
	ms_error_clear(err);
	return cv_done(err, cv_verify_run(converted, original, dev, o, err));
}

ms_err ms_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *u; uint64_t m; } units[] = {
		{"", 1}, {"B", 1}, {"KB", 1000ULL}, {"MB", 1000000ULL}, {"GB", 1000000000ULL},
		{"TB", 1000000000000ULL}, {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30},
		{"TiB", 1ULL << 40}, {"K", 1000ULL}, {"M", 1000000ULL}, {"G", 1000000000ULL},
	};
	if (!s) return MS_ERR_ARG;
	char num[32];
	size_t i = 0;
	while (s[i] >= '0' && s[i] <= '9' && i < sizeof num - 1) {
		num[i] = s[i];
		i++;
	}
	num[i] = 0;
	uint64_t v;
	if (!i || !cv_parse_u64(num, &v)) return MS_ERR_ARG;
	for (size_t k = 0; k < sizeof units / sizeof *units; k++)
		if (strcasecmp(s + i, units[k].u) == 0 && (k < 6 || strcmp(s + i, units[k].u) == 0 || k >= 10)) {
			if (__builtin_mul_overflow(v, units[k].m, out) || *out == 0) return MS_ERR_ARG;
			return MS_OK;
		}
	return MS_ERR_ARG;
}
