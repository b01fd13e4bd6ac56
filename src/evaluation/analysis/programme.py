"""One programme evaluation, end to end: cohort, design, outcomes, estimates.

``evaluate_programme`` is what the report notebook calls. It chains the tested pieces in the
order an evaluator would defend: the comparison group is built and its balance and power are
judged *before* any outcome is derived (``design.build``); then the outcomes are derived for
the analysis set and every estimator runs on it. The result keeps every intermediate table, so
the report can show the flow, and the report turns it into ``results.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.analysis.before_during import before_during_analysis
from evaluation.analysis.bootstrap import bootstrap_design
from evaluation.analysis.derive import derive_analysis_outcomes
from evaluation.analysis.effects import estimate_effects, numeric_covariates
from evaluation.analysis.readouts import readouts as readout_table
from evaluation.analysis.robustness import robustness_checks
from evaluation.analysis.sensitivity import headline_sensitivity
from evaluation.analysis.subgroups import subgroup_effects
from evaluation.analysis.trials import itt_and_per_protocol, per_protocol_effects
from evaluation.cohort.attrition import Attrition
from evaluation.cohort.build import Cohort, programme_extract
from evaluation.config import ProgrammeConfig
from evaluation.data.io import Extract
from evaluation.design.build import Design, build_design, judge_balance
from evaluation.design.estimability import (
    NotEstimable,
    adjusted_flag,
    readout_flag,
    zero_event_flags,
)
from evaluation.design.propensity import PropensityModel
from evaluation.estimators.cox import ph_check
from evaluation.estimators.doubly_robust import adjusted_effect
from evaluation.estimators.kaplan_meier import KaplanMeierByGroup
from evaluation.estimators.logrank import logrank
from evaluation.outcomes.registry import measure


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
    # Rosenbaum bounds, competing risks, event study (config ``robustness``; decision 0402)
    robustness: dict[str, pd.DataFrame] = field(default_factory=dict)
    # balance on the complete read-out subset, where the matched pairs may be broken (0401)
    balance_readout: pd.DataFrame | None = None
    # edge cases said in words (design.estimability): statements in the report, codes in JSON
    flags: list = field(default_factory=list)
    validation_skipped: bool = False  # the extract was not checked: the banner says so
    # effects by declared subgroup level and heterogeneity tests (config ``subgroups``; 0412)
    subgroups: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def headline(self) -> pd.Series:
        return self.estimates.loc[self.estimates["role"] == "headline"].iloc[0]

    @property
    def headline_result(self) -> dict[str, Any]:
        """The pre-declared headline as the report must state it (``headline_result``)."""
        return headline_result(self.estimates, self.sensitivity)

    @property
    def balance_failed(self) -> list[str]:
        failed = self.balance_after.loc[self.balance_after["status"] == "fail"]
        return balance_labels(failed)

    @property
    def balance_flagged(self) -> list[str]:
        flagged = self.balance_after.loc[self.balance_after["status"] == "flag"]
        return balance_labels(flagged)


def headline_result(estimates: pd.DataFrame, sensitivity: pd.Series) -> dict[str, Any]:
    """The pre-declared headline as a report must state it: its own measure, interval,
    E-value and whether the JDL minimum allows a significance statement."""
    h = estimates.loc[estimates["role"] == "headline"].iloc[0]
    m = measure(h["outcome"])
    s = sensitivity
    return {"outcome": m.key, "question": m.question, "measures": m.measures,
            "label": m.label, "term": h["term"], "null": m.null,
            "estimate": float(h["estimate"]), "lower": float(h["lower"]),
            "upper": float(h["upper"]), "p_value": float(h["p_value"]),
            "significant": bool(h["significant"]),
            "n_treated": int(h["n_treated"]), "n_comparison": int(h["n_comparison"]),
            "events_treated": int(h["events_treated"]),
            "events_comparison": int(h["events_comparison"]),
            "jdl_minimum_met": bool(h["jdl_minimum_met"]),
            "e_value": float(s["e_value"]), "e_value_ci": float(s["e_value_ci"]),
            "e_value_outcome": s["outcome"]}


def balance_labels(table: pd.DataFrame) -> list[str]:
    """"age", "area = b": the covariates (with their level) of some balance table rows."""
    level = table["level"].astype(str)
    return [c if lv in ("", "nan") else f"{c} = {lv}" for c, lv in zip(table["covariate"], level,
                                                                       strict=True)]


def evaluate_programme(config: ProgrammeConfig, extract: Extract | str | Path,
                       design: Design | None = None) -> ProgrammeEvaluation:
    """Run one programme's evaluation on an extract.

    Given a folder instead of a loaded extract, the extract passes the gate first (every rule
    of the contract; ``ExtractInvalid`` with the same message as ``evaluation validate``)."""
    if isinstance(extract, str | Path):
        from evaluation.data.gate import open_validated_extract

        extract = open_validated_extract(extract)
    extract = programme_extract(extract, config)
    design = design or build_design(config, extract)
    attrition = design.cohort.attrition
    weights, cluster = "weight", "cluster"
    window = config.outcomes.window_days
    analysis = derive_analysis_outcomes(design.analysis_set, extract, config, window,
                                        attrition=attrition)
    complete_set = analysis.loc[analysis["eligible_for_readout"].astype(bool)]
    zero = zero_event_flags(analysis) or zero_event_flags(complete_set, "reoffended")
    if zero:  # a ratio of 0 or infinity is no finding: say so instead
        raise NotEstimable(zero[0], cohort=design.cohort)
    estimates, details = estimate_effects(analysis, config, weights, cluster)
    # the naive comparison reads only who, when and which arm: not copying every covariate of
    # the whole pool saves seconds at national scale (the estimates are the same)
    everyone = derive_analysis_outcomes(design.frame[["person_id", "index_date", "treated"]],
                                        extract, config, window, attrition=None)
    unadjusted, _ = estimate_effects(everyone, config, weights=None, cluster=None)
    km = KaplanMeierByGroup(weights_col=weights, cluster_col=cluster).fit(
        analysis, duration_col="duration_days", event_col="event", treatment_col="treated")
    details["logrank"] = logrank(analysis, duration_col="duration_days", event_col="event", treatment_col="treated",
                                 weights_col=weights, cluster_col=cluster)
    ph = ph_check(analysis, duration_col="duration_days", event_col="event", treatment_col="treated",
                  weights_col=weights,
                  cluster_col=cluster)
    complete = analysis.loc[analysis["eligible_for_readout"].astype(bool)]
    flags = list(design.flags)
    try:
        details["adjusted"] = adjusted_effect(
            complete.assign(reoffended=complete["reoffended"].astype(int)),
            outcome_col="reoffended", treatment_col="treated",
            covariates=numeric_covariates(complete, config), weights_col=weights,
            cluster_col=cluster)
    except RuntimeError as exc:  # separated or singular: said in the report, not a crash
        flags.append(adjusted_flag(str(exc)))
    balance_readout = judge_balance(complete, config, weights=weights)
    summary = {**design.summary, "readout_subset": readout_balance_summary(balance_readout,
                                                                           complete)}
    readouts = readout_table(design.analysis_set, extract, config, weights, cluster)
    flags += [readout_flag(int(w)) for w in
              readouts.loc[readouts["hazard_ratio"].isna(), "window_days"]]
    sensitivity = headline_sensitivity(estimates, details, km, float(window))
    bd = (before_during_analysis(analysis, design.cohort.treated, extract, weights, cluster)
          if config.outcomes.before_during else {})
    if config.design.emulation == "sequential":
        pp, summary["per_protocol"] = per_protocol_effects(analysis, config, weights, cluster)
        details["itt_per_protocol"] = itt_and_per_protocol(details, pp)
    if config.bootstrap.enabled:
        details["bootstrap"] = bootstrap_design(design, extract, config).table
    return ProgrammeEvaluation(
        config=config, synthetic=extract.is_synthetic, data_cutoff=extract.data_cutoff,
        cohort=design.cohort, attrition=attrition, design_frame=design.frame, analysis=analysis,
        propensity=design.propensity, design_summary=summary,
        balance_before=design.balance_before, balance_after=design.balance_after,
        support=design.support, power=design.power, estimates=estimates, details=details,
        unadjusted=unadjusted, km=km, readouts=readouts, ph=ph, sensitivity=sensitivity,
        before_during=bd, balance_readout=balance_readout,
        robustness=robustness_checks(config, extract, analysis), flags=flags,
        validation_skipped=bool(getattr(extract, "validation_skipped", False)),
        subgroups=subgroup_effects(analysis, config, weights, cluster))


def readout_balance_summary(balance: pd.DataFrame, complete: pd.DataFrame) -> dict[str, Any]:
    """What the rate, frequency and cost analyses rest on: the complete read-out subset drops
    people whose index date is too late, breaking some matched pairs, so balance is re-checked
    on it (decision 0401). ``status`` is the worst covariate's status."""
    status = balance["status"]
    worst = "fail" if (status == "fail").any() else "flag" if (status == "flag").any() else "ok"
    return {"n_treated": int((complete["treated"] == 1).sum()),
            "n_comparison": int((complete["treated"] == 0).sum()),
            "max_abs_smd": float(balance["smd"].abs().max()),
            "failed": balance_labels(balance.loc[status == "fail"]),
            "flagged": balance_labels(balance.loc[status == "flag"]),
            "status": worst}
