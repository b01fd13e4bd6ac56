"""Schoenfeld residuals and lifelines' proportional-hazards test, without a loop over people.

Why: lifelines computes the residuals in a Python loop over every row and grows its result with
``np.append`` (quadratic in the rows); at national scale (155,000 rows) that was 3.4 s of the
4.9 s PH check. This is the same computation, vectorised: Efron ties (the risk set's mean of x
at a tied time averages over the tied events leaving one by one), weights entering only the
risk scores, rows ordered as lifelines orders them (by time, then event, stably), the residuals
scaled by the number of events times the model-based variance, the "rank" time transform and
lifelines' chi-square statistic on 1 degree of freedom (``proportional_hazard_test``; the
approximation R used before survival 3.0). ``tests/unit/test_schoenfeld.py`` checks it against
lifelines itself.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

TRANSFORMS = ("rank", "identity", "log")  # the time transforms computed here


def schoenfeld_residuals(t: np.ndarray, e: np.ndarray, w: np.ndarray, X: np.ndarray,
                         beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each event's Schoenfeld residual x_i - xbar(t_i), events in lifelines' row order.

    Returns (the event times in that order, the residuals: events x terms)."""
    order = np.lexsort((e, t))  # by time, then event; stable within ties, as lifelines sorts
    t, e, w, X = t[order], np.asarray(e[order], dtype=bool), w[order], X[order]
    score = w * np.exp(X @ beta)
    times, at = np.unique(t, return_inverse=True)
    m = len(times)

    def per_time(values: np.ndarray, rows=slice(None)) -> np.ndarray:  # total at each time
        return np.bincount(at[rows], weights=values[rows], minlength=m)

    def at_risk(values: np.ndarray) -> np.ndarray:  # sum over everyone with T >= each time
        return per_time(values)[::-1].cumsum()[::-1]

    s0 = at_risk(score)
    s1 = np.column_stack([at_risk(score * X[:, k]) for k in range(X.shape[1])])
    ties = np.bincount(at[e], minlength=m)  # events at each time (a count, not weighted)
    t0 = per_time(score, e)
    t1 = np.column_stack([per_time(score * X[:, k], e) for k in range(X.shape[1])])
    # Efron: at a time with c tied events, the l-th (l = 0..c-1) sees the risk set with l/c of
    # the tied events' scores gone; the mean of x is the average over l
    with_events = np.flatnonzero(ties)
    c = ties[with_events]
    j = np.repeat(with_events, c)
    first = np.cumsum(c) - c
    ell = (np.arange(len(j)) - np.repeat(first, c)).astype(float)
    cj = ties[j].astype(float)
    numer = s1[j] - ell[:, None] * t1[j] / cj[:, None]
    denom = s0[j] - ell * t0[j] / cj
    xbar = np.zeros_like(s1)
    xbar[with_events] = np.add.reduceat(numer / (denom * cj)[:, None], first, axis=0)
    return t[e], X[e] - xbar[at[e]]


def ph_test(t: np.ndarray, e: np.ndarray, w: np.ndarray, X: np.ndarray, beta: np.ndarray,
            variance: np.ndarray, time_transform: str = "rank") -> tuple[np.ndarray, np.ndarray]:
    """lifelines' ``proportional_hazard_test`` per term: (chi-square statistics, p-values)."""
    if time_transform not in TRANSFORMS:
        raise ValueError(f"time_transform must be one of {TRANSFORMS}, not {time_transform!r}")
    event_times, resid = schoenfeld_residuals(t, e, w, X, beta)
    n_events = float(np.asarray(e, dtype=bool).sum())
    scaled = n_events * resid @ variance
    if time_transform == "rank":  # lifelines: the running count of events, at each event
        g = np.arange(1, len(event_times) + 1, dtype=float)
    elif time_transform == "log":
        g = np.log(event_times)
    else:
        g = event_times.astype(float)
    g = g - g.mean()
    statistic = (g[:, None] * scaled).sum(0) ** 2 / (
        n_events * np.diag(variance) * (g ** 2).sum())
    return statistic, stats.chi2.sf(statistic, 1)
