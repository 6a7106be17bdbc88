"""Rigid Mattes-MI registration with SimpleITK on the same data as livermet's
`bench_register` example, reporting time and target registration error (TRE).

Reproduce (from the repository root):
    cargo run --release -p livermet-image --example bench_register -- /tmp/livermet-bench-register 5
    /work/venvs/register/bin/python bench/register.py /tmp/livermet-bench-register 5 [THREADS]

The example writes the phantom pairs (NIfTI + truth JSON + ROI) into the folder first; the real pair is
fixtures/register (MNI152 T1 template vs its moved grey-matter map). SimpleITK set-up (the classic ITK
rigid recipe): Euler3DTransform initialised by CenteredTransformInitializer(GEOMETRY),
MattesMutualInformation(50 bins), RANDOM sampling with the same sample count per level as livermet
(min(20000, voxels)), linear interpolation, RegularStepGradientDescent(learningRate 2.0, minStep 1e-3,
200 iterations, relaxation 0.5), scales from physical shift, shrink factors [4,2,1], smoothing sigmas [2,1,0] voxels.
TRE = mean |T_est(x) - T_true(x)| over ROI voxels of the fixed grid, in world mm.
"""
import json
import os
import statistics
import sys
import time

import nibabel as nib
import numpy as np
import SimpleITK as sitk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLIP = np.diag([-1.0, -1.0, 1.0, 1.0])  # LPS <-> RAS


def itk_matrix_ras(tx):
    """The final Euler3DTransform as a 4x4 fixed->moving matrix in RAS mm."""
    r = np.array(tx.GetMatrix()).reshape(3, 3)
    c = np.array(tx.GetCenter())
    t = np.array(tx.GetTranslation())
    m = np.eye(4)
    m[:3, :3] = r
    m[:3, 3] = c + t - r @ c
    return FLIP @ m @ FLIP


def tre(roi_img, est, truth):
    roi = np.asarray(roi_img.dataobj) > 0
    ijk = np.argwhere(roi)
    vox = np.c_[ijk, np.ones(len(ijk))].T
    x = roi_img.affine @ vox
    d = (est @ x - truth @ x)[:3]
    return float(np.sqrt((d ** 2).sum(0)).mean())


def register(fixed_path, moving_path, seed):
    fixed = sitk.ReadImage(fixed_path, sitk.sitkFloat32)
    moving = sitk.ReadImage(moving_path, sitk.sitkFloat32)
    t0, c0 = time.perf_counter(), time.process_time()
    init = sitk.CenteredTransformInitializer(
        fixed, moving, sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.GEOMETRY)
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    shrinks = [4, 2, 1]
    nvox = np.prod(fixed.GetSize())
    # Same sample count per level as livermet: min(20000, voxels of the shrunk fixed image).
    reg.SetMetricSamplingPercentagePerLevel([min(1.0, 20000.0 / (nvox / s ** 3)) for s in shrinks], seed=seed)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(
        learningRate=2.0, minStep=1e-3, numberOfIterations=200, relaxationFactor=0.5,
        gradientMagnitudeTolerance=1e-8)
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel(shrinks)
    reg.SetSmoothingSigmasPerLevel([2, 1, 0])
    reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOff()
    reg.SetInitialTransform(init, inPlace=False)
    out = reg.Execute(fixed, moving)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    euler = sitk.Euler3DTransform(sitk.CompositeTransform(out).GetNthTransform(0))
    return seconds, cpu, itk_matrix_ras(euler), reg.GetOptimizerIteration(), reg.GetMetricValue()


def case(name, fixed, moving, roi_img, truth, repeats):
    """Seeds 1..repeats (the random sample set changes, so TRE varies by seed), as livermet's side."""
    times, cpus, tres, its = [], [], [], []
    for seed in range(1, repeats + 1):
        s, cpu, est, it, _ = register(fixed, moving, seed)
        times.append(s)
        cpus.append(cpu)
        tres.append(tre(roi_img, est, truth))
        its.append(it)
    print(json.dumps({"case": name, "tool": "simpleitk", "threads": sitk.ProcessObject.GetGlobalDefaultNumberOfThreads(),
                      "seconds_median": round(statistics.median(times), 4), "seconds_min": round(min(times), 4),
                      "cpu_seconds_mean": round(statistics.mean(cpus), 4),
                      "tre_mm_mean": round(statistics.mean(tres), 4), "tre_mm_max": round(max(tres), 4),
                      "last_level_iterations": its}))


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/livermet-bench-register"
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    if len(sys.argv) > 3:
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(int(sys.argv[3]))
    for name in ["phantom_t1", "phantom_dwi"]:
        p = lambda s: os.path.join(d, f"{name}_{s}")
        truth = np.array(json.load(open(p("truth.json")))["matrix"])
        case(name, p("fixed.nii.gz"), p("moving.nii.gz"), nib.load(p("roi.nii.gz")), truth, repeats)
    fx = os.path.join(ROOT, "fixtures", "register")
    fixed = os.path.join(fx, "fixed_t1.nii.gz")
    img = nib.load(fixed)
    roi = nib.Nifti1Image((np.asarray(img.dataobj) > 40).astype(np.uint8), img.affine)
    truth = np.array(json.load(open(os.path.join(fx, "truth.json")))["matrix"])
    case("mni_t1_gm", fixed, os.path.join(fx, "moving_gm.nii.gz"), roi, truth, repeats)


if __name__ == "__main__":
    main()
