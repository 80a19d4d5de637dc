#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes one sample for each container rule the other generators leave without one
(corpus/{benign,malicious}/rule_*), so every rule id has a corpus file, a fuzz seed and an
example in docs/json-examples.md. Standard library only: each sample is a real file from
corpus/benign (made by torch, numpy or joblib) edited with zipfile, zlib or by bytes.
Payloads are hand-written pickle bytes; nothing here unpickles anything.
"""
import io
import os
import zipfile
import zlib

from sidecar import put

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def read(rel):
    with open(os.path.join(ROOT, rel), "rb") as f:
        return f.read()


def members(rel):
    z = zipfile.ZipFile(io.BytesIO(read(rel)))
    return [(i.filename, z.read(i)) for i in z.infolist()]


def zip_of(items):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for name, data in items:
            z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return b.getvalue()


def edit(items, name, data):
    return [(n, data if n == name else d) for n, d in items]


def main():
    tz = members("benign/fmt_torch_zip.pt")
    # Medium findings only: exit 0 at the default --fail-on high, each rule still reported.
    put("benign", "rule_torch_byteorder.pt", zip_of(tz + [("archive/byteorder", b"middle")]), 0,
        ["MS-TORCH-BYTEORDER"])
    put("benign", "rule_torch_version.pt", zip_of(edit(tz, "archive/version", b"99\n")), 0,
        ["MS-TORCH-VERSION"])
    put("benign", "rule_torch_outside_prefix.pt", zip_of(tz + [("other/readme.txt", b"hi\n")]), 0,
        ["MS-TORCH-OUTSIDE-PREFIX"])
    put("benign", "rule_torch_prefix.pt", zip_of([("version", b"3\n")] + tz), 0,
        ["MS-TORCH-PREFIX"])
    put("benign", "rule_torch_storage_missing.pt",
        zip_of([m for m in tz if m[0] != "archive/data/0"]), 0, ["MS-TORCH-STORAGE-MISSING"])
    put("benign", "rule_torch_storage_size.pt",
        zip_of(edit(tz, "archive/data/0", dict(tz)["archive/data/0"][:8])), 0,
        ["MS-TORCH-STORAGE-SIZE"])
    ts = members("benign/fmt_torchscript.pt")
    put("benign", "rule_torch_no_data_pkl.pt", zip_of([m for m in ts if m[0] != "archive/data.pkl"]),
        0, ["MS-TORCH-NO-DATA-PKL", "MS-TORCH-TORCHSCRIPT"])
    put("benign", "rule_zip_duplicate_name.zip",
        zip_of([("a.txt", b"first\n"), ("a.txt", b"second\n")]), 0, ["MS-ZIP-DUPLICATE-NAME"])

    legacy = read("benign/fmt_torch_legacy.pt")
    put("benign", "rule_torch_trailing.pt", legacy + b"\0" * 7 + b"extra", 0, ["MS-TORCH-TRAILING"])
    # The protocol-version pickle (BININT2 1001 = e9 03) changed to 1000.
    i = legacy.index(b"M\xe9\x03.")
    put("benign", "rule_torch_legacy_protocol.pt", legacy[:i] + b"M\xe8\x03." + legacy[i + 4:], 0,
        ["MS-TORCH-LEGACY-PROTOCOL"])
    put("benign", "rule_npy_trailing.npy", read("benign/fmt_npy_f32.npy") + b"extra bytes", 0,
        ["MS-NPY-TRAILING"])
    put("benign", "rule_joblib_trailing.joblib",
        zlib.compress(b"\x80\x02]q\x00(K\x01K\x02e.") + b"trailing", 0, ["MS-JOBLIB-TRAILING"])
    # A NUL escape in a header key: the Rust reader sees "__metadata__\0x", an unknown tensor
    # with no fields, and rejects the file; a C string reader would see __metadata__.
    h = b'{"__metadata__\\u0000x":{"k":"v"}}'
    h += b" " * (-len(h) % 8)
    put("malformed", "rule_st_nul_in_key.safetensors", len(h).to_bytes(8, "little") + h, 2, [])
    # BUILD on the class itself: setattr(builtins.object-like global, ...) for every later use.
    put("malicious", "rule_pkl_build_global.pkl",
        b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n}X\x08\x00\x00\x00__call__K\x01sb.", 1,
        ["MS-PKL-BUILD-GLOBAL"])


if __name__ == "__main__":
    main()
