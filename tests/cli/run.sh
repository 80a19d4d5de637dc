#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every tests/cli/t_*.sh; prints one closing "N passed, N failed, N skipped" line (scripts
# passed and failed, checks skipped). With MSCAN_CI=1 any skip fails the run.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT MSCAN PY BUILDDIR
export MSCAN_CI=${MSCAN_CI:-0}
pass=0 failed=0 skipped=0
for t in "$ROOT"/tests/cli/t_*.sh; do
	[ -e "$t" ] || continue
	TMP=$(mktemp -d)
	export TMP
	if bash "$t"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAILED: $t" >&2; fi
	[ -f "$TMP/skipped" ] && skipped=$((skipped + $(wc -l <"$TMP/skipped")))
	rm -rf "$TMP"
done
echo "cli: $pass passed, $failed failed, $skipped skipped"
if [ "$MSCAN_CI" = 1 ] && [ "$skipped" != 0 ]; then
	echo "cli: MSCAN_CI=1 and $skipped checks skipped: the run fails" >&2
	exit 1
fi
[ "$failed" = 0 ]
