#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: scans corpus/ (benign samples must come out clean, malicious ones flagged), shows
# one verdict and its disassembly, then converts a legacy checkpoint to signed safetensors and
# verifies it. Exits 0 when every result is as expected; a step that cannot run prints SKIP,
# which fails the demo under MSCAN_CI=1 (.ci/run).
# Usage: tests/demo.sh MSCAN
set -u
MSCAN=${1:?usage: demo.sh MSCAN}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
C=$ROOT/corpus
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
bad=0
say() { printf '\n== %s\n' "$*"; }

# Samples grouped by the exit code their sidecar expects.
for want in 0 1 2; do
	: >"$TMP/exit$want.list"
done
for exp in "$C"/*/*.expect; do
	[ -e "$exp" ] || continue
	w=$(sed -n '1s/^exit=//p' "$exp")
	case $w in 0|1|2) printf '%s\n' "${exp%.expect}" >>"$TMP/exit$w.list" ;; esac
done

run_group() {   # WANT LABEL: scans the group's files in one run and checks the exit status
	local want=$1 label=$2 n rc
	n=$(wc -l <"$TMP/exit$want.list")
	[ "$n" -gt 0 ] || return 0
	say "$label: $n files (expected exit $want)"
	local files
	mapfile -t files <"$TMP/exit$want.list"
	"$MSCAN" scan --format json -o "$TMP/g$want.json" "${files[@]}" >/dev/null 2>&1
	rc=$?
	python3 - "$TMP/g$want.json" "$want" <<'PYEOF' 2>/dev/null || echo "(no JSON summary)"
import collections, json, os, sys
doc = json.load(open(sys.argv[1]))
want = {"0": "clean", "1": "findings", "2": "error"}[sys.argv[2]]
s = doc["summary"]
sev = collections.Counter(f["max_severity"] or "none" for f in doc["files"])
rules = collections.Counter(x["rule_id"] for f in doc["files"] for x in f["findings"])
print("  %d files: %d clean, %d with findings, %d errors" % (s["files"], s["clean"], s["findings"], s["errors"]))
print("  highest severity per file: " + ", ".join("%s %d" % kv for kv in sorted(sev.items())))
if rules:
    print("  most frequent rules: " + ", ".join("%s %d" % kv for kv in rules.most_common(6)))
odd = [f["path"] for f in doc["files"] if f["verdict"] != want]
for p in odd[:8]:
    print("  note: %s is not %s as its sidecar says (tests/cli/t_corpus.sh has the details)"
          % (os.path.relpath(p), want))
PYEOF
	if [ "$rc" = "$want" ] || { [ "$want" = 2 ] && [ "$rc" = 1 ]; }; then
		echo "  exit $rc: as expected"
	else echo "  UNEXPECTED: exit $rc"; bad=1; fi
}
run_group 0 "benign samples"
run_group 1 "malicious samples (and streams that break after a payload)"
run_group 2 "malformed samples"

if [ -e "$C/malicious/pkl_memo_stack_global.pkl" ]; then
	say "one verdict: corpus/malicious/pkl_memo_stack_global.pkl"
	"$MSCAN" scan "$C/malicious/pkl_memo_stack_global.pkl"
	echo "(exit $?)"
	say "the evidence: mscan dis"
	"$MSCAN" dis "$C/malicious/pkl_memo_stack_global.pkl" | head -30
fi

# ---- conversion ------------------------------------------------------------------------------
say "convert a legacy checkpoint to signed safetensors"
legacy=""
for f in "$C"/benign/*legacy*; do
	case $f in *.expect) continue ;; esac
	[ -f "$f" ] && { legacy=$f; break; }
done
if [ -z "$legacy" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
	legacy=$TMP/legacy_model.bin
	/usr/bin/python3 -c 'import sys, torch; torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.Linear(8, 2))
torch.save(m.state_dict(), sys.argv[1], _use_new_zipfile_serialization=False)' "$legacy"
fi
if [ -z "$legacy" ]; then
	echo "SKIP: demo.sh: conversion: no legacy checkpoint in corpus/benign and no torch to make one"
	[ "${MSCAN_CI:-0}" = 1 ] && bad=1
else
	echo "input: ${legacy#"$ROOT"/}"
	step() { echo "\$ mscan $*"; "$MSCAN" "$@"; local rc=$?; [ $rc = 0 ] || { echo "  UNEXPECTED: exit $rc"; bad=1; }; }
	step keygen -p "$TMP/demo.pub" -s "$TMP/demo.key"
	step convert "$legacy" -o "$TMP/model.safetensors" --sign "$TMP/demo.key"
	step verify "$TMP/model.safetensors" --against "$legacy"
	step verify-sig "$TMP/model.safetensors" --pubkey "$TMP/demo.pub"
	step scan "$TMP/model.safetensors"
fi

say "demo $([ "$bad" = 0 ] && echo 'finished: every group exit status as expected' || echo 'found UNEXPECTED results')"
exit $bad
