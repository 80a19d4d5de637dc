#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/compare_outputs.sh [OLD_REV] [NEW_MSCAN]
#
# Behaviour check for refactors: builds git revision OLD_REV (default HEAD) in a scratch
# worktree and compares, for every file under corpus/, what the old and the new binary print
# and exit with for `scan --format json`, `scan --format json --list-globals`,
# `scan --format json --weights-only`, `scan --format sarif` and `dis`, plus the bytes of
# `convert --force` outputs. Prints one line per difference and "N outputs compared, M differ";
# exits 1 when anything differs. NEW_MSCAN defaults to build/mscan of this checkout.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OLD_REV=${1:-HEAD}
NEW=${2:-$ROOT/build/mscan}
WORK=$ROOT/build/compare
OLD_TREE=$WORK/old-tree
mkdir -p "$WORK"

if [ ! -x "$NEW" ]; then echo "compare: $NEW is not built (run make)" >&2; exit 2; fi
rev=$(git -C "$ROOT" rev-parse --verify "$OLD_REV^{commit}") || exit 2
if [ "$(cat "$WORK/old.rev" 2>/dev/null)" != "$rev" ] || [ ! -x "$WORK/old-mscan" ]; then
	rm -rf "$OLD_TREE" && mkdir -p "$OLD_TREE"
	git -C "$ROOT" archive "$rev" | tar -x -C "$OLD_TREE" || exit 2
	make -C "$OLD_TREE" -j"$(nproc)" build/mscan >"$WORK/old-build.log" 2>&1 ||
		{ echo "compare: building $OLD_REV failed, see $WORK/old-build.log" >&2; exit 2; }
	cp "$OLD_TREE/build/mscan" "$WORK/old-mscan" && echo "$rev" >"$WORK/old.rev"
fi
OLD=$WORK/old-mscan

out=$WORK/out
rm -rf "$out" && mkdir -p "$out/old" "$out/new"
n=0 bad=0
# run TAG BIN ARGS...: one output of BIN into $out/TAG/<n>.{out,err,rc}; paths made relative.
run() {
	local tag=$1 bin=$2; shift 2
	(cd "$ROOT" && "$bin" "$@" >"$out/$tag/$n.out" 2>"$out/$tag/$n.err"; echo $? >"$out/$tag/$n.rc")
	sed -i "s|$bin|mscan|g" "$out/$tag/$n.err" "$out/$tag/$n.out"
}
same() { cmp -s "$out/old/$n.$1" "$out/new/$n.$1"; }
compare() { # compare DESCRIPTION ARGS...
	local what=$1; shift
	n=$((n + 1))
	run old "$OLD" "$@"
	run new "$NEW" "$@"
	if ! same out || ! same err || ! same rc; then
		bad=$((bad + 1)); echo "DIFFERS: $what"
	fi
}

while IFS= read -r f; do
	rel=${f#"$ROOT"/}
	compare "scan json $rel" scan --format json "$rel"
	compare "scan json --list-globals $rel" scan --format json --list-globals "$rel"
	compare "scan json --weights-only $rel" scan --format json --weights-only "$rel"
	compare "scan sarif $rel" scan --format sarif "$rel"
	compare "dis $rel" dis "$rel"
	for tag in old new; do
		bin=$OLD; [ $tag = new ] && bin=$NEW
		rm -rf "$out/conv-$tag" && mkdir -p "$out/conv-$tag"
		(cd "$ROOT" && "$bin" convert -q --force "$rel" -o "$out/conv-$tag/o.safetensors" \
			>/dev/null 2>"$out/conv-$tag.err"; echo $? >"$out/conv-$tag.rc")
		sed -i "s|$out/conv-$tag|OUT|g; s|$bin|mscan|g" "$out/conv-$tag.err"
	done
	n=$((n + 1))
	if ! cmp -s "$out/conv-old.rc" "$out/conv-new.rc" || ! cmp -s "$out/conv-old.err" "$out/conv-new.err" ||
		! diff -r "$out/conv-old" "$out/conv-new" >/dev/null; then
		bad=$((bad + 1)); echo "DIFFERS: convert $rel"
	fi
done < <(find "$ROOT/corpus" -type f ! -name '*.expect' ! -path '*/gen/*' | sort)

# Whole-folder runs exercise the walk, -j and the summaries.
compare "scan json corpus/" scan --format json -j 2 corpus
compare "scan text corpus/" scan corpus
echo "$n outputs compared, $bad differ"
[ "$bad" = 0 ]
