"""Apply the issue-13 sensitivity and competing-risks methods to the shipped synthetic data.

Run: ``.venv/bin/python benchmarks/bench_methods_synthetic.py [--data data/synthetic]``.
For each programme: the matched design's Rosenbaum bounds (binary one-year reoffending, number
of reoffences, who reoffended first), Aalen-Johansen CIF of a proven reoffence with death as the
competing event at 365 days, and the Fine-Gray subdistribution HR; for IOM also the event-study
DiD of monthly offence rates (+-24 months) and the placebo index date. Each of these is the
library's own step (``evaluation.analysis.robustness``, what the report shows); the benchmark adds
the bounds at more Gammas, Gray's test, the deaths and the event study's panel size. Numbers
describe SYNTHETIC data; results go to benchmarks/results/methods_synthetic.json (``--out``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.analysis.programme import evaluate_programme
from evaluation.analysis.robustness import (
    competing_risks_tables,
    event_study_tables,
    one_to_one_pairs,
    rosenbaum_table,
)
from evaluation.config import load_programme_config
from evaluation.data.io import load_extract
from evaluation.design.build import build_design
from evaluation.estimators.competing_risks import competing_status, gray_test
from evaluation.estimators.event_study import person_months
from evaluation.estimators.rosenbaum import (
    binary_pair_bounds,
    pair_differences,
    signed_rank_bounds,
    survival_pair_bounds,
)

RESULTS = Path(__file__).resolve().parent / "results" / "methods_synthetic.json"
GAMMAS = [1.0, 1.25, 1.5, 2.0]


def _p_upper(bounds: pd.DataFrame) -> dict:
    return dict(zip(map(str, GAMMAS), bounds["p_value"].round(6), strict=True))


def rosenbaum_summary(analysis: pd.DataFrame, programme: str) -> dict:
    """The report's Rosenbaum table (``analysis.robustness``), plus the bounds at more Gammas."""
    table = rosenbaum_table(analysis, programme=programme)
    binary, count, first = (table.iloc[i] for i in range(3))
    pairs = one_to_one_pairs(analysis)
    # the pairs whose two members both have a complete read-out, as rosenbaum_table selects them
    complete = pairs.loc[pairs.groupby("match_set")["eligible_for_readout"].transform(
        lambda s: bool(s.astype(bool).all())).astype(bool)]
    b = binary_pair_bounds(complete.assign(reoffended=complete["reoffended"].astype(int)),
                           pair_col="match_set", outcome_col="reoffended", gammas=GAMMAS)
    w = signed_rank_bounds(
        pair_differences(complete, pair_col="match_set", outcome_col="n_reoffences"), GAMMAS)
    s = survival_pair_bounds(pairs, pair_col="match_set", duration_col="duration_days",
                             event_col="event", gammas=GAMMAS)
    return {"n_pairs": int(first["n_pairs"]),
            "n_pairs_complete_readout": int(binary["n_pairs"]),
            "binary": {"discordant": int(binary["n_informative"]),
                       "favouring_programme": int(b["estimate"].iloc[0]), "p_upper": _p_upper(b),
                       "sensitivity_value": round(float(binary["sensitivity_value"]), 4),
                       "sentence": binary["sentence"]},
            "count_signed_rank": {"method": w["method"].iloc[0], "p_upper": _p_upper(w),
                                  "sensitivity_value": round(float(count["sensitivity_value"]),
                                                             4)},
            "who_first": {"informative_pairs": int(first["n_informative"]),
                          "comparison_first": int(s["estimate"].iloc[0]), "p_upper": _p_upper(s),
                          "sensitivity_value": round(float(first["sensitivity_value"]), 4)}}


def competing_summary(analysis: pd.DataFrame) -> dict:
    """The report's competing-risks tables at 365 days, plus Gray's test and the deaths."""
    tables = competing_risks_tables(analysis, horizon=365.0)
    ci, diff, fg = tables["cumulative_incidence"], tables["cif_difference"], tables["fine_gray"]
    a = analysis.assign(status=competing_status(analysis))
    gray = gray_test(a, duration_col="duration_days", event_col="status")
    deaths = {label: int((a.loc[a["treated"] == g, "status"] == 2).sum())
              for label, g in [("programme", 1), ("comparison", 0)]}
    return {"cif_365": ci[["group", "cause", "estimate", "lower", "upper"]].round(4)
            .to_dict("records"),
            "deaths": deaths,
            "cif_difference_365": diff[["estimate", "lower", "upper", "p_value"]].round(4)
            .to_dict("records")[0],
            "gray_test_unweighted": {"chi2": round(float(gray["estimate"].iloc[0]), 4),
                                     "p": round(float(gray["p_value"].iloc[0]), 4)},
            "fine_gray_unweighted": fg[["term", "hazard_ratio", "hr_lower", "hr_upper",
                                        "p_value"]].round(4).to_dict("records")}


def iom_event_study(extract, analysis: pd.DataFrame) -> dict:
    """The report's event study and placebo index date (``analysis.robustness``)."""
    tables = event_study_tables(extract, analysis)
    coef, pretrend = tables["event_study"], tables["pretrend"]
    return {"n_people": int(coef["n"].iloc[0]),
            "n_person_months": _n_person_months(extract, analysis),
            "pretrend_chi2": round(float(pretrend["estimate"].iloc[0]), 3),
            "pretrend_p": float(pretrend["p_value"].iloc[0]),
            "average_post": tables["average_post"][["estimate", "lower", "upper"]].round(4)
            .to_dict("records")[0],
            "coef_m24_m12_m2_0_12_23": coef.set_index("rel_month")
            .loc[[-24, -12, -2, 0, 12, 23], "estimate"].round(4).to_dict(),
            "placebo_12m": tables["placebo"][["estimate", "lower", "upper", "p_value"]].round(4)
            .to_dict("records")[0]}


def _n_person_months(extract, analysis: pd.DataFrame) -> int:
    """Size of the event study's panel, which ``event_study_tables`` does not return: the same
    ``person_months`` call on the same index (the one step this benchmark still repeats)."""
    index = analysis[["person_id", "treated", "index_date"]].drop_duplicates("person_id")
    index = index.merge(extract.tables["people"][["person_id", "date_of_death"]], how="left")
    return len(person_months(index, extract.tables["offences"], data_cutoff=extract.data_cutoff,
                             end_date_col="date_of_death"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/synthetic")
    parser.add_argument("--programmes", nargs="*",
                        default=["iom", "new_chance", "princes_trust", "conditional_caution"])
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    extract = load_extract(args.data)
    results = {"data": args.data, "synthetic": bool(extract.is_synthetic)}
    for name in args.programmes:
        t0 = time.perf_counter()
        config = load_programme_config(name)
        ev = evaluate_programme(config, extract, build_design(config, extract))
        analysis = ev.analysis
        entry = {"rosenbaum": rosenbaum_summary(analysis, config.programme),
                 "competing_risks": competing_summary(analysis)}
        if name == "iom":
            entry["event_study"] = iom_event_study(extract, analysis)
        entry["seconds"] = round(time.perf_counter() - t0, 1)
        results[name] = entry
        print(name, json.dumps(entry, indent=1, default=float))
    Path(args.out).write_text(json.dumps(results, indent=1, default=float) + "\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
