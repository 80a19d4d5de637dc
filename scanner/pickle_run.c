/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The pickle machine's entry points (pickle_private.h): a run over a stream is pickles back
 * to back (pkl_exec each), a second, linear look where a loader's reading and pickle.loads'
 * differ, and what the run hands back (roots, strings for YARA, persistent ids). */
#include <stdlib.h>
#include <string.h>

#include "pickle_vm_private.h"

static pkl_persids pkl_take_persids(const pkl_vm *vm)
{
	return (pkl_persids){vm->persids, vm->npersids, vm->persids_lost};
}

static void pkl_vm_init(pkl_vm *vm, ms_job *job, const ms_src *src, ms_arena *arena)
{
	memset(vm, 0, sizeof *vm);
	vm->job = job;
	vm->src = src;
	vm->arena = arena;
	vm->policy = job->ctx->policy;
	vm->d = src->data;
	vm->len = src->len;
	vm->weights_only = job->ctx->opts.weights_only != 0;
	vm->dis = ms_job_dis_enabled(job);
	vm->max_proto = -1;
	vm->gl_base = ms_job_global_count(job);
}

static void pkl_vm_free(pkl_vm *vm)
{
	free(vm->stack);
	free(vm->marks);
	free(vm->mdense);
	free(vm->mkeys);
	free(vm->mvals);
	free(vm->gl);
	free(vm->sbuf);
	pkl_sset_free(&vm->unknown_seen);
	pkl_sset_free(&vm->method_seen);
	pkl_sset_free(&vm->look_seen);
}

/* Runs up to max pickles from `from` again, reading linearly (pickle.loads of the bytes) and
 * without a loader hook's reading (quiet): findings only, errors ignored. Used where the file
 * reading and the bytes reading differ, or a loader's (joblib's) and pickle's. */
static void pkl_second_look(pkl_vm *vm, size_t from, size_t max)
{
	bool dis = vm->dis;
	size_t pos = vm->pos;
	vm->gl_end = ms_job_global_count(vm->job);
	pkl_sset_free(&vm->look_seen);
	vm->dis = false;
	vm->quiet = true;
	vm->linear = true;
	vm->pos = from;
	for (size_t i = 0; i < max && vm->pos < vm->len; i++) {
		pv *r = NULL;
		if (pkl_exec(vm, &r) != MS_OK) break;
	}
	vm->dis = dis;
	vm->quiet = false;
	vm->linear = false;
	vm->pos = pos;
	vm->in_frame = false;
	ms_error_clear(&vm->err);
}

static ms_err pkl_report(pkl_vm *vm)
{
	return ms_job_error(vm->job, vm->src, vm->err.offset, vm->err.code, "%s", vm->err.message);
}

ms_err pkl_run(ms_job *job, const ms_src *src, ms_arena *arena, pkl_stream *out)
{
	pkl_vm vm;
	pkl_vm_init(&vm, job, src, arena);
	pv **roots = NULL;
	size_t nroots = 0;
	ms_err rc = MS_OK;
	bool complete = false;
	if (out) memset(out, 0, sizeof *out);
	for (;;) {
		size_t start = vm.pos;
		pv *root = NULL;
		/* After the first pickle, the rest is tried as another pickle: a payload there is
		 * found either way; bytes that are not a pickle are reported, not an error. */
		ms_err r = pkl_exec(&vm, &root);
		if (r != MS_OK) {
			if (nroots == 0) {
				rc = pkl_report(&vm);
			} else {
				ms_job_finding(job, src, start, MS_RULE_PKL_TRAILING, NULL, NULL,
				               "%zu bytes after the last STOP are not a complete pickle (%s at "
				               "offset %llu)", vm.len - start, vm.err.message,
				               (unsigned long long)vm.err.offset);
				complete = true;
			}
			break;
		}
		if (nroots >= MS_MAX_PKL_STREAMS) {
			vm.op_off = start;
			pkl_fail(&vm, MS_ERR_LIMIT, "more than %u pickles in one stream (MS_MAX_PKL_STREAMS)",
			         MS_MAX_PKL_STREAMS);
			rc = pkl_report(&vm);
			break;
		}
		pv **nr = ms_arena_grow(arena, roots, nroots * sizeof *nr, (nroots + 1) * sizeof *nr);
		if (!nr) {
			pkl_nomem(&vm);
			rc = pkl_report(&vm);
			break;
		}
		roots = nr;
		roots[nroots++] = root;
		vm.persids_done = true;
		if (nroots == 2)
			ms_job_finding(job, src, start, MS_RULE_PKL_MULTIPLE, NULL, NULL,
			               "several pickles back to back in one stream (a loader calling "
			               "pickle.load repeatedly runs each)");
		if (vm.in_frame && vm.pos < vm.frame_end) {
			/* pickle.load(file) has read the whole frame: the next load starts at its end,
			 * while a loader given the rest of the bytes runs what follows the STOP. */
			ms_job_finding(job, src, vm.pos, MS_RULE_PKL_FRAME_STRADDLE, NULL, NULL,
			               "%zu bytes after STOP inside a FRAME: skipped by pickle.load(file), "
			               "run by a loader reading the rest of the bytes (both are analysed)",
			               vm.frame_end - vm.pos);
			pkl_second_look(&vm, vm.pos, MS_MAX_PKL_STREAMS);
			vm.pos = vm.frame_end;
		}
		if (out) out->consumed = vm.pos;
		if (vm.pos >= vm.len) {
			complete = true;
			break;
		}
	}
	if (vm.straddled || vm.loader_skipped) pkl_second_look(&vm, 0, MS_MAX_PKL_STREAMS);
	if (out) {
		out->roots = roots;
		out->nroots = nroots;
		out->max_proto = vm.max_proto;
		out->complete = complete && rc == MS_OK;
		pkl_take_strings(&vm, &out->strings, &out->strings_len);
		out->persids = pkl_take_persids(&vm);
	}
	pkl_vm_free(&vm);
	return rc;
}

void pkl_run_speculative(ms_job *job, const ms_src *src)
{
	ms_arena *arena = ms_arena_new(MS_MAX_ARENA_BYTES);
	if (!arena) return;
	ms_severity floor = job->floor;
	job->floor = MS_SEV_HIGH;
	pkl_vm vm;
	pkl_vm_init(&vm, job, src, arena);
	pkl_second_look(&vm, 0, MS_MAX_PKL_STREAMS);
	pkl_vm_free(&vm);
	job->floor = floor;
	ms_arena_free(arena);
}

ms_err pkl_run_one(ms_job *job, const ms_src *src, ms_arena *arena, pv **root, size_t *consumed,
                   const uint8_t **strings, size_t *strings_len, pkl_persids *persids)
{
	pkl_vm vm;
	pkl_vm_init(&vm, job, src, arena);
	pv *r = NULL;
	ms_err rc = pkl_exec(&vm, &r);
	if (rc != MS_OK) rc = pkl_report(&vm);
	size_t end = vm.pos;
	if (vm.straddled || vm.loader_skipped) pkl_second_look(&vm, 0, 1);
	vm.pos = end;
	if (root) *root = rc == MS_OK ? r : NULL;
	if (consumed) *consumed = vm.pos;
	if (strings) pkl_take_strings(&vm, strings, strings_len);
	if (persids) *persids = pkl_take_persids(&vm);
	pkl_vm_free(&vm);
	return rc;
}
