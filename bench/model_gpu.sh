#!/usr/bin/env bash
# The GPU check of livermet-model, run on the device machine (an H100) through the session's
# device tool, from the repository root, with the prebuilt binary and the Vulkan loader carried:
#
#   here:   CARGO_TARGET_DIR=/work/targets/model-gpu cargo build --release -p livermet \
#             --features livermet-model/gpu
#           mkdir -p .gpu-bin && objcopy --strip-all /work/targets/model-gpu/release/livermet .gpu-bin/livermet
#   there:  bash bench/model_gpu.sh       (carry: .gpu-bin, .gl)
#
# Prints (and writes under $OUT) the paper-sized network's training/inference patches/s on the
# GPU for livermet (burn 0.22.1, wgpu on Vulkan) and PyTorch (CUDA), then trains a few epochs
# on a synthetic in-memory cohort on the GPU.
set -uo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
nvidia-smi -L
B=.gpu-bin/livermet
echo "== livermet bench train (GPU, widths 64-256, batch 32)"
timeout 240 "$B" bench train --json --device gpu --widths 64,128,256 --train-steps 20 \
  --infer-steps 40 | tee "$OUT/livermet_gpu.json"
echo "== pytorch (CUDA), same network"
timeout 120 python3 bench/pytorch/resnet.py --device cuda --widths 64,128,256 --train-steps 20 \
  --infer-steps 40 | tee "$OUT/pytorch_cuda.json"
echo "== livermet training on the GPU: paper widths 32-128, 5 epochs, 32+32 synthetic patients"
timeout 200 "$B" bench train --json --device gpu --widths 32,64,128 --train-steps 2 \
  --infer-steps 2 --epochs 5 --patients 32 | tee "$OUT/livermet_gpu_training.json"
echo "== livermet bench train (CPU flex on the device machine's 16 cores)"
timeout 90 "$B" bench train --json --device cpu --widths 64,128,256 --train-steps 3 \
  --infer-steps 6 | tee "$OUT/livermet_cpu16.json"
