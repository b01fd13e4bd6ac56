"""Bring your own analysis file: one person-level table in, every headline estimate out.

For evaluators who already have a matched or weighted analysis table (from MatchIt, Stata, SAS or
this toolkit) and want the survival, binary and count estimates with valid intervals. The spec
names the columns; nothing is guessed, and a named column that is not in the table is an error
that says which spec field named it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from .binary import binary_effect
from .common import RESULT_COLUMNS
from .counts import count_effect
from .cox import PHCheckResult, cox_effect, ph_check
from .kaplan_meier import KaplanMeierByGroup
from .logrank import logrank
from .rmst import rmst_effect

# spec keys before the shared vocabulary (issue 11): named in the error, never accepted silently
RENAMED_KEYS = {"treatment": "treatment_col", "duration": "duration_col", "event": "event_col",
                "binary_outcome": "outcome_col", "count": "count_col",
                "exposure": "exposure_col", "weights": "weights_col", "cluster": "cluster_col"}
# the role of each column field, as the table's checks know them (data.analysis_table)
COLUMN_ROLES = {"treatment_col": "treatment", "duration_col": "duration", "event_col": "event",
                "outcome_col": "binary_outcome", "count_col": "count",
                "exposure_col": "exposure", "weights_col": "weights", "cluster_col": "cluster"}
# the restricted mean's horizon when the spec gives none: one year in the file's time unit
DEFAULT_HORIZON = {"days": 365.0, "weeks": 52.0, "months": 12.0}


class AnalysisFileSpec(BaseModel):
    """Column names of a person-level analysis table (one row per person-index).

    ``duration_col``/``event_col`` drive Kaplan-Meier, log-rank, Cox and RMST; ``outcome_col``
    (0/1, e.g. ``reoffended``) the risk difference; ``count_col`` (+ optional ``exposure_col``,
    days at risk) the rate ratio. ``weights_col`` (matching or IPT weights) and ``cluster_col``
    (matched set, or person) are used by every estimator. Durations, exposures and the RMST
    ``horizon`` are in ``time_unit`` (days by default; the horizon defaults to one year in that
    unit). Unknown keys are rejected (a misspelt key must not pass silently).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    treatment_col: str = "treated"
    duration_col: str | None = "duration_days"
    event_col: str | None = "event"
    outcome_col: str | None = None
    count_col: str | None = None
    exposure_col: str | None = None
    covariates: tuple[str, ...] = ()
    weights_col: str | None = None
    cluster_col: str | None = None
    time_unit: Literal["days", "weeks", "months"] = "days"
    horizon: float = 365.0
    alpha: float = 0.05

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data):
        if isinstance(data, dict):
            old = [k for k in data if k in RENAMED_KEYS]
            if old:
                listed = ", ".join(f"{k!r} is now {RENAMED_KEYS[k]!r}" for k in old)
                raise ValueError(f"renamed spec key(s): {listed}")
            if "horizon" not in data and data.get("time_unit") in DEFAULT_HORIZON:
                data = {**data, "horizon": DEFAULT_HORIZON[data["time_unit"]]}
        return data

    @field_validator("horizon")
    @classmethod
    def _positive(cls, v: float) -> float:
        if not v > 0:
            raise ValueError(f"horizon must be a positive number (in time_unit), got {v}")
        return v

    def column_roles(self) -> list[tuple[str, str, str]]:
        """(spec field, column, role) for every column the spec names, in spec order; the
        table's checks (``data.analysis_table.check_analysis_table``) read these."""
        out = [(f, getattr(self, f), role) for f, role in COLUMN_ROLES.items()
               if getattr(self, f) is not None]
        return out + [(f"covariates[{i}]", c, "covariate") for i, c in enumerate(self.covariates)]

    def check_columns(self, df: pd.DataFrame) -> None:
        """ValueError naming every spec field whose column is not in ``df``."""
        named = {f: c for f, c, _ in self.column_roles()}
        missing = {k: v for k, v in named.items() if v not in df.columns}
        if missing:
            listed = "; ".join(f"{k}={v!r}" for k, v in missing.items())
            raise ValueError(f"the analysis file has no column for {listed}. "
                             f"Its columns are {list(df.columns)}; fix the spec or the file")
        if (self.duration_col is None) != (self.event_col is None):
            raise ValueError("give both duration_col and event_col (or neither) in the spec")
        if self.exposure_col is not None and self.count_col is None:
            raise ValueError("exposure_col is given without a count_col column")


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
    cols = {"treatment_col": spec.treatment_col, "weights_col": spec.weights_col,
            "cluster_col": spec.cluster_col}
    surv = {"duration_col": spec.duration_col, "event_col": spec.event_col, **cols}
    a = spec.alpha
    parts, km, ph = [], None, None
    if spec.duration_col is not None:
        km = KaplanMeierByGroup(weights_col=spec.weights_col, cluster_col=spec.cluster_col,
                                alpha=a).fit(df, duration_col=spec.duration_col,
                                             event_col=spec.event_col,
                                             treatment_col=spec.treatment_col)
        parts.append(("logrank", logrank(df, **surv)))
        parts.append(("cox", cox_effect(df, **surv, covariates=spec.covariates, alpha=a)))
        ph = ph_check(df, **surv, covariates=spec.covariates)
        parts.append(("rmst", rmst_effect(df, **surv, tau=spec.horizon, alpha=a)))
    if spec.outcome_col is not None:
        parts.append(("binary", binary_effect(df, outcome_col=spec.outcome_col, **cols,
                                              alpha=a)))
    if spec.count_col is not None:
        count = {"outcome_col": spec.count_col, **cols, "exposure_col": spec.exposure_col,
                 "covariates": list(spec.covariates) or None, "alpha": a}
        try:
            parts.append(("count", count_effect(df, **count)))
        except RuntimeError:  # no overdispersion: the Poisson model with a robust interval
            parts.append(("count", count_effect(df, **count, model="poisson")))
    if not parts:
        raise ValueError("the spec names no outcome: give duration_col+event_col, outcome_col or "
                         "count_col")
    effects = pd.concat([t.assign(analysis=name) for name, t in parts], ignore_index=True)
    return AnalysisResults(effects[["analysis", *RESULT_COLUMNS]], km, ph)
