# SPDX-License-Identifier: Apache-2.0
# Helpers for tests/cli/t_*.sh. Each script counts its own passes, failures and skips.
T_PASS=0
T_FAIL=0
T_SKIP=0
ok()   { T_PASS=$((T_PASS + 1)); }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*" >&2; }
# skip REASON: a check that could not run (a missing tool or module). It is printed and
# counted, never silent: tests/cli/run.sh totals the skips, and under MSCAN_CI=1 (.ci/run) a
# skip fails the script and the run, so CI proves every check ran. `make deps` installs what
# the checks need.
skip() {
	T_SKIP=$((T_SKIP + 1))
	echo "SKIP: $(basename "$0"): $*" >&2
	[ -n "${TMP:-}" ] && echo "$(basename "$0"): $*" >>"$TMP/skipped"
	return 0
}
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
# has_py_modules MOD...: $PY imports every MOD.
has_py_modules() { local IFS=,; "$PY" -c "import $*" 2>/dev/null; }
t_done() {
	echo "$(basename "$0"): $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	if [ "${MSCAN_CI:-0}" = 1 ] && [ "$T_SKIP" != 0 ]; then
		echo "FAIL: $(basename "$0"): $T_SKIP skipped under MSCAN_CI=1 (run make deps)" >&2
		return 1
	fi
	[ "$T_FAIL" = 0 ]
}
