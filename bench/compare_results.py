#!/usr/bin/env python3
"""Compare two livermet results.json files number by number.

Every leaf of BEFORE must appear with the identical value in AFTER, at the same path, except
the flat copies of the threshold metrics that issue 15 removed from each model (threshold,
accuracy..npv), which must equal the numbers kept under threshold_metrics. Leaves only in AFTER
are listed (new fields, such as the AUC variance). Paths of the two demo folders are
normalised. Exit 1 on any difference."""
import json, sys

def leaves(v, path=()):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from leaves(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from leaves(x, path + (i,))
    else:
        yield path, v

before_path, after_path, before_dir, after_dir = sys.argv[1:5]
b = json.load(open(before_path))
a = json.load(open(after_path))
lb = dict(leaves(b))
la = dict(leaves(a))
norm = lambda v: v.replace(after_dir, before_dir) if isinstance(v, str) else v
FLAT = {"threshold": ("threshold",), "accuracy": ("accuracy", "estimate"),
        "sensitivity": ("sensitivity", "estimate"), "specificity": ("specificity", "estimate"),
        "ppv": ("ppv", "estimate"), "npv": ("npv", "estimate")}
bad, same, moved = 0, 0, 0
for p, v in lb.items():
    if len(p) == 5 and p[0] == "cohorts" and p[2] == "models" and p[4] in FLAT:
        kept = p[:4] + ("threshold_metrics",) + FLAT[p[4]]
        if la.get(kept, object()) != v or lb.get(kept, object()) != v:
            print("DIFF (moved)", p, v, la.get(kept)); bad += 1
        else:
            moved += 1
        continue
    if p not in la:
        print("MISSING in after", p, v); bad += 1
    elif norm(la[p]) != v:
        print("DIFF", p, v, la[p]); bad += 1
    else:
        same += 1
added = [p for p in la if p not in lb]
print(f"{same} leaves identical, {moved} flat copies removed (equal to threshold_metrics), "
      f"{len(added)} leaves only in after, {bad} differences")
keys = sorted({tuple(x for x in p if not isinstance(x, int))[-1] for p in added})
print("only in after (field names):", ", ".join(map(str, keys)))
sys.exit(1 if bad else 0)
