"""Restricted mean survival time (RMST): mean reoffence-free days up to a horizon, per group.

Why: the RMST difference ("on average the programme group stayed reoffence-free N more days in the
first year") needs no proportional hazards and reads plainly; it is the fallback when the Cox PH
check fails.

Why not lifelines alone: ``restricted_mean_survival_time(return_variance=True)`` returns
Var[min(T, tau)], the spread of people's times, not the sampling variance of the estimate (lifelines
#1682), and its RMST difference test is a stub. lifelines gives the point estimate (area under its
KM curve); we add the standard error:
- no weights, no clusters: the Greenwood-type formula of survRM2 and R ``print(survfit, rmean=)``,
  Var = sum_{event times t_j < tau} (int_{t_j}^tau S)^2 d_j / (Y_j (Y_j - d_j)); groups independent.
- weights and/or clusters: the infinitesimal-jackknife influence of each person on the RMST,
  -w_i int_0^tau S(t) U_i(t) dt (U_i as in kaplan_meier), summed within clusters and squared, as R
  ``survfit(influence=TRUE)`` integrated (tests/reference/survival_r). Matched sets span both groups,
  so the difference's variance sums the two groups' influences within each set before squaring.
The ratio's interval is Wald on the log scale (delta method).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time

from .common import (
    RESULT_COLUMNS,
    p_value,
    result_row,
    survival_inputs,
    treatment_values,
    z_value,
)
from .kaplan_meier import KMCore, km_core


def _areas(core: KMCore, tau: float):
    """Knots 0 < t_1 < ... < tau and the step values of S and S*A on each interval."""
    inside = core.times < tau
    knots = np.r_[0.0, core.times[inside], tau]
    s_steps = np.r_[1.0, core.survival[inside]]
    a_steps = np.r_[0.0, core.cum_a[inside]]
    return knots, s_steps, a_steps, inside


def _rmst_greenwood_var(core: KMCore, tau: float) -> float:
    knots, s_steps, _, inside = _areas(core, tau)
    pieces = s_steps * np.diff(knots)
    tail = pieces[::-1].cumsum()[::-1][1:]  # int_{t_j}^tau S for each t_j < tau
    y, d = core.at_risk[inside], core.events[inside]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(d > 0, tail**2 * d / (y * (y - d)), 0.0)
    return float(terms.sum())


def _rmst_influence(core: KMCore, w: np.ndarray, tau: float) -> np.ndarray:
    """w_i dRMST/dw_i for each person: int_0^{T_i^tau} S A dt - u_i int_{T_i^tau}^tau S dt."""
    knots, s_steps, a_steps, _ = _areas(core, tau)
    width = np.diff(knots)
    cum_s = np.r_[0.0, np.cumsum(s_steps * width)]
    cum_sa = np.r_[0.0, np.cumsum(s_steps * a_steps * width)]
    # each person's own time is knot number index+1 if it is before tau, else tau (the last knot)
    pos = np.where(core.times[core.index] < tau, core.index + 1, len(knots) - 1)
    after = cum_s[-1] - cum_s[pos]
    with np.errstate(invalid="ignore"):
        return w * (cum_sa[pos] - np.where(after > 0, core.u * after, 0.0))


def _collapse(values: np.ndarray, codes: np.ndarray | None) -> float:
    if codes is None:
        return float(np.sum(values**2))
    return float(np.sum(np.bincount(codes, weights=values) ** 2))


def rmst_effect(
    df: pd.DataFrame,
    *,
    duration_col: str,
    event_col: str,
    treatment_col: str = "treated",
    tau: float = 365.0,
    weights_col: str | None = None,
    cluster_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """RMST up to ``tau`` in each group (1 = programme, 0 = comparison), their difference and ratio.

    Rows: ``rmst_treated``, ``rmst_comparison``, ``rmst_difference`` (treated - comparison, days;
    p for 0),
    ``rmst_ratio`` (std_error on the log scale; p for 1). Variance as in the module docstring.
    """
    if not np.isfinite(tau) or tau <= 0:
        raise ValueError(f"tau (the RMST horizon) must be a positive number of days, got {tau}")
    t, e, w, codes = survival_inputs(df, duration_col=duration_col, event_col=event_col,
                                     weights_col=weights_col, cluster_col=cluster_col,
                                     extra=[treatment_col])
    g = treatment_values(df, treatment_col)
    z = z_value(alpha)
    robust = weights_col is not None or cluster_col is not None
    est, var, infl, counts = {}, {}, {}, {}
    for value in (1, 0):
        m = g == value
        if w[m].sum() <= 0:
            raise ValueError(f"group {value} of {treatment_col!r} has zero total weight")
        core = km_core(t[m], e[m], w[m])
        kmf = KaplanMeierFitter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # naive-variance warning: we do not use its variance
            kmf.fit(t[m], e[m], weights=w[m] if weights_col else None)
        est[value] = float(restricted_mean_survival_time(kmf, t=tau))
        full = np.zeros(len(t))
        full[m] = _rmst_influence(core, w[m], tau)
        infl[value] = full
        var[value] = (_collapse(full, codes if codes is not None else None) if robust
                      else _rmst_greenwood_var(core, tau))
        counts[value] = int(m.sum())
    if robust:
        parts = []
        if weights_col:
            parts.append(f"weights {weights_col!r}")
        parts.append(f"robust (IJ) clustered on {cluster_col!r}" if cluster_col
                     else "robust (IJ) per person")
        label = ", ".join(parts)
        var_diff = _collapse(infl[1] - infl[0], codes)
        var_log_ratio = _collapse(infl[1] / est[1] - infl[0] / est[0], codes)
    else:
        label = "Greenwood-type (survRM2)"
        var_diff = var[1] + var[0]
        var_log_ratio = var[1] / est[1] ** 2 + var[0] / est[0] ** 2
    method = f"RMST to {tau:g}; {label}"
    n = len(t)
    rows = []
    for value, term in ((1, "rmst_treated"), (0, "rmst_comparison")):
        se = np.sqrt(var[value])
        rows.append(result_row(term, est[value], se, est[value] - z * se, est[value] + z * se, np.nan,
                         method, counts[value]))
    diff = est[1] - est[0]
    se = np.sqrt(var_diff)
    rows.append(result_row("rmst_difference", diff, se, diff - z * se, diff + z * se,
                     p_value(diff, se), method, n))
    log_ratio = np.log(est[1] / est[0])
    se = np.sqrt(var_log_ratio)
    rows.append(result_row("rmst_ratio", np.exp(log_ratio), se, np.exp(log_ratio - z * se),
                     np.exp(log_ratio + z * se), p_value(log_ratio, se),
                     f"{method}; std_error is of log ratio", n))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
