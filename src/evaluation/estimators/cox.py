"""Cox proportional-hazards effect of the programme (hazard ratio) and a PH check.

The fit is lifelines' ``CoxPHFitter`` algorithm (Efron ties; it agrees with R ``coxph`` to
~1e-10, weighted or not), run vectorised by ``efron.py``: the same Newton-Raphson steps, the same
numbers to rounding (tested to 1e-8), 3-8x faster at 1M rows (benchmarks/bench_model_steps.py);
lifelines itself fits when that path fails, and for the PH check. lifelines' robust ("sandwich") variance is NOT used: lifelines builds it from
Breslow-style score residuals even though the fit uses Efron ties (its docstring: "does not handle
ties"), so with tied times (days, weeks) its robust SEs differ from R's by a few per cent
(Rossi, clusters of 4: fin 0.1898 vs R 0.1945). We measured this on lifelines 0.30.3; issue #1598
(robust ignored with cluster_col) is not the cause in this version.

Our robust variance is R's: the Efron score residuals r_i (R ``residuals(fit, "score")``),
times the case weight, summed within clusters (matched set, or person when weights are used
without clusters), dfbeta D = (w r) V, and Var = D'D with V the model-based covariance
(computed by efron.py from the last Newton step's per-time sums, checked against the residuals).
No small-sample factor (as R). Tested against R ``coxph(..., weights=, cluster=)``.
Weights are treated as fixed; the design bootstrap propagates propensity-model uncertainty.
With a second clustering (``set_col``: the matched set, where a person recurs across sequential
trials) the variance is two-way (Cameron, Gelbach & Miller 2011): V_person + V_set - V_both,
from the same per-row dfbeta; one-way on the person if that is not positive semi-definite.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test

from .common import (
    RESULT_COLUMNS,
    cluster_codes,
    cluster_sums,
    durations,
    p_value,
    result_row,
    survival_inputs,
    treatment_values,
    z_value,
)
from .efron import efron_fit
from .schoenfeld import TRANSFORMS, ph_test

# --------------------------------------------------------------------------- Efron score residuals


def efron_score_residuals(t: np.ndarray, e: np.ndarray, w: np.ndarray, X: np.ndarray,
                          beta: np.ndarray) -> np.ndarray:
    """Unweighted Efron score residuals (n x p), as R ``residuals(coxph, "score")`` / weights.

    r_i = e_i (x_i - mean over the Efron fractions of xbar) - risk_i int (x_i - xbar) dLambda,
    where a person who dies in a tie of d deaths is at risk for fraction (1 - k/d) of the k-th
    step (R coxscore2.c). Multiply by w_i for the weighted residual.
    """
    X = np.asarray(X, float)
    X = X - X.mean(axis=0)
    p = X.shape[1]
    risk = np.exp(X @ beta)
    wr = w * risk
    times, j = np.unique(t, return_inverse=True)
    n_t = len(times)

    def by_time(values):  # sums per unique time, for 1-d or 2-d values
        if values.ndim == 1:
            return np.bincount(j, weights=values, minlength=n_t)
        return np.column_stack([np.bincount(j, weights=values[:, c], minlength=n_t)
                                for c in range(values.shape[1])])

    def rev_cumsum(a):
        return a[::-1].cumsum(axis=0)[::-1]

    s0 = rev_cumsum(by_time(wr))
    s1 = rev_cumsum(by_time(wr[:, None] * X))
    s0_d = by_time(wr * e)
    s1_d = by_time((wr * e)[:, None] * X)
    d = by_time(e).round().astype(int)
    mean_wt = np.where(d > 0, by_time(w * e) / np.maximum(d, 1), 0.0)
    # one row per (death time, k-th Efron fraction)
    jj = np.repeat(np.arange(n_t), d)
    k = np.arange(len(jj)) - np.repeat(np.cumsum(d) - d, d)
    frac = k / d[jj]
    d2 = s0[jj] - frac * s0_d[jj]
    xbar = (s1[jj] - frac[:, None] * s1_d[jj]) / d2[:, None]
    haz = mean_wt[jj] / d2

    def per_time(values):
        if values.ndim == 1:
            return np.bincount(jj, weights=values, minlength=n_t)
        return np.column_stack([np.bincount(jj, weights=values[:, c], minlength=n_t)
                                for c in range(p)])

    h_all, g_all = per_time(haz), per_time(haz[:, None] * xbar)
    h_dead, g_dead = per_time((1 - frac) * haz), per_time(((1 - frac) * haz)[:, None] * xbar)
    xbar_mean = per_time(xbar) / np.maximum(d, 1)[:, None]
    h_before = np.cumsum(h_all) - h_all
    g_before = np.cumsum(g_all, axis=0) - g_all
    dead = e > 0
    h_own = h_before[j] + np.where(dead, h_dead[j], h_all[j])
    g_own = g_before[j] + np.where(dead[:, None], g_dead[j], g_all[j])
    return (e[:, None] * (X - xbar_mean[j])
            - risk[:, None] * (X * h_own[:, None] - g_own))


# --------------------------------------------------------------------------- design matrix
def _design(df: pd.DataFrame, treatment_col: str,
            covariates: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Treatment first, then covariates; text/categorical covariates as 0/1 dummies (first level
    dropped), in ``pandas.get_dummies``' column order. Built as one float array (no frame copy)."""
    encoded = [c for c in covariates if isinstance(df[c].dtype, pd.CategoricalDtype)
               or pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])]
    names = [treatment_col, *[c for c in covariates if c not in encoded]]
    X = np.empty((len(df), len(names)))
    X[:, 0] = treatment_values(df, treatment_col)
    for k, c in enumerate(names[1:], start=1):
        X[:, k] = df[c].to_numpy(dtype=float)
    if encoded:
        dummies = pd.get_dummies(df[encoded], drop_first=True, dtype=float)
        names += list(dummies.columns)
        X = np.column_stack([X, dummies.to_numpy(dtype=float)])
    constant = [n for n, lo, hi in zip(names, X.min(axis=0), X.max(axis=0), strict=True)
                if lo == hi]
    if constant:
        raise ValueError(f"column(s) {constant} take a single value; a Cox model cannot use them")
    return names, X


class CoxInputs(NamedTuple):
    t: np.ndarray
    e: np.ndarray
    w: np.ndarray
    codes: np.ndarray | None  # cluster codes (0..), None: every row its own cluster
    names: list[str]
    X: np.ndarray
    counts: tuple[int, int]  # rows and events given, zero weights included
    entry: np.ndarray | None = None  # start of (start, stop] rows
    set_codes: np.ndarray | None = None  # the second clustering (two-way)


def cox_inputs(df, duration_col, event_col, treatment_col, covariates, weights_col, cluster_col,
               entry_col: str | None = None, set_col: str | None = None) -> CoxInputs:
    """Checked model arrays; zero-weight rows dropped (they add nothing to the fit or the
    sandwich; lifelines rejects them)."""
    t, e, w, codes = survival_inputs(df, duration_col=duration_col, event_col=event_col,
                                     weights_col=weights_col, cluster_col=cluster_col,
                                     extra=[treatment_col, *covariates, entry_col, set_col])
    names, X = _design(df, treatment_col, covariates)
    entry = None if entry_col is None else durations(df, entry_col)
    set_codes = None if set_col is None else cluster_codes(df, set_col)
    keep = w > 0
    arrays = [a if a is None or keep.all() else a[keep] for a in (t, e, w, codes, X, entry,
                                                                  set_codes)]
    t2, e2, w2, codes, X, entry, set_codes = arrays
    return CoxInputs(t2, e2, w2, codes, names, X, (len(t), int(e.sum())), entry, set_codes)


def dfbeta_variance(dfbeta: np.ndarray, codes: np.ndarray | None,
                    set_codes: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """D'D with D the per-row dfbeta summed within ``codes``; with ``set_codes`` too, the
    two-way V_codes + V_set - V_(codes and set) if it is positive semi-definite. Returns the
    variance and whether it is the two-way one."""
    def meat(groups):
        summed = cluster_sums(dfbeta, groups)
        return summed.T @ summed

    one = meat(codes)
    if set_codes is None or codes is None:
        return one, False
    both = np.unique(codes.astype(np.int64) * (int(set_codes.max()) + 1) + set_codes,
                     return_inverse=True)[1].ravel()
    two = one + meat(set_codes) - meat(both)
    if np.linalg.eigvalsh(two).min() < -1e-12 * np.abs(np.diag(two)).max():
        return one, False
    return two, True


def variance_text(inputs: CoxInputs, cluster_col: str | None, set_col: str | None,
                  weights_col: str | None, two_way: bool) -> str:
    """Plain words for the sandwich used, for the ``method`` column."""
    if inputs.codes is None:
        label = "robust sandwich per row"
    else:
        label = (f"robust sandwich clustered on {cluster_col!r} "
                 f"({int(inputs.codes.max()) + 1} clusters)")
    if set_col is not None:
        n_sets = int(inputs.set_codes.max()) + 1
        label = (f"two-way robust sandwich on {cluster_col!r} ({int(inputs.codes.max()) + 1}"
                 f" clusters) and {set_col!r} ({n_sets} clusters; Cameron, Gelbach & Miller "
                 "2011)" if two_way else
                 f"{label} (the two-way variance with {set_col!r} was not positive "
                 "semi-definite: one-way)")
    return f"weights {weights_col!r}, {label}" if weights_col else label


def _lifelines_fit(t, e, w, names, X, alpha) -> tuple[CoxPHFitter, pd.DataFrame]:
    data = pd.DataFrame(X, columns=names)
    data["_T"], data["_E"], data["_W"] = t, e, w
    cph = CoxPHFitter(alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' naive-variance warning: replaced below
        cph.fit(data, "_T", "_E", weights_col="_W")
    return cph, data


def _fit(df, duration_col, event_col, treatment_col, covariates, weights_col, cluster_col,
         alpha, set_col=None):
    """Coefficients and variance: lifelines' Newton-Raphson run vectorised (efron.py; it falls
    back to lifelines itself if that fails), then our robust sandwich when needed."""
    inputs = cox_inputs(df, duration_col, event_col, treatment_col, covariates, weights_col,
                        cluster_col, set_col=set_col)
    t, e, w, codes, names, X = inputs[:6]
    robust = weights_col is not None or cluster_col is not None
    two_way = robust and inputs.set_codes is not None
    try:
        fit = efron_fit(t, e, w, X, robust=robust, cluster_codes=codes, dfbeta=two_way)
        if not fit.converged:
            raise ValueError("not converged")
        beta, vcov = fit.params, (fit.robust_variance if robust else fit.variance)
        rows = fit.dfbeta
    except (ValueError, np.linalg.LinAlgError):  # let lifelines report (or rescue) the fit
        cph, _ = _lifelines_fit(t, e, w, names, X, alpha)
        beta, naive = cph.params_.to_numpy(), cph.variance_matrix_.to_numpy()
        vcov = naive
        if robust:
            rows = (w[:, None] * efron_score_residuals(t, e, w, X, beta)) @ naive
            vcov = dfbeta_variance(rows, codes)[0]
    if two_way:
        vcov, two_way = dfbeta_variance(rows, codes, inputs.set_codes)
    return names, beta, vcov, robust, inputs, two_way


def cox_effect(
    df: pd.DataFrame,
    *,
    duration_col: str,
    event_col: str,
    treatment_col: str = "treated",
    covariates: Sequence[str] = (),
    weights_col: str | None = None,
    cluster_col: str | None = None,
    alpha: float = 0.05,
    set_col: str | None = None,
) -> pd.DataFrame:
    """Hazard ratio (programme vs comparison) from a Cox model, Efron ties.

    Rows: ``hazard_ratio`` (the treatment), then ``hazard_ratio[<covariate>]`` for each
    adjustment term. ``estimate``/``lower``/``upper`` on the HR scale, ``std_error`` of log HR,
    ``p_value`` for HR = 1. Robust sandwich (module docstring) when weights or clusters are given,
    else the model-based variance; ``set_col`` (with ``cluster_col``): two-way clustering.
    """
    covariates = list(covariates)
    names, beta, vcov, robust, inputs, two_way = _fit(
        df, duration_col, event_col, treatment_col, covariates, weights_col, cluster_col, alpha,
        set_col if cluster_col else None)
    n_rows, n_events = inputs.counts
    z = z_value(alpha)
    if robust:
        label = variance_text(inputs, cluster_col, set_col if cluster_col else None,
                              weights_col, two_way).replace("per row", "per person")
    else:
        label = "model-based variance"
    method = f"Cox PH (lifelines, Efron ties), {n_events} events; {label}"
    rows = []
    for k, name in enumerate(names):
        se = float(np.sqrt(vcov[k, k]))
        term = "hazard_ratio" if k == 0 else f"hazard_ratio[{name}]"
        rows.append(result_row(term, np.exp(beta[k]), se, np.exp(beta[k] - z * se),
                         np.exp(beta[k] + z * se), p_value(beta[k], se),
                         f"{method}; std_error is of log HR", n_rows))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


@dataclass(frozen=True)
class PHCheckResult:
    """Schoenfeld-residual test per term; ``violated`` is about the programme (treatment) term;
    ``statement`` is the plain-English reading."""

    table: pd.DataFrame
    violated: bool
    statement: str


def _ph_statistics(t, e, w, names, X, time_transform: str, use_lifelines: bool = False
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per term: lifelines' scaled-Schoenfeld chi-square and p-value. Computed vectorised
    (schoenfeld.py; the fit by efron.py, lifelines' own Newton-Raphson) for the usual time
    transforms; lifelines itself for any other transform, when the fit fails, or if asked."""
    if not use_lifelines and time_transform in TRANSFORMS:
        try:
            fit = efron_fit(t, e, w, X, robust=False)
            if fit.converged:
                return ph_test(t, e, w, X, fit.params, fit.variance, time_transform)
        except (ValueError, np.linalg.LinAlgError):
            pass  # lifelines below reports (or rescues) the fit
    cph, data = _lifelines_fit(t, e, w, names, X, 0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summ = proportional_hazard_test(cph, data, time_transform=time_transform).summary
    return summ["test_statistic"].to_numpy(float), summ["p"].to_numpy(float)


def ph_check(
    df: pd.DataFrame,
    *,
    duration_col: str,
    event_col: str,
    treatment_col: str = "treated",
    covariates: Sequence[str] = (),
    weights_col: str | None = None,
    cluster_col: str | None = None,
    threshold: float = 0.05,
    time_transform: str = "rank",
) -> PHCheckResult:
    """Do hazard ratios stay constant over follow-up? lifelines' scaled-Schoenfeld test per term
    (computed vectorised, ``schoenfeld.py``; the same numbers as lifelines to rounding).

    lifelines' test uses the approximation R survival used before version 3 (``cox.zph`` now
    differs a little, lifelines #997); it is a screen, not a verdict. Weights enter through the
    weighted fit's residuals; the test's variance is not cluster-robust.
    """
    covariates = list(covariates)
    t, e, w, _, names, X = cox_inputs(df, duration_col, event_col, treatment_col, covariates,
                                      weights_col, cluster_col)[:6]
    statistic, p_value = _ph_statistics(t, e, w, names, X, time_transform)
    table = pd.DataFrame({
        "term": [str(n) for n in names],
        "statistic": statistic,
        "p_value": p_value,
        "method": f"scaled Schoenfeld residuals vs {time_transform}(time), chi-square 1 df "
                  "(lifelines proportional_hazard_test)",
        "n": len(t),
    })
    failing = table[table["p_value"] < threshold]
    treat = table[table["term"] == str(treatment_col)]
    violated = bool((treat["p_value"] < threshold).any())
    if violated:
        p = float(treat["p_value"].iloc[0])
        statement = (
            f"The proportional-hazards assumption looks doubtful for the programme effect "
            f"(Schoenfeld test p = {p:.3g}): the hazard ratio averages an effect that changes over "
            "the follow-up, so it should not be the headline. Report the restricted mean "
            "survival time difference (rmst_effect) instead, which does not need proportional "
            "hazards, and show the Kaplan-Meier curves.")
    elif len(failing):
        worst = ", ".join(f"{r.term} (p = {r.p_value:.3g})" for r in failing.itertuples())
        statement = (
            f"No evidence that the programme effect breaks proportional hazards, but the "
            f"adjustment term(s) {worst} do: consider stratifying on them, and check the "
            "restricted mean survival time difference (rmst_effect), which does not need "
            "proportional hazards.")
    else:
        statement = (
            f"No evidence against proportional hazards (smallest p = "
            f"{table['p_value'].min():.3g}); the hazard ratio is a fair one-number summary, "
            "though this test has little power in small samples: look at the Kaplan-Meier curves "
            "and the RMST difference too.")
    return PHCheckResult(table=table, violated=violated, statement=statement)
