/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (c) 2026 The mscan authors */
/* Every pickle opcode of protocols 0 to 5 (Lib/pickletools.py, Modules/_pickle.c), one row
 * each, in the style of jq's opcode_list.h. Include with OP defined:
 *   OP(NAME, byte, argument kind, protocol that introduced it, flags, fast)
 * Argument kinds (how the bytes after the opcode are read):
 *   ARG_NONE    nothing                      ARG_U1/U2/U4/U8  unsigned little-endian
 *   ARG_I4      signed 32-bit little-endian  ARG_F8           big-endian IEEE double
 *   ARG_LINE    one text line ending in \n   ARG_LINE2        two text lines
 *   ARG_BYTES1  u8 length + bytes            ARG_BYTES4       u32 length + bytes
 *   ARG_BYTES4S i32 length (negative is an error) + bytes
 *   ARG_BYTES8  u64 length + bytes
 * Flags: OPF_WO  the opcode is in torch.load(weights_only=True)'s supported list
 *                (torch/_weights_only_unpickler.py Unpickler.load: the 33 opcodes of torch
 *                1.13, plus BINFLOAT, which torch 2 added).
 * fast:  1 when pkl_run_fast runs the opcode (the fast loop's switch is generated from this
 *        column, and pickle_vm.c checks at compile time that every such opcode is OPF_WO:
 *        the fast loop makes no weights-only findings). */
#ifndef OP
#error "define OP before including pickle_ops.h"
#endif

OP(MARK,             0x28, ARG_NONE,    0, OPF_WO, 1)
OP(STOP,             0x2e, ARG_NONE,    0, OPF_WO, 0)
OP(POP,              0x30, ARG_NONE,    0, 0,      0)
OP(POP_MARK,         0x31, ARG_NONE,    1, 0,      0)
OP(DUP,              0x32, ARG_NONE,    0, 0,      0)
OP(FLOAT,            0x46, ARG_LINE,    0, 0,      0)
OP(INT,              0x49, ARG_LINE,    0, 0,      0)
OP(BININT,           0x4a, ARG_I4,      1, OPF_WO, 0)
OP(BININT1,          0x4b, ARG_U1,      1, OPF_WO, 1)
OP(LONG,             0x4c, ARG_LINE,    0, 0,      0)
OP(BININT2,          0x4d, ARG_U2,      1, OPF_WO, 1)
OP(NONE,             0x4e, ARG_NONE,    0, OPF_WO, 1)
OP(PERSID,           0x50, ARG_LINE,    0, 0,      0)
OP(BINPERSID,        0x51, ARG_NONE,    1, OPF_WO, 1)
OP(REDUCE,           0x52, ARG_NONE,    0, OPF_WO, 1)
OP(STRING,           0x53, ARG_LINE,    0, 0,      0)
OP(BINSTRING,        0x54, ARG_BYTES4S, 1, 0,      0)
OP(SHORT_BINSTRING,  0x55, ARG_BYTES1,  1, OPF_WO, 0)
OP(UNICODE,          0x56, ARG_LINE,    0, 0,      0)
OP(BINUNICODE,       0x58, ARG_BYTES4,  1, OPF_WO, 1)
OP(EMPTY_LIST,       0x5d, ARG_NONE,    1, OPF_WO, 1)
OP(APPEND,           0x61, ARG_NONE,    0, OPF_WO, 1)
OP(BUILD,            0x62, ARG_NONE,    0, OPF_WO, 0)
OP(GLOBAL,           0x63, ARG_LINE2,   0, OPF_WO, 0)
OP(DICT,             0x64, ARG_NONE,    0, 0,      0)
OP(APPENDS,          0x65, ARG_NONE,    1, OPF_WO, 1)
OP(GET,              0x67, ARG_LINE,    0, 0,      0)
OP(BINGET,           0x68, ARG_U1,      1, OPF_WO, 1)
OP(INST,             0x69, ARG_LINE2,   0, 0,      0)
OP(LONG_BINGET,      0x6a, ARG_U4,      1, OPF_WO, 1)
OP(LIST,             0x6c, ARG_NONE,    0, 0,      0)
OP(OBJ,              0x6f, ARG_NONE,    1, 0,      0)
OP(PUT,              0x70, ARG_LINE,    0, 0,      0)
OP(BINPUT,           0x71, ARG_U1,      1, OPF_WO, 1)
OP(LONG_BINPUT,      0x72, ARG_U4,      1, OPF_WO, 1)
OP(SETITEM,          0x73, ARG_NONE,    0, OPF_WO, 1)
OP(TUPLE,            0x74, ARG_NONE,    0, OPF_WO, 1)
OP(SETITEMS,         0x75, ARG_NONE,    1, OPF_WO, 1)
OP(EMPTY_DICT,       0x7d, ARG_NONE,    1, OPF_WO, 1)
OP(EMPTY_TUPLE,      0x29, ARG_NONE,    1, OPF_WO, 1)
OP(BINFLOAT,         0x47, ARG_F8,      1, OPF_WO, 0)
OP(PROTO,            0x80, ARG_U1,      2, OPF_WO, 0)
OP(NEWOBJ,           0x81, ARG_NONE,    2, OPF_WO, 0)
OP(EXT1,             0x82, ARG_U1,      2, 0,      0)
OP(EXT2,             0x83, ARG_U2,      2, 0,      0)
OP(EXT4,             0x84, ARG_I4,      2, 0,      0)
OP(TUPLE1,           0x85, ARG_NONE,    2, OPF_WO, 1)
OP(TUPLE2,           0x86, ARG_NONE,    2, OPF_WO, 1)
OP(TUPLE3,           0x87, ARG_NONE,    2, OPF_WO, 1)
OP(NEWTRUE,          0x88, ARG_NONE,    2, OPF_WO, 1)
OP(NEWFALSE,         0x89, ARG_NONE,    2, OPF_WO, 1)
OP(LONG1,            0x8a, ARG_BYTES1,  2, OPF_WO, 0)
OP(LONG4,            0x8b, ARG_BYTES4S, 2, 0,      0)
OP(BINBYTES,         0x42, ARG_BYTES4,  3, 0,      0)
OP(SHORT_BINBYTES,   0x43, ARG_BYTES1,  3, 0,      0)
OP(SHORT_BINUNICODE, 0x8c, ARG_BYTES1,  4, 0,      0)
OP(BINUNICODE8,      0x8d, ARG_BYTES8,  4, 0,      0)
OP(BINBYTES8,        0x8e, ARG_BYTES8,  4, 0,      0)
OP(EMPTY_SET,        0x8f, ARG_NONE,    4, OPF_WO, 0)
OP(ADDITEMS,         0x90, ARG_NONE,    4, 0,      0)
OP(FROZENSET,        0x91, ARG_NONE,    4, 0,      0)
OP(NEWOBJ_EX,        0x92, ARG_NONE,    4, 0,      0)
OP(STACK_GLOBAL,     0x93, ARG_NONE,    4, 0,      0)
OP(MEMOIZE,          0x94, ARG_NONE,    4, 0,      0)
OP(FRAME,            0x95, ARG_U8,      4, 0,      0)
OP(BYTEARRAY8,       0x96, ARG_BYTES8,  5, 0,      0)
OP(NEXT_BUFFER,      0x97, ARG_NONE,    5, 0,      0)
OP(READONLY_BUFFER,  0x98, ARG_NONE,    5, 0,      0)
