#!/usr/bin/env python3
"""Summarize an `npe_c2st.sh` output directory as a markdown table.

    python3 scripts/npe_c2st_table.py OUTDIR [SBIBM_REFERENCE_DIR]

Per task x budget: mean C2ST over the scored observations, the published sbi NPE mean over the
same observations and over all 10, the training seconds and epochs (from run.json).
"""
import csv
import json
import os
import sys
from collections import defaultdict

out = sys.argv[1]
ref = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference", "sbibm")

scores = defaultdict(dict)
with open(os.path.join(out, "c2st.tsv")) as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 4:
            scores[(parts[0], int(parts[1]))][int(parts[2])] = float(parts[3])

published = defaultdict(dict)
with open(os.path.join(ref, "published_c2st_npe_snpe.csv")) as f:
    for row in csv.DictReader(f):
        if row["algorithm"] == "NPE" and row["source"] != "gaussian_mixture_rerun":
            published[(row["task"], int(row["num_simulations"]))][int(row["num_observation"])] = float(row["C2ST"])

tasks = ["two_moons", "gaussian_linear", "gaussian_linear_uniform", "slcp", "bernoulli_glm"]
print("| task | sims | obs scored | flowpost C2ST mean (min–max) | sbi NPE same obs | sbi NPE 10 obs | train s | epochs |")
print("|---|---|---|---|---|---|---|---|")
for task in tasks:
    for n in (1000, 10000, 100000):
        s = scores.get((task, n))
        run = os.path.join(out, task, str(n), "run.json")
        secs = epochs = "—"
        if os.path.exists(run):
            r = json.load(open(run))
            secs = f"{r['training_seconds']:.0f}"
            epochs = f"{r['num_epochs']} (best {r['best_epoch']})"
        if not s:
            if secs != "—":
                print(f"| {task} | {n} | 0 | — | — | — | {secs} | {epochs} |")
            continue
        obs = sorted(s)
        vals = [s[k] for k in obs]
        pub = published.get((task, n), {})
        same = [pub[k] for k in obs if k in pub]
        allp = list(pub.values())
        mean = lambda v: sum(v) / len(v) if v else float("nan")
        print(f"| {task} | {n} | {','.join(map(str, obs))} | {mean(vals):.3f} ({min(vals):.3f}–{max(vals):.3f}) "
              f"| {mean(same):.3f} | {mean(allp):.3f} | {secs} | {epochs} |")
