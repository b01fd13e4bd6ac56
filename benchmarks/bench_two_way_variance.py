"""The sequential design's hazard-ratio variances over scenario worlds (decision 0406).

Per world (IOM, sequential trials, scale 0.05): the log hazard ratio and its standard error by
each variance: intention to treat one-way (person, or matched set if nobody recurs) and two-way
(person and matched set, where a person recurs); per protocol with lifelines' robust variance
(the code before estimators/cox_counting.py), our counting-process sandwich one-way, and two-way.
Summarised per scenario: mean SE against the empirical SD of the log HR across worlds, and the
coverage of the planted effect over the treated matched (bench_scenarios._matched_truth).

Run from the project root (1 worker, about 5 s a world):
  .venv/bin/python benchmarks/bench_two_way_variance.py --n 50 > benchmarks/results/two_way_variance.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

SCENARIOS = ("default", "crossover", "rescoring")
Z = 1.959963984540054


def _lifelines_se(rows: pd.DataFrame, cluster: str) -> float:
    from lifelines import CoxPHFitter

    fit = CoxPHFitter().fit(rows[["start", "stop", "pp_event", "treated", "w", cluster]],
                            duration_col="stop", event_col="pp_event", entry_col="start",
                            weights_col="w", robust=True, cluster_col=cluster)
    return float(fit.standard_errors_["treated"])


def analyse_world(scenario: str, seed: int, scale: float) -> dict:
    from bench_scenarios import _matched_truth

    from evaluation.analysis.derive import derive_analysis_outcomes
    from evaluation.analysis.effects import set_cluster
    from evaluation.analysis.trials import counting_rows
    from evaluation.config import load_programme_config
    from evaluation.data.io import load_extract
    from evaluation.design.build import build_design
    from evaluation.estimators.cox import cox_effect
    from evaluation.estimators.cox_counting import cox_counting_effect
    from evaluation.synth import generate, write_world

    world = generate(seed, scale=scale, scenario=scenario)
    config = load_programme_config("iom")
    with tempfile.TemporaryDirectory() as tmp:
        write_world(world, tmp)
        extract = load_extract(tmp)
    design = build_design(config, extract)
    frame = derive_analysis_outcomes(design.analysis_set, extract, config, 365, attrition=None)
    set_col = set_cluster(frame, config, "cluster")
    truth = _matched_truth(seed, scale, scenario)(frame.loc[frame["treated"] == 1],
                                                  float(world.truth["programmes"]["iom"]["theta"]))
    out = {"scenario": scenario, "seed": seed, "truth_log_hr": float(np.log(truth["hazard_ratio"])),
           "recurring": bool(set_col), "n_rows": len(frame),
           "n_people_recurring": int(frame["person_id"].duplicated().sum())}
    kw = {"duration_col": "duration_days", "event_col": "event", "weights_col": "weight",
          "cluster_col": "cluster"}
    itt = {"one_way": cox_effect(frame, **kw).iloc[0]}
    if set_col:
        itt["two_way"] = cox_effect(frame, **kw, set_col=set_col).iloc[0]
    out["itt_log_hr"] = float(np.log(itt["one_way"]["estimate"]))
    for name, row in itt.items():
        out[f"itt_{name}_se"] = float(row["std_error"])
    rows = counting_rows(frame, config, "weight", "cluster").rows
    rows = rows.loc[rows["stop"] > rows["start"]]
    ck = {"start_col": "start", "stop_col": "stop", "event_col": "pp_event", "weights_col": "w",
          "cluster_col": "cluster"}
    pp = cox_counting_effect(rows, **ck).iloc[0]
    out["pp_log_hr"] = float(np.log(pp["estimate"]))
    out["pp_one_way_se"] = float(pp["std_error"])
    out["pp_lifelines_se"] = _lifelines_se(rows, "cluster")
    if set_col:
        out["pp_two_way_se"] = float(cox_counting_effect(rows, **ck, set_col=set_col)
                                     .iloc[0]["std_error"])
    return out


def summarise(records: list[dict]) -> list[dict]:
    df = pd.DataFrame(records)
    summary = []
    for scenario, g in df.groupby("scenario", sort=False):
        for analysis in ("itt", "pp"):
            sd = float(g[f"{analysis}_log_hr"].std(ddof=1))
            for variance in ("one_way", "two_way", "lifelines"):
                col = f"{analysis}_{variance}_se"
                if col not in g:
                    continue
                # worlds without a recurring person have no two-way: their one-way stands in
                se = g[col].fillna(g[f"{analysis}_one_way_se"]) if variance == "two_way" else g[col]
                est = g[f"{analysis}_log_hr"]
                covered = ((est - Z * se <= g["truth_log_hr"]) & (g["truth_log_hr"] <= est + Z * se))
                summary.append({"scenario": scenario, "analysis": analysis, "variance": variance,
                                "n_worlds": len(g), "n_worlds_recurring": int(g["recurring"].sum()),
                                "mean_se": float(se.mean()), "empirical_sd": sd,
                                "se_sd_ratio": float(se.mean() / sd), "coverage": float(covered.mean())})
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="worlds per scenario (seeds 1..n)")
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS))
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.time()
    records, failed = [], []
    for seed in range(1, args.n + 1):
        for scenario in args.scenarios:
            try:
                records.append(analyse_world(scenario, seed, args.scale))
            except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
                failed.append({"scenario": scenario, "seed": seed, "error": str(exc)[:300]})
            print(scenario, seed, f"{time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    from bench_coverage import code_version

    print(json.dumps({"description": __doc__.splitlines()[0], "code_version": code_version(),
                      "date": time.strftime("%Y-%m-%d"), "scale": args.scale,
                      "seeds": [1, args.n], "seconds": round(time.time() - t0, 1),
                      "summary": summarise(records), "failed": failed, "records": records},
                     indent=1))


if __name__ == "__main__":
    main()
