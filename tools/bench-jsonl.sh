#!/usr/bin/env bash
# Throughput of `vaultward authorize` on reference-workload cases, end to end (reading,
# parsing, evaluating, writing), on one core, beside @cloud-copilot/iam-simulate.
#
# Usage: tools/bench-jsonl.sh [N] [ROUNDS] [BINARY...]
#   N       cases per file (default 20000)
#   ROUNDS  rounds; each round runs every binary on every file, in turn (default 3)
#   BINARY  vaultward binaries to compare, interleaved (default: this tree's release build)
# Environment: CORES=all runs on every core (default: pinned to core 0 with taskset);
#   ORACLE_CASES=N times iam-simulate on the first N cases of each file (default 2000;
#   0 leaves it out; it needs `npm install` in tools/differential).
#
# The files, each a line per case with the resource and `aws:SecureTransport` varying:
#   bulk     the same policies on every line (a document seen before is not read again)
#   oneoff   every line's policies differ (each document has an `Id` naming its line)
#   stream   the bulk file's policy set once (`--policies`), then its requests
#            (`--requests`); only for binaries that have the form
set -euo pipefail
n=${1:-20000}
rounds=${2:-3}
shift $(( $# > 2 ? 2 : $# ))
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -eq 0 ]; then
  cargo build --release -q -p vaultward --manifest-path "$root/Cargo.toml"
  set -- "${CARGO_TARGET_DIR:-$root/target}/release/vaultward"
fi
python3 - "$root/crates/iam/benches/data/reference-workload.json" "$n" "$work" <<'PY'
import json, sys
case = json.load(open(sys.argv[1]))
n, work = int(sys.argv[2]), sys.argv[3]

def documents(c):
    for p in c.get("identity_policies", []):
        yield p["document"]
    yield c["resource_policy"]["document"]
    for level in c.get("scps", []):
        for p in level:
            yield p["document"]

def line(c):
    return json.dumps(c, separators=(",", ":")) + "\n"

with open(f"{work}/bulk.jsonl", "w") as bulk, open(f"{work}/oneoff.jsonl", "w") as oneoff, \
        open(f"{work}/requests.jsonl", "w") as requests:
    for i in range(n):
        c = json.loads(json.dumps(case))
        # Vary the request so that not every line is the same decision.
        c["request"]["context"]["aws:SecureTransport"] = "false" if i % 10 == 0 else "true"
        c["request"]["resource"] = f"arn:aws:s3:::customer-prod-bucket/backup/{i}/obj.bin"
        bulk.write(line(c))
        requests.write(json.dumps(c["request"], separators=(",", ":")) + "\n")
        for d in documents(c):
            body = dict(d)
            d.clear()
            d.update({"Version": body["Version"], "Id": f"case-{i}", "Statement": body["Statement"]})
        oneoff.write(line(c))
s = dict(case)
del s["request"]
open(f"{work}/set.json", "w").write(json.dumps(s, separators=(",", ":")))
PY
pin=(taskset -c 0)
[ "${CORES:-}" = all ] && pin=()
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for f in bulk oneoff requests; do
  echo "$f.jsonl: $n lines, $(( $(wc -c < "$work/$f.jsonl") / n )) bytes a line"
done
# One run: prints µs per line, wall clock, and with `perf` installed the CPU time the run
# itself used (its task clock): on a shared machine the wall clock also counts the time
# the pinned core ran something else.
run() {
  local start end cpu=
  start=$(date +%s%N)
  if command -v perf > /dev/null; then
    cpu=$(perf stat -x, -e task-clock -o "$work/stat" "${pin[@]}" "$@" > "$work/out.jsonl" &&
      grep task-clock "$work/stat" | cut -d, -f1)
  else
    "${pin[@]}" "$@" > "$work/out.jsonl"
  fi
  end=$(date +%s%N)
  [ "$(wc -l < "$work/out.jsonl")" -eq "$n" ] || { echo "short output from $*" >&2; exit 1; }
  python3 -c "
cpu = '$cpu'
print(f'{($end - $start) / 1e3 / $n:.1f} µs/case' + (f' (cpu {float(cpu) * 1e3 / $n:.1f})' if cpu else ''))"
}
for r in $(seq "$rounds"); do
  for bin in "$@"; do
    bulk=$(run "$bin" authorize --input "$work/bulk.jsonl"); cp "$work/out.jsonl" "$work/bulk.out"
    oneoff=$(run "$bin" authorize --input "$work/oneoff.jsonl")
    stream=-
    if "$bin" authorize --help | grep -q -- --requests; then
      stream=$(run "$bin" authorize --policies "$work/set.json" --requests "$work/requests.jsonl")
      cmp -s "$work/out.jsonl" "$work/bulk.out" || { echo "$bin: --requests output differs from --input" >&2; exit 1; }
    fi
    echo "round $r $bin: bulk $bulk, oneoff $oneoff, stream $stream"
  done
done
oracle=${ORACLE_CASES:-2000}
if [ "$oracle" -gt 0 ]; then
  for f in bulk oneoff; do
    echo "iam-simulate $f: $("${pin[@]}" node "$root/tools/bench-iam-simulate.mjs" "$work/$f.jsonl" "$oracle")"
  done
fi
