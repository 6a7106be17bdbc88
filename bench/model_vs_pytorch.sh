#!/usr/bin/env bash
# livermet (burn) vs PyTorch: the same network (widths 64,64,128,128,256,256, batch 32,
# 5x112x112 patches), training and inference patches/s, peak memory, and the ratio.
#
#   bench/model_vs_pytorch.sh            # CPU: release livermet (flex) vs PyTorch, same threads
#   THREADS=2 PY=/work/venvs/model/bin/python3 bench/model_vs_pytorch.sh
#   LIVERMET=.gpu-bin/livermet DEVICE=gpu TORCH_DEVICE=cuda bench/model_vs_pytorch.sh   # GPU
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-$(nproc)}
PY=${PY:-/work/venvs/model/bin/python3}
DEVICE=${DEVICE:-cpu}
TORCH_DEVICE=${TORCH_DEVICE:-cpu}
WIDTHS=${WIDTHS:-64,128,256}
STEPS=${STEPS:-5}
if [ -z "${LIVERMET:-}" ]; then
  cargo build --release -q -p livermet
  LIVERMET=target/release/livermet
fi
# flex runs on rayon: RAYON_NUM_THREADS sets its pool; PyTorch gets the same count.
ours=$(RAYON_NUM_THREADS=$THREADS "$LIVERMET" bench train --json --widths "$WIDTHS" \
  --train-steps "$STEPS" --infer-steps $((2 * STEPS)) --device "$DEVICE")
theirs=$("$PY" bench/pytorch/resnet.py --widths "$WIDTHS" --threads "$THREADS" \
  --train-steps "$STEPS" --infer-steps $((2 * STEPS)) --device "$TORCH_DEVICE")
"$PY" - "$ours" "$theirs" <<'PYEOF'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'':24}{'livermet':>14}{'pytorch':>14}{'ratio':>8}")
for k in ("train_patches_per_s", "infer_patches_per_s", "peak_rss_mb"):
    print(f"{k:24}{a[k]:14.1f}{b[k]:14.1f}{a[k] / b[k]:8.2f}")
print(f"backends: {a['backend']} vs {b['backend']}; threads {a['threads']} / {b['threads']}")
PYEOF
