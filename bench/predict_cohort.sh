#!/usr/bin/env bash
# Inference for a cohort: `livermet predict --cohort` on a finished demo's external cohort
# (every model of the bundle loaded once, batches of 32 slices across patients) beside one
# `livermet predict --patient` process per patient, as a user scored many patients before.
# Patients/s of each, first with preparation (registration etc.) and then with the prepared
# data cached in the work folder, which leaves model loading and inference.
#
#   bash bench/predict_cohort.sh DEMO_OUT      # DEMO_OUT from `livermet demo --out DEMO_OUT`
#   PREPARED=DEMO_OUT/prepared/external bash bench/predict_cohort.sh DEMO_OUT
#       # reuse the study's prepared external patients: times only loading and inference
set -euo pipefail
cd "$(dirname "$0")/.."
demo=${1:?usage: bench/predict_cohort.sh DEMO_OUT}
LIVERMET=${LIVERMET:-${CARGO_TARGET_DIR:-target}/release/livermet}
csv=$demo/cohort/external.csv
work=$(mktemp -d)
rows=()
trap 'rm -rf "$work"; rm -f "${rows[@]}"' EXIT
passes=("with preparation" "prepared data cached")
if [ -n "${PREPARED:-}" ]; then
  # Copies, so that nothing of the study's own output is touched.
  cp -r "$PREPARED" "$work/cohort"
  cp -r "$PREPARED" "$work/single"
  passes=("prepared data cached")
fi
n=$(($(wc -l <"$csv") - 1))
echo "external cohort: $n patients; cores $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
now() { date +%s.%N; }
rate() { python3 -c "import sys; n, a, b = map(float, sys.argv[1:]); print(f'{b - a:.2f} s, {n / (b - a):.2f} patients/s')" "$@"; }

for pass in "${passes[@]}"; do
  t0=$(now)
  "$LIVERMET" predict --bundle "$demo/model" --cohort "$csv" --work "$work/cohort" --json \
    >"$work/cohort.json" 2>/dev/null
  t1=$(now)
  echo "predict --cohort, $pass: $(rate "$n" "$t0" "$t1")"
done
# The same patients one process each; the row CSVs sit beside the cohort CSV so that its
# relative image paths resolve.
header=$(head -1 "$csv")
i=0
while IFS= read -r line; do
  i=$((i + 1))
  row="$demo/cohort/.bench-row-$i.csv"
  printf '%s\n%s\n' "$header" "$line" >"$row"
  rows+=("$row")
done < <(tail -n +2 "$csv")
for pass in "${passes[@]}"; do
  t0=$(now)
  for row in "${rows[@]}"; do
    "$LIVERMET" predict --bundle "$demo/model" --patient "$row" --work "$work/single" --json \
      >/dev/null
  done
  t1=$(now)
  echo "predict --patient per patient, $pass: $(rate "$n" "$t0" "$t1")"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
