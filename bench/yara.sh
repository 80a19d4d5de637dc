#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scan time with and without YARA: on corpus/ and on a large (1 GB by default) torch
# checkpoint of random tensors, plus the all-bytes YARA pass (`mscan rules check`) over it.
# Usage: bench/yara.sh [MSCAN] [SIZE_MB]   (not part of make check; prints a table)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MSCAN=${1:-$ROOT/build/mscan}
SIZE_MB=${2:-1024}
PY=${PY:-/usr/bin/python3}
RUNS=${RUNS:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$PY" - "$TMP/big.pt" "$SIZE_MB" <<'P'
import sys, torch
path, mb = sys.argv[1], int(sys.argv[2])
g = torch.Generator().manual_seed(3)
n = mb * (1 << 20) // (4 * 4096 * 1024)
torch.save({f"layers.{i}.weight": torch.randn(4096, 1024, generator=g) for i in range(max(n, 1))}, path)
P

# best of RUNS wall-clock seconds of a command (output discarded, exit status ignored)
best() {
	local b=""
	for _ in $(seq "$RUNS"); do
		local s e
		s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
		b=$(echo "$s $e ${b:-1e9}" | awk '{d=$2-$1; print (d<$3)?d:$3}')
	done
	printf '%.3f' "$b"
}

# warm the page cache so the runs compare CPU work, not disk
cat "$TMP/big.pt" >/dev/null
sz=$(du -m "$TMP/big.pt" | cut -f1)
ncorpus=$(find "$ROOT/corpus" -type f ! -name '*.expect' ! -name '*.py' | wc -l)
printf '%-44s %10s\n' "case" "seconds"
printf '%-44s %10s\n' "corpus ($ncorpus files) scan" "$(best "$MSCAN" scan "$ROOT/corpus")"
printf '%-44s %10s\n' "corpus scan --no-yara" "$(best "$MSCAN" scan --no-yara "$ROOT/corpus")"
printf '%-44s %10s\n' "${sz} MB checkpoint scan" "$(best "$MSCAN" scan "$TMP/big.pt")"
printf '%-44s %10s\n' "${sz} MB checkpoint scan --no-yara" "$(best "$MSCAN" scan --no-yara "$TMP/big.pt")"
printf '%-44s %10s\n' "${sz} MB checkpoint scan --yara-all-bytes" "$(best "$MSCAN" scan --yara-all-bytes "$TMP/big.pt")"
printf '%-44s %10s\n' "${sz} MB rules check (all bytes, kind data)" "$(best "$MSCAN" rules check "$TMP/big.pt")"
printf '%-44s %10s\n' "rules list (compile only: startup)" "$(best "$MSCAN" rules list)"
printf '%-44s %10s\n' "--version (no YARA: process baseline)" "$(best "$MSCAN" --version)"
