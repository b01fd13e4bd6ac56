"""Covariate-adjusted (doubly robust) estimates, to show beside the matched estimate.

Why: a matched comparison is only as good as the matching; if the matched estimate and an
estimate that also models the outcome agree, a reader can trust both more. Two tools:

- ``adjusted_effect``: regression adjustment inside the matched (or weighted) sample. A logistic
  outcome model with the group and the covariates, fitted with the matching weights
  (statsmodels GLM Binomial, ``var_weights``, cluster-robust on the matched set), then
  g-computation of the effect on the treated: average over the programme group of the predicted
  risk with and without the programme. Intervals by the delta method from the model's sandwich,
  given the treated people's covariates (as R marginaleffects ``avg_comparisons`` does, MatchIt's
  recommended workflow). Consistent if either the matching balanced the covariates or the
  outcome model is right (Ho, Imai, King & Stuart 2007).
- ``aipw_att``: augmented inverse-probability weighting for the ATT risk difference on the whole
  (unmatched) sample: propensity by statsmodels Logit, outcome model among the comparison group
  by GLM Binomial; consistent if either model is right. statsmodels ``TreatmentEffect`` has AIPW
  for the ATE only, with a linear outcome model and no clusters, hence this gap filled.
  tau = (1/n1) sum[T (Y - m0(X)) - (1 - T) e/(1 - e) (Y - m0(X))]. The standard error sums the
  influence function psi_i = [T (Y - m0 - tau) - (1 - T) e/(1 - e) (Y - m0)] / n1 within
  clusters; it treats the fitted models as known, which is correct to first order when both
  are right and is the usual practice (Moodie et al. 2018); use the design bootstrap otherwise.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit
from statsmodels.discrete.discrete_model import Logit
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from .common import (
    RESULT_COLUMNS,
    binary_array,
    check_columns,
    cluster_codes,
    fit_glm,
    p_value,
    regression_design,
    result_row,
    sandwich,
    variance_label,
    weight_array,
    z_value,
)


def _rd_rr_rows(p1: float, p0: float, g1: np.ndarray, g0: np.ndarray, V: np.ndarray, z: float,
                n: int, method: str) -> list[dict]:
    g = g1 - g0
    se = float(np.sqrt(g @ V @ g))
    rd = p1 - p0
    rows = [result_row("risk_difference", rd, se, rd - z * se, rd + z * se, p_value(rd, se),
                 f"risk difference, delta method; {method}", n)]
    gl = g1 / p1 - g0 / p0
    se_l = float(np.sqrt(gl @ V @ gl))
    lrr = np.log(p1 / p0)
    rows.append(result_row("relative_risk", p1 / p0, se_l, np.exp(lrr - z * se_l),
                     np.exp(lrr + z * se_l), p_value(lrr, se_l),
                     f"relative risk, delta method on log scale; {method}", n))
    return rows


def adjusted_effect(
    df: pd.DataFrame,
    *,
    outcome_col: str,
    treatment_col: str = "treated",
    covariates: Sequence[str],
    weights_col: str | None = None,
    cluster_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Covariate-adjusted effect on the treated (g-computation from a weighted logistic model).

    Rows as ``binary_effect``: ``risk_treated`` (predicted risk of the programme group),
    ``risk_comparison`` (the same people's predicted risk without the programme),
    ``risk_difference`` and ``relative_risk``, so the two tables can be shown side by side.
    """
    if not covariates:
        raise ValueError("adjusted_effect needs at least one covariate; "
                         "without covariates use binary_effect")
    check_columns(df, [outcome_col, treatment_col, weights_col, cluster_col, *covariates])
    y = binary_array(df, outcome_col, "outcome")
    X = regression_design(df, treatment_col, covariates)
    w = weight_array(df, weights_col)
    codes = cluster_codes(df, cluster_col)
    z = z_value(alpha)
    try:
        res = fit_glm(y, X, families.Binomial(), None, w, codes)
    except np.linalg.LinAlgError as exc:  # the information matrix of a separated model
        raise RuntimeError("the logistic outcome model cannot be fitted (singular information "
                           f"matrix: {exc}); separation? simplify the covariates") from None
    if not res.converged:
        raise RuntimeError("the logistic outcome model did not converge (separation?); "
                           "simplify the covariates")
    b, V = res.params.to_numpy(), res.cov_params().to_numpy()
    treated = X[treatment_col].to_numpy() == 1
    wt = w[treated] / w[treated].sum()
    X1 = X.loc[treated].to_numpy().copy()
    X0 = X1.copy()
    col = list(X.columns).index(treatment_col)
    X1[:, col], X0[:, col] = 1.0, 0.0
    pr1, pr0 = expit(X1 @ b), expit(X0 @ b)
    p1, p0 = float(wt @ pr1), float(wt @ pr0)
    g1 = (wt * pr1 * (1 - pr1)) @ X1
    g0 = (wt * pr0 * (1 - pr0)) @ X0
    label = ("logistic outcome model + g-computation (ATT); "
             f"{variance_label(weights_col, cluster_col, codes)}")
    n1 = int(treated.sum())
    rows = []
    for term, p, g in (("risk_comparison", p0, g0), ("risk_treated", p1, g1)):
        se = float(np.sqrt(g @ V @ g))
        rows.append(result_row(term, p, se, max(0.0, p - z * se), min(1.0, p + z * se), np.nan,
                         f"predicted risk of the programme group; {label}", n1))
    rows += _rd_rr_rows(p1, p0, g1, g0, V, z, len(y), label)
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def aipw_att(
    df: pd.DataFrame,
    *,
    outcome_col: str,
    treatment_col: str = "treated",
    covariates: Sequence[str],
    cluster_col: str | None = None,
    alpha: float = 0.05,
    max_odds_weight: float = 100.0,
) -> pd.DataFrame:
    """Augmented IPW estimate of the ATT risk difference on a binary outcome.

    Rows: ``risk_treated`` (observed), ``risk_comparison`` (estimated risk of the treated had
    they not been treated) and ``risk_difference`` with an influence-function interval.
    Raises ValueError when a comparison person's propensity odds e/(1-e) exceed
    ``max_odds_weight`` (poor overlap: trim or match first rather than trust the weights).
    """
    if not covariates:
        raise ValueError("aipw_att needs covariates for the propensity and outcome models")
    check_columns(df, [outcome_col, treatment_col, cluster_col, *covariates])
    y = binary_array(df, outcome_col, "outcome")
    X = regression_design(df, treatment_col, covariates)
    t = X.pop(treatment_col).to_numpy()
    codes = cluster_codes(df, cluster_col)
    z = z_value(alpha)
    Xa = X.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and overlap are checked explicitly
        ps = Logit(t, Xa).fit(disp=0, method="newton", maxiter=100)
        comparison = t == 0
        om = GLM(y[comparison], Xa[comparison], family=families.Binomial()).fit()
    if not ps.mle_retvals.get("converged", False) or not om.converged:
        raise RuntimeError("the propensity or outcome model did not converge (separation?); "
                           "simplify the covariates")
    e = np.clip(ps.predict(Xa), 0.0, 1.0)
    odds = np.where(comparison, e / np.maximum(1 - e, 1e-300), 0.0)
    worst = df.index[comparison & (odds > max_odds_weight)]
    if len(worst):
        raise ValueError(
            f"{len(worst)} comparison people have propensity odds above {max_odds_weight} "
            f"(rows {list(worst[:5])}): poor overlap; trim, match first, or raise max_odds_weight"
        )
    m0 = om.predict(Xa)
    n1 = t.sum()
    resid = y - m0
    tau = float((t * resid - (1 - t) * odds * resid).sum() / n1)
    psi = (t * (resid - tau) - (1 - t) * odds * resid) / n1
    se = float(np.sqrt(sandwich(psi, codes, 1)[0, 0]))
    p1 = float(y[t == 1].mean())
    where = (f"cluster-robust on {cluster_col!r}" if cluster_col is not None else "robust (HC0)")
    label = (f"AIPW for the ATT (logit propensity, logistic outcome model in comparison group), "
             f"influence-function SE, {where}")
    n = len(y)
    return pd.DataFrame([
        result_row("risk_comparison", p1 - tau, np.nan, np.nan, np.nan, np.nan,
             f"counterfactual risk of the treated; {label}", int(n1)),
        result_row("risk_treated", p1, np.nan, np.nan, np.nan, np.nan, "observed risk of the treated",
             int(n1)),
        result_row("risk_difference", tau, se, tau - z * se, tau + z * se, p_value(tau, se), label, n),
    ], columns=RESULT_COLUMNS)
