#!/usr/bin/env bash
# The demo's results.json of two commits, number by number (bench/compare_results.py): builds
# each commit's release binary in one detached worktree (its own target folder, so the second
# build reuses the first's dependencies), runs `livermet demo --seed 1` with it and compares.
# Shows that a refactor changed no number (issue 15).
#
#   bench/compare_demo.sh BEFORE AFTER [WORK]     # WORK default: /tmp/livermet-compare
#
# Prints each demo's wall time and the comparison; exit 1 on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(git rev-parse --short "$1")
after=$(git rev-parse --short "$2")
work=${3:-/tmp/livermet-compare}
compare=$PWD/bench/compare_results.py
mkdir -p "$work"
tree=$work/tree
if [ ! -d "$tree" ]; then
  git worktree add --detach "$tree" "$before" >/dev/null
fi
for rev in "$before" "$after"; do
  out=$work/demo-$rev
  if [ -f "$out/results.json" ]; then
    echo "$rev: reusing $out" >&2
    continue
  fi
  git -C "$tree" checkout --quiet --detach "$rev"
  (cd "$tree" && CARGO_TARGET_DIR=$work/target cargo build --release --quiet -p livermet)
  start=$(date +%s.%N)
  "$work/target/release/livermet" demo --out "$out" --seed 1 >"$work/demo-$rev.log" 2>&1
  end=$(date +%s.%N)
  echo "$rev: demo $(echo "$end - $start" | bc) s wall" >&2
done
python3 "$compare" "$work/demo-$before/results.json" "$work/demo-$after/results.json" \
  "$work/demo-$before" "$work/demo-$after"
