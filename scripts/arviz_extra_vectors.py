#!/usr/bin/env python3
"""Regenerates tests/data/arviz_extra_vectors.json with ArviZ 0.23.4.

Complements ../shared/diagnostics/arviz_vectors.json:
  * `mcse_sd` for its MCMC cases (the shared file has "error" there because its generator passed
    `prob=` to `az.mcse(method="sd")`, which ArviZ rejects with a TypeError; called without `prob`
    ArviZ computes the value);
  * degenerate inputs (constant draws, NaN, too short, one chain, +/-inf) for every diagnostic.

Usage: python3 -m venv /tmp/azenv && /tmp/azenv/bin/pip install arviz==0.23.4
       /tmp/azenv/bin/python scripts/arviz_extra_vectors.py
"""
import json
import math
import os
import warnings

import numpy as np
import arviz as az

warnings.filterwarnings("ignore")
assert az.__version__ == "0.23.4", az.__version__

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = json.load(open(os.path.join(root, "..", "shared", "diagnostics", "arviz_vectors.json")))


def num(v):
    v = float(v)
    return v if math.isfinite(v) else None


def metrics(x):
    x = np.asarray(x, dtype=float)
    out = {}
    for key, f in [
        ("rhat_rank", lambda: az.rhat(x, method="rank")),
        ("rhat_split", lambda: az.rhat(x, method="split")),
        ("ess_bulk", lambda: az.ess(x, method="bulk")),
        ("ess_tail", lambda: az.ess(x, method="tail")),
        ("ess_mean", lambda: az.ess(x, method="mean")),
        ("ess_sd", lambda: az.ess(x, method="sd")),
        ("ess_q05", lambda: az.ess(x, method="quantile", prob=0.05)),
        ("mcse_mean", lambda: az.mcse(x, method="mean")),
        ("mcse_sd", lambda: az.mcse(x, method="sd")),
        ("mcse_q05", lambda: az.mcse(x, method="quantile", prob=0.05)),
    ]:
        try:
            out[key] = num(f())
        except Exception as e:  # noqa: BLE001
            out[key] = "error: " + type(e).__name__
    return out


rng = np.random.default_rng(20261123)
cases = []
base = rng.normal(size=(4, 100))
one_const = base.copy()
one_const[2] = 1.5
with_nan = base.copy()
with_nan[1, 7] = np.nan
with_inf = base.copy()
with_inf[0, 3] = np.inf
with_inf[3, 50] = -np.inf
degenerate = {
    "constant": np.full((4, 100), 2.5),
    "one_constant_chain": one_const,
    "with_nan": with_nan,
    "with_inf": with_inf,
    "three_draws": base[:, :3],
    "four_draws": base[:, :4],
    "five_draws": base[:, :5],
    "single_chain_short": base[:1, :20],
    "two_valued": np.tile([1.0, -1.0], (2, 50)),
}
for name, x in degenerate.items():
    cases.append({"name": name, "draws": [[num(v) if math.isfinite(v) else (None if np.isnan(v) else ("inf" if v > 0 else "-inf")) for v in row] for row in x], **metrics(x)})

mcse_sd = {c["name"]: num(az.mcse(np.asarray(c["draws"]), method="sd")) for c in shared["mcmc"]}

# summary statistics as ArviZ's summary(stat_focus="mean") computes them for the shared cases
summ = {}
for c in shared["mcmc"]:
    x = np.asarray(c["draws"])
    s = az.summary(x, kind="all", round_to="none", hdi_prob=0.9)
    summ[c["name"]] = {
        "mean": float(x.mean()),
        "sd": float(x.std(ddof=1)),
        "q5": float(np.quantile(x, 0.05)),
        "q50": float(np.quantile(x, 0.5)),
        "q95": float(np.quantile(x, 0.95)),
        "mcse_mean": num(s["mcse_mean"].iloc[0]),
        "mcse_sd": num(s["mcse_sd"].iloc[0]),
        "ess_bulk": num(s["ess_bulk"].iloc[0]),
        "ess_tail": num(s["ess_tail"].iloc[0]),
        "r_hat": num(s["r_hat"].iloc[0]),
    }

out = {
    "about": "ArviZ 0.23.4 values complementing ../shared/diagnostics/arviz_vectors.json; null = NaN/inf; 'error: X' = ArviZ raised X",
    "mcse_sd": mcse_sd,
    "summary": summ,
    "degenerate": cases,
}
with open(os.path.join(root, "tests", "data", "arviz_extra_vectors.json"), "w") as f:
    json.dump(out, f, indent=1)
print("wrote", len(cases), "degenerate cases")
