# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes a corpus sample and its sidecar (docs/HACKING.md: line 1 exit=N, then rule= and
norule= lines), shared by the generators."""
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def put(kind, name, data, exit_code, rules=(), norules=()):
    d = os.path.join(ROOT, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    lines = ["exit=%d" % exit_code] + ["rule=" + r for r in rules] + ["norule=" + r for r in norules]
    with open(os.path.join(d, name + ".expect"), "w") as f:
        f.write("\n".join(lines) + "\n")
