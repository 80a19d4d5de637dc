#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every global symbol the installed libmscan.a defines starts with ms_, so that linking it
# into a program cannot clash with the program's names or another library's (some of ours
# sat in libzip's zip_* namespace). tests/cli/symbols.allow lists the unprefixed names that
# remain from before this check; it may only shrink: a name not in it fails. The public
# headers declare no identifier starting with `_` (reserved to the implementation).
set -u
. "$ROOT/tests/cli/lib.sh"
LIB=$BUILDDIR/libmscan.a
ALLOW=$ROOT/tests/cli/symbols.allow

if [ ! -f "$LIB" ]; then
	fail "$LIB is not built"
	t_done
	exit
fi
# nm -g --defined-only: "address type name" for each defined external symbol of each member.
nm -g --defined-only "$LIB" >"$TMP/nm.out" 2>"$TMP/nm.err" && ok || fail "nm $LIB: $(cat "$TMP/nm.err")"
# Names that are no C identifier (DW.ref.__gxx_personality_v0) or start with __
# (__odr_asan.*, __asan_*) are made by the compiler or a sanitizer, not by our code.
awk 'NF == 3 && $3 !~ /^ms_/ && $3 !~ /^__/ && $3 !~ /[.]/ {print $3}' "$TMP/nm.out" |
	LC_ALL=C sort -u >"$TMP/unprefixed"
LC_ALL=C sort -u "$ALLOW" >"$TMP/allow"
LC_ALL=C comm -23 "$TMP/unprefixed" "$TMP/allow" >"$TMP/new"
if [ -s "$TMP/new" ]; then
	fail "global symbols without the ms_ prefix (make them static, or name them ms_*):"
	sed 's/^/  | /' "$TMP/new" >&2
else
	ok
	echo "  $(wc -l <"$TMP/unprefixed") unprefixed global symbols, all in symbols.allow"
fi

# Identifiers in the public headers, comments and string literals removed.
for h in "$ROOT"/include/mscan/*.h; do
	bad=$(sed 's://.*$::' "$h" | perl -0pe 's:/\*.*?\*/::gs; s/"(\\.|[^"\\])*"//g' |
		grep -oE '(^|[^A-Za-z0-9_])_[A-Za-z0-9_]*' | sed 's/^[^_]//' |
		grep -vx '__attribute__' | sort -u | tr '\n' ' ')
	if [ -n "$bad" ]; then fail "$(basename "$h"): identifiers starting with _: $bad"; else ok; fi
done
t_done
