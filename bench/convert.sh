#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Convert/verify/sign benchmark on a >= 1 GB checkpoint made with torch in a temp folder:
#   mscan convert  vs  torch.load + safetensors.torch.save_file  vs  cp of the same bytes
#   mscan verify   vs  cmp
#   mscan sign     vs  minisign -S
# plus peak RSS of each mscan command (/usr/bin/time -v). Not part of `make check`.
# usage: bench/convert.sh [MSCAN] [PYTHON]   (env: BENCH_MB=1024 total tensor megabytes, RUNS=3)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MSCAN=${1:-$ROOT/build/mscan}
PY=${2:-$ROOT/build/venv/bin/python}
MB=${BENCH_MB:-1024}
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/mscan-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

echo "== making a ${MB} MB checkpoint (torch.save, zip format)"
"$PY" - "$MB" <<'PYEOF'
import sys, torch, collections
mb = int(sys.argv[1])
n = 64                                   # tensors
per = mb * (1 << 20) // n // 4           # float32 elements each
g = torch.Generator().manual_seed(0)
sd = collections.OrderedDict()
for i in range(n):
    sd[f"layers.{i}.weight"] = torch.randn(per, generator=g).view(-1, 1024) if per % 1024 == 0 else torch.randn(per, generator=g)
sd["embed.weight"] = torch.randn(1000, 64, generator=g)
sd["lm_head.weight"] = sd["embed.weight"]           # tied
torch.save(sd, "model.bin")
PYEOF
SIZE=$(stat -c %s model.bin)
echo "checkpoint: $SIZE bytes"
sync

# median of RUNS wall-clock seconds of a command (run after one warm-up)
med() {
	local t=()
	"$@" >/dev/null 2>&1 || true
	for _ in $(seq "$RUNS"); do
		local s e
		s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
		t+=("$(echo "$e - $s" | bc)")
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}
rss() { # peak RSS in KiB
	/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}'
}

"$MSCAN" keygen -p k.pub -s k.key >/dev/null
minisign -G -W -p m.pub -s m.key >/dev/null 2>&1

t_conv=$(med bash -c "rm -f out.safetensors; '$MSCAN' convert -q model.bin -o out.safetensors")
t_py=$(med bash -c "rm -f py.safetensors; '$PY' -c \"
import torch
from safetensors.torch import save_file
sd = torch.load('model.bin', map_location='cpu')
seen = {}
out = {}
for k, v in sd.items():
    p = v.untyped_storage().data_ptr() if hasattr(v, 'untyped_storage') else v.storage().data_ptr()
    if p in seen: continue
    seen[p] = k; out[k] = v.contiguous()
save_file(out, 'py.safetensors', metadata={'format': 'pt'})\"")
t_pysync=$(med bash -c "rm -f py.safetensors; '$PY' -c \"
import torch
from safetensors.torch import save_file
sd = torch.load('model.bin', map_location='cpu')
del sd['lm_head.weight']
save_file({k: v.contiguous() for k, v in sd.items()}, 'py.safetensors', metadata={'format': 'pt'})\" && sync -f py.safetensors")
t_cp=$(med bash -c "rm -f cp.bin; cp model.bin cp.bin && sync -f cp.bin")
t_cpnosync=$(med bash -c "rm -f cp2.bin; cp model.bin cp2.bin")
"$MSCAN" convert -q model.bin -o out.safetensors --force
t_ver=$(med "$MSCAN" verify -q out.safetensors --against model.bin --device cpu)
t_cmp=$(med cmp model.bin cp.bin)
t_sign=$(med "$MSCAN" sign out.safetensors --key k.key)
t_msign=$(med minisign -S -s m.key -m out.safetensors)
"$MSCAN" sign out.safetensors --key k.key
t_vsig=$(med "$MSCAN" verify-sig -q out.safetensors --pubkey k.pub)

r_conv=$(rss bash -c "rm -f out.safetensors; exec '$MSCAN' convert -q model.bin -o out.safetensors")
r_ver=$(rss "$MSCAN" verify -q out.safetensors --against model.bin --device cpu)
r_sign=$(rss "$MSCAN" sign out.safetensors --key k.key)
r_py=$(rss "$PY" -c "
import torch
from safetensors.torch import save_file
sd = torch.load('model.bin', map_location='cpu')
del sd['lm_head.weight']
save_file({k: v.contiguous() for k, v in sd.items()}, 'py2.safetensors', metadata={'format': 'pt'})")

ratio() { echo "scale=2; $1 / $2" | bc; }
echo
echo "median of $RUNS runs, seconds (checkpoint $((SIZE / 1000000)) MB)"
printf '%-46s %8s\n' "mscan convert (write+verify+fsync+rename)" "$t_conv"
printf '%-46s %8s   mscan is %sx faster\n' "torch.load + save_file" "$t_py" "$(ratio "$t_py" "$t_conv")"
printf '%-46s %8s   mscan is %sx faster\n' "torch.load + save_file + sync" "$t_pysync" "$(ratio "$t_pysync" "$t_conv")"
printf '%-46s %8s   mscan/cp = %s\n' "cp + sync" "$t_cp" "$(ratio "$t_conv" "$t_cp")"
printf '%-46s %8s   mscan/cp = %s\n' "cp (no sync)" "$t_cpnosync" "$(ratio "$t_conv" "$t_cpnosync")"
printf '%-46s %8s\n' "mscan verify --device cpu" "$t_ver"
printf '%-46s %8s   verify/cmp = %s\n' "cmp" "$t_cmp" "$(ratio "$t_ver" "$t_cmp")"
printf '%-46s %8s\n' "mscan sign" "$t_sign"
printf '%-46s %8s   sign/minisign = %s\n' "minisign -S" "$t_msign" "$(ratio "$t_sign" "$t_msign")"
printf '%-46s %8s\n' "mscan verify-sig" "$t_vsig"
echo
echo "peak RSS (KiB): convert $r_conv, verify $r_ver, sign $r_sign, python path $r_py"
echo "convert RSS / model size = $(echo "scale=4; $r_conv * 1024 * 100 / $SIZE" | bc)%"
