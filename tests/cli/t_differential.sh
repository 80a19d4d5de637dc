#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Differential test (tests/diff/differential.py): for every corpus pickle and DIFF_COUNT
# random pickles, the globals mscan lists must be those CPython's Unpickler.find_class is asked
# for. Any mismatch is printed with the file and both lists, and fails.
set -u
. "$(dirname "$0")/lib.sh"
PY=${PY:-python3}
# Without joblib and numpy the harness compares joblib files as plain pickles only.
has_py_modules joblib numpy || skip "joblib's NumpyUnpickler as the oracle: $PY lacks joblib or numpy"
if "$PY" "$ROOT/tests/diff/differential.py" --mscan "$MSCAN" --corpus "$ROOT/corpus" \
	--count "${DIFF_COUNT:-5000}" --seed "${DIFF_SEED:-20261123}" --work "$TMP/diff" \
	>"$TMP/diff.out" 2>&1; then
	ok
else
	fail "differential: mismatches (or the harness failed)"
fi
grep -E '^(MISMATCH|  cpython|  mscan|\.\.\.|differential:|Traceback|[A-Za-z]+Error)' "$TMP/diff.out" | head -200 >&2
t_done
