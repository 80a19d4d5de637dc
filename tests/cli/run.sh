#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every tests/cli/t_*.sh; prints one closing "N passed, N failed" line.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT MSCAN PY BUILDDIR
pass=0 failed=0
for t in "$ROOT"/tests/cli/t_*.sh; do
	[ -e "$t" ] || continue
	TMP=$(mktemp -d)
	export TMP
	if bash "$t"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAILED: $t" >&2; fi
	rm -rf "$TMP"
done
echo "cli: $pass passed, $failed failed"
[ "$failed" = 0 ]
