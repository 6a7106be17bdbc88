#!/usr/bin/env bash
# Saliency and attribution sanity numbers on the synthetic twin, and the time of
# `livermet predict --explain` for one patient (issue 13).
#
#   bench/explain/run.sh [WORKDIR]      (env: LIVERMET=path/to/livermet, PRIMARY=176, EXTERNAL=31)
#
# For signal 1 (the twin's default) and signal 0 it synthesises the cohort, runs the whole study
# with the quick protocol (the demo's), reads the per-cohort attribution shares the study writes
# (attribution_shares.csv), then runs `predict --explain` on every external patient with the
# study's bundle, timing each run and measuring the share of Grad-CAM mass inside the tumour ROI
# dilated by 5 mm against that region's share of the patch area (mass_share.py, stdlib only),
# times `predict` without --explain on the same patients (the explanation's own cost is the
# difference); mass_share.py also summarises the model-randomisation check of Adebayo et al.
# that every explanation carries (attribution.json), and nibabel_check.py checks every map's
# shape and affine against the patient's T2 as nibabel reads them (when nibabel is there).
# Writes WORKDIR/summary.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
LIVERMET="${LIVERMET:-$root/target/release/livermet}"
PRIMARY="${PRIMARY:-176}"
EXTERNAL="${EXTERNAL:-31}"
work="$(realpath -m "${1:-/tmp/livermet-explain-bench}")"
mkdir -p "$work"
summary="$work/summary.txt"
: > "$summary"
echo "livermet: $LIVERMET; cohort $PRIMARY + $EXTERNAL; $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$summary"
for signal in 1 0; do
  d="$work/signal$signal"
  rm -rf "$d"
  mkdir -p "$d"
  "$LIVERMET" synth --out "$d/cohort" --primary "$PRIMARY" --external "$EXTERNAL" --seed 1 --signal "$signal" >/dev/null
  printf 'primary = "cohort/primary.csv"\nexternal = "cohort/external.csv"\nprotocol = "quick"\nseed = 42\n' > "$d/study.toml"
  (cd "$d" && "$LIVERMET" study study.toml --out out >/dev/null 2>&1)
  echo "== signal $signal: attribution shares of the Combined model (out/attribution_shares.csv)" | tee -a "$summary"
  cat "$d/out/attribution_shares.csv" | tee -a "$summary"
  # predict --explain on every external patient.
  header="$(head -1 "$d/cohort/external.csv")"
  times=()
  tail -n +2 "$d/cohort/external.csv" | while IFS= read -r line; do
    id="${line%%,*}"
    printf '%s\n%s\n' "$header" "$line" > "$d/cohort/row-$id.csv"
    start=$(date +%s.%N)
    "$LIVERMET" predict --bundle "$d/out/model" --patient "$d/cohort/row-$id.csv" \
      --work "$d/predict-work/$id" --explain "$d/explain/$id" --json > "$d/explain-$id.json"
    end=$(date +%s.%N)
    echo "$id $(echo "$end - $start" | bc)" >> "$d/times.txt"
    start=$(date +%s.%N)
    "$LIVERMET" predict --bundle "$d/out/model" --patient "$d/cohort/row-$id.csv" \
      --work "$d/predict-plain/$id" --json > /dev/null
    end=$(date +%s.%N)
    echo "$id $(echo "$end - $start" | bc)" >> "$d/times-plain.txt"
  done
  python3 "$here/mass_share.py" "$d" | tee -a "$summary"
  # The maps' grid as nibabel reads it (env NIBABEL_PYTHON: a python with requirements.txt).
  if "${NIBABEL_PYTHON:-python3}" -c 'import nibabel' 2>/dev/null; then
    "${NIBABEL_PYTHON:-python3}" "$here/nibabel_check.py" "$d" | tee -a "$summary"
  fi
  median() { sort -k2 -n "$1" | awk '{a[NR]=$2} END {print a[int((NR+1)/2)]}'; }
  echo "predict --explain seconds per patient (prepare + score + explain), median over $(wc -l < "$d/times.txt"): $(median "$d/times.txt")" | tee -a "$summary"
  echo "predict seconds per patient without --explain (prepare + score), median: $(median "$d/times-plain.txt")" | tee -a "$summary"
done
