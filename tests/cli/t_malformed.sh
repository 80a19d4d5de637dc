#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Malformed input never crashes and never passes as clean:
#  1. several corpus samples truncated at every byte offset: each prefix gets exit 1 or 2 (0 only
#     when the prefix is itself a complete pickle of a benign sample); a prefix of a malicious
#     sample that reaches the payload's call must get findings (exit 1); every error message
#     names an offset; no crash (exit >= 128) and no sanitizer report. One mscan run per sample.
#  2. the hand-made malformed samples (corpus/malformed/pkl_*, exit=2 in their sidecar:
#     oversized lengths, unknown opcodes, memo index out of range, stack underflow, 100k nested
#     MARKs): exit 2 and "offset" in the message.
set -u
. "$(dirname "$0")/lib.sh"
PY=${PY:-python3}
C=$ROOT/corpus
SAMPLES="benign/pkl_ordereddict_proto0.pkl benign/pkl_ordereddict_proto2.pkl
benign/pkl_ordereddict_proto4.pkl benign/pkl_ordereddict_proto5.pkl
benign/pkl_torch_linear_data.pkl benign/pkl_binpersid_torch_like.pkl benign/pkl_two_pickles.pkl
benign/pkl_frame_straddle.pkl benign/pkl_next_buffer_p5.pkl
malicious/pkl_os_system_p0.pkl malicious/pkl_os_system_p2.pkl malicious/pkl_posix_system_p4.pkl
malicious/pkl_memo_stack_global.pkl malicious/pkl_frame_straddle.pkl malicious/pkl_inst_p0.pkl
malicious/pkl_payload_in_second_pickle.pkl malicious/pkl_newobj_ex.pkl
malicious/pkl_getattr_import_os_system.pkl malicious/pkl_int_hex_prefix.pkl"

# Writes every prefix of each sample to $TMP/trunc/<n>/ with the expectation for each.
"$PY" - "$C" "$TMP/trunc" $SAMPLES <<'PYEOF' || fail "could not write the truncated samples"
import io, os, pickle, sys
corpus, out, samples = sys.argv[1], sys.argv[2], sys.argv[3:]

class Stub:
    called = [False]
    def __new__(cls, *a, **k): return object.__new__(Stub)
    def __init__(self, *a, **k): pass
    def __call__(self, *a, **k): return Stub()
    def __setstate__(self, s): pass
    def __setitem__(self, k, v): pass
    def append(self, x): pass
    def extend(self, x): pass

class Deny(Stub):   # a non-allowlisted global: calling it is the payload
    def __new__(cls, *a, **k):
        Stub.called[0] = True
        return object.__new__(Stub)

SAFE = {("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"),
        ("torch", "FloatStorage")}

class Rec(pickle.Unpickler):
    def __init__(self, f):
        super().__init__(f, buffers=iter(lambda: bytearray(b"b"), None))
    def find_class(self, m, n):
        return Stub if (m, n) in SAFE else Deny
    def persistent_load(self, pid): return Stub()

def analyse(data):
    """(complete, payload_called) for CPython reading data as back-to-back pickles."""
    Stub.called[0] = False
    f = io.BytesIO(data)
    try:
        while f.tell() < len(data):
            Rec(f).load()
        return True, Stub.called[0]
    except Exception:
        return False, Stub.called[0]

for i, rel in enumerate(samples):
    data = open(os.path.join(corpus, rel), "rb").read()
    d = os.path.join(out, str(i))
    os.makedirs(d)
    mal = rel.startswith("malicious/")
    with open(os.path.join(d, "EXPECT"), "w") as ex:
        for k in range(1, len(data)):
            name = "p%06d.pkl" % k
            with open(os.path.join(d, name), "wb") as fh:
                fh.write(data[:k])
            complete, called = analyse(data[:k])
            # allowed exit codes for this prefix
            if mal and called:
                allowed = "1"
            elif complete:
                allowed = "01" if not mal else "012"
            else:
                allowed = "12"
            ex.write("%s %s %s\n" % (name, allowed, rel))
PYEOF

check_dir() {   # DIR: scans the folder once and checks every prefix against DIR/EXPECT
	local d=$1 rc
	mv "$d/EXPECT" "$d.expect"
	"$MSCAN" scan --format json --no-yara "$d" >"$d.json" 2>"$d.err"
	rc=$?
	if [ "$rc" -ge 128 ]; then
		fail "mscan crashed (exit $rc) on the prefixes of $(awk 'NR==1{print $3}' "$d.expect")"
		for f in "$d"/*.pkl; do   # name the first prefix that crashes
			"$MSCAN" scan --no-yara "$f" >/dev/null 2>&1
			[ $? -ge 128 ] && { fail "  first crash: $f"; break; }
		done
		return
	fi
	if grep -q -E 'Sanitizer|runtime error:' "$d.err"; then
		fail "sanitizer report scanning $d"; head -20 "$d.err" >&2
	fi
	"$PY" - "$d" <<'PYEOF' >>"$TMP/malformed.check"
import json, os, sys
d = sys.argv[1]
want = {}
for ln in open(d + ".expect"):
    name, allowed, rel = ln.split()
    want[name] = (allowed, rel)
doc = json.load(open(d + ".json"))
seen = set()
bad = 0
for f in doc["files"]:
    name = os.path.basename(f["path"])
    if name not in want:
        continue
    seen.add(name)
    allowed, rel = want[name]
    code = {"clean": "0", "findings": "1", "error": "2"}[f["verdict"]]
    why = []
    # A complete pickle followed by an incomplete one: the spec makes bytes after the final
    # STOP a medium finding (MS-PKL-TRAILING), so a clean exit is right when it is reported.
    trailing = any(x["rule_id"] == "MS-PKL-TRAILING" for x in f["findings"])
    if code == "0" and allowed != "1" and trailing:
        allowed += "0"
    if code not in allowed:
        why.append("verdict %s (exit %s), want exit in {%s}" % (f["verdict"], code, ",".join(allowed)))
    err = f.get("error")
    if err and "offset" not in (err.get("message") or ""):
        why.append("error message names no offset: %r" % err.get("message"))
    if why and bad < 5:
        print("FAIL: %s truncated to %s bytes: %s" % (rel, name[1:7].lstrip("0"), "; ".join(why)))
    if why:
        bad += 1
    else:
        print("PASS")
for name in sorted(set(want) - seen):
    print("FAIL: %s: prefix %s missing from the report" % (want[name][1], name))
if bad > 5:
    print("FAIL: %s: %d more prefixes failed" % (want[next(iter(want))][1], bad - 5))
PYEOF
}
: >"$TMP/malformed.check"
for d in "$TMP"/trunc/*/; do
	check_dir "${d%/}"
done

# 2. Hand-made malformed samples: exit 2 and an offset in the message.
for exp in "$C"/malformed/pkl_*.expect; do
	[ -e "$exp" ] || continue
	grep -qx 'exit=2' "$exp" || continue
	f=${exp%.expect}
	"$MSCAN" scan --no-yara "$f" >"$TMP/m.out" 2>"$TMP/m.err"
	rc=$?
	if [ "$rc" != 2 ]; then
		fail "$(basename "$f"): exit $rc, want 2"
	elif ! grep -q 'offset [0-9]' "$TMP/m.out" "$TMP/m.err"; then
		fail "$(basename "$f"): message names no offset: $(head -c 300 "$TMP/m.err")"
	elif grep -q -E 'Sanitizer|runtime error:' "$TMP/m.err"; then
		fail "$(basename "$f"): sanitizer report"
	else
		ok
	fi
done

while IFS= read -r line; do
	case $line in
	PASS) ok ;;
	FAIL:*) fail "${line#FAIL: }" ;;
	esac
done <"$TMP/malformed.check"
# 3. Inputs fuzzing once crashed on (corpus/regress/, also fuzz seeds): scanned and, for the
#    converter's, converted without a crash or a sanitizer report.
for f in "$C"/regress/*; do
	"$MSCAN" scan "$f" >"$TMP/regress.out" 2>&1
	rc=$?
	"$MSCAN" convert --force "$f" -o "$TMP/regress.safetensors" >>"$TMP/regress.out" 2>&1
	rc2=$?
	if [ "$rc" -le 2 ] && [ "$rc2" -le 2 ] && ! grep -qE 'Sanitizer|runtime error' "$TMP/regress.out"; then
		ok
	else
		fail "regress $(basename "$f"): scan exit $rc, convert exit $rc2"; head -5 "$TMP/regress.out" >&2
	fi
done
t_done
