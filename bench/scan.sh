#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scan benchmark: mscan against picklescan (and modelscan when installed) in the same run, on
# corpus/ and on a folder of real torch.save checkpoints (made once with Debian's python3-torch,
# kept in $BENCH_CKPT), with hyperfine; then "time independent of tensor bytes": mscan on a
# 100 MB, a 1 GB and a 5 GB checkpoint, with the pages each run touched. See bench/README.md.
# Usage: bench/scan.sh [MSCAN]   (make bench passes build/mscan)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MSCAN=${1:-$ROOT/build/mscan}
RUNS=${BENCH_RUNS:-5}
CKPT=${BENCH_CKPT:-$ROOT/build/bench-ckpt}
OUT=${BENCH_OUT:-$ROOT/build/bench}
TORCH_PY=${TORCH_PY:-/usr/bin/python3}
PICKLESCAN=${PICKLESCAN:-$ROOT/build/venv/bin/picklescan}
MODELSCAN=${MODELSCAN:-$ROOT/build/venv-modelscan/bin/modelscan}
mkdir -p "$CKPT" "$OUT"
command -v hyperfine >/dev/null || { echo "bench: hyperfine not installed (make deps)" >&2; exit 2; }
[ -x "$MSCAN" ] || { echo "bench: no mscan at $MSCAN" >&2; exit 2; }

# ---- checkpoints (made once; ~6.2 GB in all) --------------------------------------------------
"$TORCH_PY" - "$CKPT" <<'PYEOF' || { echo "bench: could not make checkpoints (python3-torch?)" >&2; exit 2; }
import collections, os, sys
import torch
d = sys.argv[1]
torch.manual_seed(0)
def save(name, sd):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        torch.save(sd, p + ".tmp")
        os.rename(p + ".tmp", p)
save("tiny_linear.pt", torch.nn.Linear(8, 4).state_dict())
save("mlp_10mb.pt", torch.nn.Sequential(torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
                                        torch.nn.Linear(1024, 1024)).state_dict() | 
     {"emb": torch.zeros(512, 1024)})
save("many_tensors_5000.pt", collections.OrderedDict(
    ("layer%d.%s" % (i // 2, "weight" if i % 2 == 0 else "bias"), torch.zeros(16)) for i in range(5000)))
save("state_100mb.pt", collections.OrderedDict(("w%d" % i, torch.zeros(1024, 1024, 5)) for i in range(5)))
save("state_1gb.pt", collections.OrderedDict(("w%d" % i, torch.zeros(1024, 1024, 16)) for i in range(16)))
save("state_5gb.pt", collections.OrderedDict(("w%d" % i, torch.zeros(1024, 1024, 16)) for i in range(80)))
# 1000 small real checkpoints of random layer stacks (state dicts, a quarter of them wrapped
# with epoch and optimiser settings as training scripts save them): the per-file cost.
import random
folder = os.path.join(d, "folder_1000")
if not os.path.isdir(folder):
    os.makedirs(folder + ".tmp", exist_ok=True)
    rnd = random.Random(1)
    nn = torch.nn
    for i in range(1000):
        w = rnd.choice([8, 16, 32, 64])
        layers = []
        for _ in range(rnd.randint(1, 12)):
            k = rnd.choice(["lin", "conv", "bn", "ln", "emb"])
            layers.append({"lin": lambda: nn.Linear(w, w), "conv": lambda: nn.Conv2d(w, w, 3),
                           "bn": lambda: nn.BatchNorm2d(w), "ln": lambda: nn.LayerNorm(w),
                           "emb": lambda: nn.Embedding(100, w)}[k]())
        sd = nn.Sequential(*layers).state_dict()
        obj = sd if i % 4 else {"model": sd, "epoch": i, "opt": {"lr": 0.1}}
        torch.save(obj, os.path.join(folder + ".tmp", "ck%04d.pt" % i))
    os.rename(folder + ".tmp", folder)
PYEOF

have_modelscan=0
[ -x "$MODELSCAN" ] && have_modelscan=1
[ -x "$PICKLESCAN" ] || { echo "bench: picklescan not installed (make pydeps)" >&2; exit 2; }

targets=("$ROOT/corpus" "$CKPT/folder_1000" "$CKPT/tiny_linear.pt" "$CKPT/mlp_10mb.pt"
         "$CKPT/many_tensors_5000.pt" "$CKPT/state_100mb.pt" "$CKPT/state_1gb.pt"
         "$CKPT/state_5gb.pt")
for t in "${targets[@]}"; do
	n=$(basename "$t")
	cmds=(-n mscan "$MSCAN scan -q '$t'" -n picklescan "$PICKLESCAN -p '$t'")
	[ "$have_modelscan" = 1 ] && cmds+=(-n modelscan "$MODELSCAN -p '$t'")
	# -i: scanners exit non-zero on findings (the corpus has malicious samples).
	hyperfine -N -i --warmup 1 --runs "$RUNS" --style none --export-json "$OUT/$n.json" \
		"${cmds[@]}" >"$OUT/$n.log" 2>&1 || hyperfine -i --warmup 1 --runs "$RUNS" --style none \
		--export-json "$OUT/$n.json" "${cmds[@]}" >"$OUT/$n.log" 2>&1
done

# Pages touched and bytes read by one scan of the 100 MB, 1 GB and 5 GB checkpoints.
for n in state_100mb.pt state_1gb.pt state_5gb.pt; do
	/usr/bin/time -f "%e %M %F %R" -o "$OUT/$n.rusage" "$MSCAN" scan -q "$CKPT/$n" >/dev/null 2>&1
	strace -f -c -e trace=read,pread64,mmap -o "$OUT/$n.strace" "$MSCAN" scan -q "$CKPT/$n" \
		>/dev/null 2>&1 || true
done

"$TORCH_PY" - "$OUT" "$CKPT" "${targets[@]}" <<'PYEOF'
import json, os, sys
out, ckpt, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
def size(p):
    if os.path.isfile(p): return os.path.getsize(p)
    return sum(os.path.getsize(os.path.join(a, f)) for a, _, fs in os.walk(p) for f in fs)
def nfiles(p):
    return 1 if os.path.isfile(p) else sum(len(fs) for _, _, fs in os.walk(p))
print("%-22s %10s %6s %11s %13s %13s %9s" % ("target", "bytes", "files", "mscan ms",
      "picklescan ms", "modelscan ms", "ratio"))
for t in targets:
    n = os.path.basename(t)
    try:
        res = {r["command"]: r for r in json.load(open(os.path.join(out, n + ".json")))["results"]}
    except Exception as e:
        print("%-22s (no result: %s)" % (n, e)); continue
    med = {k: r["median"] * 1000 for k, r in res.items()}
    ms, ps, mo = med.get("mscan"), med.get("picklescan"), med.get("modelscan")
    print("%-22s %10d %6d %11.2f %13.1f %13s %8.0fx" % (n, size(t), nfiles(t), ms, ps,
          "%.1f" % mo if mo else "-", ps / ms if ms else 0))
print()
print("median of each command over its runs; ratio = picklescan / mscan (same machine, same run)")
# Cost of each further file: the folder of 1000 minus one small checkpoint, over 999.
try:
    def med(n):
        return {r["command"]: r["median"] * 1000
                for r in json.load(open(os.path.join(out, n + ".json")))["results"]}
    f, one = med("folder_1000"), med("tiny_linear.pt")
    per = {k: (f[k] - one[k]) / 999 for k in ("mscan", "picklescan")}
    print("each further file of folder_1000: mscan %.3f ms, picklescan %.3f ms: %.0fx"
          % (per["mscan"], per["picklescan"], per["picklescan"] / per["mscan"]))
except Exception as e:
    print("per-file cost: no result (%s)" % e)
print()
r = {}
for n in ("state_100mb.pt", "state_1gb.pt", "state_5gb.pt"):
    try:
        e, rss, majf, minf = open(os.path.join(out, n + ".rusage")).read().split()[-4:]
    except Exception:
        continue
    st = open(os.path.join(out, n + ".strace")).read() if os.path.exists(os.path.join(out, n + ".strace")) else ""
    calls = {ln.split()[-1]: ln.split()[3] for ln in st.splitlines()
             if ln.strip() and ln.split()[-1] in ("read", "pread64", "mmap")}
    med = json.load(open(os.path.join(out, n + ".json")))["results"][0]["median"] * 1000
    r[n] = med
    print("%-16s %6d MB file: mscan %.2f ms median, max RSS %s KB, %s major + %s minor faults "
          "(<= %.1f MB of pages touched), syscalls %s" % (n, size(os.path.join(ckpt, n)) >> 20, med,
          rss, majf, minf, (int(majf) + int(minf)) * 4096 / 1e6, calls))
for big in ("state_1gb.pt", "state_5gb.pt"):
    if big in r and "state_100mb.pt" in r:
        print("%s / state_100mb.pt scan time: %.2fx (tensor bytes: %.1fx)" % (big,
              r[big] / r["state_100mb.pt"],
              size(os.path.join(ckpt, big)) / size(os.path.join(ckpt, "state_100mb.pt"))))
PYEOF
# Start-up is paid per call: what the binary loads.
echo "mscan --version: $("$MSCAN" --version); shared objects loaded: $(ldd "$MSCAN" | wc -l)"
