"""Apply the issue-13 sensitivity and competing-risks methods to the shipped synthetic data.

Run: ``.venv/bin/python benchmarks/bench_methods_synthetic.py [--data data/synthetic]``.
For each programme: the matched design's Rosenbaum bounds (binary one-year reoffending, number
of reoffences, who reoffended first), Aalen-Johansen CIF of a proven reoffence with death as the
competing event at 365 days, and the Fine-Gray subdistribution HR; for IOM also the event-study
DiD of monthly offence rates (+-24 months) and the placebo index date. Numbers describe
SYNTHETIC data; results go to benchmarks/results/methods_synthetic.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.analysis.programme import evaluate_programme
from evaluation.config import load_programme_config
from evaluation.data.io import load_extract
from evaluation.design.build import build_design
from evaluation.estimators.competing_risks import (
    cif_difference,
    competing_status,
    cumulative_incidence,
    gray_test,
)
from evaluation.estimators.event_study import event_study, person_months
from evaluation.estimators.fine_gray import fine_gray
from evaluation.estimators.negative_control import placebo_index_date
from evaluation.estimators.rosenbaum import (
    binary_pair_bounds,
    pair_differences,
    sensitivity_sentence,
    sensitivity_value,
    sign_test_bound,
    signed_rank_bounds,
    survival_pair_bounds,
)

RESULTS = Path(__file__).resolve().parent / "results" / "methods_synthetic.json"
GAMMAS = [1.0, 1.25, 1.5, 2.0]


def _pairs(analysis: pd.DataFrame) -> pd.DataFrame:
    """Keep 1:1 matched sets (one programme, one comparison member)."""
    sizes = analysis.groupby("match_set")["treated"].agg(["size", "sum"])
    ok = sizes.index[(sizes["size"] == 2) & (sizes["sum"] == 1)]
    return analysis[analysis["match_set"].isin(ok)]


def rosenbaum_summary(analysis: pd.DataFrame, programme: str) -> dict:
    pairs = _pairs(analysis)
    complete = pairs.groupby("match_set").filter(
        lambda g: g["eligible_for_readout"].astype(bool).all())
    out = {"n_pairs": int(pairs["match_set"].nunique()),
           "n_pairs_complete_readout": int(complete["match_set"].nunique())}
    b = binary_pair_bounds(complete.assign(reoffended=complete["reoffended"].astype(int)),
                           pair_col="match_set", outcome_col="reoffended", gammas=GAMMAS)
    d_inf, d_fav = int(b["n_informative"].iloc[0]), int(b["estimate"].iloc[0])
    g_bin = sensitivity_value(lambda g: sign_test_bound(d_inf, d_fav, g))
    out["binary"] = {"discordant": d_inf, "favouring_programme": d_fav,
                     "p_upper": dict(zip(map(str, GAMMAS), b["p_value"].round(6), strict=True)),
                     "sensitivity_value": round(g_bin, 4),
                     "sentence": sensitivity_sentence(g_bin, programme=programme)}
    d = pair_differences(complete, pair_col="match_set", outcome_col="n_reoffences")
    w = signed_rank_bounds(d, GAMMAS)
    g_w = sensitivity_value(lambda g: signed_rank_bounds(d, [g])["p_value"].iloc[0])
    out["count_signed_rank"] = {"method": w["method"].iloc[0],
                                "p_upper": dict(zip(map(str, GAMMAS), w["p_value"].round(6),
                                                    strict=True)),
                                "sensitivity_value": round(g_w, 4)}
    s = survival_pair_bounds(pairs, pair_col="match_set", duration_col="duration_days",
                             event_col="event", gammas=GAMMAS)
    s_inf, s_fav = int(s["n_informative"].iloc[0]), int(s["estimate"].iloc[0])
    g_s = sensitivity_value(lambda g: sign_test_bound(s_inf, s_fav, g))
    out["who_first"] = {"informative_pairs": s_inf, "comparison_first": s_fav,
                        "p_upper": dict(zip(map(str, GAMMAS), s["p_value"].round(6),
                                            strict=True)),
                        "sensitivity_value": round(g_s, 4)}
    return out


def competing_summary(analysis: pd.DataFrame) -> dict:
    a = analysis.assign(status=competing_status(analysis))
    ci = cumulative_incidence(a, duration_col="duration_days", event_col="status",
                              weights_col="weight", cluster_col="cluster", times=[365])
    diff = cif_difference(a, duration_col="duration_days", event_col="status", times=[365],
                          weights_col="weight", cluster_col="cluster")
    gray = gray_test(a, duration_col="duration_days", event_col="status")
    fg = fine_gray(a, duration_col="duration_days", event_col="status")
    km_note = {}
    for label, g in [("programme", 1), ("comparison", 0)]:
        sub = a[a["treated"] == g]
        km_note[label] = int((sub["status"] == 2).sum())
    return {"cif_365": ci[["group", "cause", "estimate", "lower", "upper"]].round(4)
            .to_dict("records"),
            "deaths": km_note,
            "cif_difference_365": diff[["estimate", "lower", "upper", "p_value"]].round(4)
            .to_dict("records")[0],
            "gray_test_unweighted": {"chi2": round(float(gray["estimate"].iloc[0]), 4),
                                     "p": round(float(gray["p_value"].iloc[0]), 4)},
            "fine_gray_unweighted": fg[["term", "hazard_ratio", "hr_lower", "hr_upper",
                                        "p_value"]].round(4).to_dict("records")}


def iom_event_study(extract, analysis: pd.DataFrame) -> dict:
    t = extract.tables
    off = t["offences"]
    index = analysis[["person_id", "treated", "index_date"]].drop_duplicates("person_id")
    index = index.merge(t["people"][["person_id", "date_of_death"]], how="left")
    pm = person_months(index, off, data_cutoff=extract.data_cutoff, end_date_col="date_of_death")
    res = event_study(pm)
    row, _ = placebo_index_date(pm)
    return {"n_people": int(index.shape[0]), "n_person_months": int(len(pm)),
            "pretrend_chi2": round(float(res.pretrend["estimate"].iloc[0]), 3),
            "pretrend_p": float(res.pretrend["p_value"].iloc[0]),
            "average_post": res.average_post[["estimate", "lower", "upper"]].round(4)
            .to_dict("records")[0],
            "coef_m24_m12_m2_0_12_23": res.coefficients.set_index("rel_month")
            .loc[[-24, -12, -2, 0, 12, 23], "estimate"].round(4).to_dict(),
            "placebo_12m": row[["estimate", "lower", "upper", "p_value"]].round(4)
            .to_dict("records")[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/synthetic")
    parser.add_argument("--programmes", nargs="*",
                        default=["iom", "new_chance", "princes_trust", "conditional_caution"])
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
    RESULTS.write_text(json.dumps(results, indent=1, default=float) + "\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
