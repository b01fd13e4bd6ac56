"""One person-level file evaluated end to end: the design, then every estimator on it.

What `evaluation design` computes (the report only words it). The comparison group is built and
judged first (``design.person_file``), then the analysis set goes through the same estimators
as `evaluation analyse` (``estimators.analysis_file.run_all``: Kaplan-Meier, log-rank, Cox
with cluster-robust variance and its proportional-hazards check, RMST, risk difference and
ratio, rate ratio), with the design's weights and clusters. As in a programme evaluation
(``analysis.programme``) the measures are read off through the outcome registry, the
pre-declared headline is marked and the other questions Holm-adjusted, each row carries the
Justice Data Lab gate, the headline gets its E-value, and a 1:1 matched design its Rosenbaum
bounds. The same estimators on the whole file without weights give the unadjusted comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaluation.analysis.effects import independent_numeric, jdl_gate, pick_estimate
from evaluation.analysis.multiplicity import holm_by_question
from evaluation.analysis.programme import balance_labels, headline_result
from evaluation.analysis.robustness import rosenbaum_table
from evaluation.analysis.sensitivity import headline_sensitivity
from evaluation.cohort.attrition import Attrition
from evaluation.design.file_spec import DesignFileSpec
from evaluation.design.person_file import FileDesign, build_file_design, design_frame
from evaluation.design.propensity import PropensityModel
from evaluation.estimators.analysis_file import AnalysisFileSpec, run_all
from evaluation.estimators.doubly_robust import adjusted_effect
from evaluation.estimators.kaplan_meier import KaplanMeierByGroup
from evaluation.estimators.means import mean_difference
from evaluation.outcomes.registry import MEASURES

# run_all's analysis name of each registry family
FAMILY_ANALYSIS = {"cox": "cox", "rmst": "rmst", "binary": "binary", "frequency": "count"}


@dataclass
class FileEvaluation:
    """Everything one file's evaluation produced (the fields the report sections read, named
    as in ``ProgrammeEvaluation``)."""

    spec: DesignFileSpec
    design: FileDesign
    analysis: pd.DataFrame  # the analysis set: weight > 0
    estimates: pd.DataFrame  # one row per measure the file allows: headline + secondaries
    details: dict[str, pd.DataFrame]  # every estimator's tidy table, by family
    unadjusted: pd.DataFrame  # the same measures on the whole file, unweighted (biased)
    km: KaplanMeierByGroup | None
    ph: Any
    sensitivity: pd.Series
    robustness: dict[str, pd.DataFrame] = field(default_factory=dict)

    synthetic = False  # a user's file is real data: the report says which file it was

    # the names the shared report sections (design_sections, robustness_section) read
    @property
    def design_frame(self) -> pd.DataFrame:
        return self.design.frame

    @property
    def design_summary(self) -> dict[str, Any]:
        return self.design.summary

    @property
    def balance_before(self) -> pd.DataFrame:
        return self.design.balance_before

    @property
    def balance_after(self) -> pd.DataFrame:
        return self.design.balance_after

    @property
    def support(self) -> pd.DataFrame:
        return self.design.support

    @property
    def power(self) -> pd.DataFrame:
        return self.design.power

    @property
    def attrition(self) -> Attrition:
        return self.design.attrition

    @property
    def propensity(self) -> PropensityModel:
        return self.design.propensity

    @property
    def headline(self) -> pd.Series:
        return self.estimates.loc[self.estimates["role"] == "headline"].iloc[0]

    @property
    def headline_result(self) -> dict[str, Any]:
        return headline_result(self.estimates, self.sensitivity)

    @property
    def balance_failed(self) -> list[str]:
        return balance_labels(self.balance_after.loc[self.balance_after["status"] == "fail"])

    @property
    def balance_flagged(self) -> list[str]:
        return balance_labels(self.balance_after.loc[self.balance_after["status"] == "flag"])


def analysis_spec(spec: DesignFileSpec, weighted: bool) -> AnalysisFileSpec:
    """The `evaluation analyse` spec of the design frame: its own column names, the design's
    weights and clusters (``weighted``) or none (the unadjusted comparison)."""
    named = {"duration_col": "duration", "event_col": "event", "outcome_col": "reoffended",
             "count_col": "n_reoffences", "exposure_col": "exposure"}
    cols = {k: (v if getattr(spec, k) is not None else None) for k, v in named.items()}
    return AnalysisFileSpec(treatment_col="treated", **cols, time_unit=spec.time_unit,
                            horizon=spec.horizon, alpha=spec.alpha,
                            weights_col="weight" if weighted else None,
                            cluster_col="cluster" if weighted else None)


def measure_details(frame: pd.DataFrame, spec: DesignFileSpec, weighted: bool
                    ) -> tuple[dict[str, pd.DataFrame], Any]:
    """Every estimator's table by registry family (plus ``logrank``), and run_all's result."""
    res = run_all(frame, analysis_spec(spec, weighted))
    by_name = {name: t.drop(columns="analysis").reset_index(drop=True)
               for name, t in res.effects.groupby("analysis", sort=False)}
    details = {family: by_name[name] for family, name in FAMILY_ANALYSIS.items()
               if name in by_name}
    if "logrank" in by_name:
        details["logrank"] = by_name["logrank"]
    if spec.count_col is not None:  # the JDL frequency: reoffences per 100 people
        per_100 = frame.assign(n_reoffences_per_100=100 * frame["n_reoffences"])
        details["frequency_per_100"] = mean_difference(
            per_100, outcome_col="n_reoffences_per_100", treatment_col="treated",
            weights_col="weight" if weighted else None,
            cluster_col="cluster" if weighted else None, alpha=spec.alpha)
    return details, res


def _events_col(frame: pd.DataFrame, family: str) -> tuple[pd.DataFrame, str]:
    """The sample and the column whose 1s count as "people with an event" for the JDL gate."""
    if family in ("cox", "rmst"):
        return frame, "event"
    if "reoffended" in frame:
        return frame, "reoffended"
    if "event" in frame:
        return frame, "event"
    return frame.assign(any_count=(frame["n_reoffences"] > 0).astype(int)), "any_count"


def measure_table(frame: pd.DataFrame, details: dict[str, pd.DataFrame],
                  headline: str) -> pd.DataFrame:
    """One row per registered measure the details hold: estimate, roles (headline, Holm-
    adjusted secondaries, supporting) and the Justice Data Lab gate of its sample."""
    measures = [m for m in MEASURES if m.family in details]
    table = pd.DataFrame([pick_estimate(details[m.family], m.term, m.key) for m in measures])
    table["measures"] = [m.measures for m in measures]
    table["null"] = [m.null for m in measures]
    table = holm_by_question(table, headline=headline)
    gates = pd.DataFrame([jdl_gate(*_events_col(frame, m.family)) for m in measures])
    table["n_events_treated"] = gates["events_treated"].to_numpy()
    return pd.concat([table, gates], axis=1)


def evaluate_file(table: pd.DataFrame, spec: DesignFileSpec) -> FileEvaluation:
    """The design, then every estimator, on a table that passed ``check_analysis_table``.

    ValueError (with rows and columns named) when the design or a model cannot be fitted."""
    design = build_file_design(design_frame(table, spec), spec)
    analysis = design.analysis_set
    details, res = measure_details(analysis, spec, weighted=True)
    headline = spec.headline_measure
    estimates = measure_table(analysis, details, headline)
    everyone, _ = measure_details(design.frame, spec, weighted=False)
    unadjusted = measure_table(design.frame, everyone, headline)
    covariates = independent_numeric(analysis, list(spec.covariates), list(spec.categorical))
    if spec.outcome_col is not None and covariates and spec.design.estimand == "ATT":
        details["adjusted"] = adjusted_effect(
            analysis, outcome_col="reoffended", treatment_col="treated", covariates=covariates,
            weights_col="weight", cluster_col="cluster", alpha=spec.alpha)
    sensitivity = headline_sensitivity(estimates, details, res.km, float(spec.horizon))
    robustness = {}
    if spec.design.method == "matching":
        bounds = rosenbaum_table(analysis, programme=spec.wording.programme,
                                 duration_col="duration")
        if not bounds.empty:
            robustness["rosenbaum"] = bounds
    return FileEvaluation(spec=spec, design=design, analysis=analysis, estimates=estimates,
                          details=details, unadjusted=unadjusted, km=res.km, ph=res.ph,
                          sensitivity=sensitivity, robustness=robustness)


def e_value_inputs(ev: FileEvaluation) -> dict[str, float]:
    """The headline's E-value and its confidence limit, NaN-free keys only (for the claims)."""
    s = ev.sensitivity
    return {k: float(s[k]) for k in ("e_value", "e_value_ci")
            if k in s and np.isfinite(float(s[k]))}
