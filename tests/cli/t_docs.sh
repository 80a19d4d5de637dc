#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Documentation that is checked: every rule id the sources can report has a line in
# docs/rules-*.md and an example finding in docs/json-examples.md, which is exactly what
# docs/json_examples.py makes from the corpus today; the man page renders without warnings.
set -u
. "$ROOT/tests/cli/lib.sh"
cd "$TMP"
grep -rhoE '"MS-[A-Z0-9]+(-[A-Z0-9]+)+"' "$ROOT"/scanner "$ROOT"/formats "$ROOT"/convert "$ROOT"/cli |
	tr -d '"' | sort -u >ids.txt
for id in $(cat ids.txt); do
	grep -q "^| $id |" "$ROOT"/docs/rules-*.md && ok || fail "$id has no line in docs/rules-*.md"
done
expect_exit 0 "$PY" "$ROOT/docs/json_examples.py" "$MSCAN" ex.md
if cmp -s ex.md "$ROOT/docs/json-examples.md"; then ok; else
	fail "docs/json-examples.md is stale: run docs/json_examples.py build/mscan"
	diff "$ROOT/docs/json-examples.md" ex.md | head -20 >&2
fi
if ! command -v man >/dev/null; then
	skip "man page warnings: no man(1) (man-db)"
else
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$ROOT/cli/mscan.1" >man.txt 2>man.err
	[ -s man.txt ] && [ ! -s man.err ] && ok || { fail "man page warnings"; head -5 man.err >&2; }
fi
t_done
