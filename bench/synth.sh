#!/usr/bin/env bash
# Benchmark `livermet synth` of the default cohort (176 primary NIfTI + 31 external DICOM
# patients, --size small): wall time, peak RSS (GNU time -v) and size on disk.
# Usage: bench/synth.sh [release|dev] [extra synth args...]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-release}"
shift || true
if [[ "$profile" == release ]]; then
  cargo build -q --release -p livermet
  bin=target/release/livermet
else
  cargo build -q -p livermet
  bin=target/debug/livermet
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "binary: $bin ($profile), cores: $(nproc), threads: ${RAYON_NUM_THREADS:-all}"
/usr/bin/time -v "$bin" synth --out "$out/cohort" "$@" 2>"$out/time.txt"
grep -E "Elapsed \(wall clock\)|Maximum resident set size|Percent of CPU" "$out/time.txt"
echo "on disk: $(du -sm "$out/cohort" | cut -f1) MB ($(find "$out/cohort" -type f | wc -l) files)"
