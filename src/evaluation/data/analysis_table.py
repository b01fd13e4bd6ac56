"""The gate of `evaluation analyse`: a person-level analysis table read and checked first.

The table is the user's own (MatchIt, Stata, SAS or this toolkit); the spec names its columns.
Before any estimator runs, every named column is checked against what the estimators assume
(0/1 groups and events, finite non-negative durations, counts and weights, nothing missing),
and every broken rule is reported the way ``evaluation validate`` reports an extract: file,
column, rows (``ROW_NUMBERING``) and rule.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from evaluation.data.files import file_error, read_csv_raw, read_parquet_raw
from evaluation.data.violations import InputError, Violation, data_rows, describe_violations


class AnalysisTableInvalid(InputError):
    """The analysis table breaks a rule the estimators rely on; ``violations`` says where."""

    exit_code = 2

    def __init__(self, path: Path, violations: list[Violation]):
        self.violations = violations
        super().__init__(describe_violations(str(path), violations)
                         + "\nNothing was computed. Fix the rows above.")


def read_spec_file(path: Path) -> dict:
    """The YAML spec as a mapping (InputError naming the file if it is missing or not YAML)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such spec file (a YAML file naming the analysis table's "
                         "columns; see docs/examples/analysis_file_spec.yaml)")
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise InputError(f"{path}: expected a mapping such as 'treatment: treated'")
    return spec


def read_analysis_table(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """A CSV (UTF-8, header row) or Parquet table, numbers read as numbers where they are."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such analysis file (give --file a CSV or Parquet table "
                         "with one row per person)")
    if path.suffix == ".parquet":
        frame = read_parquet_raw(path)
    else:
        frame, problems = read_csv_raw(path, encoding)
        if problems:
            raise AnalysisTableInvalid(path, problems)
        frame = frame.apply(_numbers_where_possible)
    if len(frame) == 0:
        raise file_error(path, "has no data rows (only a header)")
    return frame


def _numbers_where_possible(text: pd.Series) -> pd.Series:
    """A text column becomes numeric only if every filled cell is a number; else it stays."""
    values = pd.to_numeric(text, errors="coerce")
    return values if values.notna().sum() == text.notna().sum() else text


def _numeric(frame: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


# spec field of each role: the vocabulary's *_col name, or the older bare name
_ROLES = {"treatment": "treatment_col", "duration": "duration_col", "event": "event_col",
          "binary_outcome": "outcome_col", "count": "count_col", "exposure": "exposure_col",
          "weights": "weights_col", "cluster": "cluster_col"}


def _named(spec, role: str) -> str | None:
    """The column the spec names for ``role`` (``treatment_col`` or, before the rename,
    ``treatment``)."""
    if hasattr(spec, _ROLES[role]):
        return getattr(spec, _ROLES[role])
    return getattr(spec, role, None)


def check_analysis_table(frame: pd.DataFrame, spec, file: str) -> list[Violation]:
    """Every rule the named columns break; ``spec`` has the AnalysisFileSpec fields."""
    out: list[Violation] = []

    def flag(col: str, rule: str, mask) -> None:
        if np.asarray(mask, dtype=bool).any():
            out.append(Violation(file, col, rule, data_rows(mask)))

    named = {role: _named(spec, role) for role in _ROLES}
    named = {k: v for k, v in named.items() if v is not None and v in frame.columns}
    for col in [*named.values(), *[c for c in spec.covariates if c in frame.columns]]:
        flag(col, "value is required but empty", frame[col].isna().to_numpy())
    for key in ("treatment", "event", "binary_outcome"):
        if key in named:
            v = _numeric(frame, named[key])
            flag(named[key], "value must be 0 or 1", frame[named[key]].notna().to_numpy()
                 & ~np.isin(v, (0.0, 1.0)))
    for key, rule, bad in (
        ("duration", "value must be a finite number of days, 0 or more", lambda v: ~(v >= 0)),
        ("count", "value must be a whole number, 0 or more",
         lambda v: ~(v >= 0) | (v != np.round(v))),
        ("exposure", "value must be a finite number of days above 0", lambda v: ~(v > 0)),
        ("weights", "value must be a finite weight, 0 or more", lambda v: ~(v >= 0)),
    ):
        if key in named:
            v = _numeric(frame, named[key])
            flag(named[key], rule, frame[named[key]].notna().to_numpy()
                 & (bad(v) | ~np.isfinite(v)))
    if "treatment" in named:
        groups = set(_numeric(frame, named["treatment"])) & {0.0, 1.0}
        if len(groups) < 2:
            out.append(Violation(file, named["treatment"], "both groups are needed (1 = "
                                 "programme, 0 = comparison); the table has only one", ()))
    if "event" in named and not (_numeric(frame, named["event"]) == 1).any():
        out.append(Violation(file, named["event"], "no row has an event (every row is "
                             "censored): no survival estimate can be made", ()))
    return out
