#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Data-driven corpus test: every corpus/{benign,malicious,malformed}/F with a sidecar F.expect
# (anyone's samples, whatever the prefix) is scanned alone with `mscan scan --format json F`.
# The exit code must equal exit=N; every rule=ID must be among the findings and no norule=ID.
# Sidecar format: docs/HACKING.md.
set -u
. "$(dirname "$0")/lib.sh"
PY=${PY:-python3}
manifest="$TMP/corpus.manifest"
: >"$manifest"
i=0
for dir in "$ROOT"/corpus/benign "$ROOT"/corpus/malicious "$ROOT"/corpus/malformed; do
	[ -d "$dir" ] || continue
	for exp in "$dir"/*.expect; do
		[ -e "$exp" ] || continue
		f=${exp%.expect}
		if [ ! -e "$f" ]; then fail "sidecar without sample: $exp"; continue; fi
		i=$((i + 1))
		"$MSCAN" scan --format json "$f" >"$TMP/c$i.json" 2>"$TMP/c$i.err"
		printf '%s\t%s\t%s\t%s\n' "$f" "$?" "$TMP/c$i.json" "$TMP/c$i.err" >>"$manifest"
	done
done

# One Python pass checks every result; it prints "PASS" or "FAIL: why" per sample.
"$PY" - "$manifest" "$ROOT" >"$TMP/corpus.check" <<'PYEOF'
import json, os, sys
manifest, root = sys.argv[1], sys.argv[2]
for line in open(manifest, encoding="utf-8"):
    path, code, out, err = line.rstrip("\n").split("\t")
    rel = os.path.relpath(path, root)
    want_exit, rules, norules = None, [], []
    for ln in open(path + ".expect", encoding="utf-8"):
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        k, _, v = ln.partition("=")
        if k == "exit": want_exit = int(v)
        elif k == "rule": rules.append(v)
        elif k == "norule": norules.append(v)
    why = []
    code = int(code)
    if code >= 128:
        why.append("crashed (exit %d)" % code)
    elif want_exit is not None and code != want_exit:
        why.append("exit %d, want %d" % (code, want_exit))
    errtext = open(err, errors="replace").read()
    if "Sanitizer" in errtext or "runtime error:" in errtext:
        why.append("sanitizer report on stderr")
    ids = []
    try:
        doc = json.load(open(out, encoding="utf-8"))
        for f in doc["files"]:
            ids += [x["rule_id"] for x in f.get("findings") or []]
    except Exception as e:
        why.append("no JSON report (%s)" % e)
    for r in rules:
        if r not in ids:
            why.append("missing rule %s" % r)
    for r in norules:
        if r in ids:
            why.append("unexpected rule %s" % r)
    if why:
        got = sorted(set(ids))
        print("FAIL: %s: %s (findings: %s)" % (rel, "; ".join(why), ", ".join(got) or "none"))
    else:
        print("PASS")
PYEOF
[ $? = 0 ] || fail "checker failed"
while IFS= read -r line; do
	case $line in
	PASS) ok ;;
	FAIL:*) fail "${line#FAIL: }" ;;
	esac
done <"$TMP/corpus.check"
[ "$i" -gt 0 ] || fail "no corpus samples with .expect found"
t_done
