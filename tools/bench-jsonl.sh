#!/usr/bin/env bash
# Throughput of `vaultward authorize` over a JSONL file of reference-workload cases.
# Usage: tools/bench-jsonl.sh [N]   (default 100000 cases)
set -euo pipefail
n=${1:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q -p vaultward --manifest-path "$root/Cargo.toml"
python3 - "$root/crates/iam/benches/data/reference-workload.json" "$n" > "$work/cases.jsonl" <<'PY'
import json, sys
case = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
for i in range(n):
    c = json.loads(json.dumps(case))
    # Vary the request so that not every line is the same decision.
    c["request"]["context"]["aws:SecureTransport"] = "false" if i % 10 == 0 else "true"
    c["request"]["resource"] = f"arn:aws:s3:::customer-prod-bucket/backup/{i}/obj.bin"
    print(json.dumps(c, separators=(",", ":")))
PY
bytes=$(wc -c < "$work/cases.jsonl")
start=$(date +%s.%N)
"$root/target/release/vaultward" authorize --input "$work/cases.jsonl" > "$work/out.jsonl"
end=$(date +%s.%N)
lines=$(wc -l < "$work/out.jsonl")
python3 - "$start" "$end" "$lines" "$bytes" <<'PY'
import sys
s, e, lines, size = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = e - s
print(f"{lines} cases ({size/1e6:.1f} MB) in {t:.2f} s: {lines/t:,.0f} decisions/s, {t/lines*1e6:.1f} µs per case")
PY
