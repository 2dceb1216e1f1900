#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/, the layout `cargo fuzz` uses) with the nightly toolchain
# and libFuzzer's coverage instrumentation, without needing cargo-fuzz, and runs each for
# SECONDS (default 30) from its committed seed corpus. Prints each target's executions.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json policy case sigv4 http)
toolchain=+nightly
rustup toolchain list | grep -q '^nightly' || { toolchain=""; export RUSTC_BOOTSTRAP=1; }
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# With an explicit --target, RUSTFLAGS reach the targets and not the build scripts.
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo $toolchain build --release --locked --manifest-path fuzz/Cargo.toml --target-dir target/fuzz --target "$host" --bins
for t in "${targets[@]}"; do
  work="target/fuzz/corpus/$t"
  mkdir -p "$work" "target/fuzz/crashes/$t"
  log="target/fuzz/$t.log"
  echo "== fuzz $t for ${secs}s"
  if ! target/fuzz/"$host"/release/"$t" "$work" "fuzz/corpus/$t" -max_total_time="$secs" -rss_limit_mb=2048 \
      -artifact_prefix="target/fuzz/crashes/$t/" -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz target $t failed: see $log and target/fuzz/crashes/$t/"
    exit 1
  fi
  grep -E '^stat::number_of_executed_units' "$log" | sed "s/^/$t: /"
done
