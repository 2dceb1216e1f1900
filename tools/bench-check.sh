#!/usr/bin/env bash
# The check benchmark: 10,000 buckets, 1,000 KMS keys, 10,000,000 objects streamed from an
# S3 Inventory listing. Prints wall time and peak memory.
# Usage: tools/bench-check.sh [WORK_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
cargo build --release -q -p vaultward --manifest-path "$root/Cargo.toml"
# The binary just built (a shared CARGO_TARGET_DIR included), or VAULTWARD_BIN.
bin=${VAULTWARD_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/vaultward}
if [ ! -f "$work/inventory.csv" ]; then
  (cd "$root" && python3 tools/gen-bench-account.py "$work" 10000 1000 10000000 "$bin")
fi
ls -la "$work"
/usr/bin/time -f 'wall %e s, peak memory %M KB' "$bin" check "$work/snapshot.json" \
  --role arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole --assets s3 --operations backup \
  --inventory "$work/inventory.csv" --format json --out "$work/report.json" || true
python3 -c "import json,sys; r=json.load(open('$work/report.json')); print(len(r['findings']), 'findings,', r['requests'], 'requests')"
