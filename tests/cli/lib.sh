# SPDX-License-Identifier: Apache-2.0
# Helpers for tests/cli/t_*.sh. Each script counts its own passes and failures.
T_PASS=0
T_FAIL=0
ok()   { T_PASS=$((T_PASS + 1)); }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*" >&2; }
# expect_exit CODE CMD...: runs CMD (output to $TMP/last.out / last.err), checks its exit code.
expect_exit() {
	local want=$1; shift
	"$@" >"$TMP/last.out" 2>"$TMP/last.err"
	local got=$?
	if [ "$got" = "$want" ]; then ok; else
		fail "exit $got, want $want: $*"; sed 's/^/  | /' "$TMP/last.out" "$TMP/last.err" | head -20 >&2
	fi
}
# expect_grep PATTERN FILE: FILE contains PATTERN (extended regex).
expect_grep() { if grep -Eq -- "$1" "$2"; then ok; else fail "'$1' not in $2"; fi; }
t_done() { echo "$(basename "$0"): $T_PASS passed, $T_FAIL failed"; [ "$T_FAIL" = 0 ]; }
