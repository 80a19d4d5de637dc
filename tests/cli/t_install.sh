#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make install puts the binary, man page, rules, header, library and pkg-config file in place,
# and a program built against the installed library through pkg-config works.
set -u
. "$ROOT/tests/cli/lib.sh"
cd "$ROOT"
dest=$TMP/inst
# BUILD_VARS: the SAN/CUDA settings $BUILDDIR was built with, so install relinks nothing.
# shellcheck disable=SC2086
expect_exit 0 make -s install ${BUILD_VARS:-} BUILDDIR="$BUILDDIR" PREFIX=/opt/mscan DESTDIR="$dest"
for f in bin/mscan share/man/man1/mscan.1 include/mscan/mscan.h lib/libmscan.a \
         lib/pkgconfig/mscan.pc share/mscan/rules/compat_pickle.txt; do
	[ -e "$dest/opt/mscan/$f" ] && ok || fail "missing $f"
done
sed -i "s|^prefix=.*|prefix=$dest/opt/mscan|" "$dest/opt/mscan/lib/pkgconfig/mscan.pc"
cat > "$TMP/use.c" <<'CEOF'
#include <mscan/mscan.h>
#include <stdio.h>
int main(void)
{
	ms_ctx *c;
	ms_result *r;
	static const unsigned char p[] = "\x80\x02K\x01.";
	if (ms_ctx_new(NULL, &c) != MS_OK) return 3;
	if (ms_scan_buffer(c, "mem", p, sizeof p - 1, &r) != MS_OK) return 4;
	printf("%s %d\n", ms_result_format(r), ms_result_max_severity(r));
	ms_result_free(r);
	ms_ctx_free(c);
	return 0;
}
CEOF
# A sanitizer build of the library needs the sanitizer runtimes at link time (SAN_LDFLAGS).
if PKG_CONFIG_PATH="$dest/opt/mscan/lib/pkgconfig" cc ${SAN_LDFLAGS:-} -o "$TMP/use" "$TMP/use.c" \
	$(PKG_CONFIG_PATH="$dest/opt/mscan/lib/pkgconfig" pkg-config --cflags --libs --static mscan) 2>"$TMP/cc.err"; then
	ok
	expect_exit 0 "$TMP/use"
	expect_grep '^pickle -1$' "$TMP/last.out"
else
	fail "cannot build against installed library"; cat "$TMP/cc.err" >&2
fi
t_done
