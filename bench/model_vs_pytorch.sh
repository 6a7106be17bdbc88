#!/usr/bin/env bash
# livermet (burn) vs PyTorch: the same networks (batch 32, 5x112x112 patches), training and
# inference patches/s, peak memory, and the ratios. Both nets, interleaved: every round runs
# livermet, PyTorch NCHW and PyTorch channels_last once per net, one process each, so a change
# in the box's load hits all of them alike; the table gives the median over rounds, and PyTorch
# is given the better of its two layouts for each figure.
#
#   bench/model_vs_pytorch.sh                   # CPU, 3 rounds, paper-sized and quick nets
#   ROUNDS=5 STEPS=8 THREADS=2 NETS="8,16,32" bench/model_vs_pytorch.sh
#   LIVERMET=.gpu-bin/livermet DEVICE=gpu TORCH_DEVICE=cuda bench/model_vs_pytorch.sh   # GPU
#
# Every process's JSON stays in $KEEP (default: a temporary folder, removed at exit).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-$(nproc)}
PY=${PY:-/work/venvs/torch/bin/python3}
DEVICE=${DEVICE:-cpu}
TORCH_DEVICE=${TORCH_DEVICE:-cpu}
NETS=${NETS:-"64,128,256 8,16,32"}
STEPS=${STEPS:-8}
ROUNDS=${ROUNDS:-3}
if [ -z "${LIVERMET:-}" ]; then
  cargo build --release -q -p livermet
  LIVERMET=${CARGO_TARGET_DIR:-target}/release/livermet
fi
if [ -n "${KEEP:-}" ]; then
  out=$KEEP
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq 1 "$ROUNDS"); do
  for widths in $NETS; do
    tag=${widths//,/-}
    # flex runs on rayon: RAYON_NUM_THREADS sets its pool; PyTorch gets the same count.
    RAYON_NUM_THREADS=$THREADS "$LIVERMET" bench train --json --widths "$widths" --rounds 1 \
      --train-steps "$STEPS" --infer-steps $((2 * STEPS)) --device "$DEVICE" \
      >"$out/livermet-$tag-$round.json"
    for fmt in nchw channels_last; do
      # A layout that crashes (PyTorch 2.15's channels_last quick net segfaults on some AVX-512
      # boxes) is reported and left out; the table then uses the other one.
      "$PY" bench/pytorch/resnet.py --widths "$widths" --threads "$THREADS" --rounds 1 \
        --train-steps "$STEPS" --infer-steps $((2 * STEPS)) --device "$TORCH_DEVICE" \
        --memory-format "$fmt" >"$out/pytorch-$fmt-$tag-$round.json" || {
        echo "PyTorch $fmt, widths $widths, round $round: exit $? (left out)" >&2
        rm -f "$out/pytorch-$fmt-$tag-$round.json"
      }
    done
    echo "round $round, widths $widths done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$PY" - "$out" "$ROUNDS" $NETS <<'PYEOF'
import json, pathlib, statistics, sys

out, rounds, nets = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
names = {"64,128,256": "paper-sized 64-256", "8,16,32": "quick 8-32"}


def runs(kind, tag):
    files = [out / f"{kind}-{tag}-{r}.json" for r in range(1, rounds + 1)]
    return [json.loads(f.read_text()) for f in files if f.exists()]


def med(rs, key):
    return statistics.median(r[key] for r in rs)


print(f"median of {rounds} rounds; PyTorch: the better of NCHW and channels_last per figure\n")
print("| net | livermet train | PyTorch train | ratio | livermet infer | PyTorch infer | ratio "
      "| peak RSS MB livermet / PyTorch |")
print("|---|---|---|---|---|---|---|---|")
detail = []
for widths in nets:
    tag = widths.replace(",", "-")
    ours = runs("livermet", tag)
    torch = {f: rs for f in ("nchw", "channels_last") if (rs := runs(f"pytorch-{f}", tag))}
    row, cells = {}, []
    for key in ("train_patches_per_s", "infer_patches_per_s"):
        a = med(ours, key)
        fmt, b = max(((f, med(rs, key)) for f, rs in torch.items()), key=lambda t: t[1])
        cells += [f"{a:.1f}", f"{b:.1f} ({fmt})", f"{a / b:.2f}x"]
    rss = (med(ours, "peak_rss_mb"), max(med(rs, "peak_rss_mb") for rs in torch.values()))
    name = names.get(widths, widths)
    print(f"| {name} | " + " | ".join(cells) + f" | {rss[0]:.0f} / {rss[1]:.0f} |")
    for key in ("train_patches_per_s", "infer_patches_per_s"):
        detail.append(f"{name} {key}: livermet " + ", ".join(f"{r[key]:.1f}" for r in ours)
                      + "; " + "; ".join(f"PyTorch {f} " + ", ".join(f"{r[key]:.1f}" for r in rs)
                                         for f, rs in torch.items()))
print("\nevery round:")
print("\n".join(detail))
b = runs("pytorch-nchw", nets[0].replace(",", "-"))[0]
a = runs("livermet", nets[0].replace(",", "-"))[0]
print(f"backends: {a['backend']} vs {b['backend'].rsplit('-', 1)[0]}; threads {a['threads']} / {b['threads']}")
PYEOF
