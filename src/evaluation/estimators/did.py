"""Before/during with a comparison group (IOM): difference-in-differences on offence rates.

Why: published IOM evaluations report the drop in offending from the year before to the year on
the programme. People are selected onto IOM at a peak of offending, so their rates fall anyway
(regression to the mean), and crime trends move everyone. The comparison group's change estimates
that fall; the difference in differences is what is left for the programme. We report the naive
figure beside it, and the share of the naive change that the comparison trend accounts for.

Additive DiD: weighted least squares of each person's change (during - before) on the group
indicator. That equals the long-format OLS ``rate ~ group * period`` interaction (tested) and its
person-clustered sandwich: one person's two rows become one change score. Standard errors are
cluster-robust on ``cluster_col`` if given (e.g. matched set), otherwise on the person (CR1).

Multiplicative DiD (ratio of ratios): Poisson GLM (quasi-likelihood; rates need not be whole
numbers) on the long format with ``group * period``, clustered on person (or ``cluster_col``):
exp(interaction) = (during_T / before_T) / (during_C / before_C) of the weighted mean rates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import WLS

from .common import (
    RESULT_COLUMNS,
    check_columns,
    cluster_codes,
    p_value,
    result_row,
    rows_text,
    treatment_values,
    weight_array,
    z_value,
)


def _rates(df: pd.DataFrame, col: str) -> np.ndarray:
    r = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    bad = df.index[~(np.isfinite(r) & (r >= 0))]
    if len(bad):
        raise ValueError(f"rate column {col!r} must be finite and >= 0; rows {rows_text(bad)} "
                         "are not")
    return r


def _prepare(df, before_col, during_col, treatment_col, weights_col, cluster_col):
    check_columns(df, [before_col, during_col, treatment_col, weights_col, cluster_col])
    before, during = _rates(df, before_col), _rates(df, during_col)
    g = treatment_values(df, treatment_col)
    w = weight_array(df, weights_col)
    for value in (0, 1):
        if w[g == value].sum() <= 0:
            raise ValueError(f"group {value} of {treatment_col!r} has zero total weight in "
                             f"{weights_col!r}")
    codes = cluster_codes(df, cluster_col)
    if codes is None:
        codes = np.arange(len(df))
    where = f"{cluster_col!r}" if cluster_col is not None else "person"
    label = f"cluster-robust on {where} ({int(codes.max()) + 1} clusters, CR1)"
    if weights_col is not None:
        label = f"weights {weights_col!r}, {label}"
    return before, during, g, w, codes, label


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float((w * x).sum() / w.sum())


def did_before_during(
    df: pd.DataFrame,
    *,
    before_col: str,
    during_col: str,
    treatment_col: str = "treated",
    weights_col: str | None = None,
    cluster_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Naive before/during change, comparison change and the additive DiD, as numbers.

    Rates are person-level annualised offence rates. Rows (``term``):
    ``before_treated``, ``during_treated``, ``change_treated`` (the naive figure, with CI),
    ``change_treated_pct`` (% of before), the same four for ``comparison``, ``did`` (programme
    change minus comparison change, with CI), ``did_pct`` (DiD as % of the programme group's
    before rate) and ``comparison_share`` (comparison change / programme change: the share of the
    naive change accounted for by regression to the mean and secular trend; delta-method CI;
    NaN if the programme change is 0). A negative change is a fall.
    """
    before, during, g, w, codes, label = _prepare(df, before_col, during_col, treatment_col,
                                                  weights_col, cluster_col)
    z = z_value(alpha)
    change = during - before
    X = np.column_stack([np.ones(len(g)), g])
    res = WLS(change, X, weights=w).fit(cov_type="cluster", cov_kwds={"groups": codes})
    b = np.asarray(res.params)
    V = np.asarray(res.cov_params())
    n = len(g)
    rows = []
    # change_comparison = b0; change_treated = b0 + b1; did = b1
    contrasts = {"comparison": np.array([1.0, 0.0]), "treated": np.array([1.0, 1.0])}
    changes = {}
    for name, value in (("treated", 1), ("comparison", 0)):
        m = g == value
        bef, dur = _wmean(before[m], w[m]), _wmean(during[m], w[m])
        c = contrasts[name]
        est, se = float(c @ b), float(np.sqrt(c @ V @ c))
        changes[name] = (est, c)
        nm = int(m.sum())
        desc = "weighted mean rate" if weights_col is not None else "mean rate"
        rows.append(result_row(f"before_{name}", bef, np.nan, np.nan, np.nan, np.nan, desc, nm))
        rows.append(result_row(f"during_{name}", dur, np.nan, np.nan, np.nan, np.nan, desc, nm))
        rows.append(result_row(f"change_{name}", est, se, est - z * se, est + z * se, p_value(est, se),
                         f"mean change (during - before), Wald; {label}", nm))
        pct = 100 * est / bef if bef > 0 else np.nan
        rows.append(result_row(f"change_{name}_pct", pct, np.nan, np.nan, np.nan, np.nan,
                         "change as % of the before rate", nm))
    did, se_did = float(b[1]), float(np.sqrt(V[1, 1]))
    rows.append(result_row("did", did, se_did, did - z * se_did, did + z * se_did, p_value(did, se_did),
                     f"difference-in-differences (WLS on change scores), Wald; {label}", n))
    bef_t = _wmean(before[g == 1], w[g == 1])
    rows.append(result_row("did_pct", 100 * did / bef_t if bef_t > 0 else np.nan, np.nan, np.nan,
                     np.nan, np.nan, "DiD as % of the programme group's before rate", n))
    a, ca = changes["comparison"]
    t, ct = changes["treated"]
    if t != 0:
        share = a / t
        grad = ca / t - a * ct / t**2
        se_share = float(np.sqrt(grad @ V @ grad))
        rows.append(result_row("comparison_share", share, se_share, share - z * se_share,
                         share + z * se_share, np.nan,
                         f"comparison change / programme change, delta method; {label}", n))
    else:
        rows.append(result_row("comparison_share", np.nan, np.nan, np.nan, np.nan, np.nan,
                         "undefined: the programme group's change is 0", n))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def did_ratio_of_ratios(
    df: pd.DataFrame,
    *,
    before_col: str,
    during_col: str,
    treatment_col: str = "treated",
    weights_col: str | None = None,
    cluster_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Multiplicative DiD: (during/before in programme) / (during/before in comparison).

    Rows: ``ratio_comparison``, ``ratio_treated`` (during/before of the weighted mean rates) and
    ``ratio_of_ratios``, each with a Wald CI on the log scale (std_error is of the log) from a
    Poisson GLM on the long format, clustered on person or ``cluster_col``.
    """
    before, during, g, w, codes, label = _prepare(df, before_col, during_col, treatment_col,
                                                  weights_col, cluster_col)
    z = z_value(alpha)
    for value in (0, 1):
        m = g == value
        for name, r in (("before", before), ("during", during)):
            if (w[m] * r[m]).sum() <= 0:
                raise ValueError(f"the {name} rate of group {value} is 0 in every row: "
                                 "a ratio of rates is undefined; use did_before_during")
    n = len(g)
    y = np.concatenate([before, during])
    gg = np.concatenate([g, g])
    period = np.concatenate([np.zeros(n), np.ones(n)])
    X = np.column_stack([np.ones(2 * n), gg, period, gg * period])
    with warnings.catch_warnings():
        # measured in counts.py tests: var_weights + cluster is the pweight sandwich
        warnings.filterwarnings("ignore", message="cov_type not fully supported with var_weights")
        res = GLM(y, X, family=families.Poisson(), var_weights=np.concatenate([w, w])).fit(
            cov_type="cluster", cov_kwds={"groups": np.concatenate([codes, codes])})
    b, V = np.asarray(res.params), np.asarray(res.cov_params())
    method = f"Poisson GLM on long format (rate ~ group * period), Wald on log scale; {label}"
    rows = []
    for term, c, nn in (("ratio_comparison", np.array([0, 0, 1.0, 0]), int((g == 0).sum())),
                        ("ratio_treated", np.array([0, 0, 1.0, 1.0]), int((g == 1).sum())),
                        ("ratio_of_ratios", np.array([0, 0, 0, 1.0]), n)):
        est, se = float(c @ b), float(np.sqrt(c @ V @ c))
        rows.append(result_row(term, np.exp(est), se, np.exp(est - z * se), np.exp(est + z * se),
                         p_value(est, se), method, nn))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
