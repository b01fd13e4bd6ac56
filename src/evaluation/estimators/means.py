"""Difference in means (e.g. cost of reoffending per person) with a robust interval.

A weighted least-squares regression of the outcome on the group indicator gives the weighted
difference in means; its sandwich variance (HC0, or clustered on matched set) stays valid under
match or IPT weights, where a t-test's does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats


def mean_difference(
    df: pd.DataFrame,
    outcome: str,
    group: str,
    weights: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rows ``mean_comparison``, ``mean_treated`` and ``mean_difference`` (programme minus comparison)."""
    missing = [c for c in (outcome, group, weights, cluster) if c and c not in df.columns]
    if missing:
        raise ValueError(f"mean_difference: column(s) {missing} not in the data")
    y = pd.to_numeric(df[outcome], errors="coerce").to_numpy(dtype=float)
    g = pd.to_numeric(df[group], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(y) | ~np.isin(g, (0, 1))
    if bad.any():
        rows = df.index[bad][:5].tolist()
        raise ValueError(f"mean_difference: '{outcome}' must be a number and '{group}' 0/1; "
                         f"{int(bad.sum())} row(s) are not, e.g. {rows}")
    if g.min() == g.max():
        raise ValueError(f"mean_difference: '{group}' has only one group")
    w = np.ones(len(df)) if weights is None else df[weights].to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(df)), g])
    model = sm.WLS(y, X, weights=w)
    if cluster is not None:
        codes = pd.factorize(df[cluster])[0]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes})
        method = "weighted least squares, cluster-robust" if weights else "least squares, cluster-robust"
    else:
        fit = model.fit(cov_type="HC0")
        method = "weighted least squares, robust (HC0)" if weights else "least squares, robust (HC0)"
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
    return pd.DataFrame(rows)
