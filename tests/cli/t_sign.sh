#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mscan keygen / sign / verify-sig: minisign interop both ways, folders through the signed
# manifest, flipped bytes, encrypted keys, convert --sign.
set -u
. "$ROOT/tests/cli/lib.sh"
cd "$TMP"

expect_exit 0 "$MSCAN" keygen --help
expect_exit 2 "$MSCAN" sign x
expect_exit 2 "$MSCAN" verify-sig x
expect_exit 0 "$MSCAN" keygen -p k.pub -s k.key
[ "$(stat -c %a k.key)" = 600 ] && ok || fail "secret key mode"
expect_exit 2 "$MSCAN" keygen -p k.pub -s k.key
expect_grep 'exists' last.err
head -c 100000 /dev/urandom > data.bin

# mscan signs, minisign verifies; mscan verifies its own
expect_exit 0 "$MSCAN" sign data.bin --key k.key
expect_exit 0 minisign -V -p k.pub -m data.bin
expect_exit 0 "$MSCAN" verify-sig data.bin --pubkey k.pub
expect_grep 'file:data.bin' last.out
expect_exit 0 "$MSCAN" sign data.bin --key k.key -t "release 1"
expect_exit 0 minisign -V -p k.pub -m data.bin
expect_grep 'release 1' last.out

# minisign signs (its own key and mscan's key), mscan verifies
expect_exit 0 minisign -G -W -p m.pub -s m.key
cp data.bin d2.bin
expect_exit 0 minisign -S -s m.key -m d2.bin
expect_exit 0 "$MSCAN" verify-sig d2.bin --pubkey m.pub
expect_exit 0 minisign -S -s k.key -m d2.bin
expect_exit 0 "$MSCAN" verify-sig d2.bin --pubkey k.pub
expect_exit 0 "$MSCAN" sign d2.bin --key m.key
expect_exit 0 minisign -V -p m.pub -m d2.bin
# wrong key, flipped byte, tampered trusted comment
expect_exit 1 "$MSCAN" verify-sig d2.bin --pubkey k.pub
"$PY" -c "
b = bytearray(open('data.bin','rb').read()); b[5000] ^= 1; open('data.bin','wb').write(b)"
expect_exit 1 "$MSCAN" verify-sig data.bin --pubkey k.pub
expect_exit 1 minisign -V -p k.pub -m data.bin
"$MSCAN" sign d2.bin --key k.key >/dev/null 2>&1
sed -i '3s/hashed/hashes/' d2.bin.minisig
expect_exit 1 "$MSCAN" verify-sig d2.bin --pubkey k.pub
expect_exit 2 "$MSCAN" verify-sig nosuch.bin --pubkey k.pub

# Encrypted secret key (scrypt, as minisign)
expect_exit 0 env MSCAN_PASSWORD=s3cret "$MSCAN" keygen -p e.pub -s e.key
expect_exit 2 "$MSCAN" sign d2.bin --key e.key
expect_grep 'MSCAN_PASSWORD' last.err
expect_exit 2 env MSCAN_PASSWORD=wrong "$MSCAN" sign d2.bin --key e.key
expect_exit 0 env MSCAN_PASSWORD=s3cret "$MSCAN" sign d2.bin --key e.key
expect_exit 0 minisign -V -p e.pub -m d2.bin

# Folders: the signed manifest catches modified, missing, added and swapped files
mkdir -p shards
for i in 1 2 3; do head -c $((i * 3000)) /dev/urandom > shards/model-0000$i-of-00003.safetensors; done
echo '{}' > shards/model.safetensors.index.json
expect_exit 0 "$MSCAN" sign shards --key k.key
expect_exit 0 "$MSCAN" verify-sig shards --pubkey k.pub
expect_exit 0 minisign -V -p k.pub -m shards/mscan-manifest.txt
cp -r shards s1; "$PY" -c "
p='s1/model-00002-of-00003.safetensors'; b=bytearray(open(p,'rb').read()); b[10]^=0x80; open(p,'wb').write(b)"
expect_exit 1 "$MSCAN" verify-sig s1 --pubkey k.pub
expect_grep 'model-00002-of-00003.safetensors: modified' last.out
cp -r shards s2; rm s2/model-00003-of-00003.safetensors
expect_exit 1 "$MSCAN" verify-sig s2 --pubkey k.pub
expect_grep 'missing' last.out
cp -r shards s3; echo x > s3/extra.bin
expect_exit 1 "$MSCAN" verify-sig s3 --pubkey k.pub
cp -r shards s4; mv s4/model-00001-of-00003.safetensors t; mv s4/model-00002-of-00003.safetensors s4/model-00001-of-00003.safetensors; mv t s4/model-00002-of-00003.safetensors
expect_exit 1 "$MSCAN" verify-sig s4 --pubkey k.pub

# convert --sign: single file and sharded folder; flipped byte fails both verify-sig and verify
"$PY" "$ROOT/corpus/gen/gen_convert.py" g >/dev/null 2>&1
expect_exit 0 "$MSCAN" convert g/tx.pt -o tx.safetensors --sign k.key
expect_exit 0 minisign -V -p k.pub -m tx.safetensors
expect_exit 0 "$MSCAN" verify-sig tx.safetensors --pubkey k.pub
expect_exit 0 "$MSCAN" convert g/sharded -o out --shard-size 10KB --sign k.key
[ -f out/mscan-manifest.txt ] && [ -f out/mscan-manifest.txt.minisig ] && ok || fail "no manifest"
expect_exit 0 "$MSCAN" verify-sig out --pubkey k.pub
expect_exit 0 "$MSCAN" verify out --against g/sharded
for f in out/model-00002-of-00005.safetensors out/model.safetensors.index.json; do
	cp -r out o2
	"$PY" -c "
import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[-2]^=1; open(p,'wb').write(b)" o2/${f#out/}
	expect_exit 1 "$MSCAN" verify-sig o2 --pubkey k.pub
	rm -rf o2
done
cp -r out o3; "$PY" -c "
p='o3/model-00002-of-00005.safetensors'; b=bytearray(open(p,'rb').read()); b[-2]^=1; open(p,'wb').write(b)"
expect_exit 1 "$MSCAN" verify o3 --against g/sharded
"$PY" -c "
b = bytearray(open('tx.safetensors','rb').read()); b[-1] ^= 4; open('tx.safetensors','wb').write(b)"
expect_exit 1 "$MSCAN" verify-sig tx.safetensors --pubkey k.pub
expect_exit 1 minisign -V -p k.pub -m tx.safetensors
expect_exit 1 "$MSCAN" verify tx.safetensors --against g/tx.pt

t_done
