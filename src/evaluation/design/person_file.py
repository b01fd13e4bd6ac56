"""The comparison group of one person-level file, built and judged before any outcome is used.

The same steps as a programme's design (``design.build``), on a file instead of a cohort: the
user's columns are copied into the design's own names (``design_frame``), sparse category
levels are pooled, the propensity model is fitted, matching or weighting gives the weights and
matched sets (``weigh_or_match``), and balance, common support and power are judged. The outcome
columns ride along untouched; nothing here reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.design.balance import common_support
from evaluation.design.build import (
    judged_balance,
    merge_sparse_levels,
    power_table,
    weigh_or_match,
)
from evaluation.design.file_spec import DesignFileSpec
from evaluation.design.propensity import PropensityModel

STAGE_INPUT = "person-level file"
# the design's name for each outcome column of the spec (file_spec.RESERVED)
OUTCOME_COLUMNS = {"duration_col": "duration", "event_col": "event",
                   "outcome_col": "reoffended", "count_col": "n_reoffences",
                   "exposure_col": "exposure"}


def design_frame(table: pd.DataFrame, spec: DesignFileSpec) -> pd.DataFrame:
    """The checked file in the design's column names: ``row`` (1 = the first data row),
    ``person`` (``id_col``, else the row), ``treated``, ``group``, the covariates and
    exact-matching columns under their own names (categories as text), and the outcome
    columns the spec names as ``duration``, ``event``, ``reoffended``, ``n_reoffences`` and
    ``exposure``. The index is the row position, so messages name rows as the file counts
    them."""
    table = table.reset_index(drop=True)
    out = pd.DataFrame({"row": np.arange(1, len(table) + 1)}, index=table.index)
    out["person"] = table[spec.id_col] if spec.id_col is not None else out["row"]
    out["treated"] = pd.to_numeric(table[spec.treatment_col]).astype(int)
    out["group"] = np.where(out["treated"] == 1, "treated", "comparison")
    for col in dict.fromkeys([*spec.covariates, *spec.design.exact]):
        if col in spec.numeric_covariates:
            out[col] = pd.to_numeric(table[col]).astype(float)
        else:
            out[col] = table[col].astype(str)
    for field, name in OUTCOME_COLUMNS.items():
        col = getattr(spec, field)
        if col is not None:
            values = pd.to_numeric(table[col])
            out[name] = values.astype(float if name in ("duration", "exposure") else int)
    out["eligible_for_readout"] = True  # a file's outcomes are complete as given
    return out


@dataclass
class FileDesign:
    """The comparison group of a file (same fields as ``design.build.Design``, no cohort)."""

    frame: pd.DataFrame  # every row with propensity, weight, match_set, matched, cluster
    propensity: PropensityModel
    summary: dict[str, Any]
    balance_before: pd.DataFrame
    balance_after: pd.DataFrame
    support: pd.DataFrame
    power: pd.DataFrame
    attrition: Attrition

    @property
    def analysis_set(self) -> pd.DataFrame:
        return self.frame.loc[self.frame["weight"] > 0]


def build_file_design(frame: pd.DataFrame, spec: DesignFileSpec) -> FileDesign:
    """Propensity model, matching or weighting, balance, support and power for ``frame``
    (from ``design_frame``). ValueError (naming rows) when the propensity model cannot be fitted
    (separation, collinear covariates) or the design leaves a group empty."""
    attrition = Attrition(group_col="group")
    attrition.start(frame, stage=STAGE_INPUT)
    categorical = list(spec.categorical)
    frame, merged = merge_sparse_levels(frame, categorical)
    model = PropensityModel(covariates=spec.numeric_covariates, categorical=categorical)
    model.fit(frame, treatment_col="treated")
    frame = frame.assign(propensity=model.propensity_.to_numpy(),
                         logit=model.logit_.to_numpy())
    out, summary = weigh_or_match(frame, spec.design, attrition, person_col="person")
    summary["merged_levels"] = merged
    summary["n_propensity_near_zero"] = model.n_extreme_
    analysed = out.loc[out["weight"] > 0]
    for group, label in ((1, "programme"), (0, "comparison")):
        if not (analysed["treated"] == group).any():
            raise ValueError(f"the design left nobody in the {label} group (check the "
                             "caliper, design.exact and the overlap of the two groups)")
    attrition.check_reconciles(analysed)
    covariates = list(spec.covariates)
    return FileDesign(
        frame=out, propensity=model, summary=summary,
        balance_before=judged_balance(out, covariates, categorical, spec.balance, None),
        balance_after=judged_balance(out, covariates, categorical, spec.balance, "weight"),
        support=common_support(out, propensity_col="propensity", treatment_col="treated"),
        power=power_table(analysed, spec.power), attrition=attrition)


def matched_file(design: FileDesign, spec: DesignFileSpec) -> pd.DataFrame:
    """The analysis set as a person-level file for the evaluator's own checks (never
    published): the file's row number and identifier, treatment, propensity and its logit,
    weight and matched set (with replacement: the first set a comparison person joined)."""
    cols = ["row", *(["person"] if spec.id_col else []), "treated", "propensity", "logit",
            "weight", "match_set"]
    out = design.analysis_set[cols].rename(columns={"person": spec.id_col or "person",
                                                    "treated": spec.treatment_col})
    return out.astype({"match_set": "Int64"}).reset_index(drop=True)
