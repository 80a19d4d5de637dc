#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every limit of the man page's LIMITS section hit on purpose: each input gets its verdict (a
# clear error naming the limit, or a clean result where the input is legal), quickly and in
# bounded memory. Wall time and peak RSS are measured with /usr/bin/time; the bounds are loose
# (this runs under ASan on 2 cores) but far below what reading or expanding the input would
# cost.
set -u
. "$ROOT/tests/cli/lib.sh"
cd "$TMP"

# Every cap defined in scanner/limits.h (MS_MAX_* and the other MS_* there) is named in the man
# page's LIMITS section, and every name there is a cap (a renamed cap updates both).
LIMITS_H=${LIMITS_H:-$ROOT/scanner/limits.h}
MAN_PAGE=${MAN_PAGE:-$ROOT/cli/mscan.1}
sed -n 's/^#define[[:space:]]\{1,\}\(MS_[A-Z0-9_]*\).*/\1/p' "$LIMITS_H" | sort -u >caps.txt
sed -n '/^\.Sh LIMITS/,/^\.Sh /p' "$MAN_PAGE" >man-limits.txt
grep -o 'MS_[A-Z0-9_]*' man-limits.txt | sort -u >man-caps.txt
[ -s caps.txt ] && grep -q MS_MAX_ caps.txt && ok || fail "no MS_MAX_* caps found in $LIMITS_H"
for c in $(cat caps.txt); do
	grep -qx "$c" man-caps.txt && ok || fail "$c (scanner/limits.h) is not in the LIMITS section of cli/mscan.1"
done
for c in $(comm -13 caps.txt man-caps.txt); do
	fail "$c is named in the LIMITS section of cli/mscan.1 but not defined in scanner/limits.h"
done
[ "${LIMITS_DOCS_ONLY:-0}" = 1 ] && { t_done; exit; }
MAX_S=${LIMIT_MAX_S:-60}
MAX_KB=${LIMIT_MAX_KB:-1500000}

# bounded WANT FILE [PATTERN]: exit WANT within MAX_S seconds and MAX_KB KiB, output matching.
bounded() {
	local want=$1 f=$2 pat=${3:-}
	/usr/bin/time -f '%e %M' -o rusage timeout "$MAX_S" "$MSCAN" scan --no-yara "$f" \
		>"$TMP/last.out" 2>&1
	local got=$? secs=0 kb=0
	# time(1) puts "Command exited with non-zero status N" before its line
	read -r secs kb < <(tail -n 1 rusage)
	if [ "$got" != "$want" ]; then
		fail "$f: exit $got, want $want"; head -3 "$TMP/last.out" >&2
	elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$TMP/last.out"; then
		fail "$f: '$pat' not in output"; head -3 "$TMP/last.out" >&2
	elif [ "${kb:-0}" -gt "$MAX_KB" ]; then
		fail "$f: peak RSS $kb KiB"
	else
		ok
	fi
	echo "  $f: exit $got in ${secs}s, ${kb} KiB"
}

"$PY" - <<'PYEOF'
import io, json, os, struct, tarfile, zipfile

def st(header, data=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data

# safetensors: a header length of a terabyte; a shape whose product overflows 64 bits.
open("st_header_tb.safetensors", "wb").write(struct.pack("<Q", 1 << 40) + b"{}")
open("st_shape_overflow.safetensors", "wb").write(
    st({"a": {"dtype": "F32", "shape": [1 << 32, 1 << 32, 16], "data_offsets": [0, 0]}}))
# npy: a shape whose byte size overflows.
hdr = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }"
hdr += b" " * (63 - (10 + len(hdr)) % 64) + b"\n"
open("npy_shape_overflow.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr)

# memo indices near 2^32 (LONG_BINPUT/LONG_BINGET): sparse, legal; an unset one is a KeyError.
open("memo_2_32.pkl", "wb").write(b"\x80\x02K\x01r\xfe\xff\xff\xffj\xfe\xff\xff\xff\x86.")
open("memo_unset.pkl", "wb").write(b"\x80\x02K\x01r\xfe\xff\xff\xffj\xff\xff\xff\xff\x86.")
# 10^6 nested MARKs then STOP (stack underflow, as pickle says); 10^6 nested lists (legal).
n = 10 ** 6
open("marks_1e6.pkl", "wb").write(b"(" * n + b".")
open("lists_1e6.pkl", "wb").write(b"\x80\x02" + b"(" * n + b"l" * n + b".")
# Hundreds of MB of tiny opcodes (NONE, POP and BININT1, POP: 1.4 x 10^8 values that would
# need 3 GB if each were its own), streamed to disk. LIMIT_TINY_MB=1024 for the gigabyte
# (8 s with the release build; this default keeps the ASan run short).
mb = int(os.environ.get("LIMIT_TINY_MB", "256"))
with open("tiny_ops.pkl", "wb") as f:
    f.write(b"\x80\x02")
    chunk = b"N0K\x070" * (1 << 20) + b"N0" * (1 << 19)
    for _ in range(mb // 6):
        f.write(chunk)
    f.write(b"N.")

# 10^5 zip members (legal), more than the 200000-member cap (an error).
for name, count in (("zip_1e5.zip", 100000), ("zip_over_cap.zip", 200001)):
    with zipfile.ZipFile(name, "w") as z:
        for i in range(count):
            z.writestr(zipfile.ZipInfo("m%06d" % i), b"")
# A member name of 2 MB (pax path record): over the 65536-byte name cap.
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("n" * (2 << 20))
    t.addfile(ti, io.BytesIO(b""))
open("tar_name_2mb.tar", "wb").write(b.getvalue())
# A zip member that inflates 1000:1 and beyond.
with zipfile.ZipFile("bomb_ratio.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zeros.bin", b"\0" * (300 << 20))
PYEOF
gzip -c -9 < /dev/zero 2>/dev/null | head -c 400000 > bomb_ratio.gz

bounded 2 st_header_tb.safetensors 'header'
bounded 2 st_shape_overflow.safetensors 'overflow'
bounded 2 npy_shape_overflow.npy 'overflow|too large|exceeds'
bounded 0 memo_2_32.pkl
bounded 2 memo_unset.pkl 'memo key 4294967295 not found'
bounded 2 marks_1e6.pkl 'unexpected MARK found'   # _pickle.c's words for it
bounded 0 lists_1e6.pkl
bounded 0 tiny_ops.pkl
bounded 0 zip_1e5.zip
bounded 2 zip_over_cap.zip 'more than 200000 members'
bounded 2 tar_name_2mb.tar 'member name of'
bounded 2 bomb_ratio.zip 'limit exceeded'
bounded 2 bomb_ratio.gz 'limit exceeded'
t_done
