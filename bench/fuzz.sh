#!/usr/bin/env bash
# Fuzzing of livermet's input parsers on the stable toolchain, one target after another (niced:
# the box is shared), and a table of executions, minutes, crashes and hangs per target.
#
#   bench/fuzz.sh [MINUTES_PER_TARGET [TARGET...]]   (default: 10 minutes, every target:
#                                                      nifti dicom bvals cohort_csv study_toml)
#
# - nifti, dicom, bvals, cohort_csv: AFL++ through afl.rs (`cargo afl`, installed here from
#   crates.io when missing; it builds AFL++ from source), targets in fuzz/ (not a member of the
#   workspace, so `scripts/test.sh` needs no AFL). Seeds are the small files of fixtures/io and
#   a cohort CSV; every single allocation above what the input can justify aborts (fuzz/src/lib.rs).
# - study_toml: a structure-aware mutation loop (crates/livermet-study/examples/fuzz_settings.rs;
#   livermet-study pulls in burn, too slow to build instrumented).
# Crashing and hanging inputs are copied to fuzz/crashes/<target>/; a fixed one becomes a fixture
# replayed by the ordinary tests (crates/*/tests/fuzz_regressions.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MINUTES=${1:-10}
shift || true
TARGETS=${*:-nifti dicom bvals cohort_csv study_toml}
SECONDS_PER_TARGET=$(python3 -c "print(int(float('$MINUTES') * 60))")
WORK=${FUZZ_WORK:-/tmp/livermet-fuzz}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$WORK/target}
mkdir -p "$WORK"

if ! cargo afl --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-afl from crates.io (it builds AFL++ from source)"
    nice -n 10 cargo install cargo-afl --version 0.18.2 --locked
fi
afl_help=$(cargo afl fuzz -h 2>&1 || true)
if [[ $afl_help != *afl-fuzz* ]]; then
    echo "fuzz.sh: building AFL++ (cargo afl config --build)"
    nice -n 10 cargo afl config --build
fi

if [[ -z ${FUZZ_SKIP_BUILD:-} ]]; then
    echo "fuzz.sh: building the fuzz targets (instrumented, release)"
    (cd fuzz && nice -n 10 cargo afl build --release --locked 2>&1 | tail -3)
fi
BIN=$CARGO_TARGET_DIR/release

# Seeds: small valid and broken files.
SEEDS=$WORK/seeds
rm -rf "$SEEDS"
mkdir -p "$SEEDS"/{nifti,dicom,bvals,cohort_csv}
for f in fixtures/io/bad/*.nii; do cp "$f" "$SEEDS/nifti/"; done
gzip -c fixtures/io/bad/nonfinite_voxels.nii > "$SEEDS/nifti/nonfinite_voxels.nii.gz"
cp fixtures/io/nifti/standard.nii.gz "$SEEDS/nifti/"
join_series() {  # the files of a series folder, joined with the target's separator
    local out=$1; shift
    python3 - "$out" "$@" <<'PY'
import sys
sep = b"\n--livermet-next-file--\n"
open(sys.argv[1], "wb").write(sep.join(open(p, "rb").read() for p in sys.argv[2:]))
PY
}
join_series "$SEEDS/dicom/duplicate" fixtures/io/bad/dicom_duplicate_slice/*
join_series "$SEEDS/dicom/spacing_zero" fixtures/io/bad/dicom_spacing_zero/*
join_series "$SEEDS/dicom/ct5n" fixtures/io/dicom/CT5N/*
join_series "$SEEDS/dicom/mr_rle" fixtures/io/dicom/MR_small_RLE/*
join_series "$SEEDS/dicom/mr_j2k" fixtures/io/dicom/MR_small_jp2klossless/*
printf '0 0 500 500 1000 1000\n' > "$SEEDS/bvals/fsl"
printf '0\n800\n' > "$SEEDS/bvals/lines"
printf '5e1 1e3 0.0 -1 nan\n' > "$SEEDS/bvals/odd"
HEADER=patient_id,centre,slm,sex,age,tumor_distance_cm,cea_ng_ml,ca199_u_ml,t2,t1,t1ce,dwi,adc,roi
printf '%s\nP001,primary,1,M,61,5.2,3.1,20.5,a/t2.nii.gz,a/t1.nii.gz,a/t1ce.nii.gz,a/dwi,,a/roi.nii.gz\nP002,primary,0,F,55,8,1.2,9.9,b/t2.nii.gz,b/t1.nii.gz,b/t1ce.nii.gz,b/dwi.nii.gz,b/adc.nii.gz,b/roi.nii.gz\n' "$HEADER" > "$SEEDS/cohort_csv/two"
printf '%s\n"P 3",external,,female,70,,5,"1,5",t2.nii,t1.nii,t1ce.nii,dwi.nii,,roi.nii\n' "$HEADER" > "$SEEDS/cohort_csv/quoted"

export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export TMPDIR=/dev/shm
RESULTS=$WORK/results.txt
echo "# $(date -u +%FT%TZ), $MINUTES min per target: $TARGETS" >> "$RESULTS"
for t in $TARGETS; do
    [[ $t == study_toml ]] && continue
    out=$WORK/out/$t
    rm -rf "$out"
    mkdir -p "$WORK/out"
    echo "fuzz.sh: $t for $MINUTES min"
    nice -n 10 cargo afl fuzz -i "$SEEDS/$t" -o "$out" -t 2000 -V "$SECONDS_PER_TARGET" "$BIN/$t" \
        > "$WORK/$t.log" 2>&1 || true
    stats=$out/default/fuzzer_stats
    if [[ ! -f $stats ]]; then
        echo "fuzz.sh: $t did not start; see $WORK/$t.log" | tee -a "$RESULTS"
        continue
    fi
    execs=$(awk -F' *: *' '$1=="execs_done"{print $2}' "$stats")
    secs=$(awk -F' *: *' '$1=="run_time"{print $2}' "$stats")
    crashes=$(awk -F' *: *' '$1=="saved_crashes"{print $2}' "$stats")
    hangs=$(awk -F' *: *' '$1=="saved_hangs"{print $2}' "$stats")
    edges=$(awk -F' *: *' '$1=="edges_found"{print $2}' "$stats")
    for kind in crashes hangs; do
        if ls "$out/default/$kind"/id* >/dev/null 2>&1; then
            mkdir -p "fuzz/crashes/$t"
            cp "$out/default/$kind"/id* "fuzz/crashes/$t/"
        fi
    done
    printf '%-11s %12s executions  %6.1f min  %3s crashes  %3s hangs  %6s edges\n' \
        "$t" "$execs" "$(python3 -c "print($secs/60)")" "$crashes" "$hangs" "$edges" | tee -a "$RESULTS"
done

if [[ " $TARGETS " == *" study_toml "* ]]; then
    echo "fuzz.sh: study_toml for $MINUTES min"
    export CARGO_TARGET_DIR=${STUDY_TARGET_DIR:-$ROOT/target}
    # The dev profile (its dependencies are optimised, Cargo.toml), built with the packages the
    # tests build so that burn's features, and so its build, are shared with them.
    nice -n 10 cargo build -q -p livermet -p livermet-cohort -p livermet-study -p livermet-image \
        -p livermet-model --example fuzz_settings
    nice -n 10 "$CARGO_TARGET_DIR/debug/examples/fuzz_settings" "$MINUTES" 1 \
        "$ROOT/fuzz/crashes/study_toml" 2>"$WORK/study_toml.log" | tee -a "$RESULTS" || true
fi
echo
echo "fuzz.sh: summary ($RESULTS)"
cat "$RESULTS"
