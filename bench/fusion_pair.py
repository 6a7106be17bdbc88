"""Joins two study runs' score tables on patient_id into one CSV (slm, combined_offset,
combined_paper) for `livermet stats roc` (bench/fusion.sh). Standard library only."""
import csv
import sys

offset = {r["patient_id"]: r for r in csv.DictReader(open(sys.argv[1]))}
paper = {r["patient_id"]: r for r in csv.DictReader(open(sys.argv[2]))}
if offset.keys() != paper.keys():
    sys.exit("the two runs scored different patients")
w = csv.writer(sys.stdout)
w.writerow(["patient_id", "slm", "combined_offset", "combined_paper"])
for pid, r in offset.items():
    if r["slm"] != paper[pid]["slm"]:
        sys.exit(f"patient {pid}: the two runs disagree on the outcome")
    w.writerow([pid, r["slm"], r["Combined"], paper[pid]["Combined"]])
