#!/usr/bin/env bash
# Benchmark of `livermet demo` (issue 6: under 10 minutes on a 2-core CPU with no GPU): wall
# time and peak memory of a fresh run (synthesis, validation, preparation, 5-fold study of CF,
# MRI and Combined, external validation, report, bundle), then the summary it printed.
# Usage: bash bench/demo.sh [WORKDIR]   (default /tmp/livermet-demo-bench; deleted first)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/livermet-demo-bench}
cargo build --release -q -p livermet
rm -rf "$work"
echo "cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "demo: %e s wall, %U s user, %S s sys, %M KB peak RSS" \
  "${CARGO_TARGET_DIR:-target}"/release/livermet demo --out "$work" 2>"$work.stderr.log" | tee "$work.stdout.log"
grep '^demo:' "$work.stderr.log"
echo "stage log: $work.stderr.log"
