"""Checks on person-level frames shared by the design and estimator layers.

Why one module: the same checks (column present, no missing value, a 0/1 column, a weight column)
were written five times with slightly different wording. Every check names the offending rows and
never drops a row silently: an exclusion belongs in the attrition ledger, not in a model call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def rows_text(index: pd.Index, limit: int = 5) -> str:
    """The first ``limit`` rows, and how many more, for an error message.

    Integer labels are a frame's row positions as read from a file: they are printed the way
    ``evaluation validate`` counts rows (row 1 = the first data row under the header, the
    project's one convention); other labels (person ids) are printed as they are."""
    labels = list(index[:limit])
    if pd.api.types.is_integer_dtype(index):
        shown = ", ".join(str(int(i) + 1) for i in labels)
    else:
        shown = ", ".join(repr(i) for i in labels)
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return f"{shown}{more}"


def check_columns(df: pd.DataFrame, columns: Sequence[str | None]) -> list[str]:
    """The named columns (None skipped) exist and hold no missing value; returns them.

    ValueError (naming the rows) otherwise; an empty frame is an error too.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(df).__name__}")
    used = [c for c in columns if c is not None]
    missing = [c for c in used if c not in df.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the data; columns are {list(df.columns)}")
    if len(df) == 0:
        raise ValueError("the data has no rows")
    for c in used:
        bad = df.index[df[c].isna().to_numpy()]
        if len(bad):
            raise ValueError(
                f"column {c!r} has {len(bad)} missing value(s) at rows {rows_text(bad)}; "
                "impute them or exclude those rows (through the attrition ledger) before fitting"
            )
    return used


def binary_array(df: pd.DataFrame, col: str, role: str) -> np.ndarray:
    """A 0/1 (or boolean) column as floats, or a ValueError naming the offending rows."""
    if col not in df.columns:
        raise ValueError(f"{role} column {col!r} not in the data; columns are {list(df.columns)}")
    s = df[col]
    if s.dtype == bool:
        return s.to_numpy(dtype=float)
    values = pd.to_numeric(s, errors="coerce")
    bad = df.index[~values.isin([0, 1]).to_numpy()]
    if len(bad):
        raise ValueError(
            f"{role} column {col!r} must hold only 0/1 (or True/False); rows {rows_text(bad)} do not"
        )
    return values.to_numpy(dtype=float)


def treatment_array(df: pd.DataFrame, treatment_col: str = "treated") -> np.ndarray:
    """The 0/1 treatment column (1 = programme, 0 = comparison) as int; both groups required."""
    t = binary_array(df, treatment_col, "treatment").astype(int)
    if t.min() == t.max():
        raise ValueError(
            f"treatment column {treatment_col!r} holds only the value {int(t[0])}; "
            "both the programme group (1) and the comparison group (0) are needed"
        )
    return t


def weight_array(df: pd.DataFrame, weights_col: str | None) -> np.ndarray:
    """Finite, non-negative weights as floats (all 1 when ``weights_col`` is None)."""
    if weights_col is None:
        return np.ones(len(df))
    w = pd.to_numeric(df[weights_col], errors="coerce").to_numpy(dtype=float)
    bad = df.index[~(np.isfinite(w) & (w >= 0))]
    if len(bad):
        raise ValueError(
            f"weights column {weights_col!r} must be finite and >= 0; rows {rows_text(bad)} are not"
        )
    return w


def cluster_codes(df: pd.DataFrame, cluster_col: str | None) -> np.ndarray | None:
    """Integer codes 0.. of the cluster column in sorted order of its values (None if none)."""
    if cluster_col is None:
        return None
    codes, _ = pd.factorize(df[cluster_col], sort=True)
    return codes


def label_codes(values: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    """Position of each value in ``levels``, -1 where it is not one of them (or empty).

    Why: a text column of a few distinct values is hashed once here, and every later test
    (is it a breach, its band, its group) is an index into a small array, not a pass over
    Python strings. Index a lookup array of ``len(levels) + 1`` entries with the codes: -1
    picks the last entry, the one for an unknown value."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        lookup = pd.Index(levels).get_indexer(values.cat.categories.astype(object))
        return np.append(lookup, -1)[codes].astype(np.int16)
    return pd.Categorical(values, categories=list(levels)).codes.astype(np.int16)
