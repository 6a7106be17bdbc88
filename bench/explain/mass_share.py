"""Grad-CAM mass inside the tumour ROI dilated by 5 mm, against that region's share of the patch.

For every patient folder DIR/explain/<id>/ (written by `livermet predict --explain`) and its
prepared data DIR/predict-work/<id>/<id>/ (roi.nii.gz, manifest.json): on each tumour slice, the
patch square (manifest centre and patch size, the origin rule of livermet_image::patch_origin),
the ROI dilated in-plane by 5 mm (a disc in mm, pixdim from the header), the share of the map's
mass on the patch inside it and the share of the patch's area it covers. Means over slices and
patients, per model; also the attribution's imaging share and the model-randomisation rank
correlation of each network's Grad-CAM (attribution.json). Python stdlib only.
"""

import gzip
import json
import math
import os
import struct
import sys

TYPES = {2: "B", 4: "h", 8: "i", 16: "f", 64: "d", 512: "H"}


def read_nifti(path):
    raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    e = "<" if struct.unpack("<i", raw[:4])[0] == 348 else ">"
    dim = struct.unpack(e + "8h", raw[40:56])
    dtype = struct.unpack(e + "h", raw[70:72])[0]
    pixdim = struct.unpack(e + "8f", raw[76:108])
    off = int(struct.unpack(e + "f", raw[108:112])[0])
    slope, inter = struct.unpack(e + "2f", raw[112:120])
    nx, ny, nz = dim[1], dim[2], max(dim[3], 1)
    n = nx * ny * nz
    code = TYPES[dtype]
    vals = struct.unpack(e + code * n, raw[off : off + n * struct.calcsize(code)])
    if slope not in (0.0, 1.0) or inter != 0.0:
        vals = [v * (slope or 1.0) + inter for v in vals]
    return (nx, ny, nz), (abs(pixdim[1]), abs(pixdim[2])), vals


def main(d):
    per_model = {}
    shares = []
    rhos = {}
    ids = sorted(os.listdir(os.path.join(d, "explain")))
    for pid in ids:
        ex = os.path.join(d, "explain", pid)
        prep_root = os.path.join(d, "predict-work", pid)
        prep = os.path.join(prep_root, os.listdir(prep_root)[0]) if os.path.isdir(prep_root) else None
        manifest = json.load(open(os.path.join(prep, "manifest.json")))
        (nx, ny, nz), (dx, dy), roi = read_nifti(os.path.join(prep, "roi.nii.gz"))
        s = manifest["patch_size"]
        r = 5.0
        disc = [(a, b) for a in range(-int(r / dx) - 1, int(r / dx) + 2)
                for b in range(-int(r / dy) - 1, int(r / dy) + 2)
                if (a * dx) ** 2 + (b * dy) ** 2 <= r * r]
        for model in ("mri", "combined"):
            path = os.path.join(ex, f"saliency_{model}.nii.gz")
            if not os.path.exists(path):
                continue
            _, _, sal = read_nifti(path)
            for sl in manifest["slices"]:
                k = sl["k"]
                oi = math.floor(sl["centre"][0] + 0.5) - s // 2
                oj = math.floor(sl["centre"][1] + 0.5) - s // 2
                base = nx * ny * k
                tumour = [(i, j) for j in range(ny) for i in range(nx) if roi[base + i + nx * j] > 0.5]
                near = set()
                for (i, j) in tumour:
                    for (a, b) in disc:
                        near.add((i + a, j + b))
                total = inside = 0.0
                area = 0
                for j in range(max(oj, 0), min(oj + s, ny)):
                    for i in range(max(oi, 0), min(oi + s, nx)):
                        v = max(sal[base + i + nx * j], 0.0)
                        total += v
                        if (i, j) in near:
                            inside += v
                            area += 1
                if total > 0:
                    per_model.setdefault(model, []).append((inside / total, area / (s * s)))
        a = json.load(open(os.path.join(ex, "attribution.json")))
        shares.append(a["imaging_share"])
        for model, r in a.get("saliency_randomisation_rank_correlation", {}).items():
            rhos.setdefault(model, []).append(r)
    for model, v in per_model.items():
        m = sum(x for x, _ in v) / len(v)
        ar = sum(y for _, y in v) / len(v)
        print(f"{model}: Grad-CAM mass in ROI+5mm {m:.3f} vs its area share {ar:.3f} "
              f"(ratio {m / ar:.2f}; {len(v)} slices of {len(ids)} external patients)")
    for model, v in rhos.items():
        ok = sorted(r for r in v if r is not None)
        if ok:
            print(f"{model}: Grad-CAM rank correlation with the re-initialised network (Adebayo), "
                  f"median {ok[len(ok) // 2]:.3f}, range {ok[0]:.3f}..{ok[-1]:.3f} over {len(ok)} "
                  f"patients ({len(v) - len(ok)} undefined)")
    if shares:
        print(f"imaging share of the Combined attribution, mean over {len(shares)} external "
              f"patients: {sum(shares) / len(shares):.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
