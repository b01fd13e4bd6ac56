"""Inverse probability of censoring weights for a per-protocol analysis (pooled logistic).

In a per-protocol analysis of a rolling-entry programme a comparison person is followed only
while they remain unmanaged: they are censored when they are adopted later. Adoption is not
random (it follows a high score, often a reoffence), so the people left uncensored are reweighted
to stand for the censored (Hernán & Robins, *Causal Inference: What If*, ch. 12 and 17).

Discrete time: follow-up is cut into intervals of ``interval_days``; in interval k a row is at
risk of censoring if still followed at its start. The probability of censoring in k is a
logistic model on interval indicators plus baseline covariates, fitted on the person-intervals
at risk. An interval with no censoring has probability 0 (the maximum-likelihood value of its
indicator, so it is left out of the fit rather than sent to minus infinity). The weight of a row
in interval k is prod_{j < k} 1 / (1 - p_j), the inverse probability of remaining uncensored
to the start of k (so the weight of a row censored in k never carries its own censoring
probability, which a sparse model can put near 1), stabilised by the same product from the
model without covariates. Short intervals keep the one-interval lag small. Weights are treated
as known (a robust variance, as elsewhere; decision 0406).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from .common import check_columns

INTERVAL_DAYS = 30


def person_intervals(df: pd.DataFrame, *, duration_col: str, censor_col: str,
                     interval_days: int = INTERVAL_DAYS) -> pd.DataFrame:
    """Split each row's follow-up into intervals: ``row``, ``k``, ``start``, ``stop`` and
    ``censored`` (1 in the interval where the row is censored by ``censor_col``).

    ``duration_col`` is the follow-up already ended by censoring (days); ``censor_col`` is 1
    where that end is a censoring of the kind being weighted for."""
    check_columns(df, [duration_col, censor_col])
    t = df[duration_col].to_numpy(dtype=float)
    c = df[censor_col].to_numpy(dtype=int)
    if (t < 0).any():
        raise ValueError(f"ipcw: {duration_col} has negative durations")
    n_k = np.maximum(np.ceil(t / interval_days).astype(int), 1)
    row = np.repeat(np.arange(len(df)), n_k)
    k = np.concatenate([np.arange(n) for n in n_k]) if len(df) else np.zeros(0, int)
    start = k * interval_days
    stop = np.minimum((k + 1) * interval_days, t[row])
    last = k == n_k[row] - 1
    return pd.DataFrame({"row": row, "k": k, "start": start.astype(float),
                         "stop": stop.astype(float), "censored": (last & (c[row] == 1)).astype(int)})


def _probabilities(pi: pd.DataFrame, x: np.ndarray | None) -> np.ndarray:
    """P(censored in k | at risk in k, covariates): interval indicators (+ covariates)."""
    p = np.zeros(len(pi))
    events = pi.groupby("k")["censored"].sum()
    active = pi["k"].isin(events.index[events > 0]).to_numpy()
    if not active.any():
        return p
    levels = sorted(pi.loc[active, "k"].unique())
    dummies = (pi.loc[active, "k"].to_numpy()[:, None] == np.asarray(levels)[None, :])
    X = dummies.astype(float)
    if x is not None and x.shape[1]:
        X = np.column_stack([X, x[pi.loc[active, "row"].to_numpy()]])
    fit = GLM(pi.loc[active, "censored"].to_numpy(float), X,
                 family=families.Binomial()).fit()
    p[active] = fit.predict(X)
    return p


def censoring_weights(df: pd.DataFrame, *, duration_col: str, censor_col: str,
                      covariates: Sequence[str] = (), interval_days: int = INTERVAL_DAYS,
                      stabilise: bool = True) -> pd.DataFrame:
    """Person-intervals (``person_intervals``) with ``weight``: the inverse probability of
    remaining uncensored to the start of each interval, given the covariates (stabilised), and
    ``weight_unstabilised``. A mean over people followed to different times (a risk at a
    horizon) needs the unstabilised weight: the stabilising numerator falls with time, so it
    would weight early ends (reoffences) above late ones (decision 0406)."""
    covariates = list(covariates)
    check_columns(df, covariates)
    pi = person_intervals(df, duration_col=duration_col, censor_col=censor_col,
                          interval_days=interval_days)
    x = df[covariates].to_numpy(dtype=float) if covariates else None
    if x is not None and not np.isfinite(x).all():
        raise ValueError(f"ipcw: covariates {covariates} have missing or infinite values")
    p = _probabilities(pi, x)
    raw = np.exp(-_before(pi, p))
    w = raw * np.exp(_before(pi, _probabilities(pi, None))) if stabilise and covariates else raw
    if not (np.isfinite(w).all() and np.isfinite(raw).all()):
        raise ValueError("ipcw: a censoring probability of 1 before the end of someone's "
                         "follow-up: nobody like them stays uncensored, so no weight can "
                         "stand for them")
    return pi.assign(p_censor=p, weight=w, weight_unstabilised=raw)


def _before(pi: pd.DataFrame, p: np.ndarray) -> np.ndarray:
    """sum_{j < k} log(1 - p_j) for each person-interval (0 in the first interval)."""
    with np.errstate(divide="ignore"):
        logs = pd.Series(np.log1p(-p))
    by_row = logs.groupby(pi["row"].to_numpy())
    return (by_row.cumsum() - logs).to_numpy()
