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
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families

from .common import (
    RESULT_COLUMNS,
    check_columns,
    cluster_codes,
    fit_glm,
    glm_cov_args,
    p_value,
    regression_design,
    result_row,
    rows_text,
    variance_label,
    weight_array,
    z_value,
)

MODELS = ("negative_binomial", "poisson")


def _fit_discrete_nb(y, X, offset, codes, cov: bool = True):
    model = NegativeBinomial(y, X, offset=offset, loglike_method="nb2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is checked explicitly below
        fit_args = glm_cov_args(codes) if cov else {}
        res = model.fit(disp=0, maxiter=500, method="bfgs", **fit_args)
    if not res.mle_retvals.get("converged", False):
        raise RuntimeError(
            "the negative binomial model did not converge (often: no overdispersion, alpha near 0); "
            "use model='poisson', whose robust interval does not rely on the variance model"
        )
    return res


def count_effect(
    df: pd.DataFrame,
    *,
    outcome_col: str,
    treatment_col: str = "treated",
    exposure_col: str | None = None,
    model: str = "negative_binomial",
    covariates: Sequence[str] | None = None,
    weights_col: str | None = None,
    cluster_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rate ratio (programme / comparison) of a count outcome, with a robust interval.

    ``outcome_col`` holds the counts; ``exposure_col`` is time at risk (e.g. days); it enters as offset log(exposure), so the ratio
    compares rates per unit of time at risk. With ``covariates`` the ratio is conditional on them
    (regression adjustment). Rows: ``rate_comparison`` and ``rate_treated`` (weighted crude
    counts per person, or per unit of exposure; descriptive, no interval), ``rate_ratio``
    (std_error on the log scale, p-value for ratio = 1), and for NB ``alpha`` (dispersion).
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    count, exposure = outcome_col, exposure_col
    check_columns(df, [count, treatment_col, exposure, weights_col, cluster_col,
                       *(covariates or [])])
    y = pd.to_numeric(df[count], errors="coerce").to_numpy(dtype=float)
    bad = df.index[~(np.isfinite(y) & (y >= 0) & (np.mod(y, 1) == 0))]
    if len(bad):
        raise ValueError(f"count column {count!r} must hold whole numbers >= 0; "
                         f"rows {rows_text(bad)} do not")
    offset = None
    expo = np.ones(len(df))
    if exposure is not None:
        expo = pd.to_numeric(df[exposure], errors="coerce").to_numpy(dtype=float)
        bad = df.index[~(np.isfinite(expo) & (expo > 0))]
        if len(bad):
            raise ValueError(
                f"exposure column {exposure!r} must be > 0 (time at risk); rows {rows_text(bad)} "
                "are not: exclude people with no time at risk explicitly (attrition ledger)"
            )
        offset = np.log(expo)
    X = regression_design(df, treatment_col, covariates)
    w = weight_array(df, weights_col)
    codes = cluster_codes(df, cluster_col)
    z = z_value(alpha)
    g = X[treatment_col].to_numpy()
    if w[g == 1].sum() <= 0 or w[g == 0].sum() <= 0:
        raise ValueError(f"a group of {treatment_col!r} has zero total weight in {weights_col!r}")

    label = variance_label(weights_col, cluster_col, codes)
    alpha_row = None
    if model == "poisson":
        res = fit_glm(y, X, families.Poisson(), offset, w, codes)
        method = f"Poisson GLM (quasi-likelihood); {label}"
    elif weights_col is None:
        res = _fit_discrete_nb(y, X, offset, codes)
        method = f"negative binomial NB2 (statsmodels discrete, alpha estimated); {label}"
        a, se_a = float(res.params.iloc[-1]), float(res.bse.iloc[-1])
        alpha_row = result_row("alpha", a, se_a, a - z * se_a, a + z * se_a, np.nan,
                         "NB2 dispersion (estimated)", len(y))
    else:
        working = float(_fit_discrete_nb(y, X, offset, None, cov=False).params.iloc[-1])
        res = fit_glm(y, X, families.NegativeBinomial(alpha=working), offset, w, codes)
        method = ("negative binomial NB2 GLM with working alpha from the unweighted discrete "
                  f"NB2 fit; {label}")
        alpha_row = result_row("alpha", working, np.nan, np.nan, np.nan, np.nan,
                         "NB2 working dispersion (unweighted fit; not re-estimated)", len(y))

    b = float(res.params[treatment_col])
    se = float(res.bse[treatment_col])
    rows = []
    unit = "per unit of exposure" if exposure is not None else "per person"
    for value, term in ((0, "rate_comparison"), (1, "rate_treated")):
        m = g == value
        rate = (w[m] * y[m]).sum() / (w[m] * expo[m]).sum()
        rows.append(result_row(term, rate, np.nan, np.nan, np.nan, np.nan,
                         f"weighted crude rate {unit} (descriptive)", int(m.sum())))
    adjusted = " (covariate-adjusted)" if covariates else ""
    rows.append(result_row("rate_ratio", np.exp(b), se, np.exp(b - z * se), np.exp(b + z * se),
                     p_value(b, se), f"rate ratio{adjusted}, Wald on log scale; {method}",
                     len(y)))
    if alpha_row is not None:
        rows.append(alpha_row)
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
