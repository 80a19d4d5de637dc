#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes the container-format corpus (corpus/{benign,malicious,malformed}/fmt_*) and sidecars.

Run with build/venv/bin/python (Debian torch/numpy/joblib plus PyPI safetensors). Benign samples
come from the real tools; hostile ones are built with zipfile and by editing bytes. Payloads are
hand-written pickle bytes naming a harmless command; nothing here ever unpickles them.
"""
import bz2
import gzip
import io
import json
import lzma
import struct
import sys
import zipfile
import zlib

from sidecar import put


# posix.system('echo pwned') as a protocol 2 pickle.
PAYLOAD = (b"\x80\x02cposix\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.")
DENY = "MS-PKL-CALL-DENY"


def zip_bytes(members, compression=zipfile.ZIP_STORED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", compression) as z:
        for n, data in members:
            z.writestr(zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return b.getvalue()


def torch_members(prefix="archive", data_pkl=None):
    """A torch-style zip whose data.pkl is data_pkl (default: a real one from torch.save)."""
    import torch
    b = io.BytesIO()
    torch.save({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, b)
    z = zipfile.ZipFile(io.BytesIO(b.getvalue()))
    out = []
    for i in z.infolist():
        n = prefix + "/" + i.filename.split("/", 1)[1]
        data = z.read(i)
        if n.endswith("/data.pkl") and data_pkl is not None:
            data = data_pkl
        out.append((n, data))
    return out


def set_flags(data, name, flag):
    """Sets flag bits of member name in both its local header and its central record."""
    data = bytearray(data)
    nb = name.encode()
    i = 0
    while True:
        i = data.find(b"PK\x03\x04", i)
        if i < 0:
            break
        nl = struct.unpack_from("<H", data, i + 26)[0]
        if bytes(data[i + 30:i + 30 + nl]) == nb:
            struct.pack_into("<H", data, i + 6, struct.unpack_from("<H", data, i + 6)[0] | flag)
        i += 4
    i = 0
    while True:
        i = data.find(b"PK\x01\x02", i)
        if i < 0:
            break
        nl = struct.unpack_from("<H", data, i + 28)[0]
        if bytes(data[i + 46:i + 46 + nl]) == nb:
            struct.pack_into("<H", data, i + 8, struct.unpack_from("<H", data, i + 8)[0] | flag)
        i += 4
    return bytes(data)


def benign():
    import numpy as np
    import torch
    sd = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.zeros(3)}
    b = io.BytesIO()
    torch.save(sd, b)
    put("benign", "fmt_torch_zip.pt", b.getvalue(), 0, norules=["MS-ZIP-INCONSISTENT"])
    b = io.BytesIO()
    torch.save(sd, b, _use_new_zipfile_serialization=False)
    put("benign", "fmt_torch_legacy.pt", b.getvalue(), 0)

    # HF-style tiny transformer state dict with tied embedding / lm_head weights.
    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(8, 4)
            self.ln = torch.nn.LayerNorm(4)
            self.q = torch.nn.Linear(4, 4)
            self.lm_head = torch.nn.Linear(4, 8, bias=False)
            self.lm_head.weight = self.embed.weight

    torch.manual_seed(0)
    m = Tiny()
    b = io.BytesIO()
    torch.save(m.state_dict(), b)
    put("benign", "fmt_torch_hf_tied.bin", b.getvalue(), 0)
    b = io.BytesIO()
    torch.save(m.state_dict(), b, _use_new_zipfile_serialization=False)
    put("benign", "fmt_torch_hf_tied_legacy.bin", b.getvalue(), 0)

    class Lin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.l = torch.nn.Linear(2, 2)

        def forward(self, x):
            return self.l(x)

    b = io.BytesIO()
    torch.jit.save(torch.jit.script(Lin()), b)
    put("benign", "fmt_torchscript.pt", b.getvalue(), 0, rules=["MS-TORCH-TORCHSCRIPT"])

    b = io.BytesIO()
    np.save(b, np.arange(12, dtype=np.float32).reshape(3, 4))
    put("benign", "fmt_npy_f32.npy", b.getvalue(), 0)
    b = io.BytesIO()
    np.save(b, np.zeros(3, dtype=[("x", "<i4"), ("y", "<f8", (2,))]))
    put("benign", "fmt_npy_structured.npy", b.getvalue(), 0)
    b = io.BytesIO()
    np.savez(b, a=np.ones(4), b=np.arange(3, dtype=np.int16))
    put("benign", "fmt_npz.npz", b.getvalue(), 0)
    b = io.BytesIO()
    np.savez_compressed(b, a=np.zeros(1000), b=np.arange(3))
    put("benign", "fmt_npz_compressed.npz", b.getvalue(), 0)

    import joblib
    obj = {"coef": [0.5, 1.5], "name": "model", "n": 3}
    for c in ("zlib", "gzip", "bz2", "lzma", "xz"):
        b = io.BytesIO()
        joblib.dump(obj, b, compress=(c, 3))
        put("benign", "fmt_joblib_%s.joblib" % c, b.getvalue(), 0)

    from safetensors.numpy import save
    st = save({"a": np.zeros((2, 3), np.float32), "b": np.ones(4, np.int64),
               "c": np.zeros((0, 2), np.float16)}, metadata={"format": "pt"})
    put("benign", "fmt_st_valid.safetensors", st, 0)
    put("benign", "fmt_st_empty.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ", 0)
    # Leading and trailing JSON whitespace (accepted by the Rust reader).
    h = b'\t\n{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}\r '
    put("benign", "fmt_st_whitespace.safetensors", struct.pack("<Q", len(h)) + h + b"ab", 0)

    put("benign", "fmt_zip_generic.zip",
        zip_bytes([("readme.txt", b"hello\n"), ("weights.npy", open_npy())], zipfile.ZIP_DEFLATED), 0)


def open_npy():
    import numpy as np
    b = io.BytesIO()
    np.save(b, np.arange(4, dtype=np.float32))
    return b.getvalue()


def malicious():
    evil = zip_bytes(torch_members(data_pkl=PAYLOAD))
    put("malicious", "fmt_torch_zip_payload.pt", evil, 1, rules=[DENY])
    put("malicious", "fmt_torch_zip_payload.txt", evil, 1, rules=[DENY])
    put("malicious", "fmt_torch_zip_deflated.pt",
        zip_bytes(torch_members(data_pkl=PAYLOAD), zipfile.ZIP_DEFLATED), 1, rules=[DENY])
    for flag, tag in ((0x1, "encrypted"), (0x20, "patched"), (0x40, "strong")):
        put("malicious", "fmt_torch_zip_flag_%s.pt" % tag, set_flags(evil, "archive/data.pkl", flag), 1,
            rules=[DENY, "MS-ZIP-FLAGS"])
    # CRC of data.pkl broken in both headers.
    d = bytearray(evil)
    for sig, off, nlo in ((b"PK\x03\x04", 14, 26), (b"PK\x01\x02", 16, 28)):
        i = 0
        while True:
            i = d.find(sig, i)
            if i < 0:
                break
            nl = struct.unpack_from("<H", d, i + nlo)[0]
            base = 30 if sig == b"PK\x03\x04" else 46
            if bytes(d[i + base:i + base + nl]) == b"archive/data.pkl":
                d[i + off] ^= 0xff
            i += 4
    put("malicious", "fmt_torch_zip_bad_crc.pt", bytes(d), 1, rules=[DENY, "MS-ZIP-CRC"])
    # Central directory names data.pkl "archive/data.pkx", local header keeps data.pkl.
    d = bytearray(evil)
    i = d.find(b"PK\x01\x02")
    while i >= 0:
        nl = struct.unpack_from("<H", d, i + 28)[0]
        if bytes(d[i + 46:i + 46 + nl]) == b"archive/data.pkl":
            d[i + 46 + nl - 1:i + 46 + nl] = b"x"
            struct.pack_into("<I", d, i + 24, struct.unpack_from("<I", d, i + 24)[0])
        i = d.find(b"PK\x01\x02", i + 4)
    # size disagreement: local header says 1 byte more
    j = d.find(b"PK\x03\x04" )
    while j >= 0:
        nl = struct.unpack_from("<H", d, j + 26)[0]
        if bytes(d[j + 30:j + 30 + nl]) == b"archive/data.pkl":
            struct.pack_into("<I", d, j + 22, struct.unpack_from("<I", d, j + 22)[0] + 1)
        j = d.find(b"PK\x03\x04", j + 4)
    put("malicious", "fmt_torch_zip_header_mismatch.pt", bytes(d), 1,
        rules=[DENY, "MS-ZIP-HEADER-MISMATCH"])
    put("malicious", "fmt_torch_zip_prefixed.pt", b"J" * 100 + evil, 1,
        rules=[DENY, "MS-ZIP-PREFIX-DATA"])
    put("malicious", "fmt_zip_in_zip.zip", zip_bytes([("inner/model.pt", evil)]), 1, rules=[DENY])
    put("malicious", "fmt_zip_path_escape.zip",
        zip_bytes([("../../evil.pkl", PAYLOAD)]), 1, rules=["MS-ZIP-PATH-ESCAPE", DENY])
    put("malicious", "fmt_zip_elf.zip",
        zip_bytes([("model/run", b"\x7fELF\x02\x01\x01" + b"\0" * 57)]), 1,
        rules=["MS-ARCHIVE-EXECUTABLE"])
    put("malicious", "fmt_zip_script.zip", zip_bytes([("setup.sh", b"#!/bin/sh\necho pwned\n")]), 1,
        rules=["MS-ARCHIVE-EXECUTABLE"])
    # Legacy stream with the payload as its main pickle.
    import torch
    b = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, b, _use_new_zipfile_serialization=False)
    raw = b.getvalue()
    head = raw[:15 + 6]
    rest = raw[21:]
    sysinfo_end = rest.find(b".") + 1  # sys_info pickle has no '.' before its STOP
    put("malicious", "fmt_torch_legacy_payload.pt",
        head + rest[:sysinfo_end] + PAYLOAD + b"\x80\x02]q\x00.", 1, rules=[DENY])
    # .npy with object dtype whose data is the payload.
    hdr = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    hdr += b" " * (63 - (10 + len(hdr)) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + PAYLOAD
    put("malicious", "fmt_npy_object_payload.npy", npy, 1, rules=[DENY, "MS-NPY-OBJECT"])
    put("malicious", "fmt_npz_object_payload.npz", zip_bytes([("x.npy", npy)]), 1, rules=[DENY])
    # Compressed joblib-style streams carrying the payload.
    zf = b"ZF" + hex(len(PAYLOAD)).encode().ljust(19) + zlib.compress(PAYLOAD)
    put("malicious", "fmt_joblib_zf_payload.pkl", zf, 1, rules=[DENY])
    put("malicious", "fmt_joblib_zlib_payload.joblib", zlib.compress(PAYLOAD), 1, rules=[DENY])
    put("malicious", "fmt_joblib_gzip_payload.joblib", gzip.compress(PAYLOAD, mtime=0), 1, rules=[DENY])
    put("malicious", "fmt_joblib_bz2_payload.joblib", bz2.compress(PAYLOAD), 1, rules=[DENY])
    put("malicious", "fmt_joblib_xz_payload.joblib", lzma.compress(PAYLOAD), 1, rules=[DENY])
    put("malicious", "fmt_joblib_lzma_payload.joblib",
        lzma.compress(PAYLOAD, format=lzma.FORMAT_ALONE), 1, rules=[DENY])
    put("malicious", "fmt_elf_toplevel.bin", b"\x7fELF\x02\x01\x01" + b"\0" * 57, 1,
        rules=["MS-ARCHIVE-EXECUTABLE"])


def st(header, data=b""):
    h = header.encode() if isinstance(header, str) else header
    return struct.pack("<Q", len(h)) + h + data


def malformed():
    t = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    put("malformed", "fmt_st_truncated.safetensors", st(t, b"\0" * 4), 2)
    put("malformed", "fmt_st_trailing.safetensors", st(t, b"\0" * 12), 2)
    put("malformed", "fmt_st_header_too_big.safetensors",
        struct.pack("<Q", 100_000_001) + b'{"a":1}', 2)
    put("malformed", "fmt_st_header_past_end.safetensors", struct.pack("<Q", 500) + b"{}", 2)
    put("malformed", "fmt_st_overlap.safetensors",
        st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
           '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b"\0" * 12), 2)
    put("malformed", "fmt_st_gap.safetensors",
        st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
           '"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', b"\0" * 12), 2)
    put("malformed", "fmt_st_duplicate_key.safetensors",
        st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
           '"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8), 2)
    put("malformed", "fmt_st_unknown_dtype.safetensors",
        st('{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4), 2)
    put("malformed", "fmt_st_metadata_nonstring.safetensors",
        st('{"__metadata__":{"n":1},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\0"), 2)
    put("malformed", "fmt_st_float_shape.safetensors",
        st('{"a":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}', b"\0"), 2)
    put("malformed", "fmt_st_size_mismatch.safetensors",
        st('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', b"\0" * 8), 2)
    put("malformed", "fmt_st_extra_key.safetensors",
        st('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":0}}', b"\0"), 2)
    put("malformed", "fmt_st_overflow.safetensors",
        st('{"a":{"dtype":"F32","shape":[2,18446744073709551614],"data_offsets":[0,8]}}', b"\0" * 8), 2)
    put("malformed", "fmt_st_bad_utf8.safetensors",
        st(b'{"\xff":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\0"), 2)
    put("malformed", "fmt_7z_archive.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\0" * 24, 2)
    # Encrypted for real: flag 0x1 and bytes that do not match the CRC.
    z = zip_bytes([("model.pkl", b"\x80\x02K\x01.")])
    z = set_flags(z, "model.pkl", 0x1)
    i = z.find(b"\x80\x02K\x01.")
    z = z[:i] + bytes(x ^ 0x5a for x in z[i:i + 6]) + z[i + 6:]
    put("malformed", "fmt_zip_encrypted.zip", z, 2, rules=["MS-ZIP-FLAGS"] if False else [])
    put("malformed", "fmt_npy_truncated.npy", open_npy()[:-3], 2)


if __name__ == "__main__":
    benign()
    malicious()
    malformed()
