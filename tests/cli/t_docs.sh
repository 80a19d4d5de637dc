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
# The rule table (scanner/rule_list.h) and the docs agree row by row: same ids, same default
# severity; and no source names a built-in rule id outside the table.
sed -n 's/^MS_RULE([A-Z0-9_]*, "\(MS-[A-Z0-9-]*\)", MS_SEV_\([A-Z]*\),.*/\1 \2/p' \
	"$ROOT"/scanner/rule_list.h | tr 'A-Z' 'a-z' | sed 's/^\([^ ]*\)/\U\1/' | sort >table.txt
[ -s table.txt ] && ok || fail "no rows read from scanner/rule_list.h"
grep -h '^| MS-' "$ROOT"/docs/rules-pickle.md "$ROOT"/docs/rules-formats.md |
	awk -F'|' '{gsub(/ /, "", $2); gsub(/ /, "", $3); print $2, $3}' | sort >documented.txt
if cmp -s table.txt documented.txt; then ok; else
	fail "scanner/rule_list.h and docs/rules-{pickle,formats}.md disagree (< table, > docs)"
	diff table.txt documented.txt | head -10 >&2
fi
grep -rlE '"MS-[A-Z0-9]+(-[A-Z0-9]+)+"' "$ROOT"/scanner "$ROOT"/formats "$ROOT"/convert "$ROOT"/cli |
	grep -v '/scanner/rule_list.h$' >outside.txt
[ ! -s outside.txt ] && ok || fail "rule ids written outside scanner/rule_list.h: $(tr '\n' ' ' <outside.txt)"
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
