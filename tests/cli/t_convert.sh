#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mscan convert / verify: round trips on real torch checkpoints (zip and legacy), byte identity
# with safetensors.save_file, tied tensors, views, dtypes, sharded folders, faults.
set -u
. "$ROOT/tests/cli/lib.sh"
cd "$TMP"
if ! has_py_modules torch safetensors; then
	skip "every convert check: $PY lacks torch or safetensors (the checkpoints and the oracle)"
	t_done; exit
fi
"$PY" "$ROOT/corpus/gen/gen_convert.py" g >/dev/null 2>&1 || { fail "generating checkpoints"; t_done; exit 1; }

# Usage
expect_exit 0 "$MSCAN" convert --help
expect_exit 0 "$MSCAN" verify --help
expect_exit 2 "$MSCAN" convert g/vision.pt
expect_exit 2 "$MSCAN" convert g/vision.pt -o a -o b
expect_exit 2 "$MSCAN" convert g/vision.pt -o x --shard-size lots
expect_exit 2 "$MSCAN" verify x
expect_exit 2 "$MSCAN" verify x --against y --device tpu

# Byte identity with safetensors.torch.save_file(sd, metadata={"format": "pt"})
for n in vision dtypes vision_legacy dtypes_legacy; do
	expect_exit 0 "$MSCAN" convert g/$n.pt -o $n.safetensors
	"$PY" - g/$n.pt ref_$n.safetensors <<'PYEOF' || fail "save_file reference for $n"
import sys, torch
from safetensors.torch import save_file
sd = torch.load(sys.argv[1])
save_file({k: v.contiguous() for k, v in sd.items()}, sys.argv[2], metadata={"format": "pt"})
PYEOF
	if cmp -s $n.safetensors ref_$n.safetensors; then ok; else fail "$n: not byte-identical to save_file"; fi
	expect_exit 0 "$MSCAN" verify $n.safetensors --against g/$n.pt --device cpu
done
# zip and legacy of the same state dict give the same bytes
if cmp -s vision.safetensors vision_legacy.safetensors; then ok; else fail "zip vs legacy differ"; fi

# Round trip: safetensors loads the output; tensors equal torch.load (aliases via metadata)
check_load() { # OUTPUT ORIGINAL [KEY]
	"$PY" - "$@" <<'PYEOF' && ok || fail "load/compare $1 vs $2"
import sys, os, json, torch
from safetensors.torch import load_file
from safetensors import safe_open
out, orig = sys.argv[1], sys.argv[2]
key = sys.argv[3] if len(sys.argv) > 3 else None
def load_orig(p):
    if os.path.isdir(p):
        wm = json.load(open(os.path.join(p, "pytorch_model.bin.index.json")))["weight_map"]
        sd = {}
        for f in sorted(set(wm.values())): sd.update(torch.load(os.path.join(p, f)))
        return sd
    sd = torch.load(p)
    if key: sd = sd[key]
    elif "state_dict" in sd: sd = sd["state_dict"]
    return sd
files = [out] if not os.path.isdir(out) else [os.path.join(out, f) for f in sorted(os.listdir(out)) if f.endswith(".safetensors")]
st, meta = {}, {}
for f in files:
    st.update(load_file(f))
    meta.update(safe_open(f, "pt").metadata() or {})
assert meta.get("format") == "pt", meta
sd = load_orig(orig)
for k, v in sd.items():
    if not torch.is_tensor(v): continue
    kk = k if k in st else meta[k]
    w = st[kk]
    assert w.dtype == v.dtype and w.shape == v.shape, k
    a = v.contiguous().reshape(-1).view(torch.uint8) if v.numel() else v
    b = w.reshape(-1).view(torch.uint8) if w.numel() else w
    assert torch.equal(a, b), k   # bitwise (NaN, -0.0 included)
PYEOF
}
for n in vision dtypes vision_legacy dtypes_legacy; do check_load $n.safetensors g/$n.pt; done

# Tiny transformer: tied embeddings (one copy, alias in metadata), views, slices, expand
expect_exit 0 "$MSCAN" convert g/tx.pt -o tx.safetensors
expect_grep 'shares its storage' last.err
check_load tx.safetensors g/tx.pt
expect_exit 0 "$MSCAN" verify tx.safetensors --against g/tx.pt
expect_exit 0 "$MSCAN" convert g/tx_legacy.pt -o txl.safetensors
check_load txl.safetensors g/tx_legacy.pt
"$PY" - <<'PYEOF' && ok || fail "tied tensor stored once"
import json, struct
b = open("tx.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
assert "lm_head.weight" in h and "model.embed_tokens.weight" not in h, list(h)
assert h["__metadata__"]["model.embed_tokens.weight"] == "lm_head.weight"
PYEOF

# Nested state dicts: --key, HF's state_dict unwrapping, non-tensor entries listed
expect_exit 2 "$MSCAN" convert g/nested.pt -o nested.safetensors
expect_grep 'use --key|with --key' last.err
expect_exit 0 "$MSCAN" convert g/nested.pt --key model -o nested.safetensors
expect_grep 'non-tensor entr.*epoch' last.err
check_load nested.safetensors g/nested.pt model
expect_exit 0 "$MSCAN" verify nested.safetensors --against g/nested.pt --key model
expect_exit 0 "$MSCAN" convert g/lightning.pt -o lightning.safetensors
check_load lightning.safetensors g/lightning.pt
expect_exit 2 "$MSCAN" convert g/nested.pt --key nosuch -o x.safetensors

# Unsupported: complex and quantized are clear errors, nothing written
expect_exit 2 "$MSCAN" convert g/complex.pt -o c.safetensors
expect_grep 'cannot convert: complex' last.err
expect_exit 2 "$MSCAN" convert g/quant.pt -o q.safetensors
expect_grep 'cannot convert: quantized' last.err
if [ -e c.safetensors ] || [ -e q.safetensors ]; then fail "output left after error"; else ok; fi

# Metadata
expect_exit 0 "$MSCAN" convert g/vision.pt -o meta.safetensors --metadata source=test --metadata a=b
"$PY" -c "
from safetensors import safe_open
m = safe_open('meta.safetensors','pt').metadata()
assert m == {'format':'pt','source':'test','a':'b'}, m" && ok || fail "metadata"
expect_exit 2 "$MSCAN" convert g/vision.pt -o m2.safetensors --metadata format=tf

# Byte order override: storages read as big-endian are byte-swapped
expect_exit 0 "$MSCAN" convert g/dtypes.pt -o be.safetensors --byteorder big
expect_exit 0 "$MSCAN" verify be.safetensors --against g/dtypes.pt --byteorder big
expect_exit 1 "$MSCAN" verify be.safetensors --against g/dtypes.pt
"$PY" - <<'PYEOF' && ok || fail "byte swap"
import torch
from safetensors.torch import load_file
sd, st = torch.load("g/dtypes.pt"), load_file("be.safetensors")
for k in ("f32", "i64", "bf16", "u8"):
    a = sd[k].contiguous().view(torch.uint8).view(-1, sd[k].element_size()).flip(1).reshape(-1)
    assert torch.equal(a, st[k].view(torch.uint8).reshape(-1)), k
PYEOF

# Sharded folder: HF layout, --shard-size with decimal units, verify through the index
expect_exit 0 "$MSCAN" convert g/sharded -o sh --shard-size 10KB
[ -f sh/model.safetensors.index.json ] && [ -f sh/model-00001-of-00005.safetensors ] && ok || { fail "shard layout"; ls sh >&2; }
check_load sh g/sharded
expect_exit 0 "$MSCAN" verify sh --against g/sharded
"$PY" - <<'PYEOF' && ok || fail "shard index"
import json, os
ix = json.load(open("sh/model.safetensors.index.json"))
assert ix["metadata"]["total_size"] == 9 * 32 * 32 * 4
assert len(ix["weight_map"]) == 9 and all(os.path.exists("sh/" + f) for f in ix["weight_map"].values())
PYEOF
expect_exit 0 "$MSCAN" convert g/sharded -o sh1
[ "$(ls sh1 | grep -c safetensors$)" = 1 ] && ok || fail "default shard size: one shard"

# A flipped byte in a converted file or shard: verify names tensor and element, exit 1
cp vision.safetensors flip.safetensors
"$PY" -c "
b = bytearray(open('flip.safetensors','rb').read()); b[-3] ^= 0x10; open('flip.safetensors','wb').write(b)"
expect_exit 1 "$MSCAN" verify flip.safetensors --against g/vision.pt
expect_grep 'element [0-9]+ differs: original 0x' last.out
cp -r sh shflip
"$PY" -c "
b = bytearray(open('shflip/model-00003-of-00005.safetensors','rb').read()); b[-100] ^= 1
open('shflip/model-00003-of-00005.safetensors','wb').write(b)"
expect_exit 1 "$MSCAN" verify shflip --against g/sharded
expect_exit 1 "$MSCAN" verify vision.safetensors --against g/dtypes.pt

# Existing output is not replaced without --force; input never modified
sum_before=$(sha256sum g/vision.pt)
expect_exit 2 "$MSCAN" convert g/vision.pt -o vision.safetensors
expect_grep 'already exists' last.err
expect_exit 0 "$MSCAN" convert g/vision.pt -o vision.safetensors --force
[ "$sum_before" = "$(sha256sum g/vision.pt)" ] && ok || fail "input modified"
expect_exit 0 "$MSCAN" convert g/sharded -o sh --force --shard-size 10KB

# Malicious input is refused unless --force (tensors still converted without executing)
"$PY" - <<'PYEOF'
import torch, zipfile, io
torch.save({"w": torch.ones(2)}, "evil.pt")
z = zipfile.ZipFile("evil.pt"); names = z.namelist(); data = {n: z.read(n) for n in names}; z.close()
pk = [n for n in names if n.endswith("data.pkl")][0]
# a REDUCE of posix.system appended as an extra dict entry
p = data[pk]
assert p.endswith(b"."), p[-4:]
data[pk] = p[:-1] + b"X\x04\x00\x00\x00evilcposix\nsystem\nX\n\x00\x00\x00echo pwned\x85Rs."
with zipfile.ZipFile("evil.pt", "w") as z:
    for n in names: z.writestr(n, data[n])
PYEOF
expect_exit 1 "$MSCAN" convert evil.pt -o evil.safetensors
expect_grep 'refused' last.err
[ -e evil.safetensors ] && fail "refused output exists" || ok
expect_exit 2 "$MSCAN" convert --force evil.pt -o evil.safetensors
expect_grep 'cannot convert.*posix.system' last.err

# Faults: ulimit -f (EFBIG) and a read-only destination: exit 2, clear message, nothing left
"$PY" -c "
import torch; torch.save({'big': torch.zeros(1 << 20)}, 'g/big.pt')"
expect_exit 2 bash -c "ulimit -f 1000; exec '$MSCAN' convert g/big.pt -o fz/out.safetensors" 2>/dev/null
mkdir -p fz
expect_exit 2 bash -c "ulimit -f 1000; exec '$MSCAN' convert g/big.pt -o fz/out.safetensors"
expect_grep 'File too large|file size limit' last.err
[ -z "$(ls -A fz)" ] && ok || { fail "ulimit -f left files"; ls -la fz >&2; }
mkdir -p ro && chmod 555 ro
ro_check() { # WHAT CMD...: convert into ro/ through CMD: exit 2, the reason, nothing left in ro/
	expect_exit 2 "$@" "$MSCAN" convert "$TMP/g/vision.pt" -o "$TMP/ro/out.safetensors"
	expect_grep 'Permission denied|Read-only' last.err
	[ -z "$(ls -A ro)" ] && ok || fail "$1: read-only destination has files"
}
if [ "$(id -u)" != 0 ]; then
	ro_check env
else
	# Root ignores permission bits: write as an unprivileged user (needs CAP_SETUID), and
	# into a read-only bind mount in a private mount namespace (needs CAP_SYS_ADMIN; the
	# mount is gone with the namespace).
	ran=0
	chmod 755 "$TMP"
	if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
		ro_check setpriv --reuid=65534 --regid=65534 --clear-groups; ran=1
	fi
	if unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"' sh ro 2>/dev/null; then
		ro_check unshare -m sh -c 'mount --bind ro ro && mount -o remount,bind,ro ro && exec "$@"' sh
		ran=1
	fi
	[ "$ran" = 1 ] || skip "read-only destination: root without setpriv or a mount namespace"
fi
chmod 755 ro

# SIGKILL mid-way leaves no OUTPUT (at most a hidden temporary); SIGTERM leaves nothing
"$PY" -c "
import torch; torch.save({'w%d' % i: torch.randn(1 << 20) for i in range(48)}, 'g/large.pt')"
mkdir -p kill term
"$MSCAN" convert -q g/large.pt -o kill/out.safetensors & pid=$!
sleep 0.15; kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
[ ! -e kill/out.safetensors ] && ok || fail "SIGKILL left OUTPUT"
[ -z "$(ls kill)" ] && ok || fail "SIGKILL left a visible file"
"$MSCAN" convert -q g/large.pt -o term/out.safetensors & pid=$!
sleep 0.15; kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null
[ -z "$(ls -A term)" ] || [ -e term/out.safetensors ] && ok || { fail "SIGTERM left a temporary"; ls -la term >&2; }
[ -z "$(ls -A term | grep -v '^out.safetensors$')" ] && ok || fail "SIGTERM left a temporary"

# --force never replaces the input itself
cp g/big.pt self.pt 2>/dev/null || cp "$ROOT/corpus/benign/conv_tx.pt" self.pt
sum0=$(sha256sum self.pt)
expect_exit 2 "$MSCAN" convert self.pt -o self.pt --force
expect_grep 'is the input' last.err
[ "$(sha256sum self.pt)" = "$sum0" ] && ok || fail "convert -o INPUT --force changed the input"
# A progress line on a terminal only (script(1) gives the command a pty), erased at the end.
if ! command -v script >/dev/null; then
	skip "progress line on a terminal: no script(1) (bsdutils)"
else
	script -qec "'$MSCAN' convert --force g/big.pt -o tty.safetensors" /dev/null >tty.out 2>&1
	grep -q 'writing 100%' tty.out && ok || fail "no progress line on a terminal"
	"$MSCAN" convert --force g/big.pt -o notty.safetensors 2>notty.err
	grep -q 'writing' notty.err && fail "progress line written to a pipe" || ok
fi
t_done
