#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Differential test: the globals mscan reports against those CPython's unpickler asks for.

For every raw pickle in corpus/ and for N random pickles (pickle.dumps over random nested
objects across protocols 0-5, plus pickles with globals built at the byte level), the list of
(module, name) pairs in `mscan scan --list-globals --format json` must equal the list of calls
CPython's C `pickle.Unpickler.find_class` receives, in stream order.

The recording unpickler never resolves anything: find_class records its arguments and returns
`Stub`, a class whose construction, call, __setstate__, item assignment and append accept
anything and return another Stub. persistent_load returns a Stub; out-of-band buffers are
dummies. The copyreg extension registry is left empty (as in a process that loads a
checkpoint), so an EXT code makes CPython stop. Nothing else is callable, so no sample can
run code here. Several pickles back to back are loaded with a fresh Unpickler each (as
repeated pickle.load(f) and torch's legacy loader do). Each file is read twice: through
io.BytesIO (torch.load of a zip checkpoint) and through a BufferedReader (open(path), torch's
legacy loader); the C unpickler handles FRAME differently in the two (see cpython_globals).
Where they disagree mscan must list the union of both. A stream holding joblib's
NumpyArrayWrapper is also read as joblib.load does (joblib_globals: NumpyUnpickler reads
array bytes after each wrapper, which pickle.load runs as opcodes); mscan must list the union
of the three readings.

When CPython loads the whole file, the lists must be equal and mscan must not report an
error. When CPython stops with an exception (a malformed or truncated stream, an EXT code,
STACK_GLOBAL operands that are not str, a Stub where a type is required), mscan's list must
begin with CPython's (everything the real unpickler would have resolved must be reported).

Usage: differential.py --mscan BIN --corpus DIR [--count N] [--seed S] [--work DIR]
"""
import argparse
import collections
import datetime
import decimal
import fractions
import io
import itertools
import json
import os
import pickle
import random
import struct
import subprocess
import sys
import tempfile


# ---- the recording unpickler ---------------------------------------------------------------
class Stub:
    def __new__(cls, *args, **kwargs):
        return object.__new__(Stub)

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return Stub()

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass


class Recorder(pickle.Unpickler):   # the C implementation (_pickle.Unpickler)
    def __init__(self, f, calls):
        super().__init__(f, buffers=iter(lambda: bytearray(b"buf"), None))
        self.calls = calls

    def find_class(self, module, name):
        self.calls.append((module, name))
        return Stub

    def persistent_load(self, pid):
        return Stub()


def cpython_globals(data, peek=False):
    """Returns (calls, error or None, number of pickles loaded).

    peek=False reads through io.BytesIO, as torch.load does for a zip checkpoint's data.pkl:
    the C unpickler then reads each FRAME as one block, an opcode that straddles the frame's
    end takes its whole argument from after the frame, and the next pickle starts after the
    frame. peek=True reads through a BufferedReader (open(path, 'rb'), torch's legacy
    loader), where the C unpickler reads linearly, as pickle.loads does."""
    calls = []
    raw = io.BytesIO(data)
    f = io.BufferedReader(raw) if peek else raw
    n = 0
    while True:
        if peek:
            if not f.peek(1):
                break
        elif f.tell() >= len(data):
            break
        try:
            Recorder(f, calls).load()
            n += 1
        except BaseException as e:   # noqa: B902 (MemoryError, RecursionError included)
            if isinstance(e, KeyboardInterrupt):
                raise
            return calls, "%s: %s" % (type(e).__name__, str(e)[:120]), n
    return calls, None, n


def printable(s):
    """mscan's ms_printable over the UTF-8 bytes (docs/json.md)."""
    out = []
    for c in s.encode("utf-8", "surrogatepass"):
        out.append(chr(c) if 0x20 <= c < 0x7F and c != 0x5C else "\\x%02x" % c)
    return "".join(out)


# ---- random pickles -------------------------------------------------------------------------
class Gen:
    REFS = [int, len, max, collections.OrderedDict, decimal.Decimal, datetime.date,
            fractions.Fraction, complex, str.upper, dict.fromkeys, collections.OrderedDict.fromkeys,
            os.path.join, struct.pack, itertools.chain, frozenset, bytearray]

    def __init__(self, rng):
        self.rng = rng
        self.pool = []   # containers already made, for shared references

    def text(self):
        r = self.rng
        alphabet = "abcxyz _-'\"\\\n\t\r\x00\u00e9\u00df\u4e2d\u0394\U0001F600\ud7ff\ufffd"
        return "".join(r.choice(alphabet) for _ in range(r.randint(0, 12)))

    def atom(self):
        r = self.rng
        k = r.randrange(22)
        if k == 0: return None
        if k == 1: return r.choice([True, False])
        if k == 2: return r.randint(-300, 300)
        if k == 3: return r.randint(-2**31, 2**31)
        if k == 4: return r.choice([1, -1]) * r.getrandbits(r.randint(32, 300))
        if k == 5: return r.choice([0.0, -0.0, 1.5, -2.25e300, float("inf"), float("-inf"),
                                    r.random() * 1e10, 5e-324])
        if k == 6: return self.text()
        if k == 7: return bytes(r.getrandbits(8) for _ in range(r.choice([0, 1, 5, 300])))
        if k == 8: return bytearray(r.getrandbits(8) for _ in range(r.randint(0, 9)))
        if k == 9: return complex(r.random(), -r.random())
        if k == 10: return decimal.Decimal(r.choice(["1.10", "-0", "NaN", "1E+999", "3.14159"]))
        if k == 11: return fractions.Fraction(r.randint(-99, 99), r.randint(1, 99))
        if k == 12: return datetime.datetime(2020, 1, 2, 3, 4, 5, r.randint(0, 999999))
        if k == 13: return datetime.date(1999, 12, 31)
        if k == 14: return datetime.timedelta(days=r.randint(-5, 5), seconds=7)
        if k == 15: return datetime.time(1, 2, 3)
        if k == 16: return r.choice(self.REFS)
        if k == 17: return range(r.randint(0, 5), 20, 3)
        if k == 18: return slice(1, None, 2)
        if k == 19: return r.choice([Ellipsis, NotImplemented])
        if k == 20: return "x" * r.choice([255, 256, 70000])
        return r.randint(0, 255)

    def key(self):
        r = self.rng
        return r.choice([r.randint(-9, 9), self.text(), None, True, 1.5, b"k", (1, "t")])

    def obj(self, depth=0):
        r = self.rng
        if depth > 5 or r.random() < 0.35:
            return self.atom()
        if self.pool and r.random() < 0.1:
            return r.choice(self.pool)
        k = r.randrange(9)
        n = r.randint(0, 6)
        if k == 0: o = tuple(self.obj(depth + 1) for _ in range(n))
        elif k == 1: o = [self.obj(depth + 1) for _ in range(n)]
        elif k == 2: o = {self.key(): self.obj(depth + 1) for _ in range(n)}
        elif k == 3: o = {self.key() for _ in range(n)}
        elif k == 4: o = frozenset(self.key() for _ in range(n))
        elif k == 5: o = collections.OrderedDict((self.text(), self.obj(depth + 1)) for _ in range(n))
        elif k == 6:
            o = [self.obj(depth + 1) for _ in range(n)]
            o.append(o)                       # recursive list
        elif k == 7:
            o = {}
            o["self"] = o                     # recursive dict
        else:
            o = [self.obj(depth + 1)] * r.randint(2, 4)   # shared references
        if isinstance(o, (list, dict, collections.OrderedDict)):
            self.pool.append(o)
        return o

    def dumps(self):
        r = self.rng
        self.pool = []
        obj = self.obj()
        p = r.randint(0, 5)
        try:
            if r.random() < 0.25:
                return pickle._dumps(obj, protocol=p)       # the pure-Python pickler
            return pickle.dumps(obj, protocol=p)
        except (pickle.PicklingError, RecursionError, TypeError, AttributeError, ValueError):
            return pickle.dumps([1, 2], protocol=p)


# (module, name) pools for byte-level samples: allowlisted, non-allowlisted, renamed, dotted,
# odd text. Nothing here is ever resolved.
NAMES = [
    ("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"), ("torch", "FloatStorage"), ("torch", "Size"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"), ("numpy", "dtype"),
    ("_codecs", "encode"), ("builtins", "set"), ("__builtin__", "set"),
    ("copy_reg", "_reconstructor"), ("__builtin__", "eval"), ("os", "system"),
    ("posix", "system"), ("commands", "getoutput"), ("mypkg.sub", "Thing"),
    ("builtins", "eval.__call__"), ("numpy", "prod.os.system"), ("torch", "hub.load"),
    ("m\u00f6d\u00fcle", "n\u00e2me"), ("a b", "c d"), ("x" * 200, "y" * 100), ("os\r", "system\r"),
    ("__main__", "Net"), ("UserDict", "UserDict"), ("exceptions", "ValueError"),
]
OPCODE_NAMES = [("", ""), ("", "x"), ("os", "")]   # STACK_GLOBAL only: text lines need >= 1 char


def su(s):
    b = s.encode("utf-8")
    return (b"\x8c" + bytes([len(b)]) + b) if len(b) < 256 else (b"X" + struct.pack("<I", len(b)) + b)


def byte_level(rng):
    """A list of globals used in assorted ways."""
    out = [b"\x80" + bytes([rng.choice([2, 3, 4, 5])])] if rng.random() < 0.8 else []
    out.append(b"]")   # EMPTY_LIST
    memo = 0
    for _ in range(rng.randint(1, 6)):
        style = rng.randrange(7)
        m, n = rng.choice(NAMES + (OPCODE_NAMES if style in (1, 2) else []))
        if style == 0:
            g = b"c" + m.encode() + b"\n" + n.encode() + b"\n"
        elif style == 1:
            g = su(m) + su(n) + b"\x93"
        elif style == 2:   # memoized operands, fetched again with BINGET for a second global
            g = su(m) + b"\x94" + su(n) + b"\x94" + b"\x93" + b"0" + b"h" + bytes([memo]) + b"h" + bytes([memo + 1]) + b"\x93"
            memo += 2
        elif style == 3:   # INST
            out.append(b"(" + su("arg") + b"i" + m.encode() + b"\n" + n.encode() + b"\n" + b"a")
            continue
        elif style == 4:   # OBJ
            out.append(b"(" + b"c" + m.encode() + b"\n" + n.encode() + b"\n" + b"K\x01o" + b"a")
            continue
        elif style == 5:   # NEWOBJ
            out.append(b"c" + m.encode() + b"\n" + n.encode() + b"\n" + b")\x81" + b"a")
            continue
        else:              # PROTO switch then a dotted-capable GLOBAL
            g = b"\x80\x04" + b"c" + m.encode() + b"\n" + n.encode() + b"\n"
        use = rng.randrange(3)
        if use == 0:
            out.append(g + b"a")                                 # referenced
        elif use == 1:
            out.append(g + b"(" + su("echo pwned") + b"tR" + b"a")   # called
        else:
            out.append(g + b")R" + b"}" + su("k") + b"K\x01s" + b"b" + b"a")  # called + BUILD
    out.append(b".")
    return b"".join(out)


# ---- mscan ------------------------------------------------------------------------------------
def mscan_globals(mscan, paths):
    """{path: file record} from one mscan run over paths (files or folders)."""
    proc = subprocess.run([mscan, "scan", "--list-globals", "--format", "json", "--no-yara"]
                          + list(paths), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode not in (0, 1, 2) or not proc.stdout:
        sys.exit("mscan failed (exit %d): %s" % (proc.returncode, proc.stderr.decode()[-2000:]))
    doc = json.loads(proc.stdout)
    return {f["path"]: f for f in doc["files"]}


def joblib_globals(data):
    """find_class calls of joblib's NumpyUnpickler (pickle._Unpickler subclass): the wrapper
    class, numpy.dtype and ndarray are the real ones (so the array bytes are read as joblib
    reads them), everything else a Stub. None when joblib or numpy are missing."""
    try:
        import joblib.numpy_pickle as jnp
        import numpy
    except ImportError:
        return None
    real = {"joblib.numpy_pickle.NumpyArrayWrapper": jnp.NumpyArrayWrapper,
            "numpy.dtype": numpy.dtype, "numpy.ndarray": numpy.ndarray}
    calls = []

    class JoblibRecorder(jnp.NumpyUnpickler):
        def find_class(self, module, name):
            calls.append((module, name))
            return real.get(module + "." + name, Stub)

        def persistent_load(self, pid):
            return Stub()

    try:
        JoblibRecorder("sample", io.BytesIO(data)).load()
    except BaseException as e:   # noqa: B902
        if isinstance(e, KeyboardInterrupt):
            raise
    return calls


def compare(name, data, rec, mismatches, stats):
    want, err, npk = cpython_globals(data)
    want2, err2, npk2 = cpython_globals(data, peek=True)
    wantj = joblib_globals(data) if b"NumpyArrayWrapper" in data else None
    want = [(printable(m), printable(n)) for m, n in want]
    want2 = [(printable(m), printable(n)) for m, n in want2]
    if rec is None:
        mismatches.append((name, "not in mscan's report", want, []))
        return
    got = [(g["module"], g["name"]) for g in sorted(rec.get("globals") or [],
                                                     key=lambda g: (g["member"], g["offset"]))]
    stats["compared"] += 1
    stats["globals"] += len(want)
    if rec.get("format") != "pickle" and (want or want2 or npk or npk2):
        mismatches.append((name, "format %r, not pickle" % rec.get("format"), want, got))
        return
    if wantj is not None and [(printable(m), printable(n)) for m, n in wantj] != want:
        # joblib.load reads array bytes pickle.load runs as opcodes: a file may meet either,
        # so mscan must list everything each reading resolves, and nothing else.
        stats["joblib_differs"] += 1
        union = (collections.Counter(want) | collections.Counter(want2)
                 | collections.Counter((printable(m), printable(n)) for m, n in wantj))
        cg = collections.Counter(got)
        if cg & union != union or cg - union:
            mismatches.append((name, "globals differ from the union of the pickle and joblib "
                               "readings", sorted(union), got))
        return
    if (want, err is None) != (want2, err2 is None):
        # The two ways of reading disagree (FRAME corner cases): a loader of either kind may
        # meet this file, so mscan must list the union of both, and nothing else.
        stats["modes_differ"] += 1
        union = collections.Counter(want) | collections.Counter(want2)
        cg = collections.Counter(got)
        if (err is None and err2 is None and cg != union) or cg & union != union or cg - union:
            mismatches.append((name, "globals differ (BytesIO read: %s; buffered read: %s, %s)"
                               % (err or "loads", err2 or "loads", want2), want, got))
        return
    if err is None:
        stats["complete"] += 1
        if got != want:
            mismatches.append((name, "globals differ", want, got))
        elif rec.get("error"):
            mismatches.append((name, "CPython loads it (%d pickles) but mscan: %s"
                               % (npk, rec["error"].get("message")), want, got))
    else:
        stats["partial"] += 1
        if got[:len(want)] != want:
            mismatches.append((name, "CPython stopped (%s); mscan misses what it resolved before"
                               % err, want, got))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mscan", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--work", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the random pickles")
    a = ap.parse_args()
    sys.setrecursionlimit(10000)
    work = a.work or tempfile.mkdtemp(prefix="mscan-diff-")
    rng = random.Random(a.seed)
    stats = collections.Counter()
    mismatches = []

    # Corpus: every raw pickle (mscan says "pickle", or one of the pkl_ samples).
    dirs = [os.path.join(a.corpus, d) for d in ("benign", "malicious", "malformed")]
    dirs = [d for d in dirs if os.path.isdir(d)]
    recs = mscan_globals(a.mscan, dirs) if dirs else {}
    for path in sorted(recs):
        rec = recs[path]
        base = os.path.basename(path)
        if base.endswith(".expect") or not (rec.get("format") == "pickle" or base.startswith("pkl_")):
            continue
        with open(path, "rb") as fh:
            data = fh.read()
        compare(path, data, rec, mismatches, stats)
    stats["corpus"] = stats["compared"]

    # Random pickles, written to one folder and scanned in one run.
    rdir = os.path.join(work, "random")
    os.makedirs(rdir, exist_ok=True)
    gen = Gen(rng)
    blobs = {}
    for i in range(a.count):
        data = byte_level(rng) if i % 5 == 4 else gen.dumps()
        p = os.path.join(rdir, "r%05d.pkl" % i)
        with open(p, "wb") as fh:
            fh.write(data)
        blobs[p] = data
    recs = mscan_globals(a.mscan, [rdir])
    for p, data in blobs.items():
        compare(p, data, recs.get(p), mismatches, stats)

    for name, why, want, got in mismatches[:60]:
        print("MISMATCH %s: %s\n  cpython: %s\n  mscan:   %s" % (name, why, want[:20], got[:20]))
    if len(mismatches) > 60:
        print("... %d more mismatches" % (len(mismatches) - 60))
    print("differential: %d pickles compared (%d corpus, %d random), %d complete loads, "
          "%d partial, %d where BytesIO and buffered reads differ, %d where joblib's reading "
          "differs, %d find_class calls, %d mismatches"
          % (stats["compared"], stats["corpus"], stats["compared"] - stats["corpus"],
             stats["complete"], stats["partial"], stats["modes_differ"], stats["joblib_differs"],
             stats["globals"], len(mismatches)))
    if not a.keep and not a.work:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
