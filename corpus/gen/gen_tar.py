#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes the tar corpus (corpus/{benign,malicious,malformed}/tar_*) and sidecars.

Standard library only. torch.load tries tarfile.open(mode="r:") on every non-zip file, so a
tar is a model container: generic tars (every member by content), the legacy torch tar
layout (sys_info, storages, tensors, pickle; formats.md A.2.2) built record by record, and
tricks where a naive tar reader and CPython's tarfile disagree. Payloads are hand-written
pickle bytes naming a harmless command; nothing here unpickles them.
"""
import io
import pickle
import struct
import tarfile

from sidecar import put

PAYLOAD = b"\x80\x02cposix\nsystem\nX\x0a\x00\x00\x00echo pwnedq\x00\x85R."
DENY = "MS-PKL-CALL-DENY"


def tar(members, fmt=tarfile.USTAR_FORMAT):
    """members: (name, data) or (name, data, type). Deterministic: mtime 0, no owner."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for m in members:
            ti = tarfile.TarInfo(m[0])
            ti.size = len(m[1])
            if len(m) > 2:
                ti.type = m[2]
                ti.size = 0
                if m[2] == tarfile.SYMTYPE:
                    ti.linkname = m[1].decode()
                t.addfile(ti)
            else:
                t.addfile(ti, io.BytesIO(m[1]))
    return b.getvalue()


def p(obj):
    return pickle.dumps(obj, protocol=2)


def torch_records(storage_pickle=None):
    """One float storage of 4 elements and one tensor over it, as torch 0.1's _save wrote."""
    header = storage_pickle or (b"\x80\x02(X\x01\x00\x00\x000X\x03\x00\x00\x00cpu"
                                b"ctorch\nFloatStorage\nt.")
    storages = p(1) + header + struct.pack("<q", 4) + b"\0" * 16 + p([])
    tensors = (p(1) + b"\x80\x02(X\x01\x00\x00\x001X\x01\x00\x00\x000ctorch\nFloatTensor\nt."
               + struct.pack("<i", 1) + b"\0" * 4 + struct.pack("<qqq", 4, 1, 0))
    main = b"\x80\x02}X\x01\x00\x00\x00wX\x01\x00\x00\x001Qs."
    sys_info = p({"protocol_version": 1001, "little_endian": True,
                  "type_sizes": {"short": 2, "int": 4, "long": 8}})
    return [("sys_info", sys_info), ("storages", storages), ("tensors", tensors), ("pickle", main)]


def main():
    put("benign", "tar_generic.tar", tar([("README.md", b"weights below\n"),
                                          ("cfg/config.json", b'{"hidden": 8}'),
                                          ("weights.pkl", p({"a": [1, 2, 3]})),
                                          ("cfg", b"", tarfile.DIRTYPE)]), 0)
    put("benign", "tar_torch_legacy.tar", tar(torch_records(), tarfile.PAX_FORMAT), 0,
        rules=("MS-TORCH-LEGACY-TAR",))
    put("malicious", "tar_member_pickle.tar", tar([("README.md", b"hi\n"), ("model.pkl", PAYLOAD)]),
        1, rules=(DENY,))
    put("malicious", "tar_pax_longname.tar", tar([("x" * 300 + "/model.pkl", PAYLOAD)],
                                                  tarfile.PAX_FORMAT), 1, rules=(DENY,))
    put("malicious", "tar_gnu_longname.tar", tar([("y" * 300 + "/model.pkl", PAYLOAD)],
                                                  tarfile.GNU_FORMAT), 1, rules=(DENY,))
    # The payload is the storage header pickle: torch.load runs it before anything else.
    put("malicious", "tar_torch_storage_header.tar", tar(torch_records(PAYLOAD)), 1, rules=(DENY,))
    # In the main pickle of an otherwise well-formed legacy tar.
    recs = torch_records()
    recs[3] = ("pickle", PAYLOAD)
    put("malicious", "tar_torch_main_pickle.tar", tar(recs), 1, rules=(DENY,))
    # getmember() takes the last of two same-named members: the second "pickle" is loaded.
    recs = torch_records() + [("pickle", PAYLOAD)]
    put("malicious", "tar_torch_duplicate_pickle.tar", tar(recs), 1, rules=(DENY,))
    # A directory header with a size: tarfile does not skip data after it, so the "data" is
    # read as the next header. A reader that skips it never sees model.pkl.
    inner = tar([("model.pkl", PAYLOAD)])[:-1024]
    d = tarfile.TarInfo("d")
    d.type = tarfile.DIRTYPE
    d.size = len(inner)
    put("malicious", "tar_dir_with_size.tar", d.tobuf(tarfile.USTAR_FORMAT) + inner + b"\0" * 1024,
        1, rules=(DENY,))
    # Bytes after the end-of-archive blocks: tarfile never reads them, another tool may.
    put("malicious", "tar_trailing_pickle.tar", tar([("README.md", b"hi\n")]) + PAYLOAD, 1,
        rules=(DENY, "MS-TAR-TRAILING"))
    put("malicious", "tar_path_escape.tar", tar([("../../.bashrc", b"echo pwned\n")]), 1,
        rules=("MS-TAR-PATH-ESCAPE",))
    # torch extracts "storages" into a temporary folder and opens it: a link there reads
    # whatever file it names.
    put("malicious", "tar_symlink.tar", tar([("storages", b"/etc/passwd", tarfile.SYMTYPE)]), 1,
        rules=("MS-TAR-SPECIAL", "MS-TAR-PATH-ESCAPE"))
    # Malformed: a member whose data runs past the end, a bad storage record.
    t = tar([("model.pkl", p(list(range(400))))])
    put("malformed", "tar_truncated_member.tar", t[:700], 2)
    recs = torch_records()
    recs[1] = ("storages", p(1) + recs[1][1][len(p(1)):60])
    put("malformed", "tar_torch_short_storage.tar", tar(recs), 2)


if __name__ == "__main__":
    main()
