"""The gate of `evaluation analyse` and `evaluation design`: a person-level table read and
checked first.

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


# The rule each role's values must keep (besides "not empty"): (rule, bad(values)).
_VALUE_RULES = {
    "duration": ("value must be a finite number of {unit}, 0 or more", lambda v: ~(v >= 0)),
    "count": ("value must be a whole number, 0 or more",
              lambda v: ~(v >= 0) | (v != np.round(v))),
    "exposure": ("value must be a finite number of {unit} above 0", lambda v: ~(v > 0)),
    "weights": ("value must be a finite weight, 0 or more", lambda v: ~(v >= 0)),
    "numeric_covariate": ("value must be a number (a category goes under 'categorical:' in "
                          "the spec)", lambda v: np.zeros(len(v), dtype=bool)),
}
_BINARY_ROLES = ("treatment", "event", "binary_outcome")


def check_analysis_table(frame: pd.DataFrame, spec, file: str) -> list[Violation]:
    """Every rule the named columns break, each naming the spec field that named the column.

    ``spec`` gives ``column_roles()``: (spec field, column, role) triples, as
    ``AnalysisFileSpec`` does; roles are treatment, duration, event, binary_outcome, count,
    exposure, weights, cluster, covariate, numeric_covariate, category and identifier.
    Durations and exposures are in ``spec.time_unit`` (days unless it says otherwise)."""
    out: list[Violation] = []
    unit = getattr(spec, "time_unit", "days")
    found: dict[tuple[str, str], tuple[list[str], tuple[int, ...]]] = {}

    def flag(field: str, col: str, rule: str, mask) -> None:
        # one column named by two fields (event_col and outcome_col) is reported once
        if np.asarray(mask, dtype=bool).any():
            fields, rows = found.setdefault((col, rule), ([], data_rows(mask)))
            if field not in fields:
                fields.append(field)

    roles = [(f, c, r) for f, c, r in spec.column_roles() if c in frame.columns]
    for field, col, _ in roles:
        flag(field, col, "value is required but empty", frame[col].isna().to_numpy())
    for field, col, role in roles:
        filled = frame[col].notna().to_numpy()
        if role in _BINARY_ROLES:
            flag(field, col, "value must be 0 or 1",
                 filled & ~np.isin(_numeric(frame, col), (0.0, 1.0)))
        elif role in _VALUE_RULES:
            rule, bad = _VALUE_RULES[role]
            v = _numeric(frame, col)
            flag(field, col, rule.format(unit=unit), filled & (bad(v) | ~np.isfinite(v)))
        elif role == "identifier":
            flag(field, col, "value appears on more than one row (one row per person)",
                 filled & frame[col].duplicated(keep=False).to_numpy())
    out += [Violation(file, col, rule, rows, ", ".join(fields))
            for (col, rule), (fields, rows) in found.items()]
    first = {role: (f, c) for f, c, role in reversed(roles)}
    if "treatment" in first:
        field, col = first["treatment"]
        groups = set(_numeric(frame, col)) & {0.0, 1.0}
        if len(groups) < 2:
            out.append(Violation(file, col, "both groups are needed (1 = programme, 0 = "
                                 "comparison); the table has only one", (), field))
    if "event" in first and not (_numeric(frame, first["event"][1]) == 1).any():
        field, col = first["event"]
        out.append(Violation(file, col, "no row has an event (every row is censored): no "
                             "survival estimate can be made", (), field))
    return out
