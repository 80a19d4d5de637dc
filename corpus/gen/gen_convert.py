#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Checkpoints for the convert tests, written with Debian's torch into OUTDIR (default: the
# current folder). Used by tests/cli/t_convert.sh at test time (nothing big is committed) and,
# with --corpus, to refresh the tiny committed samples corpus/benign/conv_*.pt.
import collections, json, os, sys
import torch

def sd_vision():
    torch.manual_seed(0)
    sd = collections.OrderedDict()
    sd["conv1.weight"] = torch.randn(8, 3, 3, 3)
    sd["bn1.weight"] = torch.randn(8)
    sd["bn1.bias"] = torch.randn(8)
    sd["bn1.running_mean"] = torch.randn(8)
    sd["bn1.running_var"] = torch.rand(8)
    sd["bn1.num_batches_tracked"] = torch.tensor(7)
    sd["fc.weight"] = torch.randn(10, 8)
    sd["fc.bias"] = torch.randn(10)
    return sd

def sd_dtypes():
    torch.manual_seed(1)
    sd = collections.OrderedDict()
    sd["f64"] = torch.randn(5, dtype=torch.float64)
    sd["f32"] = torch.randn(2, 3)
    sd["f16"] = torch.randn(4).half()
    sd["bf16"] = torch.randn(4).bfloat16()
    sd["i64"] = torch.arange(-3, 3)
    sd["i32"] = torch.arange(5, dtype=torch.int32)
    sd["i16"] = torch.arange(5, dtype=torch.int16) - 2
    sd["i8"] = torch.tensor([-128, 0, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 4)
    sd["nan"] = torch.tensor([float("nan"), -0.0, float("inf")])
    return sd

def sd_transformer():
    torch.manual_seed(2)
    emb = torch.randn(32, 8)
    qkv = torch.randn(24, 8)
    sd = collections.OrderedDict()
    sd["model.embed_tokens.weight"] = emb
    sd["lm_head.weight"] = emb                      # tied
    sd["layers.0.attn.q.weight"] = qkv[:8]          # disjoint slices of one storage
    sd["layers.0.attn.k.weight"] = qkv[8:16]
    sd["layers.0.attn.v.weight"] = qkv[16:]
    sd["layers.0.mlp.t"] = torch.randn(8, 12).t()   # transposed view
    sd["layers.0.col"] = torch.randn(6, 5)[:, 3]    # strided with an offset
    sd["layers.0.exp"] = torch.randn(4, 1).expand(4, 3)  # zero stride
    sd["layers.0.ln.weight"] = torch.nn.Parameter(torch.ones(8))
    return sd

def write(out):
    os.makedirs(out, exist_ok=True)
    for name, sd in (("vision", sd_vision()), ("dtypes", sd_dtypes()), ("tx", sd_transformer())):
        torch.save(sd, os.path.join(out, name + ".pt"))
        torch.save(sd, os.path.join(out, name + "_legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save({"model": sd_vision(), "epoch": 3, "args": {"lr": 0.1}}, os.path.join(out, "nested.pt"))
    torch.save({"state_dict": sd_vision(), "step": 10}, os.path.join(out, "lightning.pt"))
    torch.save({"c": torch.randn(3, dtype=torch.complex64)}, os.path.join(out, "complex.pt"))
    torch.save({"q": torch.quantize_per_tensor(torch.randn(4), 0.1, 10, torch.quint8)},
               os.path.join(out, "quant.pt"))
    shard = os.path.join(out, "sharded")
    os.makedirs(shard, exist_ok=True)
    torch.manual_seed(3)
    parts = [collections.OrderedDict((f"h.{i}.w", torch.randn(32, 32)) for i in range(j * 3, j * 3 + 3))
             for j in range(3)]
    wm = {}
    for j, p in enumerate(parts):
        fn = f"pytorch_model-{j + 1:05d}-of-{len(parts):05d}.bin"
        torch.save(p, os.path.join(shard, fn))
        wm.update({k: fn for k in p})
    with open(os.path.join(shard, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 9 * 32 * 32 * 4}, "weight_map": wm}, f, indent=2)

if __name__ == "__main__":
    if sys.argv[1:2] == ["--corpus"]:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benign")
        os.makedirs(root, exist_ok=True)
        torch.save(sd_transformer(), os.path.join(root, "conv_tx.pt"))
        torch.save(sd_dtypes(), os.path.join(root, "conv_dtypes_legacy.pt"),
                   _use_new_zipfile_serialization=False)
        for n in ("conv_tx.pt", "conv_dtypes_legacy.pt"):
            with open(os.path.join(root, n + ".expect"), "w") as f:
                f.write("exit=0\n")
    else:
        write(sys.argv[1] if len(sys.argv) > 1 else ".")
