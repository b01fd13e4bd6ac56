"""Log-rank test of equal survival curves across groups, weighted and clustered when needed.

- No weights, no clusters: lifelines ``multivariate_logrank_test`` (the classic test; agrees with R
  ``survdiff``).
- Weights and/or clusters: the ordinary log-rank variance assumes independent, unweighted people,
  so we use the robust score test of a Cox model with group indicators at beta = 0, as R
  ``coxph(..., weights=, cluster=)`` prints ("Robust = ..."): U = sum_i w_i r_i(0) (r = Efron score
  residuals, which at beta = 0 give the log-rank score), V = sum_c (sum_{i in c} w_i r_i(0))^2 over
  clusters (person when none), chi2 = U' V^-1 U on (groups - 1) df. This is the IPW/matched log-rank
  analogue; it is a Wald-free score test, so it needs no model fit. Tested against R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines.statistics import multivariate_logrank_test
from scipy import stats

from .common import RESULT_COLUMNS, cluster_sums, result_row, survival_inputs
from .cox import efron_score_residuals


def logrank(
    df: pd.DataFrame,
    *,
    duration_col: str,
    event_col: str,
    treatment_col: str = "treated",
    weights_col: str | None = None,
    cluster_col: str | None = None,
) -> pd.DataFrame:
    """One tidy row, term ``logrank``: ``estimate`` is the chi-square statistic, ``p_value`` its
    p-value; degrees of freedom and the variant are in ``method``; no interval (NaN)."""
    t, e, w, codes = survival_inputs(df, duration_col=duration_col, event_col=event_col,
                                     weights_col=weights_col, cluster_col=cluster_col,
                                     extra=[treatment_col])
    groups = df[treatment_col].to_numpy()
    levels = list(pd.unique(np.sort(groups)))
    if len(levels) < 2:
        raise ValueError(f"treatment column {treatment_col!r} has a single value {levels}; "
                         "a log-rank test needs at least two groups")
    dof = len(levels) - 1
    if weights_col is None and cluster_col is None:
        res = multivariate_logrank_test(t, groups, e)
        chi2 = float(res.test_statistic)
        method = f"log-rank test (lifelines), chi-square on {dof} df"
    else:
        keep = w > 0
        X = np.column_stack([(groups[keep] == g).astype(float) for g in levels[1:]])
        r = efron_score_residuals(t[keep], e[keep], w[keep], X, np.zeros(dof))
        wr = w[keep][:, None] * r
        score = wr.sum(axis=0)
        d = cluster_sums(wr, None if codes is None else codes[keep])
        chi2 = float(score @ np.linalg.solve(d.T @ d, score))
        where = f"clustered on {cluster_col!r}" if cluster_col else "per person"
        wt = f"weights {weights_col!r}, " if weights_col else ""
        method = (f"robust score (log-rank) test from a Cox model at beta = 0, {wt}"
                  f"robust variance {where}; chi-square on {dof} df")
    p = float(stats.chi2.sf(chi2, dof))
    return pd.DataFrame([result_row("logrank", chi2, np.nan, np.nan, np.nan, p, method, len(t))],
                        columns=RESULT_COLUMNS)
