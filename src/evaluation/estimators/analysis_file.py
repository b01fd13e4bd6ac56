"""Bring your own analysis file: one person-level table in, every headline estimate out.

For evaluators who already have a matched or weighted analysis table (from MatchIt, Stata, SAS or
this toolkit) and want the survival, binary and count estimates with valid intervals. The spec
names the columns; nothing is guessed, and a named column that is not in the table is an error
that says which spec field named it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator

from .binary import RESULT_COLUMNS, binary_effect
from .counts import count_effect
from .cox import PHCheckResult, cox_effect, ph_check
from .kaplan_meier import KaplanMeierByGroup
from .logrank import logrank
from .rmst import rmst_effect


class AnalysisFileSpec(BaseModel):
    """Column names of a person-level analysis table (one row per person-index).

    ``duration``/``event`` drive Kaplan-Meier, log-rank, Cox and RMST; ``binary_outcome`` (0/1, e.g.
    ``reoffended``) the risk difference; ``count`` (+ optional ``exposure``, days at risk) the rate
    ratio. ``weights`` (matching or IPT weights) and ``cluster`` (matched set, or person) are used
    by every estimator. Unknown keys are rejected (a misspelt key must not pass silently).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    treatment: str = "treated"
    duration: str | None = "duration_days"
    event: str | None = "event"
    binary_outcome: str | None = None
    count: str | None = None
    exposure: str | None = None
    covariates: tuple[str, ...] = ()
    weights: str | None = None
    cluster: str | None = None
    horizon: float = 365.0
    alpha: float = 0.05

    @field_validator("horizon")
    @classmethod
    def _positive(cls, v: float) -> float:
        if not v > 0:
            raise ValueError(f"horizon must be a positive number of days, got {v}")
        return v

    def check_columns(self, df: pd.DataFrame) -> None:
        """ValueError naming every spec field whose column is not in ``df``."""
        named = {k: v for k, v in self.model_dump().items()
                 if k not in ("covariates", "horizon", "alpha") and v is not None}
        named.update({f"covariates[{i}]": c for i, c in enumerate(self.covariates)})
        missing = {k: v for k, v in named.items() if v not in df.columns}
        if missing:
            listed = "; ".join(f"{k}={v!r}" for k, v in missing.items())
            raise ValueError(f"the analysis file has no column for {listed}. "
                             f"Its columns are {list(df.columns)}; fix the spec or the file")
        if (self.duration is None) != (self.event is None):
            raise ValueError("give both duration and event (or neither) in the spec")
        if self.exposure is not None and self.count is None:
            raise ValueError("exposure is given without a count column")


@dataclass(frozen=True)
class AnalysisResults:
    """``effects``: tidy rows of every estimate, with an ``analysis`` column; ``km``: the fitted
    KaplanMeierByGroup (plot with ``km.plot()``); ``ph``: the proportional-hazards check."""

    effects: pd.DataFrame
    km: KaplanMeierByGroup | None
    ph: PHCheckResult | None


def run_all(df: pd.DataFrame, spec: AnalysisFileSpec) -> AnalysisResults:
    """Run KM, log-rank, Cox (+ PH check) and RMST, and the binary and count estimators when
    the spec names their columns, on one person-level table."""
    spec.check_columns(df)
    w, c, a = spec.weights, spec.cluster, spec.alpha
    parts, km, ph = [], None, None
    if spec.duration is not None:
        km = KaplanMeierByGroup(weights_col=w, cluster_col=c, alpha=a).fit(
            df, spec.duration, spec.event, spec.treatment)
        parts.append(("logrank", logrank(df, spec.duration, spec.event, spec.treatment, w, c)))
        parts.append(("cox", cox_effect(df, spec.duration, spec.event, spec.treatment,
                                        spec.covariates, w, c, a)))
        ph = ph_check(df, spec.duration, spec.event, spec.treatment, spec.covariates, w, c)
        parts.append(("rmst", rmst_effect(df, spec.duration, spec.event, spec.treatment,
                                          spec.horizon, w, c, a)))
    if spec.binary_outcome is not None:
        parts.append(("binary", binary_effect(df, spec.binary_outcome, spec.treatment, w, c, a)))
    if spec.count is not None:
        parts.append(("count", count_effect(df, spec.count, spec.treatment, spec.exposure,
                                            covariates=list(spec.covariates) or None,
                                            weights=w, cluster=c, alpha=a)))
    if not parts:
        raise ValueError("the spec names no outcome: give duration+event, binary_outcome or count")
    effects = pd.concat([t.assign(analysis=name) for name, t in parts], ignore_index=True)
    return AnalysisResults(effects[["analysis", *RESULT_COLUMNS]], km, ph)
