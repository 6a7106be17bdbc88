"""The table of bench/fusion.sh from each run's results.json (standard library only)."""
import json
import pathlib
import sys

work = pathlib.Path(sys.argv[1])
runs = sys.argv[2:]


def cell(v):
    return "-" if v is None else f"{v:.3f}"


print("| run | cohort | CF | MRI | Combined | limit (clin+img) | limit (clin) | Combined gap | p Combined vs CF | p Combined vs MRI | seconds |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for run in runs:
    r = json.loads((work / run / "results.json").read_text())
    seconds = float((work / f"{run}.seconds").read_text())
    for cohort in ["primary_cv", "external"]:
        c = r["cohorts"].get(cohort)
        if c is None:
            continue
        auc = {m: e["auc"] for m, e in c["models"].items()}
        b = c.get("bayes_limit") or {}
        limit = (b.get("bayes_limit_clinical_latent") or {}).get("auc")
        clin = (b.get("bayes_limit_clinical") or {}).get("auc")
        gap = (b.get("gap_to_bayes_limit") or {}).get("Combined")
        p = {(x["a"], x["b"]): x["p"] for x in c["comparisons"]}
        print(
            f"| {run} | {cohort} | {cell(auc.get('CF'))} | {cell(auc.get('MRI'))} | "
            f"{cell(auc.get('Combined'))} | {cell(limit)} | {cell(clin)} | {cell(gap)} | "
            f"{cell(p.get(('Combined', 'CF')))} | {cell(p.get(('Combined', 'MRI')))} | "
            f"{seconds:.0f} |"
        )
