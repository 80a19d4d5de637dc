#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# YARA: `mscan rules list|check`, --rules, broken user rules, --no-yara, and no match over a
# small generated benign set scanned whole (every byte, every kind).
set -u
. "$ROOT/tests/cli/lib.sh"
M="$ROOT/corpus/malicious"

# list: every built-in rule with id and severity
expect_exit 0 "$MSCAN" rules list
expect_grep '^MS-YARA-reverse_shell_dev_tcp +critical +built-in ' "$TMP/last.out"
expect_grep '^MS-YARA-url_in_pickle +low +built-in ' "$TMP/last.out"
n=$(grep -c '^MS-YARA-' "$TMP/last.out")
if [ "$n" -ge 20 ]; then ok; else fail "only $n rules listed"; fi
expect_exit 0 "$MSCAN" rules --help
expect_exit 2 "$MSCAN" rules frobnicate
expect_exit 2 "$MSCAN" rules check
expect_exit 2 "$MSCAN" rules check --kind tensor "$M/yara_miner.pkl"

# check: the corpus samples match their rule; the near-miss sample matches nothing
expect_exit 1 "$MSCAN" rules check --kind pickle "$M/yara_devtcp_comment.pkl"
expect_grep 'MS-YARA-reverse_shell_dev_tcp' "$TMP/last.out"
expect_exit 0 "$MSCAN" rules check --kind all "$ROOT/corpus/benign/yara_near_miss.pkl"
expect_exit 1 "$MSCAN" rules check -f json --kind pickle "$M/yara_exec_b64.pkl"
expect_grep '"MS-YARA-pickle_exec_decoded_payload"' "$TMP/last.out"
expect_exit 0 "$MSCAN" rules check --fail-on critical --kind pickle "$M/yara_miner.pkl"

# user rules: a file and a folder add matches and show in the list
mkdir -p "$TMP/ur"
cat > "$TMP/ur/mine.yar" <<'R'
rule corp_marker { meta: severity = "high" description = "internal marker" strings: $a = "CORP-SECRET-MARKER" condition: $a }
R
printf 'xx CORP-SECRET-MARKER xx\n' > "$TMP/marked.bin"
expect_exit 0 "$MSCAN" rules check "$TMP/marked.bin"
expect_exit 1 "$MSCAN" rules check --rules "$TMP/ur/mine.yar" "$TMP/marked.bin"
expect_grep 'MS-YARA-corp_marker' "$TMP/last.out"
expect_exit 1 "$MSCAN" rules check --rules "$TMP/ur" "$TMP/marked.bin"
expect_exit 0 "$MSCAN" rules list --rules "$TMP/ur"
expect_grep '^MS-YARA-corp_marker +high +user ' "$TMP/last.out"

# a broken user rule: exit 2, message names the file and line
printf 'rule ok { condition: true }\nrule broken {\n  condition: $nope\n}\n' > "$TMP/broken.yar"
expect_exit 2 "$MSCAN" rules list --rules "$TMP/broken.yar"
expect_grep "broken\.yar:[0-9]+: .*nope" "$TMP/last.err"
printf 'rule s { meta: severity = "urgent" condition: false }\n' > "$TMP/sev.yar"
expect_exit 2 "$MSCAN" rules list --rules "$TMP/sev.yar"
expect_grep 'urgent' "$TMP/last.err"
expect_exit 2 "$MSCAN" rules list --rules "$TMP/does-not-exist.yar"

# scan: YARA findings on, user rules through --rules, off with --no-yara
expect_exit 1 "$MSCAN" scan -f json "$M/yara_devtcp_comment.pkl"
expect_grep '"MS-YARA-reverse_shell_dev_tcp"' "$TMP/last.out"
"$MSCAN" scan -f json --no-yara "$M/yara_devtcp_comment.pkl" >"$TMP/noyara.json" 2>/dev/null
if grep -q 'MS-YARA-' "$TMP/noyara.json"; then fail "--no-yara still ran YARA"; else ok; fi
printf '\x80\x04\x8c\x12CORP-SECRET-MARKER\x94.' > "$TMP/marked.pkl"
expect_exit 1 "$MSCAN" scan -f json --rules "$TMP/ur/mine.yar" "$TMP/marked.pkl"
expect_grep '"MS-YARA-corp_marker"' "$TMP/last.out"
expect_exit 2 "$MSCAN" scan --rules "$TMP/broken.yar" "$TMP/marked.pkl"
expect_exit 2 "$MSCAN" scan --no-yara --rules "$TMP/ur/mine.yar" "$TMP/marked.pkl"

# Bytes in which no atom of a built-in string occurs are not scanned (scanner/yara_glue.c):
# exact only while every built-in condition needs a string. The checker passes the rules...
expect_exit 0 "$PY" "$ROOT/rules/gen/check_rules_need_strings.py" "$ROOT"/rules/*.yar
# ...and flags each of these conditions, which can hold with no string found.
cat > "$TMP/nostr.yar" <<'R'
rule a { strings: $x = "abc" condition: $x or filesize > 10 }
rule b { strings: $x = "abc" condition: not $x }
rule c { condition: uint32(0) == 0x464c457f }
rule d { strings: $x = "abc" condition: #x == 0 }
rule e { strings: $x = "abc" condition: 0 of them }
rule f { strings: $x = "abc" condition: (kind == "member") or $x }
rule g { strings: $x = "abc" condition: for any i in (1..#x) : (@x[i] == 0) }
rule h { strings: $x = "abc" condition: ($x and true) or (kind == "data" and not $x) }
R
expect_exit 1 "$PY" "$ROOT/rules/gen/check_rules_need_strings.py" "$TMP/nostr.yar"
expect_grep '^8 rules, 8 without a string test' "$TMP/last.out"
cat > "$TMP/withstr.yar" <<'R'
rule a { strings: $x = "abc" condition: $x at 0 or (kind == "member" and $x) }
rule b { strings: $x = "abc" $y = "d" condition: (($x and filesize > 3) or $y) and kind == "pickle" }
rule c { strings: $x = "abc" condition: any of them and not (kind == "data") }
R
expect_exit 0 "$PY" "$ROOT/rules/gen/check_rules_need_strings.py" "$TMP/withstr.yar"
# With a user rule loaded every scan runs: a rule on no string matches a benign pickle...
printf 'rule any_pickle { meta: severity = "low" condition: kind == "pickle" }\n' > "$TMP/anyp.yar"
expect_exit 0 "$MSCAN" scan -f json --fail-on medium --rules "$TMP/anyp.yar" \
	"$ROOT/corpus/benign/pkl_plain_dict_proto2.pkl"
expect_grep '"MS-YARA-any_pickle"' "$TMP/last.out"
# ...and the skip changes no finding: the corpus with the built-in rules alone, and with a
# user rule that never matches (so that nothing is skipped), reports the same.
printf 'rule never_matches { condition: false }\n' > "$TMP/never.yar"
"$MSCAN" scan -f json "$ROOT/corpus" >"$TMP/gated.json" 2>/dev/null
"$MSCAN" scan -f json --rules "$TMP/never.yar" "$ROOT/corpus" >"$TMP/ungated.json" 2>/dev/null
if cmp -s "$TMP/gated.json" "$TMP/ungated.json"; then ok; else fail "skipping atom-free bytes changed the corpus findings"; fi
if [ "$(grep -Ec '"rule_id":[[:space:]]*"MS-YARA-' "$TMP/gated.json")" -ge 20 ]; then ok; else fail "too few YARA findings in the corpus to compare"; fi

# zero false positives: ~30 MB of real torch/numpy/sklearn/joblib files, every byte, every kind
if "$PY" - "$TMP/benign" <<'P' 2>"$TMP/gen.err"
import os, sys, pickle, torch, numpy as np, joblib
from sklearn.ensemble import RandomForestClassifier
out = sys.argv[1]; os.makedirs(out)
g = torch.Generator().manual_seed(7)
sd = {f"l{i}.weight": torch.randn(512, 1024, generator=g) for i in range(12)}
sd["h"] = torch.randn(4096, generator=g).half(); sd["b"] = torch.randn(4096, generator=g).bfloat16()
sd["u8"] = torch.randint(0, 256, (1 << 20,), dtype=torch.uint8, generator=g)
torch.save(sd, f"{out}/model.pt")
torch.save({k: sd[k] for k in list(sd)[:2]}, f"{out}/legacy.pt", _use_new_zipfile_serialization=False)
rng = np.random.default_rng(7)
np.save(f"{out}/a.npy", rng.standard_normal((256, 256)).astype(np.float32))
np.savez_compressed(f"{out}/b.npz", x=rng.integers(0, 255, 1 << 20, dtype=np.uint8))
X = rng.standard_normal((300, 10)); y = (X[:, 0] > 0).astype(int)
joblib.dump(RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y), f"{out}/rf.joblib")
with open(f"{out}/rf.pkl", "wb") as f: pickle.dump(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y), f)
with open(f"{out}/random.bin", "wb") as f: f.write(rng.bytes(4 << 20))
P
then
	expect_exit 0 "$MSCAN" rules check --kind all "$TMP/benign"
	expect_grep 'with findings' "$TMP/last.out"
	expect_exit 0 "$MSCAN" scan --yara-all-bytes "$TMP/benign/model.pt"
else
	fail "could not generate the benign set: $(tail -1 "$TMP/gen.err")"
fi
# --yara-all-bytes: tensor payloads are skipped by default and seen with the option.
"$PY" - <<'PYEOF'
import json, struct
data = b"\x00" * 100 + b"EVILMARKER" + b"\x00" * 18
h = json.dumps({"t": {"dtype": "U8", "shape": [len(data)], "data_offsets": [0, len(data)]}}).encode()
h += b" " * (-len(h) % 8)
import os
open(os.path.join(os.environ["TMP"], "marker.safetensors"), "wb").write(struct.pack("<Q", len(h)) + h + data)
PYEOF
printf 'rule evil_marker { meta: severity = "high" strings: $a = "EVILMARKER" condition: $a }\n' \
	>"$TMP/marker.yar"
expect_exit 0 "$MSCAN" scan --rules "$TMP/marker.yar" "$TMP/marker.safetensors"
expect_exit 1 "$MSCAN" scan --yara-all-bytes --rules "$TMP/marker.yar" "$TMP/marker.safetensors"
expect_grep 'MS-YARA-evil_marker' "$TMP/last.out"
t_done
