"""Benchmark: each wrapped model step against the bare library call it wraps, at 1,000,000 rows.

Steps (issue 12, item 3), each timed paired in one run (ours and the bare call alternate, the
order swapped every repeat, after one untimed call of each), medians of ``--repeats``:
- Cox (Efron ties, 12 terms: the treatment and 11 covariates), model-based variance:
  ``cox_effect`` against ``lifelines.CoxPHFitter().fit``;
- the same with weights and cluster-robust SEs (matched sets of 2): ``cox_effect(weights_col=,
  cluster_col=)`` against the weighted ``CoxPHFitter().fit`` it wraps (lifelines' own
  ``robust=True`` took over 90 s at this size and is not what we wrap: see decision 0102);
- Kaplan-Meier by group: ``KaplanMeierByGroup`` against one ``lifelines.KaplanMeierFitter().fit``
  per group, unweighted (Greenwood) and weighted with clusters as the reports use it (our step
  then adds the cluster-robust IJ variance, which lifelines does not compute);
- the propensity model (logistic, 11 covariates): ``PropensityModel.fit`` against
  ``statsmodels.Logit(t, X).fit(method="newton", tol=1e-10)`` on a design matrix built with numpy.
The bare calls are given exactly the arrays they need (no checks, no copies of our own). Each
step also checks that ours and the bare call agree (coefficients, survival) before timing counts.

Run: PYTHONPATH=src python benchmarks/bench_model_steps.py  -> benchmarks/results/model_steps.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

COVARIATES = ["age", "priors", "prior_custody", "male", "year", "days_since_last", "violent",
              "drug", "breach", "young", "employment"]


def make_data(n: int, seed: int) -> pd.DataFrame:
    """n people: treatment, 11 covariates, daily survival times to 365 with ties, weights, sets."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 60, n).round(1)
    priors = rng.poisson(3, n)
    cols = {
        "age": age, "priors": priors,
        "prior_custody": rng.binomial(1, 0.2, n), "male": rng.binomial(1, 0.8, n),
        "year": rng.integers(2014, 2020, n), "days_since_last": rng.exponential(200, n).round(),
        "violent": rng.binomial(1, 0.3, n), "drug": rng.binomial(1, 0.25, n),
        "breach": rng.binomial(1, 0.1, n), "young": (age < 25).astype(int),
        "employment": rng.binomial(1, 0.4, n),
    }
    lin = -2.0 + 0.6 * cols["prior_custody"] + 0.08 * priors - 0.02 * (age - 30)
    treated = rng.binomial(1, 1 / (1 + np.exp(-lin)))
    hazard = 0.002 * np.exp(0.1 * priors - 0.01 * (age - 30) - 0.2 * treated)
    t = rng.exponential(1 / hazard)
    return pd.DataFrame({
        "treated": treated, **cols,
        "duration_days": np.ceil(np.minimum(t, 365.0)), "event": (t <= 365).astype(int),
        "weight": np.where(treated == 1, 1.0, rng.choice([0.5, 1.0, 2.0], n)),
        "match_set": np.arange(n) // 2,
    })


# --------------------------------------------------------------------------- the steps
def cox_ours(df, robust):
    from evaluation.estimators.cox import cox_effect

    kw = {"weights_col": "weight", "cluster_col": "match_set"} if robust else {}
    out = cox_effect(df, duration_col="duration_days", event_col="event",
                     treatment_col="treated", covariates=COVARIATES, **kw)
    return np.log(out["estimate"].to_numpy())


def cox_bare(df, robust):
    from lifelines import CoxPHFitter

    cols = ["duration_days", "event", "treated", *COVARIATES] + (["weight"] if robust else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter().fit(df[cols], "duration_days", "event",
                                weights_col="weight" if robust else None)
    return cph.params_.to_numpy()


def km_ours(df, weighted=True):
    from evaluation.estimators.kaplan_meier import KaplanMeierByGroup

    kw = {"weights_col": "weight", "cluster_col": "match_set"} if weighted else {}
    km = KaplanMeierByGroup(**kw).fit(df, duration_col="duration_days", event_col="event",
                                      treatment_col="treated")
    tab = km.survival_table_
    return tab.loc[tab["group"] == 1, "survival"].to_numpy()


def km_bare(df, weighted=True):
    from lifelines import KaplanMeierFitter

    t, e, w, g = (df[c].to_numpy() for c in ("duration_days", "event", "weight", "treated"))
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for value in (0, 1):
            m = g == value
            out[value] = KaplanMeierFitter().fit(t[m], e[m], weights=w[m] if weighted else None)
    return out[1].survival_function_.iloc[1:, 0].to_numpy()


def ps_ours(df):
    from evaluation.design.propensity import PropensityModel

    return PropensityModel(covariates=COVARIATES).fit(df, treatment_col="treated").coef_.to_numpy()


def ps_bare(df):
    import statsmodels.api as sm

    X = np.column_stack([np.ones(len(df)), df[COVARIATES].to_numpy(dtype=float)])
    res = sm.Logit(df["treated"].to_numpy(), X).fit(method="newton", maxiter=100, tol=1e-10,
                                                    disp=False)
    return np.asarray(res.params)


STEPS = {
    "cox_efron_12_terms": (lambda d: cox_ours(d, False), lambda d: cox_bare(d, False),
                           "cox_effect vs lifelines CoxPHFitter.fit"),
    "cox_efron_12_terms_weighted_cluster_robust": (
        lambda d: cox_ours(d, True), lambda d: cox_bare(d, True),
        "cox_effect(weights, cluster-robust) vs weighted lifelines CoxPHFitter.fit"),
    "kaplan_meier_by_group": (
        lambda d: km_ours(d, False), lambda d: km_bare(d, False),
        "KaplanMeierByGroup (Greenwood) vs lifelines KaplanMeierFitter x 2"),
    "kaplan_meier_by_group_weighted_clustered": (
        km_ours, km_bare,
        "KaplanMeierByGroup (weights, cluster-robust IJ variance) vs weighted lifelines "
        "KaplanMeierFitter x 2 (naive variance only)"),
    "propensity_logistic_11_covariates": (
        ps_ours, ps_bare, "PropensityModel.fit vs statsmodels Logit newton tol 1e-10"),
}


def _timed(fn, df):
    t0 = time.perf_counter()
    value = fn(df)
    return time.perf_counter() - t0, value


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import lifelines
    import statsmodels

    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpu": model, "cores": os.cpu_count(),
            "load_average_1min_at_start": round(os.getloadavg()[0], 1), "numpy": np.__version__,
            "pandas": pd.__version__, "lifelines": lifelines.__version__,
            "statsmodels": statsmodels.__version__}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--steps", nargs="*", default=list(STEPS))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "model_steps.json"))
    ap.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                    help="skip the untimed first call of each (before 2026-12-03 there was none)")
    ap.add_argument("--merge", action="store_true",
                    help="replace only the steps run in an existing --out (same --n and --seed); "
                         "each step keeps the date of its own run")
    args = ap.parse_args()

    df = make_data(args.n, args.seed)
    results = {}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    for name in args.steps:
        ours, bare, what = STEPS[name]
        load = round(os.getloadavg()[0], 1)
        times = {"ours": [], "bare": []}
        agreement = None
        if args.warm_up:  # imports and first allocations are not the step's cost
            ours(df), bare(df)
        for rep in range(args.repeats):
            order = ("ours", "bare") if rep % 2 == 0 else ("bare", "ours")
            values = {}
            for who in order:
                sec, values[who] = _timed(ours if who == "ours" else bare, df)
                times[who].append(round(sec, 3))
            a, b = np.asarray(values["ours"], float), np.asarray(values["bare"], float)
            # largest difference relative to the largest value (a coefficient near 0 would make
            # an element-wise relative difference meaningless)
            agreement = float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
        med = {k: statistics.median(v) for k, v in times.items()}
        results[name] = {"what": what, "date": now, "load_average_1min_at_start": load,
                         "warm_up_call": args.warm_up, "repeats": args.repeats,
                         "seconds_ours": times["ours"],
                         "seconds_bare": times["bare"], "median_ours": med["ours"],
                         "median_bare": med["bare"],
                         "ratio_ours_to_bare": round(med["ours"] / med["bare"], 3),
                         "max_difference_relative_to_max": agreement}
        print(f"{name}: ours {med['ours']:.2f} s, bare {med['bare']:.2f} s, "
              f"ratio {med['ours'] / med['bare']:.2f}, agree to {agreement:.1e}", flush=True)
    out = {"date": now, "n_rows": args.n,
           "n_events": int(df["event"].sum()), "n_unique_times": int(df["duration_days"].nunique()),
           "repeats": args.repeats, "seed": args.seed, "machine": machine(), "steps": results}
    if args.merge and Path(args.out).exists():
        old = json.loads(Path(args.out).read_text())
        if (old["n_rows"], old["seed"]) != (args.n, args.seed):
            raise SystemExit(f"--merge: {args.out} is for n={old['n_rows']}, seed={old['seed']}")
        for r in old["steps"].values():
            r.setdefault("date", old["date"])
            r.setdefault("repeats", old["repeats"])
        out["steps"] = {**old["steps"], **results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"written {args.out}\n\n{markdown(out)}")


def markdown(out: dict) -> str:
    """The table for benchmarks/README.md (each step dated: ``--merge`` reruns some steps only)."""
    lines = [f"{out['n_rows']:,} rows, {out['n_events']:,} events, {out['n_unique_times']} distinct "
             f"times; medians of each step's repeats, paired in one run; "
             f"{out['machine']['cpu']}, {out['machine']['cores']} cores.", "",
             "| step | run (UTC), repeats | ours (s) | bare library call (s) | ours / bare "
             "| max difference / max |",
             "|---|---|---|---|---|---|"]
    for name, r in out["steps"].items():
        lines.append(f"| {name} ({r['what']}) | {r.get('date', out['date'])}, "
                     f"{r.get('repeats', out['repeats'])} "
                     f"| {r['median_ours']:.2f} | {r['median_bare']:.2f} "
                     f"| {r['ratio_ours_to_bare']:.2f} | {r['max_difference_relative_to_max']:.0e} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
