"""The livermet network (crates/livermet-model/src/net.rs) in PyTorch, and its speed.

Same architecture: 7x7 conv stride 2 + BN + leaky ReLU 0.2; six residual blocks of two 3x3
convs with BN and a skip (1x1 conv + BN where the shape changes, stride 2 where the width
changes); global average pooling; dropout 0.5; Linear(., 2). Same step: Adam, cross-entropy
+ 1e-5 * (L1 + L2) over conv/linear weights. Prints the same JSON keys as
`livermet bench train --json`.

    python3 resnet.py --widths 64,128,256 --batch 32 --threads 2 [--device cuda]
        [--memory-format channels_last] [--rounds 3]

`--memory-format channels_last` runs the network and its input in NHWC (oneDNN's preferred
layout on CPU); `--rounds N` repeats the timed loops N times in this process and reports the
median (and every round under "rounds").
"""

import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride, slope):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.proj = None
        if c_in != c_out or stride != 1:
            self.proj = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, 0, bias=False), nn.BatchNorm2d(c_out))
        self.slope = slope

    def forward(self, x):
        skip = x if self.proj is None else self.proj(x)
        y = F.leaky_relu(self.bn1(self.conv1(x)), self.slope)
        y = self.bn2(self.conv2(y))
        return F.leaky_relu(y + skip, self.slope)


class Net(nn.Module):
    def __init__(self, widths, in_channels=5, n_clinical=0, clinical_units=16, dropout=0.5, slope=0.2):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False)
        self.stem_bn = nn.BatchNorm2d(widths[0])
        blocks, c_in = [], widths[0]
        for c_out in widths:
            blocks.append(Block(c_in, c_out, 2 if c_out != c_in else 1, slope))
            c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.clinical = nn.Linear(n_clinical, clinical_units) if n_clinical else None
        self.drop = nn.Dropout(dropout)
        self.classifier = nn.Linear(c_in + (clinical_units if n_clinical else 0), 2)
        self.slope = slope

    def forward(self, x, clinical=None):
        x = F.leaky_relu(self.stem_bn(self.stem(x)), self.slope)
        x = self.blocks(x).mean(dim=(2, 3))
        if self.clinical is not None:
            x = torch.cat([x, F.leaky_relu(self.clinical(clinical), self.slope)], 1)
        return self.classifier(self.drop(x))

    def penalised(self):
        return [m.weight for m in self.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="64,128,256")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--patch-size", type=int, default=112)
    ap.add_argument("--train-steps", type=int, default=5)
    ap.add_argument("--infer-steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--memory-format", choices=("nchw", "channels_last"), default="nchw")
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    w = [int(v) for v in a.widths.split(",")]
    widths = w if len(w) == 6 else [v for v in w for _ in (0, 1)]
    dev = torch.device(a.device)
    torch.manual_seed(1)
    fmt = torch.channels_last if a.memory_format == "channels_last" else torch.contiguous_format
    net = Net(widths).to(dev, memory_format=fmt)
    opt = torch.optim.Adam(net.parameters(), lr=1e-5, eps=1e-7)
    x = torch.rand(a.batch, 5, a.patch_size, a.patch_size, device=dev).to(memory_format=fmt)
    y = torch.arange(a.batch, device=dev) % 2

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        ws = net.penalised()
        loss = loss + 1e-5 * sum(p.abs().sum() for p in ws) + 1e-5 * sum((p * p).sum() for p in ws)
        loss.backward()
        opt.step()
        return loss.item()

    def time_train():
        net.train()
        t = time.perf_counter()
        for _ in range(a.train_steps):
            step()
        sync()
        return a.train_steps * a.batch / (time.perf_counter() - t)

    def time_infer():
        net.eval()
        with torch.inference_mode():
            t = time.perf_counter()
            for _ in range(a.infer_steps):
                torch.softmax(net(x), 1)[:, 1].cpu()
            return a.infer_steps * a.batch / (time.perf_counter() - t)

    # One untimed step of each first (allocator and oneDNN primitive caches warm up).
    net.train()
    step()
    sync()
    net.eval()
    with torch.inference_mode():
        torch.softmax(net(x), 1)[:, 1].cpu()
    rounds = []
    for _ in range(max(1, a.rounds)):
        rounds.append({"train_patches_per_s": time_train(), "infer_patches_per_s": time_infer()})
    out = {
        "backend": f"pytorch-{torch.__version__}-{dev.type}-{a.memory_format}",
        "memory_format": a.memory_format,
        "train_patches_per_s": statistics.median(r["train_patches_per_s"] for r in rounds),
        "infer_patches_per_s": statistics.median(r["infer_patches_per_s"] for r in rounds),
        "rounds": rounds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "widths": widths,
        "batch": a.batch,
        "patch_size": a.patch_size,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
