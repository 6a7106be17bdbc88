"""The explanation maps sit on the patient's T2 grid, as nibabel reads them.

For every patient folder DIR/explain/<id>/ (written by `livermet predict --explain`), loads each
saliency_*.nii.gz and occlusion_*.nii.gz with nibabel and the patient's T2 (the `t2` column of
DIR/cohort/row-<id>.csv) and checks the same shape and the same voxel-to-world affine (nibabel's
best affine, sform else qform) to 1e-4 mm. Where the T2 is a DICOM series, the reference is the
patient's ROI NIfTI instead, which ITK-SNAP draws on the T2 grid (counted separately).
Prints one line; exits 1 on any mismatch. Needs nibabel (bench/explain/requirements.txt).
"""

import csv
import os
import sys

import nibabel
import numpy as np


def main(d):
    checked, skipped, bad = 0, 0, []
    for pid in sorted(os.listdir(os.path.join(d, "explain"))):
        with open(os.path.join(d, "cohort", f"row-{pid}.csv")) as f:
            row = next(csv.DictReader(f))
        t2_path = os.path.join(d, "cohort", row["t2"])
        if os.path.isdir(t2_path):
            skipped += 1
            t2_path = os.path.join(d, "cohort", row["roi"])
        t2 = nibabel.load(t2_path)
        for name in sorted(os.listdir(os.path.join(d, "explain", pid))):
            if not name.endswith(".nii.gz"):
                continue
            m = nibabel.load(os.path.join(d, "explain", pid, name))
            if m.shape[:3] != t2.shape[:3] or not np.allclose(m.affine, t2.affine, atol=1e-4):
                bad.append(f"{pid}/{name}: shape {m.shape} vs {t2.shape}, "
                           f"max affine difference {np.abs(m.affine - t2.affine).max():.2e}")
            checked += 1
    print(f"nibabel {nibabel.__version__}: {checked} maps on their patient's T2 grid "
          f"(shape and affine to 1e-4 mm), {len(bad)} mismatches; {skipped} patients with a DICOM T2 "
          f"checked against their ROI NIfTI")
    for b in bad:
        print("  " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
