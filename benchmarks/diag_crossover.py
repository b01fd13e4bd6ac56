"""Diagnostic: where does the per-protocol bias of the sequential trials under crossover come from?

In ``crossover_strong`` (80% of the scored-not-adopted adopted 30-240 days after scoring, IOM
theta 0.7) the sequential trials' per-protocol log hazard ratio is biased toward the null
(+0.098 +- 0.012 over 80 worlds at scale 0.1, decision 0406), although the later adoption is a
uniform draw, independent of covariates and outcomes. This script generates K seeded worlds of
a scenario, builds the IOM design exactly as ``bench_scenarios.analyse_designs`` does, and
estimates the log HR under variants that isolate the cause, each against a truth computed on
the same people:

- ``itt`` / ``pp``: the bench's intention to treat and per protocol (stabilised IPCW on the
  logit propensity), against the bench's truth (``att_truth`` over the matched treated, from
  their index date);
- ``pp_unstabilised``, ``pp_unweighted`` (censoring only), ``pp_interval_only`` (censoring
  model on the interval indicators only): the weights' part;
- ``drop_later_adopted``: no censoring; comparison rows of people adopted later dropped (in
  this generator the later adoption is a uniform draw, so this is a random subsample);
- ``oracle``: the comparisons' outcomes taken from the world without any programme (their
  never-adopted potential outcome, the per-protocol target) over the whole window, no
  censoring, no weights: the design's bias with a perfect protocol;
- ``truth_pipeline``: the matched treated only, their outcome with the programme against
  without (the world without programme), through the project's own outcome derivation and
  Cox model: the truth on the estimate's footing (a check of the truth's definition);
- each of these on three sets: ``all`` matched sets, ``round`` (sets whose treated was adopted
  in a scoring round) and ``late`` (sets whose treated is a later adoptee, i.e. a person who
  also has a pool row, whose time zero is the later adoption itself), the truth restricted to
  the same treated.

Worlds are generated once per (scenario, scale, seed) and cached (``--cache``), since the
generator dominates the time (about 100 s a world at scale 0.1 on the shared machine).

Run: PYTHONPATH=src nice -n 19 .venv/bin/python benchmarks/diag_crossover.py --n 12
  -> benchmarks/results/diag_crossover.json (code version, seeds, scale, per-world records,
  the summary) and the table on stdout.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_coverage import code_version

RESULTS = Path(__file__).resolve().parent / "results"
SETS = ("all", "round", "late")


def make_world(seed: int, scale: float, scenario: str, cache: Path) -> Path:
    """Generate the world once: the factual extract (``f``), the extract of the world without
    any programme (``z``: same people, same selections, untreated offending) and the
    potential-outcome histories for the truth (``po.pkl``)."""
    from evaluation import __version__
    from evaluation.synth import GENERATOR, SyntheticWorld, WorldParams, potential_worlds
    from evaluation.synth.tables import build_tables
    from evaluation.synth.world import CUTOFF

    out = cache / f"{scenario}_{scale:g}_{seed}"
    if (out / "po.pkl").exists():
        return out
    params = WorldParams()
    params = replace(params, n_people=int(round(params.n_people * scale)))
    pop, factual, hist1, hist0, selections = potential_worlds(seed, params, scenario)
    meta = {"data_cutoff": str(CUTOFF.date()), "synthetic": True, "generator": GENERATOR,
            "generator_version": __version__, "seed": int(seed), "scale": float(scale),
            "n_people_simulated": params.n_people, "scenario": scenario,
            "description": "SYNTHETIC diagnostic world"}
    from evaluation.synth import write_world
    untreated = {k: v for k, v in hist0.o.items() if k != "row"}
    for name, off in (("f", factual), ("z", untreated)):
        world = SyntheticWorld(build_tables(pop, off, selections), meta, {}, scale=scale)
        write_world(world, out / name)
    with (out / "po.pkl").open("wb") as fh:
        pickle.dump((pop, hist1, hist0), fh)
    return out


def _log_hr(df: pd.DataFrame, duration: str = "duration_days", event: str = "event",
            weights: str | None = "weight") -> float:
    """The bench's intention-to-treat hazard ratio (Cox, Efron ties), as a log; NaN if empty."""
    from evaluation.estimators.cox import cox_effect

    if df["treated"].nunique() < 2 or df[event].sum() == 0:
        return float("nan")
    table = cox_effect(df, duration_col=duration, event_col=event, treatment_col="treated",
                       weights_col=weights)
    return float(np.log(table.loc[table["term"] == "hazard_ratio", "estimate"].iloc[0]))


def _pp_log_hr(frame: pd.DataFrame, config, *, model: str = "propensity",
               stabilise: bool = True) -> float:
    """Per protocol as ``analysis.trials.counting_rows`` with the censoring weights varied:
    ``model`` "propensity" (the project's: intervals + logit propensity), "intervals"
    (interval indicators only) or "none" (weight 1: censoring only); ``stabilise``."""
    from evaluation.analysis.trials import adoption_censoring, censoring_covariates
    from evaluation.estimators.cox_counting import cox_counting_effect
    from evaluation.estimators.ipcw import censoring_weights

    df = adoption_censoring(frame).reset_index(drop=True)
    covariates = censoring_covariates(df, config) if model == "propensity" else []
    comp = df.loc[df["treated"] == 0]
    pi = censoring_weights(comp, duration_col="pp_duration", censor_col="censored_by_adoption",
                           covariates=covariates, stabilise=stabilise)
    pi["row"] = comp.index.to_numpy()[pi["row"].to_numpy()]
    if model == "none":
        pi["weight"] = 1.0
    treated = df.loc[df["treated"] == 1]
    tr = pd.DataFrame({"row": treated.index, "k": 0, "start": 0.0,
                       "stop": treated["pp_duration"].to_numpy(float), "weight": 1.0})
    rows = pd.concat([tr, pi[tr.columns]], ignore_index=True)
    last = rows.groupby("row")["k"].transform("max") == rows["k"]
    base = df.loc[rows["row"]]
    rows["pp_event"] = np.where(last, base["pp_event"].to_numpy(), 0)
    rows["treated"] = base["treated"].to_numpy()
    rows["w"] = base["weight"].to_numpy(float) * rows["weight"].to_numpy()
    rows = rows.loc[rows["stop"] > rows["start"]]
    if rows["pp_event"].sum() == 0 or rows["treated"].nunique() < 2:
        return float("nan")
    table = cox_counting_effect(rows, start_col="start", stop_col="stop", event_col="pp_event",
                                weights_col="w", cluster_col="row")
    return float(np.log(table.iloc[0]["estimate"]))


def _att_log_hr(po, treated: pd.DataFrame, theta: float) -> tuple[float, int]:
    """The bench's truth (``bench_scenarios._matched_truth``) over these treated rows."""
    from evaluation.synth.effects import att_truth
    from evaluation.synth.world import START

    pop, hist1, hist0 = po
    pid = treated["person_id"].str[1:].astype(np.int64).to_numpy() - 1
    day = (pd.to_datetime(treated["index_date"]) - START).dt.days.to_numpy(dtype=np.int64)
    t = att_truth(pop, hist1, hist0, pid, day, theta)
    return float(np.log(t["hazard_ratio"])), int(t["n_treated"])


def analyse_world(path: Path, theta: float) -> dict[str, Any]:
    """Every variant on every set of one cached world: log HRs and the truths, and counts."""
    from evaluation.analysis.derive import derive_analysis_outcomes
    from evaluation.analysis.trials import adoption_censoring, per_protocol_effects
    from evaluation.config import load_programme_config
    from evaluation.data.io import load_extract
    from evaluation.design.build import build_design

    ex1, ex0 = load_extract(path / "f"), load_extract(path / "z")
    with (path / "po.pkl").open("rb") as fh:
        po = pickle.load(fh)
    config = load_programme_config("iom")
    design = build_design(config, ex1)
    window = config.outcomes.window_days
    frame = derive_analysis_outcomes(design.analysis_set, ex1, config, window, attrition=None)
    frame0 = derive_analysis_outcomes(design.analysis_set, ex0, config, window, attrition=None)
    assert frame.index.equals(frame0.index)
    pool = ex1.tables["comparison_pool"]
    pooled = set(pool.loc[pool["programme"] == "iom", "person_id"])
    is_t = frame["treated"] == 1
    # a later adoptee is a treated person who also has a pool row (one crossing per person
    # without re-scoring: adopted in their round means no pool row)
    late_set = set(frame.loc[is_t & frame["person_id"].isin(pooled), "match_set"])
    kind = frame["match_set"].map(lambda s: "late" if s in late_set else "round")
    oracle = frame.copy()
    for col in ("duration_days", "event"):
        oracle.loc[~is_t, col] = frame0.loc[~is_t, col]
    later = frame["adopted_date"].notna() & ~is_t
    out: dict[str, Any] = {"n_treated": int(is_t.sum()),
                           "n_late_treated": int((is_t & (kind == "late")).sum()),
                           "n_comparison": int((~is_t).sum()),
                           "n_comparison_adopted_later": int(later.sum()),
                           "n_censored_by_adoption":
                               int(adoption_censoring(frame)["censored_by_adoption"].sum())}
    for s in SETS:
        m = (kind == s) if s != "all" else pd.Series(True, index=frame.index)
        f, f0, o = frame.loc[m], frame0.loc[m], oracle.loc[m]
        t1 = f.loc[f["treated"] == 1]
        att, n = _att_log_hr(po, t1, theta)
        stacked = pd.concat([t1.assign(treated=1), f0.loc[f0["treated"] == 1].assign(treated=0)])
        pp_table, _ = per_protocol_effects(f, config, "weight", "cluster")
        est = {
            "itt": _log_hr(f),
            "pp": float(np.log(pp_table.loc[pp_table["term"] == "hazard_ratio",
                                            "estimate"].iloc[0])),
            "pp_unstabilised": _pp_log_hr(f, config, stabilise=False),
            "pp_interval_only": _pp_log_hr(f, config, model="intervals"),
            "pp_unweighted": _pp_log_hr(f, config, model="none"),
            "drop_later_adopted": _log_hr(f.loc[~later.loc[m]]),
            "oracle": _log_hr(o),
            "truth_pipeline": _log_hr(stacked, weights=None),
        }
        out[s] = {"truth": att, "n_treated": n, "estimates": est,
                  "difference": _differences(f, f0)}
    out["round_design"] = _round_design(ex1, ex0, config, po, theta, pooled)
    return out


def _differences(f: pd.DataFrame, f0: pd.DataFrame) -> dict[str, float]:
    """Treated minus comparison means (design-weighted) of the selection score, recent
    offending and the untreated one-year reoffence (world without programme, complete
    read-outs): a prognostic imbalance the matching left."""
    w = f["weight"].to_numpy(float)
    t = (f["treated"] == 1).to_numpy()
    out = {}
    for col, frame in (("iom_selection_score", f), ("prior_proven_1y", f),
                       ("days_since_last_offence", f), ("reoffended", f0)):
        x = pd.to_numeric(frame[col], errors="coerce").to_numpy(float)
        ok = np.isfinite(x)
        out[col if frame is f else "untreated_reoffended"] = float(
            np.average(x[t & ok], weights=w[t & ok]) - np.average(x[~t & ok], weights=w[~t & ok]))
    return out


def _round_design(ex1, ex0, config, po, theta: float, pooled: set) -> dict[str, Any]:
    """The design without the later adoptees as treated: their episodes relabelled to another
    pillar, so they are not treated rows but still adoptions (contamination, per-protocol
    censoring). Propensity model and matching then see only scoring-round adoptions."""
    from evaluation.analysis.derive import derive_analysis_outcomes
    from evaluation.analysis.trials import per_protocol_effects
    from evaluation.design.build import build_design

    ep = ex1.tables["programme_episodes"]
    late = (ep["programme"] == "iom") & ep["person_id"].isin(pooled)
    tables = dict(ex1.tables)
    tables["programme_episodes"] = ep.assign(
        iom_pillar=ep["iom_pillar"].where(~late, "vulnerable"))
    ex = replace_tables(ex1, tables)
    design = build_design(config, ex)
    window = config.outcomes.window_days
    f = derive_analysis_outcomes(design.analysis_set, ex1, config, window, attrition=None)
    f0 = derive_analysis_outcomes(design.analysis_set, ex0, config, window, attrition=None)
    is_t = f["treated"] == 1
    o = f.copy()
    for col in ("duration_days", "event"):
        o.loc[~is_t, col] = f0.loc[~is_t, col]
    pp, _ = per_protocol_effects(f, config, "weight", "cluster")
    att, n = _att_log_hr(po, f.loc[is_t], theta)
    return {"truth": att, "n_treated": n, "difference": _differences(f, f0),
            "estimates": {"itt": _log_hr(f), "oracle": _log_hr(o),
                          "pp": float(np.log(pp.loc[pp["term"] == "hazard_ratio",
                                                    "estimate"].iloc[0])),
                          "pp_unweighted": _pp_log_hr(f, config, model="none")}}


def replace_tables(extract, tables: dict[str, pd.DataFrame]):
    """A copy of ``extract`` with other tables (nothing derived carried over)."""
    from dataclasses import replace as dc_replace

    return dc_replace(extract, tables=tables, derived={})


def summarise(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Mean bias (estimate - truth, log HR) and its Monte Carlo SE per set and variant."""
    rows = []
    for s in (*SETS, "round_design"):
        variants = records[0][s]["estimates"].keys()
        for v in variants:
            err = np.array([r[s]["estimates"][v] - r[s]["truth"] for r in records], float)
            err = err[np.isfinite(err)]
            rows.append({"set": s, "variant": v, "worlds": int(err.size),
                         "bias": float(err.mean()) if err.size else float("nan"),
                         "mc_se": float(err.std(ddof=1) / np.sqrt(err.size))
                         if err.size > 1 else float("nan")})
        tr = np.array([r[s]["truth"] for r in records], float)
        rows.append({"set": s, "variant": "(truth, mean log HR)", "worlds": int(tr.size),
                     "bias": float(np.nanmean(tr)), "mc_se": float("nan")})
        for k in records[0][s]["difference"]:
            d = np.array([r[s]["difference"][k] for r in records], float)
            rows.append({"set": s, "variant": f"(treated - comparison: {k})",
                         "worlds": int(d.size), "bias": float(np.nanmean(d)),
                         "mc_se": float(np.nanstd(d, ddof=1) / np.sqrt(d.size))
                         if d.size > 1 else float("nan")})
    return pd.DataFrame(rows)


def main() -> None:
    from evaluation.synth.programmes import THETA
    from evaluation.synth.scenarios import get_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=12, help="worlds (seeds first..first+n-1)")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--scenario", default="crossover_strong")
    ap.add_argument("--cache", type=Path,
                    default=Path(tempfile.gettempdir()) / "diag_crossover_worlds")
    ap.add_argument("--out", type=Path, default=RESULTS / "diag_crossover.json")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    theta = float(get_scenario(args.scenario).theta_for("iom", THETA["iom"]))
    seeds = list(range(args.first_seed, args.first_seed + args.n))
    args.cache.mkdir(parents=True, exist_ok=True)
    records, t0 = [], time.perf_counter()
    for seed in seeds:
        t = time.perf_counter()
        try:
            rec = analyse_world(make_world(seed, args.scale, args.scenario, args.cache), theta)
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            print(f"seed {seed}: failed ({type(exc).__name__}: {exc})", flush=True)
            continue
        records.append({"seed": seed, **rec})
        print(f"seed {seed} done ({time.perf_counter() - t:.0f} s; treated {rec['n_treated']}, "
              f"late {rec['n_late_treated']})", flush=True)
    summary = summarise(records)
    result = {"description": __doc__.splitlines()[0], "scenario": args.scenario,
              "scale": args.scale, "seeds": seeds, "theta": theta,
              "code_version": code_version(), "date": time.strftime("%Y-%m-%d"),
              "wall_seconds": round(time.perf_counter() - t0, 1),
              "summary": json.loads(summary.to_json(orient="records")), "records": records}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    with pd.option_context("display.width", 120, "display.float_format", "{:+.3f}".format):
        print(summary.to_string(index=False))


if __name__ == "__main__":
    main()
