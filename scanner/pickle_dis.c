/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* The disassembly of the pickle machine (mscan dis): one line per opcode run, with its
 * argument and the notes its body left (memo slots, verdicts, calls, frames, errors). Only
 * the general loop writes it: the fast loop does not run while it is recorded. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pickle_vm_private.h"

void pkl_note_dis(pkl_vm *vm, const char *fmt, ...)
{
	size_t n = strlen(vm->note);
	if (n + 4 >= sizeof vm->note) return;
	if (n) {
		memcpy(vm->note + n, "; ", 2);
		n += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(vm->note + n, sizeof vm->note - n, fmt, ap);
	va_end(ap);
}

static void pkl_arg_text(unsigned kind, const pkl_arg *a, char *out, size_t outlen)
{
	char t1[160], t2[160];
	out[0] = 0;
	switch (kind) {
	case ARG_NONE: break;
	case ARG_U1: case ARG_U2: case ARG_U4: case ARG_U8:
		snprintf(out, outlen, "%llu", (unsigned long long)a->u);
		break;
	case ARG_I4: snprintf(out, outlen, "%lld", (long long)a->i); break;
	case ARG_F8: snprintf(out, outlen, "%.17g", a->f); break;
	case ARG_LINE:
		ms_printable(t1, sizeof t1, a->p, a->n);
		snprintf(out, outlen, "'%s'", t1);
		break;
	case ARG_LINE2:
		ms_printable(t1, sizeof t1, a->p, a->n);
		ms_printable(t2, sizeof t2, a->p2, a->n2);
		snprintf(out, outlen, "'%s %s'", t1, t2);
		break;
	default:
		ms_printable(t1, sizeof t1, a->p, a->n < 64 ? a->n : 64);
		snprintf(out, outlen, "%zu bytes '%s%s'", a->n, t1, a->n > 64 ? "..." : "");
		break;
	}
}

void pkl_dis_line(pkl_vm *vm, const pkl_opinfo *oi, const pkl_arg *a, ms_err rc)
{
	char argt[400];
	pkl_arg_text(oi->arg, a, argt, sizeof argt);
	if (rc != MS_OK && vm->err.message[0]) pkl_note(vm, "error: %s", vm->err.message);
	ms_job_dis(vm->job, "%8zu: %-16s %s%s%s\n", vm->op_off, oi->name, argt,
	           vm->note[0] ? (argt[0] ? "  ; " : "; ") : "", vm->note);
}
