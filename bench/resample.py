"""Benchmark: cubic B-spline resampling of a 256x256x30 MRI volume through a rigid transform,
livermet (Rust, rayon) vs SimpleITK's ResampleImageFilter with sitkBSpline, same data, same machine.

Data: nibabel's bundled real MRI `example4d.nii.gz` (frame 0, 128x96x24) upsampled with scipy
(linear) to 256x256x30 at 0.9x0.9x4 mm, written to a temporary folder. Target = the same grid;
transform = 6 degrees about z and 3 about x about the centre plus (2.5, -1.5, 1.0) mm.
Times: median and min of REPEATS runs of the resampling call alone (no I/O); livermet's includes the
prefilter, as SimpleITK's does. Max difference of the outputs is over the whole grid (both write
0 outside the input with ITK's inside-buffer rule).

Run (from the repository root):
  CARGO_TARGET_DIR=/work/targets/imagea cargo build --release -p livermet-image --example resample_bench
  python bench/resample.py --bin /work/targets/imagea/release/examples/resample_bench [--append]
Requirements: bench/resample_requirements.txt.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import tempfile
import time

import nibabel as nib
import numpy as np
import SimpleITK as sitk
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))


def rot(ax, deg):
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    m = np.eye(4)
    i, j = [(1, 2), (0, 2), (0, 1)][ax]
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def to_sitk(arr, aff):
    flip = np.diag([-1.0, -1.0, 1.0, 1.0])
    img = sitk.GetImageFromArray(np.ascontiguousarray(arr.transpose(2, 1, 0)))
    lps = flip @ aff
    spacing = np.linalg.norm(lps[:3, :3], axis=0)
    img.SetSpacing(spacing.tolist())
    img.SetDirection((lps[:3, :3] / spacing).flatten().tolist())
    img.SetOrigin(lps[:3, 3].tolist())
    return img


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="the built resample_bench example")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--append", action="store_true", help="append a section to bench/RESULTS.md")
    args = ap.parse_args()

    src = nib.load(os.path.join(os.path.dirname(nib.__file__), "tests", "data", "example4d.nii.gz"))
    frame = np.asarray(src.dataobj, dtype=np.float64)[..., 0]
    dims = np.array([256, 256, 30])
    vol = ndimage.zoom(frame, dims / np.array(frame.shape), order=1).astype(np.float32)
    aff = np.diag([0.9, 0.9, 4.0, 1.0])
    aff[:3, 3] = -aff[:3, :3] @ ((dims - 1) / 2.0)
    t = rot(2, 6.0) @ rot(0, 3.0)
    t[:3, 3] = [2.5, -1.5, 1.0]  # rotation about the world origin = the grid's centre

    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "input.nii")
        img = nib.Nifti1Image(vol, aff)
        img.set_sform(aff, 1)
        img.set_qform(aff, 1)
        nib.save(img, inp)
        stored = nib.load(inp)
        a_in = stored.affine.astype(np.float64)
        data = np.asarray(stored.dataobj, dtype=np.float32)
        tr = os.path.join(tmp, "t.json")
        with open(tr, "w") as f:
            json.dump({"matrix": t.tolist()}, f)
        out = os.path.join(tmp, "out.nii")
        r = subprocess.run([args.bin, inp, inp, tr, out, str(args.repeats)], check=True,
                           capture_output=True, text=True)
        ours = json.loads(r.stdout.strip().splitlines()[-1])
        ours_out = np.asarray(nib.load(out).dataobj, dtype=np.float64)

        moving = to_sitk(data, a_in)
        flip = np.diag([-1.0, -1.0, 1.0, 1.0])
        t_lps = flip @ t @ flip
        tx = sitk.AffineTransform(3)
        tx.SetMatrix(t_lps[:3, :3].flatten().tolist())
        tx.SetTranslation(t_lps[:3, 3].tolist())
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            res = sitk.Resample(moving, moving, tx, sitk.sitkBSpline, 0.0, sitk.sitkFloat32)
            times.append(time.perf_counter() - t0)
        itk_out = sitk.GetArrayFromImage(res).transpose(2, 1, 0).astype(np.float64)

    rng = float(data.max() - data.min())
    diff = float(np.abs(itk_out - ours_out).max())
    result = {
        "livermet_median_s": ours["median_s"], "livermet_min_s": min(ours["seconds"]),
        "livermet_prefilter_s": ours["prefilter_s"], "livermet_threads": ours["threads"],
        "sitk_median_s": float(np.median(times)), "sitk_min_s": min(times),
        "sitk_threads": sitk.ProcessObject.GetGlobalDefaultNumberOfThreads(),
        "max_abs_diff": diff, "max_diff_over_range": diff / rng, "range": rng,
        "sitk_version": sitk.Version_VersionString(), "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "load_average_1min": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=1))
    if args.append:
        section = f"""
## B-spline resampling of a 256x256x30 volume (livermet-image vs SimpleITK) — {datetime.date.today()}

Real MRI (nibabel's example4d frame 0, upsampled to 256x256x30), rigid transform, cubic B-spline
with prefilter, output on the same 256x256x30 grid. {args.repeats} runs each, resampling call
only (no I/O). Machine: {result['cpus']} CPUs ({result['machine']}), shared with other engineers'
builds (1-min load average {result['load_average_1min']:.1f} at the end), so times are noisy: the
minimum is the fairer number.

| tool | median | min | threads |
|---|---|---|---|
| livermet `resample` (Rust, rayon; prefilter alone {result['livermet_prefilter_s']:.3f} s) | {result['livermet_median_s']:.3f} s | {result['livermet_min_s']:.3f} s | {result['livermet_threads']} |
| SimpleITK {result['sitk_version']} `Resample(sitkBSpline)` | {result['sitk_median_s']:.3f} s | {result['sitk_min_s']:.3f} s | {result['sitk_threads']} |

Max |livermet - SimpleITK| over the grid: {diff:.3g} (image range {rng:.0f}; {diff / rng:.2g} of the range).

Reproduce: `CARGO_TARGET_DIR=/work/targets/imagea cargo build --release -p livermet-image --example resample_bench && python bench/resample.py --bin /work/targets/imagea/release/examples/resample_bench --append`
(venv: `pip install -r bench/resample_requirements.txt`).
"""
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(section)


if __name__ == "__main__":
    main()
