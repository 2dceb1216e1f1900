#!/usr/bin/env bash
# Differential test: Vaultward against @cloud-copilot/iam-simulate (AGPL-3.0), which is
# installed here at run time from npm and only ever run as a separate process.
# Usage: tools/differential/run.sh [CASES] [SEED]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${1:-5000}
seed=${2:-1}
out="$here/out"
mkdir -p "$out"
if [ ! -d "$here/node_modules/@cloud-copilot/iam-simulate" ]; then
  (cd "$here" && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
fi
# The debug binary the workspace tests build (a no-op after `cargo test --workspace`, with
# the same feature set, so the AWS SDK is not compiled again): the decisions are the same.
cargo test -q --workspace --locked --no-run --manifest-path "$root/Cargo.toml"
python3 "$here/generate.py" "$n" "$seed" > "$out/cases.jsonl"
"$root/target/debug/vaultward" authorize --jsonl --input "$out/cases.jsonl" > "$out/ours.jsonl" 2> "$out/ours.err" || true
node "$here/oracle.mjs" < "$out/cases.jsonl" > "$out/theirs.jsonl"
python3 "$here/compare.py" "$out/cases.jsonl" "$out/ours.jsonl" "$out/theirs.jsonl" "$out/report.md" "$root/docs/fidelity.md"
