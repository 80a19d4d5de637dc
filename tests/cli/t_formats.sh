#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container readers through the CLI: formats recognised by content (not by name), hostile
# archives never clean, invalid safetensors an error, real tool output clean.
set -u
. "$ROOT/tests/cli/lib.sh"
cd "$TMP"
C="$ROOT/corpus"

# Format names come from content: a torch zip named .txt is still a torch zip.
expect_exit 1 "$MSCAN" scan -f json "$C/malicious/fmt_torch_zip_payload.txt"
expect_grep '"format":[[:space:]]*"torchzip"' last.out
expect_exit 0 "$MSCAN" scan -f json "$C/benign/fmt_torch_legacy.pt"
expect_grep '"format":[[:space:]]*"torchlegacy"' last.out
expect_exit 0 "$MSCAN" scan -f json "$C/benign/fmt_st_valid.safetensors"
expect_grep '"format":[[:space:]]*"safetensors"' last.out
expect_exit 0 "$MSCAN" scan -f json "$C/benign/fmt_npz.npz"
expect_grep '"format":[[:space:]]*"zip"' last.out

# Errors name the tensor / member.
expect_exit 2 "$MSCAN" scan "$C/malformed/fmt_st_overlap.safetensors"
expect_grep "tensor 'b'" last.out
expect_exit 2 "$MSCAN" scan "$C/malformed/fmt_7z_archive.7z"
expect_grep '7z archive: cannot be scanned' last.out
expect_exit 2 "$MSCAN" scan "$C/malformed/fmt_zip_encrypted.zip"
expect_grep 'encrypted' last.out

# Fresh samples from the real tools (when $PY has them): clean, and findings win over errors.
if "$PY" -c 'import torch, numpy, joblib' 2>/dev/null; then
	"$PY" - <<'PYEOF'
import torch, numpy as np, joblib
sd = {"w": torch.randn(3, 3), "v": torch.arange(4)}
torch.save(sd, "new.pt")
torch.save(sd, "old.pt", _use_new_zipfile_serialization=False)
np.save("a.npy", np.ones((2, 2), dtype=np.float64))
np.savez_compressed("b.npz", x=np.zeros(10), y=np.arange(5))
joblib.dump({"a": [1, 2, 3]}, "c.joblib", compress=("gzip", 3))
PYEOF
	for f in new.pt old.pt a.npy b.npz c.joblib; do expect_exit 0 "$MSCAN" scan "$f"; done
	# 100 bytes before a torch zip: zipfile still reads it, so must we.
	head -c 100 /dev/urandom > pre.pt; cat "$C/malicious/fmt_torch_zip_payload.pt" >> pre.pt
	expect_exit 1 "$MSCAN" scan pre.pt
	expect_grep 'MS-ZIP-PREFIX-DATA' last.out
	# A zip bomb stops quickly with a limit error.
	"$PY" - <<'PYEOF'
import zipfile
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zeros.bin", b"\0" * (200 << 20))
PYEOF
	expect_exit 2 timeout 20 "$MSCAN" scan bomb.zip
	expect_grep 'limit exceeded' last.out
fi
t_done
