#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes the pickle corpus: corpus/{benign,malicious,malformed}/pkl_* and their .expect sidecars.

Every sample is crafted at the byte level (hand-written opcodes, struct) or produced by
pickle.dumps over plain data. Nothing here ever unpickles a sample. Payloads only name
harmless commands ("echo pwned"). Output is committed; re-run after changing this file:

    python3 corpus/gen/gen_pickles.py            # standard library only
    /usr/bin/python3 corpus/gen/gen_pickles.py   # with Debian's python3-torch: also the
                                                 # data.pkl members of real torch.save files

Sidecar format (docs/HACKING.md): line 1 exit=N, then rule=ID (must be among the findings)
and norule=ID (must not be).
"""
import collections
import copyreg
import io
import os
import pickle
import struct
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # corpus/
CMD = "echo pwned"

# Rule ids (docs/rules-pickle.md).
DENY = "MS-PKL-CALL-DENY"            # critical: a denylisted callable is reached
GDENY = "MS-PKL-GLOBAL-DENY"         # a denylisted global is referenced
UNKNOWN = "MS-PKL-CALL-UNKNOWN"      # high: a non-allowlisted global is called
DYNAMIC = "MS-PKL-CALL-DYNAMIC"      # a call whose callable is not a global (result of a call)
UNRESOLVED = "MS-PKL-GLOBAL-UNRESOLVED"
EXT = "MS-PKL-EXT"
GUNKNOWN = "MS-PKL-GLOBAL-UNKNOWN"   # medium: non-allowlisted class only instantiated
MULTIPLE = "MS-PKL-MULTIPLE"
TRAILING = "MS-PKL-TRAILING"
STRADDLE = "MS-PKL-FRAME-STRADDLE"

# The copyreg extension registry the EXT samples were made against. The generator registers
# them so that pickle.dumps itself emits EXT1 for the benign sample; a loading process has an
# empty registry unless it registers the same codes (the differential test runs with the
# default, empty registry, as torch.load would).
EXT_CODES = {
    ("collections", "OrderedDict"): 0x42,        # EXT1
    ("os", "system"): 0x1234,                    # EXT2
    ("posix", "system"): 0x12345678,             # EXT4
}


def with_extensions(fn):
    """Runs fn() with EXT_CODES registered, then removes them (so that no other sample,
    torch.save output included, is written with EXT opcodes)."""
    for (m, n), c in EXT_CODES.items():
        copyreg.add_extension(m, n, c)
    try:
        return fn()
    finally:
        for (m, n), c in EXT_CODES.items():
            copyreg.remove_extension(m, n, c)

# ---- opcode helpers -------------------------------------------------------------------------
MARK, STOP, POP, TUPLE, REDUCE, BUILD = b"(", b".", b"0", b"t", b"R", b"b"
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, APPEND, APPENDS = b"}", b"]", b")", b"a", b"e"
SETITEM, SETITEMS, LIST, DICT, NONE = b"s", b"u", b"l", b"d", b"N"
STACK_GLOBAL, MEMOIZE, NEWOBJ, NEWOBJ_EX, OBJ = b"\x93", b"\x94", b"\x81", b"\x92", b"o"
TUPLE1, TUPLE2, TUPLE3 = b"\x85", b"\x86", b"\x87"
NEWTRUE, NEWFALSE, BINPERSID = b"\x88", b"\x89", b"Q"


def proto(n):
    return b"\x80" + bytes([n])


def u(s):
    """A str constant: SHORT_BINUNICODE or BINUNICODE."""
    b = s.encode("utf-8")
    if len(b) < 256:
        return b"\x8c" + bytes([len(b)]) + b
    return b"X" + struct.pack("<I", len(b)) + b


def bu(s):
    b = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b


def sstr(s):
    """Protocol 0 STRING 'S' line (repr quoting)."""
    return b"S" + repr(s).encode("ascii") + b"\n"


def binint(i):
    if 0 <= i < 256:
        return b"K" + bytes([i])
    if 0 <= i < 65536:
        return b"M" + struct.pack("<H", i)
    return b"J" + struct.pack("<i", i)


def binput(i):
    return b"q" + bytes([i])


def binget(i):
    return b"h" + bytes([i])


def glob(mod, name):
    """Protocol 0..3 GLOBAL: module and name on text lines."""
    return b"c" + mod.encode("utf-8") + b"\n" + name.encode("utf-8") + b"\n"


def sglob(mod, name):
    """Protocol 4 STACK_GLOBAL with memoized operand strings."""
    return u(mod) + MEMOIZE + u(name) + MEMOIZE + STACK_GLOBAL


def call(fn, *args):
    """fn(*args) with REDUCE; args are already-encoded constants."""
    return fn + MARK + b"".join(args) + TUPLE + REDUCE


def frame(body):
    return b"\x95" + struct.pack("<Q", len(body)) + body


def odict_p2(items=(("a", 1), ("b", 2))):
    """collections.OrderedDict() filled with SETITEMS, as pickle.dumps(OrderedDict) does."""
    out = glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + MARK
    for k, v in items:
        out += u(k) + binint(v)
    return out + SETITEMS


def odict_p4(items=(("a", 1), ("b", 2))):
    out = sglob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + MARK
    for k, v in items:
        out += u(k) + binint(v)
    return out + SETITEMS


BENIGN_P2 = proto(2) + odict_p2() + STOP
BENIGN_P4 = proto(4) + frame(odict_p4() + STOP)
SYSTEM_P2 = proto(2) + call(glob("os", "system"), u(CMD)) + STOP
SYSTEM_P0 = b"cos\nsystem\n(" + sstr(CMD) + b"tR."

# ---- sample registry ---------------------------------------------------------------------------
SAMPLES = []   # (folder, name, bytes, exit, rules, norules, note)


def add(folder, name, data, exit_code, rules=(), norules=(), note=""):
    SAMPLES.append((folder, "pkl_" + name + ".pkl", data, exit_code, list(rules), list(norules), note))


def benign(name, data, rules=(), norules=(DENY, UNKNOWN), note="", exit_code=0):
    add("benign", name, data, exit_code, rules, norules, note)


def malicious(name, data, rules=(DENY,), norules=(), note=""):
    add("malicious", name, data, 1, rules, norules, note)


def malformed(name, data, exit_code=2, rules=(), note=""):
    add("malformed", name, data, exit_code, rules, (), note)


# ---- techniques ----------------------------------------------------------------------------------
def techniques():
    # Baseline: the classic payloads.
    malicious("os_system_p0", SYSTEM_P0, note="protocol 0 GLOBAL os.system + REDUCE")
    malicious("os_system_p2", SYSTEM_P2)
    malicious("posix_system_p4", proto(4) + frame(call(sglob("posix", "system"), u(CMD)) + STOP))
    malicious("subprocess_popen", proto(2) + call(glob("subprocess", "Popen"),
              MARK + u("echo") + u("pwned") + LIST) + STOP)
    malicious("builtins_eval", proto(2) + call(glob("builtins", "eval"), u("'pwned'")) + STOP)
    malicious("builtins_exec", proto(2) + call(glob("builtins", "exec"), u("print('pwned')")) + STOP)

    # An allowlisted wrapper that calls its argument: torch._tensor._rebuild_from_type_v2(func,
    # new_type, args, state) runs func(*args), so func is judged as if called by REDUCE.
    rft = glob("torch._tensor", "_rebuild_from_type_v2")
    malicious("rebuild_from_type_v2_unknown",
              proto(2) + call(rft, glob("mypkg.tools", "run_cmd"), glob("torch", "Tensor"),
                              MARK + u(CMD) + TUPLE, EMPTY_DICT) + STOP, rules=(UNKNOWN,))
    malicious("rebuild_from_type_v2_deny",
              proto(2) + call(rft, glob("posix", "system"), glob("torch", "Tensor"),
                              MARK + u(CMD) + TUPLE, EMPTY_DICT) + STOP)
    benign("rebuild_from_type_v2_tensor",
           proto(2) + call(rft, glob("torch._utils", "_rebuild_tensor_v2"), glob("torch", "Tensor"),
                           MARK + MARK + u("storage") + glob("torch", "FloatStorage") + u("0")
                           + u("cpu") + binint(4) + TUPLE + BINPERSID + binint(0) + binint(4)
                           + TUPLE1 + binint(1) + TUPLE1 + NEWFALSE
                           + call(glob("collections", "OrderedDict")) + TUPLE, EMPTY_DICT)
           + STOP)
    # Private aliases of os in the standard library (random imports os as _os).
    malicious("private_os_alias", proto(2) + call(glob("random", "_os.execv"), u("/bin/sh"),
                                                  MARK + u("sh") + u("-c") + u(CMD) + LIST) + STOP)
    # BUILD on a persistent-id object: torch's legacy persistent_load returns the module
    # itself for ('module', m, ...), so BUILD rebinds that module's functions.
    malicious("build_on_persid_module",
              proto(2) + MARK + u("module") + glob("torch", "_utils") + NONE + TUPLE + BINPERSID
              + EMPTY_DICT + u("_rebuild_tensor_v2") + glob("mypkg.tools", "run_cmd") + SETITEM
              + BUILD + POP + EMPTY_DICT + STOP, rules=("MS-PKL-BUILD-PERSID",))

    # Memoized STACK_GLOBAL strings: module and name come from the memo, put there as values.
    b = (proto(4) + EMPTY_DICT + MEMOIZE + MARK + u("m") + u("collections") + MEMOIZE
         + u("n") + u("OrderedDict") + MEMOIZE + SETITEMS + POP
         + binget(1) + binget(2) + STACK_GLOBAL + EMPTY_TUPLE + REDUCE + STOP)
    benign("memo_stack_global", b, note="STACK_GLOBAL operands fetched with BINGET")
    m = (proto(4) + EMPTY_DICT + MEMOIZE + MARK + u("m") + u("posix") + MEMOIZE
         + u("n") + u("system") + MEMOIZE + SETITEMS + POP
         + binget(1) + binget(2) + STACK_GLOBAL + u(CMD) + TUPLE1 + REDUCE + STOP)
    malicious("memo_stack_global", m, note="'posix'/'system' memoized as dict values, BINGET")
    # Same through LONG_BINPUT/LONG_BINGET and text PUT/GET with a key written '1_0' (int()
    # accepts underscores, so 'p1_0' and 'g10' name the same memo slot).
    m = (proto(4) + u("os") + b"r" + struct.pack("<I", 70000) + POP
         + u("system") + b"p1_0\n" + POP
         + b"j" + struct.pack("<I", 70000) + b"g10\n" + STACK_GLOBAL + u(CMD) + TUPLE1 + REDUCE + STOP)
    malicious("memo_long_and_text_keys", m)
    b = (proto(4) + u("collections") + b"r" + struct.pack("<I", 70000) + POP
         + u("OrderedDict") + b"p1_0\n" + POP
         + b"j" + struct.pack("<I", 70000) + b"g10\n" + STACK_GLOBAL + EMPTY_TUPLE + REDUCE + STOP)
    benign("memo_long_and_text_keys", b)

    # Memo confusion (picklescan issue 14): BINPUT and MEMOIZE mixed so that a reader which
    # numbers MEMOIZE slots on its own thinks slots 0/1 hold the safe names.
    m = (proto(4) + u("os") + binput(0) + u("system") + binput(1) + u("torch._utils") + MEMOIZE
         + u("_rebuild_tensor_v2") + MEMOIZE + POP + POP + POP + POP
         + binget(0) + binget(1) + STACK_GLOBAL + u(CMD) + TUPLE1 + REDUCE + STOP)
    malicious("memo_binput_memoize_mix", m)
    b = (proto(4) + u("collections") + binput(0) + u("OrderedDict") + binput(1) + u("os") + MEMOIZE
         + u("system") + MEMOIZE + POP + POP + POP + POP
         + binget(0) + binget(1) + STACK_GLOBAL + EMPTY_TUPLE + REDUCE + STOP)
    benign("memo_binput_memoize_mix", b, note="slots 2/3 hold 'os'/'system' but are never used")

    # Protocol 0 INST and protocol 1 OBJ.
    benign("inst_p0", b"(icollections\nOrderedDict\n(dp0\nVa\nI1\nsb.")
    malicious("inst_p0", b"(" + sstr(CMD) + b"ios\nsystem\n.")
    benign("obj_p1", MARK + glob("collections", "OrderedDict") + OBJ + STOP)
    malicious("obj_p1", MARK + glob("os", "system") + u(CMD) + OBJ + STOP)

    # EXT1/EXT2/EXT4: every EXT is a finding (no checkpoint needs one); the benign-target
    # sample is pickle.dumps' own output with OrderedDict registered, so it still exits 1.
    ext1 = with_extensions(lambda: pickle.dumps(collections.OrderedDict([("a", 1)]), protocol=2))
    assert b"\x82" in ext1, "EXT1 expected"
    add("malicious", "ext1_ordereddict", ext1, 1, [EXT], [DENY],
        "pickle.dumps output with OrderedDict registered as extension 0x42")
    malicious("ext2_os_system", proto(2) + b"\x83" + struct.pack("<H", 0x1234) + MARK + u(CMD)
              + TUPLE + REDUCE + STOP, rules=(EXT,))
    malicious("ext4_posix_system", proto(2) + b"\x84" + struct.pack("<i", 0x12345678) + MARK
              + u(CMD) + TUPLE + REDUCE + STOP, rules=(EXT,))

    # NEWOBJ and NEWOBJ_EX.
    benign("newobj", proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + NEWOBJ + STOP)
    malicious("newobj", proto(2) + glob("subprocess", "Popen") + MARK + u("echo") + u("pwned")
              + LIST + TUPLE1 + NEWOBJ + STOP)
    benign("newobj_ex", proto(4) + sglob("collections", "OrderedDict") + EMPTY_TUPLE + EMPTY_DICT
           + NEWOBJ_EX + STOP)
    malicious("newobj_ex", proto(4) + sglob("subprocess", "Popen") + MARK + u("echo") + u("pwned")
              + LIST + TUPLE1 + EMPTY_DICT + MARK + u("shell") + NEWFALSE + SETITEMS
              + NEWOBJ_EX + STOP)

    # BUILD: benign state (a state dict's _metadata); malicious: BUILD puts a denylisted
    # callable into the instance __dict__ as __setstate__, the second BUILD calls it.
    benign("build_state", proto(2) + odict_p2() + EMPTY_DICT + u("_metadata") + EMPTY_DICT
           + SETITEM + BUILD + STOP)
    malicious("build_setstate_injection", proto(2) + glob("collections", "OrderedDict")
              + EMPTY_TUPLE + REDUCE + EMPTY_DICT + u("__setstate__") + glob("os", "system")
              + SETITEM + BUILD + u(CMD) + BUILD + STOP, rules=(GDENY,),
              note="inst.__dict__['__setstate__'] = os.system; BUILD 'echo pwned' calls it")

    # Several pickles: payload in the second one.
    benign("two_pickles", BENIGN_P2 + BENIGN_P4, rules=(MULTIPLE,))
    malicious("payload_in_second_pickle", BENIGN_P2 + SYSTEM_P2, rules=(DENY, MULTIPLE))
    malicious("payload_in_third_pickle_p0", BENIGN_P2 + BENIGN_P2 + SYSTEM_P0, rules=(DENY, MULTIPLE))

    # Payload before a truncation: the stream breaks right after REDUCE. Findings win (exit 1).
    malicious("truncated_after_reduce", proto(2) + call(glob("os", "system"), u(CMD)),
              note="no STOP: pickle.load ran os.system before it failed")
    malicious("truncated_after_reduce_p4", proto(4) + frame(call(sglob("os", "system"), u(CMD))
              + EMPTY_LIST + MARK + u("x")))
    malformed("truncated_benign", BENIGN_P2[:-6])

    # Garbage after STOP.
    benign("trailing_garbage", BENIGN_P2 + b"\x00\xffgarbage after the stop opcode\n",
           rules=(TRAILING,))
    malicious("trailing_garbage", SYSTEM_P2 + b"\xfe\xfdnot a pickle", rules=(DENY,))

    # getattr chains.
    malicious("getattr_import_os_system", proto(2) + call(
        call(glob("builtins", "getattr"), call(glob("builtins", "__import__"), u("os")), u("system")),
        u(CMD)) + STOP, rules=(DENY,))
    malicious("getattr_builtins_module_eval", proto(2) + call(
        call(glob("builtins", "getattr"), call(glob("importlib", "import_module"), u("builtins")),
             u("eval")), u("'pwned'")) + STOP, rules=(DENY,))
    malicious("getattr_sys_modules", proto(2) + call(
        call(glob("builtins", "getattr"),
             call(call(glob("builtins", "getattr"), glob("sys", "modules"), u("get")), u("os")),
             u("system")), u(CMD)) + STOP, rules=(DENY,))

    # Dotted names (find_class walks every component from protocol 4 on).
    malicious("dotted_eval_call", proto(4) + call(sglob("builtins", "eval.__call__"),
              u("'pwned'")) + STOP, rules=(DENY,))
    malicious("dotted_torch_serialization_os", proto(4) + call(
        sglob("torch", "serialization.os.system"), u(CMD)) + STOP, rules=(DENY,),
        note="torch is allowlisted for some names; torch.serialization.os is the os module")
    malicious("dotted_collections_sys_modules", proto(4) + call(
        sglob("collections", "_sys.modules.get"), u("os")) + STOP, rules=(),
        note="collections is allowed for OrderedDict only; _sys.modules.get returns os")
    malicious("dotted_proto_switch", proto(2) + EMPTY_LIST + POP + proto(4)
              + call(glob("builtins", "eval.__call__"), u("'pwned'")) + STOP, rules=(DENY,),
              note="PROTO 4 mid-stream: the dotted GLOBAL is resolved with protocol 4 rules")
    benign("dotted_proto2_reference", proto(2) + EMPTY_DICT + u("k") + glob("collections", "OrderedDict")
           + SETITEM + STOP)

    # _compat_pickle renames (Python 2 names map to their Python 3 modules).
    malicious("compat_builtin_eval", proto(2) + call(glob("__builtin__", "eval"), u("'pwned'")) + STOP)
    malicious("compat_commands_getoutput", proto(2) + call(glob("commands", "getoutput"), u(CMD)) + STOP)
    malicious("compat_builtin_apply_p0", b"c__builtin__\ngetattr\n(c__builtin__\n__import__\n(S'os'\ntRS'system'\ntR(" + sstr(CMD) + b"tR.")
    benign("compat_builtin_set", proto(2) + call(glob("__builtin__", "set"), EMPTY_LIST) + STOP)
    malicious("compat_copy_reg_reconstructor_p0", b"ccopy_reg\n_reconstructor\n(csubprocess\nPopen\n"
              b"c__builtin__\nobject\nNtR.", rules=())
    malicious("compat_cpickle_loads", proto(2) + call(glob("cPickle", "loads"),
              b"C" + bytes([len(SYSTEM_P2)]) + SYSTEM_P2) + STOP)
    malicious("compat_httplib_connection", proto(2) + call(glob("httplib", "HTTPConnection"),
              u("pwned.invalid")) + STOP, rules=())

    # Unresolved STACK_GLOBAL: the module string is built by a call.
    malicious("unresolved_stack_global", proto(4) + call(sglob("builtins", "str"), u("posix"))
              + u("system") + STACK_GLOBAL + u(CMD) + TUPLE1 + REDUCE + STOP, rules=(UNRESOLVED,))
    malicious("unresolved_stack_global_join", proto(4) + call(
        call(glob("builtins", "getattr"), u(""), u("join")), MARK + u("o") + u("s") + LIST)
        + u("system") + STACK_GLOBAL + u(CMD) + TUPLE1 + REDUCE + STOP, rules=(UNRESOLVED,))

    # A call whose result is POPped is still a call.
    benign("call_popped", proto(2) + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE
           + POP + EMPTY_DICT + STOP)
    malicious("call_popped", proto(2) + call(glob("os", "system"), u(CMD)) + POP + EMPTY_DICT + STOP)
    malicious("call_pop_mark", proto(2) + MARK + call(glob("os", "system"), u(CMD)) + b"1"
              + EMPTY_DICT + STOP, note="POP_MARK discards the result")

    # Deeply nested containers.
    n = 5000
    benign("nested_lists_5000", proto(2) + EMPTY_LIST * n + APPEND * (n - 1) + STOP)
    benign("nested_marks_100k", MARK * 100000 + LIST * 100000 + STOP,
           note="100k open MARKs closed by 100k LIST: valid for CPython")
    malicious("nested_payload_5000", proto(2) + EMPTY_LIST * n + call(glob("os", "system"), u(CMD))
              + APPEND * n + STOP)
    malicious("nested_dicts_payload", proto(2) + (EMPTY_DICT + u("k")) * 2000
              + call(glob("os", "system"), u(CMD)) + SETITEM * 2000 + STOP)

    # FRAME with an opcode straddling the frame's end. _pickle.c reading from a file (torch.load
    # reads data.pkl through io.BytesIO) drops the rest of the frame and takes the whole
    # argument from the bytes after it; a linear reader (pickletools, pickle.loads of bytes)
    # takes the frame's last byte as the first of the argument. Here a SHORT_BINUNICODE
    # with one byte left in the frame: CPython resolves the name after the frame.
    benign("frame_straddle", proto(4) + frame(MARK + b"\x8c\x02a") + b"b" + POP + b"1"
           + odict_p4() + STOP, rules=(STRADDLE,),
           note="valid both ways: BytesIO C unpickler pushes 'b0' then POP_MARK; a linear "
           "reader pushes 'ab', POP, POP_MARK")
    malicious("frame_straddle", proto(4) + frame(u("os") + MEMOIZE + b"\x8c\x06X")
              + b"system" + MEMOIZE + STACK_GLOBAL + u(CMD) + TUPLE1 + REDUCE + STOP,
              rules=(DENY, STRADDLE), note="CPython: os.system; linear readers see 'Xsyste' and fail")
    # A frame whose length claims more than one opcode, with the payload after the stop of a
    # benign pickle inside it: frames do not end pickles.
    body = u("x") + STOP
    malicious("frame_dead_bytes_after_stop", proto(4) + frame(body + proto(4) + call(sglob("os", "system"), u(CMD)) + STOP),
              rules=(DENY,), note="pickle.load(f) twice skips the rest of the frame after STOP;"
              " a loader reading from a slice would not")
    malicious("frame_then_second_pickle", proto(4) + frame(body + b"junk") + SYSTEM_P2,
              rules=(DENY, MULTIPLE), note="the second pickle starts after the frame's end")

    # INT with a base prefix: _pickle.c parses it with strtol(base 0), pickletools does not.
    benign("int_hex_prefix", b"(dp0\nVa\nI0x10\nsVb\nL0x20L\ns.")
    malicious("int_hex_prefix", b"(I0x10\nI0o7\nI1_000\nl0" + SYSTEM_P0)
    benign("int_bool_text", b"(I01\nI00\nI-5\nl.")

    # PERSID / BINPERSID: persistent ids are how torch names storages.
    benign("persid_p0", b"(lp0\nP0\naPstorage_1\na.")
    benign("binpersid_torch_like", proto(2) + glob("torch._utils", "_rebuild_tensor_v2") + MARK
           + MARK + u("storage") + glob("torch", "FloatStorage") + u("0") + u("cpu") + binint(4)
           + TUPLE + BINPERSID + binint(0) + binint(4) + TUPLE1 + binint(1) + TUPLE1 + NEWFALSE
           + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE + STOP)
    malicious("binpersid_payload", proto(2) + call(glob("os", "system"), u(CMD)) + BINPERSID + STOP)
    malicious("persid_then_payload_p0", b"(lp0\nP0\na" + b"cos\nsystem\n(" + sstr(CMD) + b"tRa.")

    # Every protocol for a benign object.
    obj = collections.OrderedDict([("weight", [1.5, -2.0, 3.25]), ("bias", (0, 1, 2**70)),
                                   ("name", "layer\u00e9"), ("flags", {"a": True, "b": None})])
    for p in range(0, 6):
        data = pickle.dumps(obj, protocol=p)
        if p >= 4 and b"\x95" not in data[:12]:
            raise SystemExit("expected a FRAME")
        benign("ordereddict_proto%d" % p, data)
    for p in (2, 4):
        benign("plain_dict_proto%d" % p, pickle.dumps({"layers": list(range(50)), "lr": 0.001,
                                                      "sizes": (3, 4), "x": [[1.0] * 8] * 4},
                                                     protocol=p))
    malicious("payload_proto1", b"cos\nsystem\nq\x00(U" + bytes([len(CMD)]) + CMD.encode() + b"tR.")
    malicious("payload_proto3", proto(3) + call(glob("os", "system"), bu(CMD)) + STOP)
    malicious("payload_proto5", proto(5) + frame(call(sglob("os", "system"), u(CMD)) + STOP))

    # bytes, bytearray and out-of-band buffers (protocol 5).
    benign("bytes_bytearray_p5", pickle.dumps({"b": b"\x00\x01" * 10, "ba": bytearray(b"xyz" * 100),
                                                "big": b"B" * 300}, protocol=5))
    benign("bytes_p3", pickle.dumps({"b": b"abc", "bb": b"x" * 70000}, protocol=3))
    bufs = []
    data = pickle.dumps([pickle.PickleBuffer(bytearray(b"abcd")),
                         pickle.PickleBuffer(b"readonly")], protocol=5, buffer_callback=bufs.append)
    assert b"\x97" in data and b"\x98" in data
    benign("next_buffer_p5", data, note="NEXT_BUFFER and READONLY_BUFFER (needs buffers= to load)")
    malicious("next_buffer_payload", proto(5) + b"\x97" + b"\x98" + POP
              + call(sglob("os", "system"), u(CMD)) + STOP)
    benign("bytearray8", proto(5) + b"\x96" + struct.pack("<Q", 5) + b"hello" + STOP)

    # Unicode module names and odd line endings in GLOBAL: find_class is asked exactly this.
    malicious("global_crlf", proto(2) + call(b"cos\r\nsystem\r\n", u(CMD)) + STOP, rules=(),
              note="'os\\r' is not importable, but the name is not allowlisted either")
    malicious("global_unicode_name", proto(4) + call(sglob("os", "syst\u00e9m"), u(CMD)) + STOP, rules=())

    # Known gadgets and published scanner bypasses (picklescan/modelscan/fickling advisories).
    gadgets = [
        ("pip_main", "pip", "main", MARK + u("--version") + LIST),
        ("pip_internal_main", "pip._internal", "main", MARK + u("--version") + LIST),
        ("runpy_run_code", "runpy", "_run_code", u("print('pwned')") + EMPTY_DICT),
        ("runpy_run_path", "runpy", "run_path", u("/tmp/pwned.py")),
        ("torch_hub_load", "torch.hub", "load", u("pwned/repo") + u("model")),
        ("torch_jit_load", "torch.jit", "load", u("/tmp/pwned.pt")),
        ("torch_collect_env_run", "torch.utils.collect_env", "run", u(CMD)),
        ("torch_serialization_load", "torch.serialization", "load", u("/tmp/pwned.pt")),
        ("numpy_f2py_crackfortran_eval", "numpy.f2py.crackfortran", "myeval", u("'pwned'")),
        ("numpy_testing_runstring", "numpy.testing._private.utils", "runstring",
         u("print('pwned')") + EMPTY_DICT),
        ("asyncio_subprocess_shell", "asyncio.subprocess", "create_subprocess_shell", u(CMD)),
        ("asyncio_unix_subprocess", "asyncio.unix_events", "_UnixSubprocessTransport._start",
         NONE + u(CMD) + NEWTRUE + NONE + NONE + NONE + binint(0)),
        ("cprofile_run", "cProfile", "run", u("print('pwned')")),
        ("profile_run", "profile", "run", u("print('pwned')")),
        ("timeit_timeit", "timeit", "timeit", u("print('pwned')")),
        ("trace_runctx", "trace", "Trace.runctx", NONE + u("print('pwned')")),
        ("pdb_run", "pdb", "run", u("print('pwned')")),
        ("pydoc_pipepager", "pydoc", "pipepager", u("text") + u(CMD)),
        ("idlelib_calltip", "idlelib.calltip", "get_entity", u("__import__('os')")),
        ("idlelib_run_exec", "idlelib.run", "Executive.runcode", NONE + u("print('pwned')")),
        ("venv_create", "venv", "create", u("/tmp/pwned-venv")),
        ("ensurepip_run_pip", "ensurepip", "_run_pip", MARK + u("--version") + LIST),
        ("bdb_run", "bdb", "Bdb.run", NONE + u("print('pwned')")),
        ("doctest_debug_script", "doctest", "debug_script", u("print('pwned')")),
        ("code_interactive_runsource", "code", "InteractiveInterpreter.runsource",
         NONE + u("print('pwned')")),
        ("code_interact", "code", "interact", NONE + NONE + EMPTY_DICT),
        ("io_fileio", "_io", "FileIO", u("/tmp/pwned") + u("w")),
        ("io_open", "io", "open", u("/tmp/pwned") + u("w")),
        ("builtins_open", "builtins", "open", u("/tmp/pwned") + u("w")),
        ("shutil_rmtree", "shutil", "rmtree", u("/tmp/pwned-dir")),
        ("shutil_copyfile", "shutil", "copyfile", u("/etc/hostname") + u("/tmp/pwned")),
        ("tempfile_mkdtemp", "tempfile", "mkdtemp", u("pwned")),
        ("pty_spawn", "pty", "spawn", u("echo")),
        ("webbrowser_open", "webbrowser", "open", u("http://pwned.invalid/")),
        ("socket_create_connection", "socket", "create_connection",
         u("pwned.invalid") + binint(80) + TUPLE2),
        ("ctypes_cdll", "ctypes", "CDLL", u("libc.so.6")),
        ("pickle_loads", "pickle", "loads", b"C" + bytes([len(SYSTEM_P2)]) + SYSTEM_P2),
        ("_pickle_loads", "_pickle", "loads", b"C" + bytes([len(SYSTEM_P2)]) + SYSTEM_P2),
        ("builtins_compile", "builtins", "compile", u("1") + u("x") + u("eval")),
        ("builtins_import", "builtins", "__import__", u("os")),
        ("importlib_import_module", "importlib", "import_module", u("os")),
        ("os_popen", "os", "popen", u(CMD)),
        ("os_execv", "os", "execv", u("/bin/echo") + MARK + u("echo") + u("pwned") + LIST),
        ("nt_system", "nt", "system", u(CMD)),
        ("subprocess_check_output", "subprocess", "check_output", MARK + u("echo") + u("pwned") + LIST),
        ("subprocess_run", "subprocess", "run", MARK + u("echo") + u("pwned") + LIST),
        ("distutils_spawn", "distutils.spawn", "spawn", MARK + u("echo") + u("pwned") + LIST),
        ("imaplib_imap4_stream", "imaplib", "IMAP4_stream", u(CMD)),
        ("lib2to3_pgen_eval", "lib2to3.pgen2.pgen", "ParserGenerator.make_label",
         NONE + NONE + u("'pwned'")),
        ("torch_fx_shapeenv", "torch.fx.experimental.symbolic_shapes",
         "ShapeEnv.evaluate_guards_expression", NONE + u("print('pwned')") + EMPTY_LIST),
        ("torch_inductor_codecache", "torch._inductor.codecache", "compile_file",
         u("/tmp/pwned.c") + u("/tmp/pwned.so") + EMPTY_LIST),
        ("torch_dynamo_eval_frame", "torch._dynamo.eval_frame", "run", NONE),
        ("types_functiontype", "types", "FunctionType", NONE + EMPTY_DICT),
        ("types_codetype", "types", "CodeType", binint(0)),
        ("cloudpickle_make_function", "cloudpickle.cloudpickle", "_make_function",
         NONE + EMPTY_DICT + NONE + NONE + NONE),
        ("picklescan_self", "picklescan.scanner", "scan_file_path", u("/tmp/x")),
        ("mscan_self", "mscan", "main", NONE),
        ("multiprocessing_util_spawnv", "multiprocessing.util", "spawnv_passfds",
         u("/bin/echo") + MARK + u("echo") + LIST + EMPTY_TUPLE),
        ("sys_breakpointhook", "sys", "breakpointhook", NONE),
        ("pkgutil_resolve_name", "pkgutil", "resolve_name", u("os:system")),
        ("importlib_util_find_spec", "importlib.util", "find_spec", u("os")),
        ("trace_trace_run", "trace", "Trace.run", NONE + u("print('pwned')")),
        ("profile_profile_runctx", "profile", "Profile.runctx",
         NONE + u("print('pwned')") + EMPTY_DICT + EMPTY_DICT),
        ("lib2to3_grammar_loads", "lib2to3.pgen2.grammar", "Grammar.loads", NONE + b"C\x01."),
        ("idlelib_debugobj_treeitem", "idlelib.debugobj", "ObjectTreeItem", u("x") + NONE + NONE),
        ("idlelib_autocomplete_get_entity", "idlelib.autocomplete", "AutoComplete.get_entity",
         NONE + u("__import__('os')")),
        ("code_interactive_console_push", "code", "InteractiveConsole.push",
         NONE + u("print('pwned')")),
        ("fickling_self", "fickling", "load", NONE),
        ("modelscan_self", "modelscan.modelscan", "ModelScan", NONE),
        ("os_system_via_posixpath", "posixpath", "os.system", u(CMD)),
        ("code_compile_command", "codeop", "compile_command", u("print('pwned')")),
        # The C modules behind denylisted Python ones export the same objects.
        ("c_operator_attrgetter", "_operator", "attrgetter", u("system")),
        ("c_operator_methodcaller", "_operator", "methodcaller", u("system") + u(CMD)),
        ("operator_call", "operator", "call", u(CMD)),
        ("c_functools_partial", "_functools", "partial", u(CMD)),
        ("imp_create_dynamic", "_imp", "create_dynamic", u("/tmp/pwned.so")),
        ("frozen_importlib_source_loader", "_frozen_importlib_external", "SourceFileLoader",
         u("pwned") + u("/tmp/pwned.py")),
        ("testcapi_run_in_subinterp", "_testcapi", "run_in_subinterp", u("print('pwned')")),
        ("fcntl_ioctl_tiocsti", "fcntl", "ioctl", binint(0) + binint(0x5412) + u("e")),
    ]
    for name, mod, attr, args in gadgets:
        p = 4 if "." in attr else 2
        fn = sglob(mod, attr) if p == 4 else glob(mod, attr)
        malicious("gadget_" + name, proto(p) + call(fn, args) + STOP, rules=(DENY,))
    # Wrappers around a denylisted callable: functools.partial and operator.methodcaller.
    malicious("gadget_functools_partial", proto(2) + call(call(glob("functools", "partial"),
              glob("os", "system"), u(CMD))) + STOP, rules=(DENY,))
    malicious("gadget_operator_methodcaller", proto(2) + call(call(glob("operator", "methodcaller"),
              u("system"), u(CMD)), call(glob("importlib", "import_module"), u("os"))) + STOP,
              rules=(DENY,))
    malicious("gadget_operator_attrgetter", proto(2) + call(call(call(glob("operator", "attrgetter"),
              u("system")), call(glob("builtins", "__import__"), u("os"))), u(CMD)) + STOP,
              rules=(DENY,))
    malicious("gadget_map_consume", proto(2) + call(glob("builtins", "list"), call(
        glob("builtins", "map"), glob("os", "system"), MARK + u(CMD) + LIST)) + STOP, rules=())
    # Unknown (not denylisted) callables are still high: allowlist first.
    malicious("unknown_callable", proto(2) + call(glob("mypackage.utils", "do_something"), u("x"))
              + STOP, rules=(UNKNOWN,), norules=(DENY,))
    add("benign", "unknown_class_instantiated", proto(2) + glob("__main__", "Net")
        + EMPTY_TUPLE + NEWOBJ + EMPTY_DICT + u("w") + binint(1) + SETITEM + BUILD + STOP,
        0, [GUNKNOWN], [DENY, UNKNOWN],
        "full-model pickle: a class only instantiated and given state is medium")
    # Allowlist matching is exact: torch.hub is not torch.
    malicious("torch_prefix_not_allowlisted", proto(4) + call(sglob("torch", "hub.load"),
              u("pwned/repo") + u("m")) + STOP, rules=(DENY,))
    malicious("torch_rebuild_lookalike", proto(2) + call(glob("torch._utils_evil", "_rebuild_tensor_v2"),
              u("x")) + STOP, rules=(UNKNOWN,))


# ---- malformed input -----------------------------------------------------------------------------
def malformed_samples():
    malformed("empty_after_proto", proto(2))
    malformed("truncated_binunicode_len", proto(4) + b"X\xff\xff\xff\x7f" + b"abc")
    malformed("oversized_binbytes8", proto(4) + b"\x8e" + struct.pack("<Q", 2**63) + b"abc" + STOP)
    malformed("oversized_frame", proto(4) + b"\x95" + struct.pack("<Q", 2**62) + EMPTY_DICT + STOP)
    malformed("oversized_long4", proto(2) + b"\x8b" + struct.pack("<i", 2**31 - 1) + b"\x01" + STOP)
    malformed("negative_long4", proto(2) + b"\x8b" + struct.pack("<i", -5) + STOP)
    malformed("negative_binstring", proto(1) + b"T" + struct.pack("<i", -1) + STOP)
    malformed("unknown_opcode", proto(2) + EMPTY_DICT + b"\xff" + STOP)
    malformed("unknown_opcode_first", b"\xf0\x00")
    malformed("unknown_protocol", b"\x80\x09" + EMPTY_DICT + STOP)
    malformed("memo_index_out_of_range", proto(2) + EMPTY_DICT + binput(0) + binget(7) + STOP)
    malformed("memo_long_get_missing", proto(2) + b"j" + struct.pack("<I", 0xFFFFFFFF) + STOP)
    malformed("memo_text_get_missing", b"(lp0\ng5\na.")
    malformed("memoize_empty_stack", proto(4) + MEMOIZE + STOP)
    malformed("stack_underflow_stop", proto(2) + STOP)
    malformed("stack_underflow_reduce", proto(2) + EMPTY_TUPLE + REDUCE + STOP)
    malformed("stack_underflow_setitem", proto(2) + EMPTY_DICT + SETITEM + STOP)
    malformed("stack_underflow_stack_global", proto(4) + u("os") + STACK_GLOBAL + STOP)
    malformed("pop_mark_without_mark", proto(2) + EMPTY_DICT + b"1" + STOP)
    malformed("tuple_without_mark", proto(2) + EMPTY_DICT + TUPLE + STOP)
    malformed("nested_marks_100k_unclosed", MARK * 100000 + STOP)
    malformed("nested_marks_100k_truncated", MARK * 100000)
    malformed("global_no_newline", b"cos\nsystem")
    malformed("global_empty_name", b"cos\n\n.")
    malformed("bad_int_text", b"I12abc\n.")
    malformed("bad_float_text", b"F1.5x\n.")
    malformed("bad_string_quotes", b"S'abc\n.")
    malformed("bad_unicode_utf8", proto(4) + b"\x8c\x02\xff\xfe" + STOP)
    malformed("stack_global_non_str", proto(4) + binint(1) + binint(2) + STACK_GLOBAL + STOP)
    malformed("dict_odd_items", proto(2) + MARK + u("a") + DICT + STOP)
    malformed("setitems_on_list", proto(2) + EMPTY_LIST + MARK + u("a") + u("b") + SETITEMS + STOP)
    malformed("frame_truncated", proto(4) + b"\x95" + struct.pack("<Q", 100) + EMPTY_DICT + STOP)
    malformed("binunicode8_huge", proto(4) + b"\x8d" + struct.pack("<Q", 2**64 - 1) + STOP)
    malformed("ext_code_zero", proto(2) + b"\x82\x00" + STOP)
    # Findings before the break: the payload's REDUCE ran before the stream failed (exit 1).
    malformed("payload_then_unknown_opcode", SYSTEM_P2[:-1] + b"\xff", exit_code=1, rules=(DENY,))
    malformed("payload_then_underflow", SYSTEM_P2[:-1] + POP + POP + STOP, exit_code=1,
              rules=(DENY,))
    malformed("payload_then_100k_marks", SYSTEM_P2[:-1] + MARK * 100000, exit_code=1, rules=(DENY,))


# ---- real torch.save output (optional: needs Debian's python3-torch) -----------------------------
def torch_samples():
    try:
        import torch   # noqa: F401  (only to make the files; the samples are never loaded)
    except Exception:
        return False
    import torch
    torch.manual_seed(0)
    nets = {
        "linear": torch.nn.Linear(8, 4),
        "mlp": torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2)),
        "conv_bn": torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)),
    }
    for name, net in nets.items():
        buf = io.BytesIO()
        torch.save(net.state_dict(), buf)
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
            member = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
            benign("torch_%s_data" % name, z.read(member),
                   note="data.pkl of torch.save(state_dict) by torch " + torch.__version__)
    # Tensors of several dtypes, shared storage and a view with an offset.
    base = torch.arange(24, dtype=torch.float32)
    sd = collections.OrderedDict([("a", base), ("view", base[4:12].view(2, 4)),
                                  ("half", torch.ones(3, dtype=torch.float16)),
                                  ("bf16", torch.ones(2, dtype=torch.bfloat16)),
                                  ("i64", torch.arange(5)), ("b", torch.tensor([True, False])),
                                  ("param", torch.nn.Parameter(torch.zeros(2)))])
    buf = io.BytesIO()
    torch.save(sd, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        member = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        benign("torch_dtypes_views_data", z.read(member))
    return True


def write_all():
    dirs = {f: os.path.join(ROOT, f) for f in ("benign", "malicious", "malformed")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if f.startswith("pkl_rt_"):
                continue  # written by gen_gadget_tricks.py and gen_allowlist_tricks.py
            if f.startswith("pkl_") and not f.startswith("pkl_torch_") or (
                    f.startswith("pkl_torch_") and HAVE_TORCH):
                os.unlink(os.path.join(d, f))
    seen = set()
    for folder, name, data, exit_code, rules, norules, note in SAMPLES:
        assert (folder, name) not in seen, name
        seen.add((folder, name))
        with open(os.path.join(dirs[folder], name), "wb") as fh:
            fh.write(data)
        lines = ["exit=%d" % exit_code] + ["rule=" + r for r in rules] + ["norule=" + r for r in norules]
        with open(os.path.join(dirs[folder], name + ".expect"), "w") as fh:
            fh.write("\n".join(lines) + "\n")
    counts = collections.Counter(s[0] for s in SAMPLES)
    print("wrote %s" % ", ".join("%d %s" % (counts[k], k) for k in sorted(counts)))


if __name__ == "__main__":
    techniques()
    malformed_samples()
    HAVE_TORCH = torch_samples()
    if not HAVE_TORCH:
        print("torch not importable: keeping the committed pkl_torch_* samples", file=sys.stderr)
    write_all()
