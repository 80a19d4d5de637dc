#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes corpus/{malicious,malformed}/npy_rt_N*.npy: .npy headers that ast.literal_eval (and
so numpy.load) reads as an object dtype although a hand parser might not: comma-separated
dtype strings with an object field, escapes (\\x4f, \\u004f, \\N{...}), raw strings,
implicit concatenation, comments, list-form fields, a bool in the shape, a repeated key.
The data is a pickle naming a harmless command; numpy.load(allow_pickle=True) would run it.
b'O' and a list shape are refused by numpy too (malformed). Found by a red-team pass.
Standard library only; never unpickled."""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PAY = b"cposix\nsystem\n(S'id'\ntR."
REFUSED = ("N8_bytes_b", "N11_shape_list")


def npy(hdr, data, ver=(1, 0)):
    h = hdr.encode('latin1')
    tot = 10 + len(h) + 1
    h = h + b' ' * ((-tot) % 64) + b'\n'
    return b'\x93NUMPY' + bytes(ver) + struct.pack('<H', len(h)) + h + data


cases = {
 'N1_M8_comma_object': ("{'descr': 'M8[ns],object', 'fortran_order': False, 'shape': (4,), }", 32),
 'N2_m8_comma_escO':   ("{'descr': 'm8[s],\\x4f', 'fortran_order': False, 'shape': (4,), }", 32),
 'N3_struct_field':    ("{'descr': [('a', 'M8[us],object')], 'fortran_order': False, 'shape': (4,), }", 32),
 'N4_concat':          ("{'descr': '|' 'O', 'fortran_order': False, 'shape': (1,), }", None),
 'N5_escape_x4f':      ("{'descr': '\\x4f', 'fortran_order': False, 'shape': (1,), }", None),
 'N6_escape_u004f':    ("{'descr': '\\u004f', 'fortran_order': False, 'shape': (1,), }", None),
 'N7_raw_r':           ("{'descr': r'O', 'fortran_order': False, 'shape': (1,), }", None),
 'N8_bytes_b':         ("{'descr': b'O', 'fortran_order': False, 'shape': (1,), }", None),
 'N9_paren':           ("{'descr': ('|O'), 'fortran_order': False, 'shape': (1,), }", None),
 'N10_comment':        ("{'descr': '|O', # c\n 'fortran_order': False, 'shape': (1,), }", None),
 'N11_shape_list':     ("{'descr': '|O', 'fortran_order': False, 'shape': [1], }", None),
 'N12_list_field_obj': ("{'descr': [['a', '|O']], 'fortran_order': False, 'shape': (1,), }", None),
 'N13_object_word':    ("{'descr': 'object', 'fortran_order': False, 'shape': (1,), }", None),
 'N14_nested_struct':  ("{'descr': [('a', [('b', '|O')])], 'fortran_order': False, 'shape': (1,), }", None),
 'N15_shape_bool':     ("{'descr': '|O', 'fortran_order': False, 'shape': (True,), }", None),
 'N16_dupkey':         ("{'descr': '<f8', 'descr': '|O', 'fortran_order': False, 'shape': (1,), }", None),
 'N17_tuple_sub':      ("{'descr': ('|O', (2,)), 'fortran_order': False, 'shape': (1,), }", None),
 'N18_unicode_O':      ("{'descr': '\\N{LATIN CAPITAL LETTER O}', 'fortran_order': False, 'shape': (1,), }", None),
 'N19_octal':          ("{'descr': '<f4\\x2cO', 'fortran_order': False, 'shape': (1,), }", None),
 'N20_M8_commaO_tail': ("{'descr': 'M8[D],O', 'fortran_order': False, 'shape': (4,), }", 32),
}
for n, (h, dl) in cases.items():
    kind = "malformed" if n in REFUSED else "malicious"
    path = os.path.join(ROOT, kind, "npy_rt_" + n + ".npy")
    with open(path, "wb") as f:
        f.write(npy(h, PAY if dl is None else PAY.ljust(dl, b'N')))
    with open(path + ".expect", "w") as f:
        f.write("exit=2\n" if n in REFUSED else "exit=1\nrule=MS-PKL-CALL-DENY\n")
