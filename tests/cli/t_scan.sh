#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The scan command's own contract: options, exit codes, output formats, folders, -j, faults.
set -u
. "$ROOT/tests/cli/lib.sh"
cd "$TMP"

# Usage and help
expect_exit 0 "$MSCAN" --help
expect_exit 0 "$MSCAN" scan --help
expect_grep 'fail-on' last.out
expect_exit 0 "$MSCAN" dis --help
expect_exit 0 "$MSCAN" --version
expect_grep '^mscan [0-9]+\.[0-9]+\.[0-9]+ \(libyara' last.out
expect_exit 2 "$MSCAN" scan
expect_grep "Try 'mscan --help'" last.err
expect_exit 2 "$MSCAN" scan --format xml x
expect_exit 2 "$MSCAN" scan --fail-on severe x
expect_exit 2 "$MSCAN" scan -f json -f text x
expect_exit 2 "$MSCAN" scan -j 0 x
expect_exit 2 "$MSCAN" nosuchcommand

# A clean protocol 2 pickle of plain data, a malicious one, an unrecognised file
printf '\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.' > clean.pkl
printf '\x80\x02cposix\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.' > evil.pkl
printf 'hello, this is not a model\n' > notes.bin
expect_exit 0 "$MSCAN" scan clean.pkl
expect_exit 1 "$MSCAN" scan evil.pkl
expect_grep 'critical' last.out
expect_exit 2 "$MSCAN" scan notes.bin
expect_grep 'unrecognized format' last.out
expect_exit 2 "$MSCAN" scan does-not-exist.pkl
# Findings win over errors, for the whole run
expect_exit 1 "$MSCAN" scan evil.pkl notes.bin does-not-exist.pkl
# --fail-on moves the threshold
expect_exit 0 "$MSCAN" scan --fail-on critical clean.pkl

# JSON: valid, schema tag, verdicts
expect_exit 1 "$MSCAN" scan -f json clean.pkl evil.pkl notes.bin
"$PY" - "$TMP/last.out" <<'PYEOF' && ok || fail "json report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "mscan-scan/1", d["schema"]
v = {f["path"]: f["verdict"] for f in d["files"]}
assert v == {"clean.pkl": "clean", "evil.pkl": "findings", "notes.bin": "error"}, v
evil = [f for f in d["files"] if f["path"] == "evil.pkl"][0]
assert any(x["module"] == "posix" and x["name"] == "system" for x in evil["findings"]), evil
assert d["summary"] == {"files": 3, "clean": 1, "findings": 1, "errors": 1}, d["summary"]
PYEOF
expect_exit 1 "$MSCAN" scan -f json --list-globals evil.pkl
"$PY" -c 'import json,sys; g=json.load(open(sys.argv[1]))["files"][0]["globals"]; assert [(x["module"],x["name"],x["use"]) for x in g]==[("posix","system","called")], g' last.out && ok || fail "list-globals"

# SARIF 2.1.0 with the fields GitHub code scanning needs
expect_exit 1 "$MSCAN" scan -f sarif -o out.sarif evil.pkl notes.bin
"$PY" - out.sarif <<'PYEOF' && ok || fail "sarif report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0"
run = d["runs"][0]
assert run["tool"]["driver"]["name"] == "mscan"
ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
res = run["results"]
assert res and all(r["ruleId"] in ids for r in res)
assert all(r["level"] in ("error", "warning", "note") for r in res)
assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "evil.pkl" for r in res)
assert all("partialFingerprints" in r for r in res)
inv = run["invocations"][0]
assert inv["executionSuccessful"] is False and inv["toolExecutionNotifications"]
PYEOF

# Folders: recursion, link to a file followed once, link to a folder not followed, globs
mkdir -p tree/a/b tree/skip elsewhere
cp evil.pkl tree/a/b/evil.pkl
cp clean.pkl tree/a/clean.pkl
cp evil.pkl elsewhere/linked.pkl
ln -s ../../elsewhere/linked.pkl tree/a/link.pkl
ln -s ../elsewhere tree/dirlink
ln -s b/evil.pkl tree/a/same-inode.pkl
cp evil.pkl tree/skip/evil.pkl
expect_exit 1 "$MSCAN" scan -f json --exclude skip tree
"$PY" -c '
import json,sys
p=[f["path"] for f in json.load(open(sys.argv[1]))["files"]]
assert p==["tree/a/b/evil.pkl","tree/a/clean.pkl","tree/a/link.pkl"], p' last.out && ok || fail "folder walk"
expect_exit 0 "$MSCAN" scan --include 'clean*' tree
expect_grep 'scanned 1 file' last.out
# Hard links in a folder without symlinks (regular files are known from readdir there): one
# name per inode, the first by path; a different file is never taken for a duplicate.
mkdir -p hard/a hard/b
cp evil.pkl hard/b/evil.pkl
ln hard/b/evil.pkl hard/a/again.pkl
ln hard/b/evil.pkl hard/b/zz-again.pkl
cp evil.pkl hard/b/copy.pkl
expect_exit 1 "$MSCAN" scan -f json hard
"$PY" -c '
import json,sys
p=[f["path"] for f in json.load(open(sys.argv[1]))["files"]]
assert p==["hard/a/again.pkl","hard/b/copy.pkl"], p' last.out && ok || fail "hard links"

# -j, vanishing files, devices, FIFOs and unreadable files: t_faults.sh

# Configuration is never read from the working directory or the scanned tree
mkdir cfgtrap && cp evil.pkl cfgtrap/
printf '{"allow":["posix system"]}' > cfgtrap/mscan.json
printf '{"allow":["posix system"]}' > cfgtrap/.mscan.json
(cd cfgtrap && "$MSCAN" scan evil.pkl >/dev/null 2>&1); [ $? = 1 ] && ok || fail "config read from cwd"

# dis shows the evidence
expect_exit 1 "$MSCAN" dis evil.pkl
expect_grep 'system' last.out
t_done
