#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Inputs for yara-rules-diff (scanner/tools/yara_rules_diff.c): byte strings built near the
edges of the built-in rules' patterns (IPv4 constants, exec/decoder globals in protocol 0 and
4, executable headers at and after offset 0, netcat command lines, calls ahead of a PROTO,
pickle opcodes), plus random tokens and bytes.

Usage: yara_diff_inputs.py COUNT SEED > FILE.rec   (each input: 4-byte little-endian length,
then its bytes). Standard library only; nothing here is ever unpickled.
"""
import random
import struct
import sys


def rand_bytes(rnd, n):
    return bytes(rnd.randrange(256) for _ in range(n))


def ipv4_dense(rnd):
    alphabet = "0123456789" * 5 + "." * 4 + "\n" * 2 + ":" + "Va"
    s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 30)))
    return (rnd.choice(["", "\n", "x", "\x8c\x09", "\nV"]) + s +
            rnd.choice(["", "\n", "\x94", ":80\n"])).encode("latin1")


def ipv4_shaped(rnd):
    def octet():
        return "".join(rnd.choice("0123456789") for _ in range(rnd.choice([1, 1, 2, 3, 3, 4])))
    s = rnd.choice([".", ".", ".", "..", ":"]).join(octet() for _ in range(rnd.choice([3, 4, 4, 4, 5])))
    if rnd.random() < 0.3:
        s += ":" + octet() + rnd.choice(["", "9", "99"])
    pre = rnd.choice(["", "\n", "a", "0.weight\n", "1", "\x8c" + chr(len(s)), "\x8c\x07", "\nV", "V"])
    return (pre + s + rnd.choice(["", "\n", "\n", "\x94", ".", "x\n", "\nq"])).encode("latin1")


DECODER_MODULES = ["zlib", "base64", "marshal", "codecs", "binascii", "lzma", "bz2", "gzip", "zlibx"]
DECODER_NAMES = ["decompress", "b64decode", "loads", "decode", "unhexlify", "a2b_hex", "decod"]


def exec_decoder(rnd):
    parts = []
    for _ in range(rnd.randint(1, 3)):
        k = rnd.randrange(4)
        if k == 0:
            parts.append(rnd.choice(["cbuiltins\n", "c__builtin__\n", "cbuiltin\n", "c__builtins__\n",
                                     "xbuiltins\n"]) +
                         rnd.choice(["exec\n", "eval\n", "compile\n", "execfile\n", "exe\n"]))
        elif k == 1:
            parts.append(rnd.choice(["\x8c\x08builtins\x94\x8c\x04exec\x94\x93",
                                     "\x8c\x0b__builtin__\x8c\x04eval\x93",
                                     "\x8c\x08builtins\x8c\x04exec\x94", "\x8c\x07builtin\x8c\x04exec\x93"]))
        elif k == 2:
            parts.append(rnd.choice(["c", "x", ""]) + rnd.choice(DECODER_MODULES) + "\n" +
                         rnd.choice(DECODER_NAMES) + rnd.choice(["\n", ""]))
        else:
            m, n = rnd.choice(DECODER_MODULES), rnd.choice(DECODER_NAMES)
            parts.append("\x8c" + chr(rnd.choice([len(m), 3, 8, 9])) + m + rnd.choice(["\x94", ""]) +
                         "\x8c" + chr(rnd.choice([len(n), 4, 12, 13])) + n + rnd.choice(["\x94", ""]) +
                         rnd.choice(["\x93", ""]))
        parts.append(rnd.choice(["", "(", "q\x00", "\n"]))
    return "".join(parts).encode("latin1")


def exec_decoder_tokens(rnd):
    tokens = ["c", "\n", "\x8c", "\x94", "\x93", "builtins", "__builtin__", "exec", "eval", "compile",
              "\x03", "\x04", "\x05", "\x06", "\x08", "\x0b", "\x0a", "x"] + DECODER_MODULES + DECODER_NAMES
    return "".join(rnd.choice(tokens) for _ in range(rnd.randint(1, 14))).encode("latin1")


def executable_header(rnd):
    k = rnd.randrange(4)
    if k == 0:
        h = (b"\x7fELF" + bytes([rnd.choice([1, 2, 3]), rnd.choice([1, 2, 3]), rnd.choice([0, 1, 2])]) +
             rand_bytes(rnd, 9) + struct.pack("<H", rnd.randrange(6)) + rand_bytes(rnd, 2) +
             struct.pack("<I", rnd.choice([0, 1, 2])) + rand_bytes(rnd, 8))
    elif k == 1:
        e = rnd.choice([0x40, 0x80, 0x1000, 0x2000, 0x10])
        b = bytearray(b"MZ" + rand_bytes(rnd, 0x3a) + struct.pack("<I", e) + rand_bytes(rnd, 0x100))
        if e + 4 <= len(b) and rnd.random() < 0.6:
            b[e:e + 4] = b"PE\x00\x00"
        if rnd.random() < 0.5:
            b[0x4e:0x4e + 38] = b"This program cannot be run in DOS mode"
        h = bytes(b)
    elif k == 2:
        h = (rnd.choice([b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"]) + bytes([rnd.choice([7, 12, 9])]) +
             rnd.choice([b"\x00\x00\x00", b"\x00\x00\x01"]) + rand_bytes(rnd, 4) +
             bytes([rnd.choice([2, 6, 8, 3])]) + b"\x00\x00\x00" + rand_bytes(rnd, 8))
    else:
        h = rnd.choice([b"#!/bin/sh\n", b"#! /usr/bin/env python3\n", b"#!/bin/bash -e\\n",
                        b"#!/usr/local/bin/perl\n", b"#!/bin/zsh x\n"])
    pre = b"" if rnd.random() < 0.5 else rand_bytes(rnd, rnd.randint(1, 40))
    return pre + h + rand_bytes(rnd, rnd.randint(0, 20))


def netcat_shaped(rnd):
    """nc/ncat/netcat[.exe] with -e/-c and a shell, and near misses of each part."""
    tool = rnd.choice(["nc", "ncat", "netcat", "nc.exe", "ncat.exe", "netcat.exe", "n", "nca",
                       "netca", "nc.ex", "ncatt", "Nc", "snc", "nc_"])
    pre = rnd.choice(["", "", " ", "V", "x", "_", "/", "\n", "(", "'", "\x8c\x20"])
    sep = rnd.choice([" ", " ", "\t", "", "  ", "\n", ".exe "])
    args = rnd.choice(["", "-lvp 4444 ", "192.0.2.1 4444 ", "x" * rnd.randint(0, 140) + " ",
                       "a\nb ", "host 80 "])
    flag = rnd.choice(["-e", "-c", "-ec", "-le", "-x", "-E", "e", "--e"])
    gap = rnd.choice([" ", "\t", "  ", "", "\n"])
    sh = rnd.choice(["/bin/sh", "sh", "bash", "/bin/bash", "zsh", "ksh", "/bin/zsh", "shx", "s"])
    post = rnd.choice(["", " ", "x", "\n", "_", "0"])
    return (pre + tool + sep + args + flag + gap + sh + post).encode("latin1")


def proto_injected(rnd):
    """A call's end, an optional POP or MEMOIZE, then PROTO: and the neighbours of that."""
    head = rnd.choice([b"tR", b"\x85R", b"\x86R", b"\x87R", b"\x88R", b"R", b"t", b"sR"])
    mid = rnd.choice([b"", b"", b"0", b"\x94", b"00", b"q\x01", b"\x940"])
    proto = bytes([0x80, rnd.choice([1, 2, 3, 4, 5, 6])])
    pre = rnd.choice([b"", b"c__builtin__\nexec\n(", b"cos\nsystem\n(V", rand_bytes(rnd, 5)])
    return pre + rand_bytes(rnd, rnd.randint(0, 6)) + head + mid + proto + rand_bytes(rnd, 3)


PICKLE_TOKENS = [b"0", b"1", b"9", b"192", b"255", b"1000", b".", b"\n", b":", b"V", b"\x8c", b"\x94",
                 b"c", b"tR", b"\x85R", b"\x86R", b"\x87R", b"\x80\x02", b"\x80\x03", b"\x80\x04",
                 b"\x80\x05", b"(", b"cos\nsystem\n", b"MZ",
                 b"\x7fELF", b"\x00", b"\x00\x00\x00", b"#!/bin/sh", b" ", b"-c", b"hf_", b"ghp_",
                 b"http://", b"import os", b"base64", b"subprocess.", b"nc ", b"netcat\t", b"-e ",
                 b"/bin/sh", b"sh"]


def tokens(rnd):
    b = b"".join(rnd.choice(PICKLE_TOKENS) if rnd.random() < 0.8 else bytes([rnd.randrange(256)])
                 for _ in range(rnd.randint(0, 30)))
    return b"\x00" * rnd.randint(0, 80) + b if rnd.random() < 0.2 else b


MAKERS = [ipv4_dense, ipv4_shaped, ipv4_shaped, exec_decoder_tokens, exec_decoder, exec_decoder,
          executable_header, tokens, netcat_shaped, proto_injected]


def main():
    count, seed = int(sys.argv[1]), int(sys.argv[2])
    rnd = random.Random(seed)
    out = bytearray()
    for _ in range(count):
        b = rnd.choice(MAKERS)(rnd)
        out += struct.pack("<I", len(b)) + b
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main()
