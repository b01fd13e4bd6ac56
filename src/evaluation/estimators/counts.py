"""Frequency of reoffending (number of proven reoffences): rate ratio from a count model.

Why not the Justice Data Lab t-test of mean counts: counts are skewed and overdispersed, and
people are at risk for different lengths of time (custody, death, end of data), so we model counts
with time at risk as exposure (offset log(days at risk)) and report a rate ratio.

Engines (statsmodels):
- ``model="negative_binomial"`` without weights: ``statsmodels.discrete.NegativeBinomial`` (NB2),
  which estimates the dispersion alpha. Not the GLM ``NegativeBinomial`` family, which holds alpha
  fixed (domain-facts §7).
- ``model="negative_binomial"`` with weights: discrete models take no weights, so alpha is first
  estimated by the unweighted discrete NB2 fit and then used as a *working* value in a GLM NB2 with
  ``var_weights`` and a sandwich variance. The rate ratio is consistent whatever the working alpha
  (only efficiency depends on it), and the sandwich keeps the interval honest.
- ``model="poisson"``: GLM Poisson (quasi-likelihood), ``var_weights`` for weights.

Variance: always robust; HC0 without clusters, statsmodels' CR1 cluster-robust with clusters.
statsmodels issue #2829 (weights with robust covariance): we measured that GLM with ``var_weights``
and ``cov_type="HC0"``/``"cluster"`` gives the probability-weight sandwich
(X'WVX)^-1 [sum w_i^2 (y_i - mu_i)^2 x_i x_i'] (X'WVX)^-1, while ``freq_weights`` does not (it
treats a weight as that many copies of an independent person). So weights go in as
``var_weights`` and statsmodels' "not fully supported" warning for that case is silenced; the
tests check the sandwich against one built by hand.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from .binary import (
    RESULT_COLUMNS,
    _check_frame,
    _cluster_codes,
    _group_column,
    _p_value,
    _row,
    _rows_text,
    _variance_label,
    _weight_column,
    _z,
)

MODELS = ("negative_binomial", "poisson")


def _design(df: pd.DataFrame, group: str, covariates: Sequence[str] | None) -> pd.DataFrame:
    """Intercept, group, then covariates (categorical ones one-hot coded, first level dropped)."""
    X = pd.DataFrame({"const": 1.0, group: _group_column(df, group)}, index=df.index)
    if covariates:
        cov = df[list(covariates)]
        cat = [c for c in cov.columns if not pd.api.types.is_numeric_dtype(cov[c])
               or pd.api.types.is_bool_dtype(cov[c])]
        cov = pd.get_dummies(cov, columns=cat, drop_first=True, dtype=float)
        X = pd.concat([X, cov.astype(float)], axis=1)
    rank = np.linalg.matrix_rank(X.to_numpy())
    if rank < X.shape[1]:
        raise ValueError(
            f"the design (intercept, {group!r}, covariates {list(covariates or [])}) is collinear "
            f"(rank {rank} < {X.shape[1]} columns); drop a redundant covariate"
        )
    return X


def _cov_args(codes: np.ndarray | None) -> dict:
    if codes is None:
        return {"cov_type": "HC0"}
    return {"cov_type": "cluster", "cov_kwds": {"groups": codes}}


def _fit_glm(y, X, family, offset, w, codes):
    with warnings.catch_warnings():
        # measured: var_weights + HC0/cluster is the pweight sandwich (see module docstring)
        warnings.filterwarnings("ignore", message="cov_type not fully supported with var_weights")
        model = sm.GLM(y, X, family=family, offset=offset, var_weights=w)
        return model.fit(**_cov_args(codes))


def _fit_discrete_nb(y, X, offset, codes, cov: bool = True):
    model = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is checked explicitly below
        fit_args = _cov_args(codes) if cov else {}
        res = model.fit(disp=0, maxiter=500, method="bfgs", **fit_args)
    if not res.mle_retvals.get("converged", False):
        raise RuntimeError(
            "the negative binomial model did not converge (often: no overdispersion, alpha near 0); "
            "use model='poisson', whose robust interval does not rely on the variance model"
        )
    return res


def count_effect(
    df: pd.DataFrame,
    count: str,
    group: str,
    exposure: str | None = None,
    model: str = "negative_binomial",
    covariates: Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rate ratio (programme / comparison) of a count outcome, with a robust interval.

    ``exposure`` is time at risk (e.g. days); it enters as offset log(exposure), so the ratio
    compares rates per unit of time at risk. With ``covariates`` the ratio is conditional on them
    (regression adjustment). Rows: ``rate_comparison`` and ``rate_treated`` (weighted crude
    counts per person, or per unit of exposure; descriptive, no interval), ``rate_ratio``
    (std_error on the log scale, p-value for ratio = 1), and for NB ``alpha`` (dispersion).
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    _check_frame(df, [count, group, exposure, weights, cluster, *(covariates or [])])
    y = pd.to_numeric(df[count], errors="coerce").to_numpy(dtype=float)
    bad = df.index[~(np.isfinite(y) & (y >= 0) & (np.mod(y, 1) == 0))]
    if len(bad):
        raise ValueError(f"count column {count!r} must hold whole numbers >= 0; "
                         f"rows {_rows_text(bad)} do not")
    offset = None
    expo = np.ones(len(df))
    if exposure is not None:
        expo = pd.to_numeric(df[exposure], errors="coerce").to_numpy(dtype=float)
        bad = df.index[~(np.isfinite(expo) & (expo > 0))]
        if len(bad):
            raise ValueError(
                f"exposure column {exposure!r} must be > 0 (time at risk); rows {_rows_text(bad)} "
                "are not: exclude people with no time at risk explicitly (attrition ledger)"
            )
        offset = np.log(expo)
    X = _design(df, group, covariates)
    w = _weight_column(df, weights)
    codes = _cluster_codes(df, cluster)
    z = _z(alpha)
    g = X[group].to_numpy()
    if w[g == 1].sum() <= 0 or w[g == 0].sum() <= 0:
        raise ValueError(f"a group of {group!r} has zero total weight in {weights!r}")

    label = _variance_label(weights, cluster, codes)
    alpha_row = None
    if model == "poisson":
        res = _fit_glm(y, X, sm.families.Poisson(), offset, w, codes)
        method = f"Poisson GLM (quasi-likelihood); {label}"
    elif weights is None:
        res = _fit_discrete_nb(y, X, offset, codes)
        method = f"negative binomial NB2 (statsmodels discrete, alpha estimated); {label}"
        a, se_a = float(res.params.iloc[-1]), float(res.bse.iloc[-1])
        alpha_row = _row("alpha", a, se_a, a - z * se_a, a + z * se_a, np.nan,
                         "NB2 dispersion (estimated)", len(y))
    else:
        working = float(_fit_discrete_nb(y, X, offset, None, cov=False).params.iloc[-1])
        res = _fit_glm(y, X, sm.families.NegativeBinomial(alpha=working), offset, w, codes)
        method = ("negative binomial NB2 GLM with working alpha from the unweighted discrete "
                  f"NB2 fit; {label}")
        alpha_row = _row("alpha", working, np.nan, np.nan, np.nan, np.nan,
                         "NB2 working dispersion (unweighted fit; not re-estimated)", len(y))

    b = float(res.params[group])
    se = float(res.bse[group])
    rows = []
    unit = "per unit of exposure" if exposure is not None else "per person"
    for value, term in ((0, "rate_comparison"), (1, "rate_treated")):
        m = g == value
        rate = (w[m] * y[m]).sum() / (w[m] * expo[m]).sum()
        rows.append(_row(term, rate, np.nan, np.nan, np.nan, np.nan,
                         f"weighted crude rate {unit} (descriptive)", int(m.sum())))
    adjusted = " (covariate-adjusted)" if covariates else ""
    rows.append(_row("rate_ratio", np.exp(b), se, np.exp(b - z * se), np.exp(b + z * se),
                     _p_value(b, se), f"rate ratio{adjusted}, Wald on log scale; {method}",
                     len(y)))
    if alpha_row is not None:
        rows.append(alpha_row)
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
