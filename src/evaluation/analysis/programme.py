"""One programme evaluation, end to end: cohort, design, outcomes, estimates.

``evaluate_programme`` is what the report notebook calls. It chains the tested pieces in the
order an evaluator would defend: the comparison group is built and its balance and power are
judged *before* any outcome is derived (``design.build``); then the outcomes are derived for
the analysis set and every estimator runs on it. The result keeps every intermediate table, so
the report can show the flow, and the report turns it into ``results.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evaluation.analysis.before_during import before_during_analysis
from evaluation.analysis.bootstrap import bootstrap_design
from evaluation.analysis.derive import derive_analysis_outcomes
from evaluation.analysis.effects import estimate_effects, numeric_covariates
from evaluation.analysis.readouts import readouts as readout_table
from evaluation.analysis.sensitivity import headline_sensitivity
from evaluation.cohort.attrition import Attrition
from evaluation.cohort.build import Cohort
from evaluation.config import ProgrammeConfig
from evaluation.data.io import Extract
from evaluation.design.build import Design, build_design
from evaluation.design.propensity import PropensityModel
from evaluation.estimators.cox import ph_check
from evaluation.estimators.doubly_robust import adjusted_effect
from evaluation.estimators.kaplan_meier import KaplanMeierByGroup
from evaluation.estimators.logrank import logrank


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


def evaluate_programme(config: ProgrammeConfig, extract: Extract,
                       design: Design | None = None) -> ProgrammeEvaluation:
    """Run one programme's evaluation on an extract (already validated)."""
    design = design or build_design(config, extract)
    attrition = design.cohort.attrition
    weights, cluster = "weight", "cluster"
    window = config.outcomes.window_days
    analysis = derive_analysis_outcomes(design.analysis_set, extract, config, window,
                                        attrition=attrition)
    estimates, details = estimate_effects(analysis, config, weights, cluster)
    everyone = derive_analysis_outcomes(design.frame, extract, config, window, attrition=None)
    unadjusted, _ = estimate_effects(everyone, config, weights=None, cluster=None)
    km = KaplanMeierByGroup(weights_col=weights, cluster_col=cluster).fit(
        analysis, duration_col="duration_days", event_col="event", treatment_col="treated")
    details["logrank"] = logrank(analysis, duration_col="duration_days", event_col="event", treatment_col="treated",
                                 weights_col=weights, cluster_col=cluster)
    ph = ph_check(analysis, duration_col="duration_days", event_col="event", treatment_col="treated",
                  weights_col=weights,
                  cluster_col=cluster)
    complete = analysis.loc[analysis["eligible_for_readout"].astype(bool)]
    details["adjusted"] = adjusted_effect(
        complete.assign(reoffended=complete["reoffended"].astype(int)), outcome_col="reoffended",
        treatment_col="treated", covariates=numeric_covariates(complete, config),
        weights_col=weights, cluster_col=cluster)
    readouts = readout_table(design.analysis_set, extract, config, weights, cluster)
    sensitivity = headline_sensitivity(estimates, analysis)
    bd = (before_during_analysis(analysis, design.cohort.treated, extract, weights, cluster)
          if config.outcomes.before_during else {})
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
