#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs each libFuzzer target for FUZZ_SECONDS, seeded from corpus/ (libarchive's seed step),
# with its .dict when present. New inputs go to build/fuzz/corpus-<target>/ (kept between
# runs); crashes to build/fuzz/crashes/. Prints one "N passed, N failed" line.
set -u
secs=${FUZZ_SECONDS:-8}
root=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 failed=0
mkdir -p "$root/build/fuzz/crashes"
for bin in "$@"; do
	name=$(basename "$bin")
	work="$root/build/fuzz/corpus-$name"
	mkdir -p "$work"
	seeds=()
	for d in "$root"/corpus/benign "$root"/corpus/malicious "$root"/corpus/malformed "$root"/corpus/regress; do
		[ -d "$d" ] && seeds+=("$d")
	done
	dict=()
	[ -f "$root/tests/fuzz/$name.dict" ] && dict=(-dict="$root/tests/fuzz/$name.dict")
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
		-print_final_stats=1 -artifact_prefix="$root/build/fuzz/crashes/$name-" "${dict[@]}" \
		"$work" "${seeds[@]}" >"$root/build/fuzz/$name.log" 2>&1; then
		pass=$((pass + 1))
		execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$root/build/fuzz/$name.log" | grep -o '[0-9]*$')
		cov=$(grep -o 'cov: [0-9]*' "$root/build/fuzz/$name.log" | tail -1)
		echo "fuzz $name: ${execs:-?} execs, ${cov:-cov: ?} in ${secs}s"
	else
		failed=$((failed + 1))
		echo "fuzz $name: FAILED (see build/fuzz/$name.log)" >&2
		grep -E 'ERROR|SUMMARY|artifact' "$root/build/fuzz/$name.log" | head -5 >&2
	fi
done
echo "fuzz: $pass passed, $failed failed"
[ "$failed" = 0 ]
