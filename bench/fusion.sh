#!/usr/bin/env bash
# Benchmark of the Combined model against the twin's Bayes limit (issue 11): the demo for
# seeds 1-3 (default offset fusion), the paper's fusion on seed 1's cohort and folds, and a
# cohort whose images carry no information (`synth --signal 0`, seed 1). Prints one table:
# 5-fold CV and external AUCs of CF, MRI and Combined, the Bayes limits, the Combined model's
# gap, DeLong p of Combined vs CF, and wall seconds of each run.
# Usage: bash bench/fusion.sh [WORKDIR]   (default /tmp/livermet-fusion-bench; deleted first)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/livermet-fusion-bench}
cargo build --release -q -p livermet
bin=$PWD/target/release/livermet
rm -rf "$work"
mkdir -p "$work"
echo "cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
timed() { # name, then the command; wall seconds into $work/name.seconds
  local name=$1
  shift
  local t0
  t0=$(date +%s.%N)
  "$@" >"$work/$name.log" 2>&1
  echo "$(date +%s.%N) - $t0" | bc >"$work/$name.seconds"
}
for seed in 1 2 3; do
  timed "seed$seed" "$bin" demo --out "$work/seed$seed" --seed "$seed"
done
# The paper's fusion on seed 1's cohort: same patients, same folds (the fold seed is the
# study seed), prepared data reused.
mkdir -p "$work/paper1"
cp -r "$work/seed1/prepared" "$work/paper1/"
sed -e "s|cohort/|$work/seed1/cohort/|g" -e '/^#/d' "$work/seed1/study.toml" >"$work/paper1/study.toml"
echo 'fusion = "paper"' >>"$work/paper1/study.toml"
timed paper1 "$bin" study "$work/paper1/study.toml" --out "$work/paper1"
# No imaging information: the Combined model must not beat CF.
"$bin" synth --out "$work/signal0/cohort" --seed 1 --signal 0 >/dev/null
printf 'primary = "cohort/primary.csv"\nexternal = "cohort/external.csv"\nprotocol = "quick"\nseed = 1\n' \
  >"$work/signal0/study.toml"
timed signal0 "$bin" study "$work/signal0/study.toml" --out "$work/signal0"
python3 bench/fusion_table.py "$work" seed1 seed2 seed3 paper1 signal0
# Paper fusion against the default on the same patients and folds: paired DeLong of the two
# Combined models' scores, per cohort.
for cohort in primary_cv external; do
  python3 bench/fusion_pair.py "$work/seed1/scores_$cohort.csv" "$work/paper1/scores_$cohort.csv" \
    >"$work/pair_$cohort.csv"
  echo "paper vs offset fusion, $cohort:"
  "$bin" stats roc "$work/pair_$cohort.csv" --outcome slm --score combined_offset \
    --score combined_paper | sed -n '1,12p'
done
