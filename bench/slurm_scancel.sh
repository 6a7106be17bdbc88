#!/usr/bin/env bash
# A unit cancelled by `scancel` mid-training, the array resubmitted, and the study ends with
# the numbers of an uninterrupted run (README, "On a cluster"; docs/DESIGN.md, "The plan and
# Slurm"). On a one-node Slurm of this machine (scripts/slurm-local.sh, as root):
#
#   1. a small synthetic study (12 + 6 patients, 3 folds, tiny widths, 4 epochs) runs locally
#      in one process: the reference results.json;
#   2. the same study is submitted with `--slurm --shards 2 --submit`; as soon as fold0-mri has
#      checkpointed an epoch, its array task is cancelled with `scancel JOB_TASK`;
#   3. once the queue is empty (the report job is cancelled with its failed dependency), the
#      same command is run again with --wait: only the steps not done are submitted, fold0-mri
#      continues from its checkpoint;
#   4. results.json and the score tables are compared byte for byte with the reference.
#
# Usage: bench/slurm_scancel.sh [LIVERMET_BINARY]   (default: target/release/livermet, built
# with `cargo build --release -p livermet`). Prints every step; exit 0 when the results agree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${CARGO_TARGET_DIR:-$root/target}/release/livermet}
[[ -x "$bin" ]] || { echo "no livermet binary at $bin; cargo build --release -p livermet" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

work=$(mktemp -d)
cluster=$work/cluster
cleanup() {
    bash "$root/scripts/slurm-local.sh" stop "$cluster" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

cd "$work"
"$bin" synth --out cohort --primary 12 --external 6 --seed 3 >/dev/null
cat >study.toml <<EOF
primary = "cohort/primary.csv"
external = "cohort/external.csv"
protocol = "quick"
folds = 3
seed = 5
[training]
epochs = 4
copies_per_slice = 6
batch_size = 8
[network]
widths = [4, 4, 8, 8, 8, 8]
patch_size = 32
[slurm]
time = "00:20:00"
cpus_per_unit = 1
memory = "1G"
binary = "$bin"
EOF

t0=$(date +%s)
"$bin" study study.toml --out local >/dev/null
echo "== local run in one process: $(($(date +%s) - t0)) s"

bash "$root/scripts/slurm-local.sh" start "$cluster"
export SLURM_CONF=$cluster/slurm.conf

echo "== plan"
"$bin" study study.toml --out cluster --plan --shards 2
echo "== submit"
t0=$(date +%s)
"$bin" study study.toml --out cluster --slurm --shards 2 --submit | tee submit.txt
train=$(sed -n 's/^train: job \([0-9]*\) .*/\1/p' submit.txt)
task=$(tr ' ' '\n' <submit.txt | sed -n 's/^\([0-9]*\)=fold0-mri$/\1/p')
[[ -n "$train" && -n "$task" ]] || { echo "no training job in the submission" >&2; exit 1; }

# Cancel fold0-mri once it has checkpointed its first epoch and before it finishes.
log=cluster/work/fold0-mri/log.jsonl
for _ in $(seq 1 1200); do
    [[ -s "$log" ]] && break
    sleep 0.1
done
[[ -s "$log" && ! -e cluster/work/fold0-mri/scores.json ]] ||
    { echo "fold0-mri finished before it could be cancelled; use more epochs" >&2; exit 1; }
scancel "${train}_${task}"
echo "== scancel ${train}_${task} (fold0-mri) after $(wc -l <"$log") of 4 epochs"

# Wait until nothing of the first submission is left in the queue.
while [[ -n "$(squeue -h -o %i)" ]]; do sleep 1; done
echo "== states after the cancel (scontrol; this cluster has no accounting database for sacct)"
scontrol show job -o "$train" | grep -o 'ArrayTaskId=[0-9]* .*JobState=[A-Z_]*' |
    sed 's/ .*JobState=/ /' | sort -t= -k2 -n
for j in $(sed -n 's/^report: job \([0-9]*\).*/\1/p' submit.txt); do
    echo "report job $j: $(scontrol show job -o "$j" | grep -o 'JobState=[A-Z_]*')"
done
echo "== plan after the cancel"
"$bin" study study.toml --out cluster --plan --shards 2 | grep -v ' done '
echo "checkpointed epochs of fold0-mri: $(wc -l <"$log")"

echo "== resubmit (only the steps not done), wait"
"$bin" study study.toml --out cluster --slurm --shards 2 --submit --wait
echo "== Slurm run with the cancel and the resubmission: $(($(date +%s) - t0)) s"
echo "== the resubmitted fold0-mri continued from its checkpoint:"
grep -h 'fold0-mri: epoch' cluster/slurm/logs/train-*_"$task".out || true

status=0
for f in results.json scores_primary_cv.csv scores_external.csv performance.csv comparisons.csv; do
    if cmp -s "local/$f" "cluster/$f"; then
        echo "identical: $f"
    else
        echo "DIFFERENT: $f" >&2
        status=1
    fi
done
exit $status
