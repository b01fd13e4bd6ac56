"""Difference in means (e.g. cost of reoffending per person) with a robust interval.

A weighted least-squares regression of the outcome on the group indicator gives the weighted
difference in means; its sandwich variance (HC0, or clustered on matched set) stays valid under
match or IPT weights, where a t-test's does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import WLS

from .common import RESULT_COLUMNS, check_columns, rows_text, treatment_values, weight_array


def mean_difference(
    df: pd.DataFrame,
    *,
    outcome_col: str,
    treatment_col: str = "treated",
    weights_col: str | None = None,
    cluster_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rows ``mean_comparison``, ``mean_treated`` and ``mean_difference`` (programme minus comparison)."""
    check_columns(df, [outcome_col, treatment_col, weights_col, cluster_col])
    y = pd.to_numeric(df[outcome_col], errors="coerce").to_numpy(dtype=float)
    bad = df.index[~np.isfinite(y)]
    if len(bad):
        raise ValueError(f"outcome column {outcome_col!r} must be a number; rows "
                         f"{rows_text(bad)} are not")
    g = treatment_values(df, treatment_col)
    w = weight_array(df, weights_col)
    X = np.column_stack([np.ones(len(df)), g])
    model = WLS(y, X, weights=w)
    if cluster_col is not None:
        # unsorted codes, as before: the sandwich sums clusters in this order (last-bit identical)
        codes = pd.factorize(df[cluster_col])[0]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes})
        method = ("weighted least squares, cluster-robust" if weights_col
                  else "least squares, cluster-robust")
    else:
        fit = model.fit(cov_type="HC0")
        method = ("weighted least squares, robust (HC0)" if weights_col
                  else "least squares, robust (HC0)")
    z = stats.norm.ppf(1 - alpha / 2)
    b0, b1 = fit.params
    cov = fit.cov_params()
    rows = []
    for term, est, var in (("mean_comparison", b0, cov[0, 0]),
                           ("mean_treated", b0 + b1, cov[0, 0] + cov[1, 1] + 2 * cov[0, 1]),
                           ("mean_difference", b1, cov[1, 1])):
        se = float(np.sqrt(var))
        p = float(2 * stats.norm.sf(abs(est / se))) if term == "mean_difference" and se > 0 \
            else np.nan
        rows.append({"term": term, "estimate": float(est), "std_error": se,
                     "lower": float(est - z * se), "upper": float(est + z * se), "p_value": p,
                     "method": method, "n": int(len(df))})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
