"""One programme evaluation, end to end: cohort, design, outcomes, estimates.

``evaluate_programme`` is what the report notebook calls. It chains the tested pieces in the
order an evaluator would defend: the comparison group is built and its balance and power are
judged *before* any outcome is derived; then the outcomes are derived for the analysis set and
every estimator runs on it. The result keeps every intermediate table, so the report can show
the flow, and ``results_dict`` gives the numbers that go into ``results.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.cohort.build import Cohort, build_cohort
from evaluation.config import ProgrammeConfig
from evaluation.data.io import Extract
from evaluation.design.balance import balance_status, balance_table, common_support
from evaluation.design.matching import NearestNeighbourMatcher
from evaluation.design.power import minimum_detectable_effect, minimum_detectable_hazard_ratio
from evaluation.design.propensity import PropensityModel
from evaluation.design.weighting import IPTWeighter
from evaluation.estimators.binary import binary_effect
from evaluation.estimators.counts import count_effect
from evaluation.estimators.cox import cox_effect, ph_check
from evaluation.estimators.doubly_robust import adjusted_effect
from evaluation.estimators.kaplan_meier import KaplanMeierByGroup
from evaluation.estimators.logrank import logrank
from evaluation.estimators.means import mean_difference
from evaluation.estimators.multiplicity import adjust_secondaries
from evaluation.estimators.rmst import rmst_effect
from evaluation.estimators.sensitivity import e_value
from evaluation.outcomes import before_during, derive_outcomes

STAGE_DESIGN = "comparison group"
STAGE_READOUT = "read-out"

# (headline key, estimator output term, what the estimate measures, null value)
OUTCOME_TERMS = {
    "reoffended_rd": ("risk_difference", "difference in the share reoffending", 0.0),
    "reoffended_rr": ("relative_risk", "ratio of the shares reoffending", 1.0),
    "n_reoffences_rr": ("rate_ratio", "ratio of proven reoffence rates", 1.0),
    "time_to_reoffence_hr": ("hazard_ratio", "hazard ratio for a first proven reoffence", 1.0),
    "rmst_diff": ("rmst_difference", "difference in mean days free of proven reoffending", 0.0),
    "cost_diff": ("mean_difference", "difference in cost of proven reoffending per person", 0.0),
}


@dataclass
class ProgrammeEvaluation:
    """Everything one evaluation produced; tables are tidy frames, ready for the report."""

    config: ProgrammeConfig
    synthetic: bool
    data_cutoff: pd.Timestamp
    cohort: Cohort
    attrition: Attrition
    design_frame: pd.DataFrame  # every eligible person with propensity, weight, match_set
    analysis: pd.DataFrame  # the analysis set (weight > 0) with outcome columns
    propensity: PropensityModel
    design_summary: dict[str, Any]
    balance_before: pd.DataFrame
    balance_after: pd.DataFrame
    support: pd.DataFrame
    power: pd.DataFrame
    estimates: pd.DataFrame  # one row per outcome: headline + Holm-adjusted secondaries
    details: dict[str, pd.DataFrame]  # every estimator's full tidy table
    unadjusted: pd.DataFrame  # the naive comparison of the whole eligible pool
    km: KaplanMeierByGroup
    readouts: pd.DataFrame
    ph: Any
    sensitivity: pd.Series
    before_during: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def headline(self) -> pd.Series:
        return self.estimates.loc[self.estimates["role"] == "headline"].iloc[0]

    @property
    def balance_failed(self) -> list[str]:
        failed = self.balance_after.loc[self.balance_after["status"] == "fail"]
        return _labels(failed)

    @property
    def balance_flagged(self) -> list[str]:
        flagged = self.balance_after.loc[self.balance_after["status"] == "flag"]
        return _labels(flagged)


def _labels(table: pd.DataFrame) -> list[str]:
    level = table["level"].astype(str)
    return [c if lv in ("", "nan") else f"{c} = {lv}" for c, lv in zip(table["covariate"], level,
                                                                       strict=True)]


MERGED_LEVEL = "other (merged: too few in one group)"
MIN_LEVEL_COUNT = 5


def _sparse_levels(values: pd.Series, treated: pd.Series, min_count: int) -> list[str]:
    counts = pd.crosstab(values, treated)
    for group in (0, 1):
        if group not in counts.columns:
            counts[group] = 0
    return counts.index[(counts[0] < min_count) | (counts[1] < min_count)].tolist()


def merge_sparse_levels(frame: pd.DataFrame, categorical: list[str],
                        min_count: int = MIN_LEVEL_COUNT) -> tuple[pd.DataFrame, dict]:
    """Merge category levels held by fewer than ``min_count`` people in either group.

    A level seen in only one group has no counterpart to balance against and makes the
    propensity model separate (its coefficient runs to infinity). Such levels are pooled into
    one level, and the merge is reported, so nobody is dropped for an unusual category.
    """
    frame = frame.copy()
    merged: dict[str, list[str]] = {}
    for col in categorical:
        values = frame[col].astype(str)
        sparse = _sparse_levels(values, frame["treated"], min_count)
        if not sparse:
            continue
        values = values.where(~values.isin(sparse), MERGED_LEVEL)
        if MERGED_LEVEL in _sparse_levels(values, frame["treated"], min_count):
            # still too few in one group once pooled: fold into the most common level
            common = values.loc[values != MERGED_LEVEL].value_counts().index[0]
            values = values.replace(MERGED_LEVEL, common)
            sparse = [*sparse, f"(pooled into {common})"]
        frame[col] = values
        merged[col] = sorted(sparse)
    return frame, merged


def _propensity(frame: pd.DataFrame, config: ProgrammeConfig) -> PropensityModel:
    categorical = [c for c in config.covariates.categorical if c in config.covariates.include]
    numeric = [c for c in config.covariates.include if c not in categorical]
    model = PropensityModel(covariates=numeric, categorical=categorical)
    return model.fit(frame, treatment_col="treated")


def _design(frame: pd.DataFrame, config: ProgrammeConfig, attrition: Attrition
            ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Weights and matched sets: matching (default) or inverse probability weighting."""
    design = config.design
    frame = frame.copy()
    if design.trim:
        outside = (frame["propensity"] < design.trim) | (frame["propensity"] > 1 - design.trim)
        frame = attrition.exclude(
            frame, outside, f"propensity outside [{design.trim:g}, {1 - design.trim:g}]",
            STAGE_DESIGN)
    if design.method == "matching":
        matcher = NearestNeighbourMatcher(caliper=design.caliper, ratio=design.ratio,
                                          replace=design.replace, exact=tuple(design.exact))
        matcher.fit(frame, propensity_col="propensity", treatment_col="treated",
                    attrition=attrition)
        out = matcher.transform(frame)
        summary = {"method": "matching", "caliper_sd": design.caliper, "ratio": design.ratio,
                   "replace": design.replace, "exact": list(design.exact),
                   "caliper_logit": float(matcher.caliper_) if matcher.caliper_ else None,
                   "n_treated_matched": int(out.loc[out["treated"] == 1, "matched"].sum()),
                   "n_treated_unmatched": int(len(matcher.unmatched_)),
                   "n_comparison_used": int(((out["treated"] == 0) & (out["weight"] > 0)).sum())}
        # A person can only be in one matched set without replacement; with replacement the
        # person is the cluster (a comparison person reused across sets).
        out["cluster"] = out["match_set"] if not design.replace else out["person_id"]
    else:
        weighter = IPTWeighter(estimand=design.estimand, stabilise=True).fit(
            frame, propensity_col="propensity", treatment_col="treated")
        out = weighter.transform(frame)
        out["matched"] = True
        out["match_set"] = pd.NA
        out["cluster"] = out["person_id"]
        ess = weighter.summary_
        summary = {"method": "weighting", "estimand": design.estimand,
                   "effective_sample_size": {str(k): float(v) for k, v in
                                             weighter.ess_.items()} if isinstance(
                                                 weighter.ess_, dict) else weighter.ess_,
                   "weights": ess.to_dict(orient="records")}
    return out, summary


def _balance(frame: pd.DataFrame, config: ProgrammeConfig, weights: str | None) -> pd.DataFrame:
    table = balance_table(frame, config.covariates.include, treatment_col="treated",
                          weights=weights, categorical=config.covariates.categorical)
    b = config.balance
    return balance_status(table, ok=b.smd_good, fail=b.smd_fail,
                          variance_ratio_range=(b.variance_ratio_min, b.variance_ratio_max))


def _power(analysis: pd.DataFrame, config: ProgrammeConfig) -> pd.DataFrame:
    """Minimum detectable effects for the achieved group sizes, from the planning rate only."""
    n1 = int((analysis["treated"] == 1).sum())
    n0 = int(((analysis["treated"] == 0) & (analysis["weight"] > 0)).sum())
    rate = config.power.baseline_rate
    mde = minimum_detectable_effect(n1, n0, rate, alpha=config.power.alpha,
                                    power=config.power.power)
    mde.insert(0, "measure", "reoffending rate")
    mdhr = minimum_detectable_hazard_ratio(n=n1 + n0, event_probability=rate,
                                           allocation=n1 / (n1 + n0), alpha=config.power.alpha,
                                           power=config.power.power)
    mdhr.insert(0, "measure", "hazard ratio")
    out = pd.concat([mde, mdhr], ignore_index=True)
    out["n_treated"], out["n_comparison"], out["baseline_rate"] = n1, n0, rate
    return out


def _outcomes(frame: pd.DataFrame, extract: Extract, config: ProgrammeConfig,
              window_days: int, attrition: Attrition | None) -> pd.DataFrame:
    o = config.outcomes
    return derive_outcomes(frame, extract.tables["offences"], extract.tables["people"],
                           extract.data_cutoff, window_days=window_days,
                           waiting_days=o.waiting_days, custody=o.custody, too_late="keep",
                           attrition=attrition, prepared=extract.prepared_offences())


def _pick(table: pd.DataFrame, term: str, outcome: str) -> dict[str, Any]:
    row = table.loc[table["term"] == term].iloc[0]
    return {"outcome": outcome, "term": term, "estimate": float(row["estimate"]),
            "std_error": float(row["std_error"]), "lower": float(row["lower"]),
            "upper": float(row["upper"]), "p_value": float(row["p_value"]),
            "method": str(row["method"]), "n": int(row["n"])}


def frequency_effect(df: pd.DataFrame, weights: str | None, cluster: str | None) -> pd.DataFrame:
    """Rate ratio of proven reoffences per day at liberty: negative binomial, else Poisson.

    The negative binomial (dispersion estimated) is preferred; when there is no overdispersion
    it does not converge, and the Poisson model with a robust interval is the right model.
    """
    try:
        return count_effect(df, "n_reoffences", "treated", exposure="days_at_risk",
                            model="negative_binomial", weights=weights, cluster=cluster)
    except RuntimeError:
        return count_effect(df, "n_reoffences", "treated", exposure="days_at_risk",
                            model="poisson", weights=weights, cluster=cluster)


def estimate_effects(analysis: pd.DataFrame, config: ProgrammeConfig, weights: str | None,
                     cluster: str | None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every outcome's effect on one analysis set: the headline and the secondaries."""
    complete = analysis.loc[analysis["eligible_for_readout"].astype(bool)].copy()
    complete["reoffended"] = complete["reoffended"].astype(int)
    complete["n_reoffences"] = complete["n_reoffences"].astype(int)
    tau = float(config.outcomes.window_days)
    # Frequency is a rate per day at liberty: people in custody for the whole window have no
    # time at risk and carry no information about the rate (counted in ``exclusions``).
    at_liberty = complete.loc[complete["days_at_risk"] > 0]
    details = {
        "binary": binary_effect(complete, "reoffended", "treated", weights=weights,
                                cluster=cluster),
        "frequency": frequency_effect(at_liberty, weights, cluster),
        "cox": cox_effect(analysis, "duration_days", "event", "treated", weights_col=weights,
                          cluster_col=cluster),
        "rmst": rmst_effect(analysis, "duration_days", "event", "treated", tau=tau,
                            weights_col=weights, cluster_col=cluster),
        "cost": mean_difference(complete, "cost", "treated", weights=weights, cluster=cluster),
    }
    source = {"reoffended_rd": "binary", "reoffended_rr": "binary",
              "n_reoffences_rr": "frequency", "time_to_reoffence_hr": "cox",
              "rmst_diff": "rmst", "cost_diff": "cost"}
    rows = [_pick(details[source[key]], OUTCOME_TERMS[key][0], key) for key in OUTCOME_TERMS]
    table = pd.DataFrame(rows)
    table["measures"] = [OUTCOME_TERMS[k][1] for k in table["outcome"]]
    table["null"] = [OUTCOME_TERMS[k][2] for k in table["outcome"]]
    table = adjust_secondaries(table, headline=config.headline)
    details["exclusions"] = pd.DataFrame([
        {"analysis": "reoffending rate, frequency and cost",
         "reason": f"index date too late for the {config.outcomes.window_days}-day read-out "
                   "(kept in the survival analysis, censored)",
         "treated": int(((analysis["treated"] == 1) & ~analysis["eligible_for_readout"]).sum()),
         "comparison": int(((analysis["treated"] == 0) & ~analysis["eligible_for_readout"]).sum())},
        {"analysis": "frequency",
         "reason": "in custody for the whole follow-up (no time at risk)",
         "treated": int(((complete["treated"] == 1) & (complete["days_at_risk"] <= 0)).sum()),
         "comparison": int(((complete["treated"] == 0) & (complete["days_at_risk"] <= 0)).sum())},
    ])
    table["n_events_treated"] = int(complete.loc[complete["treated"] == 1, "reoffended"].sum())
    return table, details


def _readouts(frame: pd.DataFrame, extract: Extract, config: ProgrammeConfig,
              weights: str | None, cluster: str | None) -> pd.DataFrame:
    """Hazard ratio and reoffending rates at each read-out: earlier answers, valid under censoring."""
    rows = []
    for window in config.outcomes.readouts:
        out = _outcomes(frame, extract, config, window, attrition=None)
        hr = cox_effect(out, "duration_days", "event", "treated", weights_col=weights,
                        cluster_col=cluster).iloc[0]
        complete = out.loc[out["eligible_for_readout"].astype(bool)]
        row = {"window_days": window, "hazard_ratio": hr["estimate"], "hr_lower": hr["lower"],
               "hr_upper": hr["upper"], "hr_p_value": hr["p_value"],
               "n_events": int(out["event"].sum()), "n_complete": int(len(complete))}
        if complete["treated"].nunique() == 2 and complete["reoffended"].sum() > 0:
            b = binary_effect(complete.assign(reoffended=complete["reoffended"].astype(int)),
                              "reoffended", "treated", weights=weights,
                              cluster=cluster).set_index("term")
            row.update(risk_treated=b.loc["risk_treated", "estimate"],
                       risk_comparison=b.loc["risk_comparison", "estimate"],
                       risk_difference=b.loc["risk_difference", "estimate"],
                       rd_lower=b.loc["risk_difference", "lower"],
                       rd_upper=b.loc["risk_difference", "upper"])
        rows.append(row)
    return pd.DataFrame(rows)


def _sensitivity(estimates: pd.DataFrame, analysis: pd.DataFrame) -> pd.Series:
    """E-value for the headline on the risk-ratio scale (hazard and rate ratios converted)."""
    head = estimates.loc[estimates["role"] == "headline"].iloc[0]
    prevalence = float(analysis.loc[analysis["treated"] == 0, "event"].mean())
    measure = {"time_to_reoffence_hr": "HR", "n_reoffences_rr": "RR", "reoffended_rr": "RR"}
    key = head["outcome"]
    if key in measure:
        return e_value(head["estimate"], head["lower"], head["upper"], measure=measure[key],
                       outcome_prevalence=prevalence)
    if key == "reoffended_rd":
        rr = estimates.loc[estimates["outcome"] == "reoffended_rr"].iloc[0]
        return e_value(rr["estimate"], rr["lower"], rr["upper"], measure="RR")
    hr = estimates.loc[estimates["outcome"] == "time_to_reoffence_hr"].iloc[0]
    return e_value(hr["estimate"], hr["lower"], hr["upper"], measure="HR",
                   outcome_prevalence=prevalence)


def _before_during(analysis: pd.DataFrame, treated_all: pd.DataFrame, extract: Extract,
                   weights: str, cluster: str | None) -> dict[str, pd.DataFrame]:
    """IDIOM-style before/during figures, and what the matched comparison group changes.

    The naive table uses every eligible participant (as the board papers do); the
    difference-in-differences uses the matched analysis set.
    """
    from evaluation.estimators.did import did_before_during
    from evaluation.outcomes import before_during_table

    offences, people = extract.tables["offences"], extract.tables["people"]
    prepared = extract.prepared_offences()
    everyone = before_during(treated_all[["person_id", "index_date", "treated"]], offences,
                             people, extract.data_cutoff, prepared=prepared)
    everyone = everyone.loc[everyone["days_during"] > 0]
    per_person = before_during(analysis[["person_id", "index_date", "treated", weights]
                                        + ([cluster] if cluster else [])],
                               offences, people, extract.data_cutoff, prepared=prepared)
    per_person = per_person.loc[per_person["days_during"] > 0]
    groups = before_during_table(per_person.assign(
        group=np.where(per_person["treated"] == 1, "programme", "comparison")), by="group")
    did = did_before_during(per_person, "offences_before_pa", "offences_during_pa", "treated",
                            weights=weights, cluster=cluster)
    return {"idiom_table": before_during_table(everyone), "by_group": groups, "did": did}


class _DesignReplicate:
    """Re-run the whole design (propensity model and matching) on one bootstrap sample and
    return the matched hazard ratio and risk difference. A class, so worker processes can
    pickle it."""

    def __init__(self, config: ProgrammeConfig) -> None:
        self.config = config

    def __call__(self, sample: pd.DataFrame) -> dict[str, float]:
        sample, _ = merge_sparse_levels(sample.reset_index(drop=True),
                                        list(self.config.covariates.categorical))
        model = _propensity(sample, self.config)
        sample["propensity"] = model.propensity_.to_numpy()
        out, _ = _design(sample, self.config, Attrition(group_col="group"))
        matched = out.loc[out["weight"] > 0]
        hr = cox_effect(matched, "duration_days", "event", "treated", weights_col="weight",
                        cluster_col="cluster").iloc[0]["estimate"]
        complete = matched.loc[matched["eligible_for_readout"].astype(bool)]
        w = complete["weight"].to_numpy(dtype=float)
        y = complete["reoffended"].to_numpy(dtype=float)
        t = complete["treated"].to_numpy() == 1
        rd = np.average(y[t], weights=w[t]) - np.average(y[~t], weights=w[~t])
        return {"hazard_ratio": float(hr), "risk_difference": float(rd)}


def bootstrap_design(design: Design, extract: Extract, config: ProgrammeConfig,
                     n_resamples: int | None = None, n_jobs: int = 2):
    """Percentile bootstrap of the whole design, matching included, resampling people.

    Outcomes do not depend on the design, so they are derived once for every eligible person;
    each replicate refits the propensity model and re-matches. Seeded by the configuration.
    """
    from evaluation.estimators.bootstrap import bootstrap

    design_cols = ["propensity", "weight", "match_set", "matched", "cluster"]
    frame = design.frame.drop(columns=[c for c in design_cols if c in design.frame.columns])
    frame = _outcomes(frame, extract, config, config.outcomes.window_days, attrition=None)
    return bootstrap(_DesignReplicate(config), frame,
                     n_resamples or config.bootstrap.n_resamples, seed=config.seed,
                     cluster_col="person_id", n_jobs=n_jobs, on_error="nan")


@dataclass
class Design:
    """The comparison group, built and judged before any outcome is looked at."""

    cohort: Cohort
    frame: pd.DataFrame  # every eligible person with propensity, weight, match_set, cluster
    propensity: PropensityModel
    summary: dict[str, Any]
    balance_before: pd.DataFrame
    balance_after: pd.DataFrame
    support: pd.DataFrame
    power: pd.DataFrame

    @property
    def analysis_set(self) -> pd.DataFrame:
        return self.frame.loc[self.frame["weight"] > 0]


def build_design(config: ProgrammeConfig, extract: Extract) -> Design:
    """Cohort, propensity model, matching or weighting, balance and power; no outcomes."""
    cohort = build_cohort(extract.tables, extract.data_cutoff, config)
    frame, merged = merge_sparse_levels(cohort.frame.reset_index(drop=True),
                                        list(config.covariates.categorical))
    model = _propensity(frame, config)
    frame["propensity"] = model.propensity_.to_numpy()
    design_frame, summary = _design(frame, config, cohort.attrition)
    summary["merged_levels"] = merged
    # comparison people no treated person resembles (fitted propensity ~0): never matched
    summary["n_propensity_near_zero"] = model.n_extreme_
    return Design(
        cohort=cohort, frame=design_frame, propensity=model, summary=summary,
        balance_before=_balance(design_frame, config, weights=None),
        balance_after=_balance(design_frame, config, weights="weight"),
        support=common_support(design_frame, "propensity", "treated"),
        power=_power(design_frame.loc[design_frame["weight"] > 0], config))


def evaluate_programme(config: ProgrammeConfig, extract: Extract,
                       design: Design | None = None) -> ProgrammeEvaluation:
    """Run one programme's evaluation on an extract (already validated)."""
    design = design or build_design(config, extract)
    attrition = design.cohort.attrition
    weights, cluster = "weight", "cluster"
    analysis = _outcomes(design.analysis_set, extract, config, config.outcomes.window_days,
                         attrition=attrition)
    estimates, details = estimate_effects(analysis, config, weights, cluster)
    everyone = _outcomes(design.frame, extract, config, config.outcomes.window_days,
                         attrition=None)
    unadjusted, _ = estimate_effects(everyone, config, weights=None, cluster=None)
    km = KaplanMeierByGroup(weights_col=weights, cluster_col=cluster).fit(
        analysis, "duration_days", "event", "treated")
    details["logrank"] = logrank(analysis, "duration_days", "event", "treated",
                                 weights_col=weights, cluster_col=cluster)
    ph = ph_check(analysis, "duration_days", "event", "treated", weights_col=weights,
                  cluster_col=cluster)
    complete = analysis.loc[analysis["eligible_for_readout"].astype(bool)]
    details["adjusted"] = adjusted_effect(
        complete.assign(reoffended=complete["reoffended"].astype(int)), "reoffended", "treated",
        covariates=_numeric_covariates(complete, config), weights=weights, cluster=cluster)
    readouts = _readouts(design.analysis_set, extract, config, weights, cluster)
    sensitivity = _sensitivity(estimates, analysis)
    bd = (_before_during(analysis, design.cohort.treated, extract, weights, cluster)
          if config.programme == "iom" else {})
    if config.bootstrap.enabled:
        details["bootstrap"] = bootstrap_design(design, extract, config).table
    return ProgrammeEvaluation(
        config=config, synthetic=extract.is_synthetic, data_cutoff=extract.data_cutoff,
        cohort=design.cohort, attrition=attrition, design_frame=design.frame, analysis=analysis,
        propensity=design.propensity, design_summary=design.summary,
        balance_before=design.balance_before, balance_after=design.balance_after,
        support=design.support, power=design.power, estimates=estimates, details=details,
        unadjusted=unadjusted, km=km, readouts=readouts, ph=ph, sensitivity=sensitivity,
        before_during=bd)


def _numeric_covariates(frame: pd.DataFrame, config: ProgrammeConfig) -> list[str]:
    """Covariates usable as numbers in an outcome model (categories become indicators)."""
    cols = [c for c in config.covariates.include
            if c not in config.covariates.categorical
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
