"""Multiplicity: one pre-declared headline outcome, secondary outcomes Holm-adjusted.

Why: a report that tests rate, frequency, time to reoffence, custody, each by court outcome, will
find "significant" results by chance. The headline outcome is declared before the data are seen
and read at its nominal level; the secondaries are adjusted together by Holm's step-down method
(Holm 1979), which controls the family-wise error rate like Bonferroni but rejects more.

Holm: sort the m p-values p_(1) <= ... <= p_(m); adjusted p_(i) = max_{j <= i} min(1, (m-j+1)
p_(j)); returned in the input order. statsmodels ``multipletests(method="holm")`` computes the
same and is the tests' second opinion; it is reimplemented here only because it is five lines
and keeps the input's index and NaN checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def holm_adjust(p_values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray | pd.Series:
    """Holm-adjusted p-values, in the input order (a Series keeps its index)."""
    index = p_values.index if isinstance(p_values, pd.Series) else None
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p_values must be one-dimensional, got shape {p.shape}")
    bad = np.flatnonzero(~(np.isfinite(p) & (p >= 0) & (p <= 1)))
    if len(bad):
        raise ValueError(f"p-values must lie in [0, 1]; positions {bad.tolist()} do not")
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return pd.Series(adjusted, index=index, name="p_adjusted") if index is not None else adjusted


def adjust_secondaries(
    results: pd.DataFrame,
    *,
    headline: str,
    outcome_col: str = "outcome",
    p_col: str = "p_value",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Mark the pre-declared headline and Holm-adjust the secondaries among themselves.

    ``results`` has one row per outcome (``outcome_col`` unique) with a p-value. Returns a copy
    with ``role`` ("headline"/"secondary"), ``p_adjusted`` (headline unadjusted) and
    ``significant`` (``p_adjusted <= alpha``), in the input order.
    """
    for col in (outcome_col, p_col):
        if col not in results.columns:
            raise ValueError(f"column {col!r} not in the results; columns are "
                             f"{list(results.columns)}")
    dup = results[outcome_col][results[outcome_col].duplicated()].unique().tolist()
    if dup:
        raise ValueError(f"outcome(s) {dup} appear more than once in {outcome_col!r}; "
                         "one row per outcome")
    is_headline = (results[outcome_col] == headline).to_numpy()
    if is_headline.sum() != 1:
        raise ValueError(f"headline outcome {headline!r} not found in {outcome_col!r}; "
                         f"outcomes are {results[outcome_col].tolist()}")
    out = results.copy()
    out["role"] = np.where(is_headline, "headline", "secondary")
    p = pd.to_numeric(out[p_col], errors="coerce").to_numpy(dtype=float)
    bad = out.index[~(np.isfinite(p) & (p >= 0) & (p <= 1))]
    if len(bad):
        raise ValueError(f"{p_col!r} must lie in [0, 1]; rows {list(bad)} do not")
    adjusted = p.copy()
    if (~is_headline).any():
        adjusted[~is_headline] = holm_adjust(p[~is_headline])
    out["p_adjusted"] = adjusted
    out["significant"] = out["p_adjusted"] <= alpha
    return out
