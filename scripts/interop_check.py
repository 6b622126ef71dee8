"""Checks flowpost run folders against the Python readers of CmdStan CSV (issue 15).

    python interop_check.py cmdstanpy RUN_DIR...   (ArviZ 1.x + CmdStanPy 1.x)
    python interop_check.py arviz023 RUN_DIR...    (ArviZ 0.23's from_cmdstan)
    python interop_check.py zarr RUN_DIR...        (ArviZ 1.x on the folder's draws.zarr)

cmdstanpy: `cmdstanpy.from_csv` must accept the chain files as a CmdStanMCMC whose step sizes
and inverse mass matrices are the CSV's adaptation block; `arviz.from_cmdstanpy` then
`arviz.summary(kind="diagnostics")` must give summary.json's R-hat, bulk ESS and MCSE of the mean,
and `arviz_stats`'s tail ESS at the 5% and 95% quantiles (ArviZ 1.x's summary takes its tail
quantiles from ci_prob instead) summary.json's tail ESS. arviz023: `arviz.from_cmdstan` and its
summary must give all four. zarr: `xarray.open_datatree(RUN_DIR/draws.zarr, engine="zarr")` must
open the store without a warning, hold ArviZ's groups, dims and sample_stats (as many divergences
as summary.json), and `arviz.summary` + `arviz_stats` must give the four as for cmdstanpy. Agreement means |ours − theirs| ≤ 1e-6 (NaN only against NaN).
Prints the largest differences; exits 1 on any mismatch or reader error.
"""

import glob
import json
import logging
import math
import os
import re
import sys

TOL = 1e-6
QUANTITIES = ("r_hat", "ess_bulk", "ess_tail", "mcse_mean")


def chain_files(run_dir):
    files = glob.glob(os.path.join(run_dir, "chain_*.csv"))
    files.sort(key=lambda f: int(re.search(r"chain_(\d+)\.csv$", f).group(1)))
    if not files:
        raise SystemExit(f"interop_check: no chain_*.csv in {run_dir}")
    return files


def adaptation_block(path):
    """(step size, inverse mass matrix diagonal) as written in one of our chain files."""
    step, inv = None, None
    with open(path) as f:
        lines = [ln.rstrip("\n") for ln in f]
    for i, ln in enumerate(lines):
        if ln.startswith("# Step size = "):
            step = float(ln.split(" = ")[1])
        if ln == "# Diagonal elements of inverse mass matrix:":
            inv = [float(v) for v in lines[i + 1].lstrip("# ").split(",")]
    if step is None or inv is None:
        raise SystemExit(f"interop_check: {path} has no complete adaptation block")
    return step, inv


def split_name(name):
    """`theta[1]` → ("theta", (0,)); `Sigma[1,2]` → ("Sigma", (0, 1)); `mu` → ("mu", ())."""
    m = re.fullmatch(r"([^\[]+)\[([0-9, ]+)\]", name)
    if not m:
        return name, ()
    return m.group(1), tuple(int(i) - 1 for i in m.group(2).split(","))


def arviz_label(name):
    base, idx = split_name(name)
    return f"{base}[{', '.join(map(str, idx))}]" if idx else base


def differs(a, b):
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        both_nan = (a is None or math.isnan(a)) and (b is None or math.isnan(b))
        return (0.0, False) if both_nan else (math.inf, True)
    d = abs(a - b)
    return d, d > TOL


def theirs_cmdstanpy(run_dir, files, num_params):
    import arviz as az
    import cmdstanpy
    import numpy as np

    if hasattr(cmdstanpy, "disable_logging"):
        cmdstanpy.disable_logging()
    else:
        logging.getLogger("cmdstanpy").setLevel(logging.ERROR)
    fit = cmdstanpy.from_csv(files)
    if type(fit).__name__ != "CmdStanMCMC":
        raise SystemExit(f"interop_check: cmdstanpy.from_csv({run_dir}) gave {type(fit).__name__}")
    # The adaptation block, as CmdStanPy parsed it.
    for k, path in enumerate(files):
        step, inv = adaptation_block(path)
        if fit.step_size[k] != step or list(fit.inv_metric[k]) != inv:
            raise SystemExit(
                f"interop_check: CmdStanPy read {path}'s adaptation block as step size "
                f"{fit.step_size[k]}, inverse metric {list(fit.inv_metric[k])}; "
                f"the file says {step}, {inv}"
            )
    if fit.metric_type != "diag_e" or np.shape(fit.inv_metric)[1] != len(inv):
        raise SystemExit(f"interop_check: CmdStanPy's metric {fit.metric_type} {np.shape(fit.inv_metric)}")
    idata = az.from_cmdstanpy(fit)
    get = arviz1_getter(idata, num_params)
    return get, f"cmdstanpy {cmdstanpy.__version__} + arviz {az.__version__}"


def arviz1_getter(tree, num_params):
    """name → our four quantities as ArviZ 1.x computes them on a DataTree's posterior."""
    import arviz as az
    from arviz_stats.base import array_stats

    summary = az.summary(tree, kind="diagnostics", round_to="none")
    posterior = tree["posterior"]

    def get(name):
        label = arviz_label(name)
        row = summary.loc[label]
        base, idx = split_name(name)
        x = posterior[base].values[(slice(None), slice(None)) + idx]
        tail = float(array_stats.ess(x, method="tail", prob=(0.05, 0.95), chain_axis=0, draw_axis=1))
        return {
            "r_hat": float(row["r_hat"]),
            "ess_bulk": float(row["ess_bulk"]),
            "ess_tail": tail,
            "mcse_mean": float(row["mcse_mean"]),
        }

    if len(summary) != num_params:
        raise SystemExit(f"interop_check: ArviZ summarised {len(summary)} parameters, we {num_params}")
    return get


def theirs_zarr(run_dir, files, num_params):
    import warnings

    import arviz as az
    import numpy as np
    import xarray as xr
    import zarr

    path = os.path.join(run_dir, "draws.zarr")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. xarray's "no consolidated metadata" warning
        tree = xr.open_datatree(path, engine="zarr")
    want = {"posterior", "sample_stats"}
    if not want <= set(tree.children):
        raise SystemExit(f"interop_check: {path} has groups {sorted(tree.children)}, not {sorted(want)}")
    stats = tree["sample_stats"]
    kinds = {"lp": "f", "acceptance_rate": "f", "step_size": "f", "energy": "f",
             "tree_depth": "i", "n_steps": "i", "diverging": "b"}
    for var, kind in kinds.items():
        if var not in stats or stats[var].dtype.kind != kind or stats[var].dims != ("chain", "draw"):
            raise SystemExit(f"interop_check: {path} sample_stats/{var} missing or not ({kind}, chain, draw)")
    for group in (tree["posterior"], stats):
        if list(group["chain"].values) != list(range(len(files))):
            raise SystemExit(f"interop_check: {path} chain coordinate {group['chain'].values}")
    with open(os.path.join(run_dir, "summary.json")) as f:
        divergences = json.load(f)["run"]["num_divergent"]
    if int(np.sum(stats["diverging"].values)) != divergences:
        raise SystemExit(f"interop_check: {path} has {int(np.sum(stats['diverging'].values))} divergences, "
                         f"summary.json {divergences}")
    return arviz1_getter(tree, num_params), f"xarray {xr.__version__} + zarr {zarr.__version__} + arviz {az.__version__}"


def theirs_arviz023(run_dir, files, num_params):
    import arviz as az

    idata = az.from_cmdstan(posterior=files)
    summary = az.summary(idata, kind="diagnostics", round_to="none")
    attrs = idata.posterior.attrs
    for key in ("step_size", "inverse_mass_matrix"):
        if key not in attrs:
            raise SystemExit(f"interop_check: ArviZ {az.__version__} found no {key} in {run_dir}")
    if len(summary) != num_params:
        raise SystemExit(f"interop_check: ArviZ summarised {len(summary)} parameters, we {num_params}")

    def get(name):
        row = summary.loc[arviz_label(name)]
        return {q: float(row[q]) for q in QUANTITIES}

    return get, f"arviz {az.__version__} from_cmdstan"


def main():
    readers = {"cmdstanpy": theirs_cmdstanpy, "arviz023": theirs_arviz023, "zarr": theirs_zarr}
    if len(sys.argv) < 3 or sys.argv[1] not in readers:
        raise SystemExit(__doc__)
    reader = readers[sys.argv[1]]
    failures = []
    for run_dir in sys.argv[2:]:
        with open(os.path.join(run_dir, "summary.json")) as f:
            ours = json.load(f)["parameters"]
        files = chain_files(run_dir)
        get, what = reader(run_dir, files, len(ours))
        worst = {q: 0.0 for q in QUANTITIES}
        for p in ours:
            theirs = get(p["name"])
            for q in QUANTITIES:
                d, bad = differs(p[q], theirs[q])
                worst[q] = max(worst[q], d)
                if bad:
                    failures.append(f"{run_dir} {p['name']} {q}: ours {p[q]}, {what} {theirs[q]}")
        cells = ", ".join(f"{q} {worst[q]:.1e}" for q in QUANTITIES)
        print(f"{os.path.basename(run_dir)}: {len(files)} chains, {len(ours)} parameters, "
              f"{what}: max |diff| {cells}")
    if failures:
        print(f"interop_check: {len(failures)} mismatches beyond {TOL}:", file=sys.stderr)
        for line in failures[:40]:
            print("  " + line, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
