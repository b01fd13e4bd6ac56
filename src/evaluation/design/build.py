"""Build the comparison group and judge it, before any outcome is looked at.

``build_design`` chains the design steps in the order an evaluator would defend: the cohort,
sparse category levels pooled, the propensity model, matching (default) or weighting, balance
before and after, common support and the power the achieved group sizes give. No outcome is
derived here, so no design choice can be tuned on the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.cohort.build import Cohort, build_cohort
from evaluation.config import BalanceConfig, DesignConfig, PowerConfig, ProgrammeConfig
from evaluation.data.io import Extract
from evaluation.design.balance import balance_status, balance_table, common_support
from evaluation.design.estimability import (
    Flag,
    NotEstimable,
    constant_covariate_flags,
    match_flags,
    separation_flag,
)
from evaluation.design.matching import NearestNeighbourMatcher
from evaluation.design.power import minimum_detectable_effect, minimum_detectable_hazard_ratio
from evaluation.design.propensity import PropensityModel
from evaluation.design.trials import TRIAL_COL, assign_trials, trial_summary
from evaluation.design.weighting import IPTWeighter

STAGE_DESIGN = "comparison group"
# Attrition reason of the design stage (a template: the wording lives here only).
REASON_TRIM = "propensity outside [{low:g}, {high:g}]"

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
        others = values.loc[values != MERGED_LEVEL].value_counts()
        if MERGED_LEVEL in _sparse_levels(values, frame["treated"], min_count) and len(others):
            # still too few in one group once pooled: fold into the most common level (when
            # every level was sparse, all are merged into one and the covariate is constant:
            # left out of the propensity model with a statement, estimability)
            common = others.index[0]
            values = values.replace(MERGED_LEVEL, common)
            sparse = [*sparse, f"(pooled into {common})"]
        frame[col] = values
        merged[col] = sorted(sparse)
    return frame, merged


def fit_propensity(frame: pd.DataFrame, config: ProgrammeConfig,
                   leave_out: tuple[str, ...] = ()) -> PropensityModel:
    """The configured propensity model (categorical covariates as indicators), fitted;
    ``leave_out``: covariates with one value for everyone (they would make it rank deficient)."""
    include = [c for c in config.covariates.include if c not in leave_out]
    categorical = [c for c in config.covariates.categorical if c in include]
    numeric = [c for c in include if c not in categorical]
    model = PropensityModel(covariates=numeric, categorical=categorical)
    return model.fit(frame, treatment_col="treated")


def cluster_column(frame: pd.DataFrame, config: ProgrammeConfig) -> pd.Series:
    """The unit whose outcomes are correlated, for robust variances.

    Matched without replacement with one index date per person, the matched set is the cluster.
    A person who appears more than once (a comparison person reused with replacement, or one
    person at several index dates with ``comparison.index_dates: all``, e.g. in several
    sequential trials) is the cluster, so the person's rows are never counted as independent;
    the matched pairs are then ignored, which is conservative (Austin 2009: ignoring the
    pairing widens the interval; decision 0406). Weighting clusters on the person.
    """
    return design_cluster(frame, config.design, "person_id",
                          repeats_possible=config.comparison.index_dates == "all")


def design_cluster(frame: pd.DataFrame, design: DesignConfig, person_col: str,
                   repeats_possible: bool = False) -> pd.Series:
    """``cluster_column`` for any frame: the matched set (matching without replacement, each
    person once), else the person (``person_col``)."""
    repeats = repeats_possible and bool(frame[person_col].duplicated().any())
    if design.method == "matching" and not design.replace and not repeats:
        return frame["match_set"]
    return frame[person_col]


def apply_design(frame: pd.DataFrame, config: ProgrammeConfig, attrition: Attrition
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Weights and matched sets: matching (default) or inverse probability weighting."""
    return weigh_or_match(frame, config.design, attrition, "person_id",
                          repeats_possible=config.comparison.index_dates == "all")


def weigh_or_match(frame: pd.DataFrame, design: DesignConfig, attrition: Attrition,
                   person_col: str, repeats_possible: bool = False
                   ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``apply_design`` for any frame with ``treated`` and ``propensity`` columns: the
    design's weights, matched sets and cluster (``design_cluster``) and its summary."""
    frame = frame.copy()
    if design.trim:
        outside = (frame["propensity"] < design.trim) | (frame["propensity"] > 1 - design.trim)
        frame = attrition.exclude(
            frame, outside, REASON_TRIM.format(low=design.trim, high=1 - design.trim),
            STAGE_DESIGN)
    if design.method == "matching":
        exact = tuple(design.exact) + ((TRIAL_COL,) if design.emulation == "sequential" else ())
        matcher = NearestNeighbourMatcher(caliper=design.caliper, ratio=design.ratio,
                                          replace=design.replace, exact=exact,
                                          estimand=design.estimand)
        matcher.fit(frame, propensity_col="propensity", treatment_col="treated",
                    attrition=attrition)
        out = matcher.transform(frame)
        summary = {"method": "matching", "caliper_sd": design.caliper, "ratio": design.ratio,
                   "replace": design.replace, "exact": list(design.exact),
                   "caliper_logit": float(matcher.caliper_) if matcher.caliper_ else None,
                   "n_treated_matched": int(out.loc[out["treated"] == 1, "matched"].sum()),
                   "n_treated_unmatched": int(len(matcher.unmatched_)),
                   "n_comparison_used": int(((out["treated"] == 0) & (out["weight"] > 0)).sum())}
    else:
        weighter = IPTWeighter(estimand=design.estimand, stabilise=True).fit(
            frame, propensity_col="propensity", treatment_col="treated")
        out = weighter.transform(frame)
        out["matched"] = True
        out["match_set"] = pd.NA
        ess = weighter.summary_
        summary = {"method": "weighting", "estimand": design.estimand,
                   "effective_sample_size": {str(k): float(v) for k, v in
                                             weighter.ess_.items()} if isinstance(
                                                 weighter.ess_, dict) else weighter.ess_,
                   "weights": ess.to_dict(orient="records")}
    out["cluster"] = design_cluster(out, design, person_col, repeats_possible)
    return out, summary


def judge_balance(frame: pd.DataFrame, config: ProgrammeConfig,
                  weights: str | None) -> pd.DataFrame:
    """Standardised differences of every covariate, each marked ok / flag / fail."""
    return judged_balance(frame, config.covariates.include, config.covariates.categorical,
                          config.balance, weights)


def judged_balance(frame: pd.DataFrame, covariates: list[str], categorical: list[str],
                   thresholds: BalanceConfig, weights: str | None) -> pd.DataFrame:
    """``judge_balance`` for any frame with a ``treated`` column and these covariates."""
    table = balance_table(frame, covariates, treatment_col="treated", weights_col=weights,
                          categorical=categorical)
    b = thresholds
    return balance_status(table, ok=b.smd_good, fail=b.smd_fail,
                          variance_ratio_range=(b.variance_ratio_min, b.variance_ratio_max))


def design_power(analysis: pd.DataFrame, config: ProgrammeConfig) -> pd.DataFrame:
    """Minimum detectable effects for the achieved group sizes, from the planning rate only."""
    return power_table(analysis, config.power)


def power_table(analysis: pd.DataFrame, planning: PowerConfig) -> pd.DataFrame:
    """``design_power`` for any analysis set with ``treated`` and ``weight`` columns."""
    n1 = int((analysis["treated"] == 1).sum())
    n0 = int(((analysis["treated"] == 0) & (analysis["weight"] > 0)).sum())
    rate = planning.baseline_rate
    mde = minimum_detectable_effect(n_treated=n1, n_comparison=n0, baseline_rate=rate,
                                    alpha=planning.alpha, power=planning.power)
    mde.insert(0, "measure", "reoffending rate")
    mdhr = minimum_detectable_hazard_ratio(n=n1 + n0, event_probability=rate,
                                           allocation=n1 / (n1 + n0), alpha=planning.alpha,
                                           power=planning.power)
    mdhr.insert(0, "measure", "hazard ratio")
    out = pd.concat([mde, mdhr], ignore_index=True)
    out["n_treated"], out["n_comparison"], out["baseline_rate"] = n1, n0, rate
    return out


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
    flags: list[Flag] = field(default_factory=list)  # edge cases said in words (estimability)

    @property
    def analysis_set(self) -> pd.DataFrame:
        return self.frame.loc[self.frame["weight"] > 0]


def build_design(config: ProgrammeConfig, extract: Extract) -> Design:
    """Cohort, propensity model, matching or weighting, balance and power; no outcomes."""
    cohort = build_cohort(extract.tables, extract.data_cutoff, config)
    frame, merged = merge_sparse_levels(cohort.frame.reset_index(drop=True),
                                        list(config.covariates.categorical))
    if config.design.emulation == "sequential":
        frame = assign_trials(frame)
    covariates = list(config.covariates.include)
    flags = constant_covariate_flags(frame, covariates, list(config.covariates.categorical))
    constant = tuple(c for c in covariates if frame[c].nunique(dropna=False) <= 1)
    phrase = config.short_title or config.title
    try:
        model = fit_propensity(frame, config, leave_out=constant)
    except ValueError as exc:
        if "separation" not in str(exc):
            raise
        raise NotEstimable(separation_flag(str(exc), phrase), cohort=cohort) from exc
    frame["propensity"] = model.propensity_.to_numpy()
    design_frame, summary = apply_design(frame, config, cohort.attrition)
    flags += match_flags(design_frame, summary, phrase)
    if any(f.fatal for f in flags):
        raise NotEstimable(next(f for f in flags if f.fatal), cohort=cohort)
    summary["merged_levels"] = merged
    summary["time_zero"] = config.design.time_zero
    summary["emulation"] = config.design.emulation
    if config.design.emulation == "sequential":
        summary["trials"] = trial_summary(design_frame)
    # comparison people no treated person resembles (fitted propensity ~0): never matched
    summary["n_propensity_near_zero"] = model.n_extreme_
    return Design(
        cohort=cohort, frame=design_frame, propensity=model, summary=summary,
        balance_before=judge_balance(design_frame, config, weights=None),
        balance_after=judge_balance(design_frame, config, weights="weight"),
        support=common_support(design_frame, propensity_col="propensity", treatment_col="treated"),
        power=design_power(design_frame.loc[design_frame["weight"] > 0], config), flags=flags)
