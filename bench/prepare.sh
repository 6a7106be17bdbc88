#!/usr/bin/env bash
# Benchmark of `livermet prepare` on the default synthetic cohort (176 + 31 patients):
# wall time and peak memory per centre, then how well the truth was recovered (TRE, ADC).
# Usage: bash bench/prepare.sh [WORKDIR]   (default /tmp/livermet-prepare-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/livermet-prepare-bench}
cargo build --release -q -p livermet
cargo build --release -q -p livermet-study --example prepare_accuracy
bin=target/release/livermet
rm -rf "$work"
"$bin" synth --out "$work" >/dev/null
for centre in primary external; do
  n=$(($(wc -l <"$work/$centre.csv") - 1))
  /usr/bin/time -f "$centre: %e s wall, %M KB peak RSS" "$bin" prepare "$work/$centre.csv" --out "$work/prepared/$centre" 2>&1 | tail -2
  echo "$centre: $n patients"
done
target/release/examples/prepare_accuracy "$work"
