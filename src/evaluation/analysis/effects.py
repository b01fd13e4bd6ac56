"""Every outcome's effect on one analysis set: one row per registered measure.

The rows follow the outcome registry (``outcomes/registry.py``): each measure names the
estimator family that produces it and the term read from that family's tidy table. The
pre-declared headline is marked and one measure per other question is Holm-adjusted
(``analysis/multiplicity.py``). Every row carries its sample's group sizes and events and the
Justice Data Lab gate (at least 60 people and 30 people reoffending in each group), below which
the report must not make a significance statement (decision 0404).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evaluation.analysis.multiplicity import holm_by_question
from evaluation.analysis.reasons import exclusion_row
from evaluation.config import ProgrammeConfig
from evaluation.estimators.binary import binary_effect
from evaluation.estimators.counts import count_effect
from evaluation.estimators.cox import cox_effect
from evaluation.estimators.means import mean_difference
from evaluation.estimators.rmst import rmst_effect
from evaluation.outcomes.registry import MEASURES

JDL_MIN_PEOPLE = 60  # per group: the Justice Data Lab's minimum
JDL_MIN_EVENTS = 30  # per group: people with a proven reoffence (fewer: unreliable rates)


def pick_estimate(table: pd.DataFrame, term: str, outcome: str) -> dict[str, Any]:
    """One measure's row (``outcome``) read from its estimator's tidy table (``term``)."""
    row = table.loc[table["term"] == term].iloc[0]
    p = float(row["p_value"])
    if np.isnan(p) and float(row["estimate"]) == 0.0 and float(row["std_error"]) == 0.0:
        p = 1.0  # nobody in either group has the outcome (e.g. no custody): nothing to test
    return {"outcome": outcome, "term": term, "estimate": float(row["estimate"]),
            "std_error": float(row["std_error"]), "lower": float(row["lower"]),
            "upper": float(row["upper"]), "p_value": p,
            "method": str(row["method"]), "n": int(row["n"])}


def frequency_effect(df: pd.DataFrame, weights: str | None, cluster: str | None) -> pd.DataFrame:
    """Rate ratio of proven reoffences per day at liberty: negative binomial, else Poisson.

    The negative binomial (dispersion estimated) is preferred; when there is no overdispersion
    it does not converge (or, with a handful of people, its Hessian is singular), and the
    Poisson model with a robust interval is the right model.
    """
    try:
        return count_effect(df, outcome_col="n_reoffences", treatment_col="treated",
                            exposure_col="days_at_risk", model="negative_binomial",
                            weights_col=weights, cluster_col=cluster)
    except (RuntimeError, np.linalg.LinAlgError):  # LinAlgError: too few people to fit alpha
        return count_effect(df, outcome_col="n_reoffences", treatment_col="treated",
                            exposure_col="days_at_risk", model="poisson",
                            weights_col=weights, cluster_col=cluster)


def _exclusions(analysis: pd.DataFrame, complete: pd.DataFrame,
                config: ProgrammeConfig) -> pd.DataFrame:
    """Counts of people left out of particular analyses, per group, with the reason."""
    treated, comparison = analysis["treated"] == 1, analysis["treated"] == 0
    late = ~analysis["eligible_for_readout"]
    in_custody = complete["days_at_risk"] <= 0
    return pd.DataFrame([
        exclusion_row("readout_incomplete", (treated & late).sum(), (comparison & late).sum(),
                      window_days=config.outcomes.window_days),
        exclusion_row("no_time_at_risk", ((complete["treated"] == 1) & in_custody).sum(),
                      ((complete["treated"] == 0) & in_custody).sum()),
    ])


def estimate_effects(analysis: pd.DataFrame, config: ProgrammeConfig, weights: str | None,
                     cluster: str | None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every outcome's effect on one analysis set: the headline and the secondaries."""
    complete = analysis.loc[analysis["eligible_for_readout"].astype(bool)].copy()
    for group, label in ((1, "programme"), (0, "comparison")):
        if not (complete["treated"] == group).any():
            o = config.outcomes
            raise ValueError(
                f"nobody in the {label} group has a complete {o.window_days}-day read-out: the "
                f"window plus the {o.waiting_days}-day waiting period runs past the data cut-off "
                f"for all {int((analysis['treated'] == group).sum())} of them; shorten "
                "outcomes.window_days (or outcomes.waiting_days) or use a later extract")
    complete["reoffended"] = complete["reoffended"].astype(int)
    complete["n_reoffences"] = complete["n_reoffences"].astype(int)
    complete["custody_sentence"] = complete["custody_sentence"].astype(int)
    tau = float(config.outcomes.window_days)
    # Frequency is a rate per day at liberty: people in custody for the whole window have no
    # time at risk and carry no information about the rate (counted in ``exclusions``).
    at_liberty = complete.loc[complete["days_at_risk"] > 0]
    # The JDL frequency: reoffences per 100 people, everyone with a complete read-out.
    per_100 = complete.assign(n_reoffences_per_100=100 * complete["n_reoffences"])
    details = {
        "binary": binary_effect(complete, outcome_col="reoffended", treatment_col="treated",
                                weights_col=weights, cluster_col=cluster),
        "frequency_per_100": mean_difference(per_100, outcome_col="n_reoffences_per_100",
                                             treatment_col="treated", weights_col=weights,
                                             cluster_col=cluster),
        "frequency": frequency_effect(at_liberty, weights, cluster),
        "cox": cox_effect(analysis, duration_col="duration_days", event_col="event",
                          treatment_col="treated", weights_col=weights,
                          cluster_col=cluster, set_col=set_cluster(analysis, config, cluster)),
        "rmst": rmst_effect(analysis, duration_col="duration_days", event_col="event",
                            treatment_col="treated", tau=tau,
                            weights_col=weights, cluster_col=cluster),
        "cost": mean_difference(complete, outcome_col="cost", treatment_col="treated",
                                weights_col=weights, cluster_col=cluster),
        "custody": binary_effect(complete, outcome_col="custody_sentence",
                                 treatment_col="treated", weights_col=weights,
                                 cluster_col=cluster),
    }
    table = pd.DataFrame([pick_estimate(details[m.family], m.term, m.key) for m in MEASURES])
    table["measures"] = [m.measures for m in MEASURES]
    table["null"] = [m.null for m in MEASURES]
    table = holm_by_question(table, headline=config.headline)
    details["exclusions"] = _exclusions(analysis, complete, config)
    table["n_events_treated"] = int(complete.loc[complete["treated"] == 1, "reoffended"].sum())
    samples = {"frequency": (at_liberty, "reoffended"), "cox": (analysis, "event"),
               "rmst": (analysis, "event"), "custody": (complete, "custody_sentence")}
    gates = pd.DataFrame([jdl_gate(*samples.get(m.family, (complete, "reoffended")))
                          for m in MEASURES])
    return pd.concat([table, gates], axis=1), details


def set_cluster(frame: pd.DataFrame, config: ProgrammeConfig, cluster: str | None) -> str | None:
    """The hazard ratio's second clustering (two-way, decision 0406): the matched set, when
    sequential trials are matched without replacement and a person recurs (the cluster is then
    the person, ``design.build.cluster_column``). Other estimators stay one-way."""
    design = config.design
    if (cluster is None or design.emulation != "sequential" or design.method != "matching"
            or design.replace or "match_set" not in frame.columns
            or not frame["person_id"].duplicated().any()):
        return None
    return "match_set"


def jdl_gate(sample: pd.DataFrame, event_col: str) -> dict[str, Any]:
    """Group sizes and events of one estimate's sample, and whether the JDL minimum is met."""
    treated = sample["treated"] == 1
    events = sample[event_col].astype(int)
    row = {"n_treated": int(treated.sum()), "n_comparison": int((~treated).sum()),
           "events_treated": int(events[treated].sum()),
           "events_comparison": int(events[~treated].sum())}
    row["jdl_minimum_met"] = bool(
        min(row["n_treated"], row["n_comparison"]) >= JDL_MIN_PEOPLE
        and min(row["events_treated"], row["events_comparison"]) >= JDL_MIN_EVENTS)
    return row


def numeric_covariates(frame: pd.DataFrame, config: ProgrammeConfig) -> list[str]:
    """Covariates usable as numbers in an outcome model (categories become indicators)."""
    return independent_numeric(frame, config.covariates.include, config.covariates.categorical)


def independent_numeric(frame: pd.DataFrame, covariates: list[str],
                        categorical: list[str]) -> list[str]:
    """``numeric_covariates`` for any covariate list: the numeric, non-constant, linearly
    independent ones, in the order given."""
    cols = [c for c in covariates
            if c not in categorical
            and pd.api.types.is_numeric_dtype(frame[c])
            and frame[c].nunique(dropna=True) > 1]  # a constant adds nothing and is collinear
    # keep a linearly independent set (in config order): e.g. prior_custody can be implied by
    # other columns in a small analysis set
    kept: list[str] = []
    for c in cols:
        trial = np.column_stack([np.ones(len(frame)), frame[kept + [c]].to_numpy(dtype=float)])
        if np.linalg.matrix_rank(trial) == trial.shape[1]:
            kept.append(c)
    return kept
