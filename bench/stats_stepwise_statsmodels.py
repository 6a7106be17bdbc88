"""Peer timing for `crates/livermet-stats/examples/stats_stepwise.rs`: the same backward
stepwise elimination by likelihood ratio (p_remove 0.10) with statsmodels Logit (Newton), on
data of the same shape and distribution (10,000 x 10, 4 informative predictors; numpy's RNG, so
not the same draws). Run: /work/venvs/statsreg/bin/python bench/stats_stepwise_statsmodels.py
(packages: fixtures/stats/logistic/requirements.txt)."""
import sys
import time

import numpy as np
import statsmodels.api as sm
from scipy import stats

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
p = int(sys.argv[2]) if len(sys.argv) > 2 else 10
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
rng = np.random.default_rng(2025)
X = rng.standard_normal((n, p))
eta = -0.5 + X[:, :4] @ np.array([0.8, -0.6, 0.4, 0.2])
y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)


def fit(cols):
    return sm.Logit(y, sm.add_constant(X[:, cols], has_constant="add")).fit(
        method="newton", tol=1e-8, disp=0).llf


def backward(p_remove=0.10):
    terms = list(range(p))
    removed = []
    while terms:
        full = fit(terms)
        ps = [stats.chi2.sf(2 * (full - fit([u for u in terms if u != t])), 1) for t in terms]
        i = int(np.argmax(ps))
        if ps[i] <= p_remove:
            break
        removed.append(terms.pop(i))
    return removed, terms


times = []
for _ in range(repeats):
    t = time.perf_counter()
    removed, kept = backward()
    times.append(time.perf_counter() - t)
times.sort()
print(f"statsmodels backward stepwise LR, n = {n}, p = {p}: removed {removed}, kept {kept}")
print(f"wall time over {repeats} runs: median {times[len(times)//2]*1e3:.1f} ms, "
      f"min {times[0]*1e3:.1f} ms, max {times[-1]*1e3:.1f} ms")
