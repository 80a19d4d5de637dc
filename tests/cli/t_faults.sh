#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Faults while scanning many files: 10,000 files give the same report with -j 4 as with -j 1;
# files that vanish mid-scan or shrink while mapped, devices, FIFOs, unreadable files and a
# libzip without its functions are reported, never hang, never crash.
set -u
. "$ROOT/tests/cli/lib.sh"
cd "$TMP"
C=$ROOT/corpus

# 10,000 files of every kind (clean, malicious, malformed, archives), in nested folders.
"$PY" - "$C" <<'PYEOF'
import os, sys
corpus = sys.argv[1]
samples = []
for kind in ("benign", "malicious", "malformed"):
    for n in sorted(os.listdir(os.path.join(corpus, kind))):
        if not n.endswith(".expect"):
            with open(os.path.join(corpus, kind, n), "rb") as f:
                samples.append((n, f.read()))
for i in range(10000):
    name, data = samples[i % len(samples)]
    d = os.path.join("many", "d%02d" % (i % 37))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%05d-%s" % (i, name)), "wb") as f:
        f.write(data)
PYEOF
"$MSCAN" scan -f json -j 1 many >j1.json 2>/dev/null
rc1=$?
"$MSCAN" scan -f json -j 4 many >j4.json 2>/dev/null
rc4=$?
[ "$rc1" = 1 ] && [ "$rc4" = 1 ] && ok || fail "10,000 files: exit $rc1 with -j 1, $rc4 with -j 4"
if cmp -s j1.json j4.json; then ok; else fail "10,000 files: -j 4 report differs from -j 1"; fi
"$PY" -c 'import json,sys; s=json.load(open("j4.json"))["summary"]; sys.exit(s["files"] != 10000)' &&
	ok || fail "10,000 files: the report does not list 10,000 files"
"$MSCAN" scan -j 1 many >t1.txt 2>&1
"$MSCAN" scan -j 4 many >t4.txt 2>&1
if cmp -s t1.txt t4.txt; then ok; else fail "10,000 files: text report differs between -j 1 and -j 4"; fi

# Files deleted while the scan runs: each is scanned or reported, the run ends by itself.
mkdir vanish
for i in $(seq 1 2000); do cp "$C/benign/pkl_build_state.pkl" vanish/f$i.pkl; done
(sleep 0.05; rm -f vanish/f1*.pkl) &
timeout 120 "$MSCAN" scan -j 2 vanish >vanish.out 2>&1
rc=$?
wait
case $rc in 0|2) ok ;; *) fail "vanishing files: exit $rc"; tail -3 vanish.out >&2 ;; esac
grep -q '^scanned [0-9]* files' vanish.out && ok || fail "vanishing files: no summary line"

# libzip is opened on first use (formats/libzip_api.c). A libzip without its functions, found
# first on the library path, makes convert fail with the reason and exit 2; scans go on, and
# an irregular archive is still reported (libzip only adds its opinion there).
soname=$(objdump -p "$(cc -print-file-name=libzip.so)" 2>/dev/null | awk '$1 == "SONAME" {print $2}')
mkdir fakezip
echo 'int mscan_test_not_libzip;' >fakezip/f.c
if [ -n "$soname" ] && cc -shared -fPIC -o "fakezip/$soname" fakezip/f.c; then
	expect_exit 2 env LD_LIBRARY_PATH="$TMP/fakezip" "$MSCAN" convert "$C/benign/fmt_torch_zip.pt" \
		-o fake.safetensors
	expect_grep "$soname has no zip_" last.err
	[ -e fake.safetensors ] && fail "convert left an output behind" || ok
	expect_exit 0 env LD_LIBRARY_PATH="$TMP/fakezip" "$MSCAN" scan "$C/benign/fmt_torch_zip.pt"
	expect_exit 1 env LD_LIBRARY_PATH="$TMP/fakezip" "$MSCAN" scan \
		"$C/malicious/fmt_torch_zip_header_mismatch.pt"
	expect_grep 'MS-ZIP-HEADER-MISMATCH' last.out
	expect_exit 0 "$MSCAN" convert "$C/benign/fmt_torch_zip.pt" -o real.safetensors
else
	fail "could not build a stand-in libzip ($soname)"
fi

# Mapped files (over 64 KiB) that shrink during the scan: each fault is caught and reported
# for its file, exit 2, never a crash; the second one checks that catching the first left
# SIGBUS deliverable. A shim truncates the next file of MSCAN_TEST_SHRINK (a ':' list) each
# time mscan advises the kernel about a fresh mapping; without the variable it does nothing.
cat >shrink.c <<'CEOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int madvise(void *addr, size_t len, int advice)
{
	static int calls;
	const char *list = getenv("MSCAN_TEST_SHRINK");
	for (int i = 0; list && i < calls; i++) {
		list = strchr(list, ':');
		if (list) list++;
	}
	calls++;
	if (list && *list) {
		char path[4096];
		size_t n = strcspn(list, ":");
		if (n >= sizeof path) abort();
		memcpy(path, list, n);
		path[n] = 0;
		if (truncate(path, 0) != 0) abort();
	}
	int (*real)(void *, size_t, int) = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "madvise");
	return real(addr, len, advice);
}
CEOF
if cc -shared -fPIC -o shrink.so shrink.c -ldl; then
	for f in big1.pkl big2.pkl big3.pkl; do
		"$PY" -c 'import pickle, sys; open(sys.argv[1], "wb").write(pickle.dumps(list(range(40000)), 4))' "$f"
	done
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	expect_exit 0 env LD_PRELOAD="$TMP/shrink.so" "$MSCAN" scan big1.pkl
	expect_exit 2 env LD_PRELOAD="$TMP/shrink.so" MSCAN_TEST_SHRINK="$TMP/big1.pkl:$TMP/big2.pkl" \
		"$MSCAN" scan -j 1 -f json big1.pkl big2.pkl big3.pkl
	"$PY" - last.out <<'PYEOF' || fail "each shrunk file is an I/O error, the third is clean"
import json, sys
files = {f["path"]: f for f in json.load(open(sys.argv[1]))["files"]}
for name in ("big1.pkl", "big2.pkl"):
    err = files[name]["error"]
    assert err and "file changed size while being scanned" in err["message"], files[name]
assert files["big3.pkl"]["error"] is None and not files["big3.pkl"]["findings"], files["big3.pkl"]
PYEOF
else
	fail "could not build the shrinking shim"
fi

# Devices and FIFOs are not read (a read of /dev/zero never ends).
mkfifo fifo.pkl
for f in /dev/zero /dev/null fifo.pkl; do
	expect_exit 2 timeout 10 "$MSCAN" scan "$f"
	expect_grep 'not a regular file' last.out
done

# An unreadable file, as a user without permission (root reads everything).
cp "$C/benign/pkl_build_state.pkl" locked.pkl
chmod 000 locked.pkl
chmod 755 "$TMP"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	expect_exit 2 setpriv --reuid=65534 --regid=65534 --clear-groups "$MSCAN" scan "$TMP/locked.pkl"
	expect_grep 'Permission denied' last.out
elif [ "$(id -u)" != 0 ]; then
	expect_exit 2 "$MSCAN" scan locked.pkl
	expect_grep 'Permission denied' last.out
else
	skip "unreadable file: root without setpriv(1) (util-linux)"
fi
t_done
