"""Weighted product-limit pieces and their infinitesimal-jackknife (IJ) variance, for every group
of a Kaplan-Meier fit in one pass over the people.

Why one pass: at a million rows the per-group copies (a boolean mask and a gather per column and
group), a hash of the times per group and the IJ variance's passes cost more than lifelines' whole
fit. Here the times are hashed once, each person gets one key (group, time) into a group x time
grid, and the per-time sums are ``np.bincount`` on that key. A time at which a group has nobody
adds exact zeros to its sums, so each group's values at its own times are the ones a fit on that
group alone gives (kaplan_meier compacts the grid back to those times).

IJ variance (formula in kaplan_meier's docstring): person i's share of Var log S(t) is
x_i(t) = w_i u_i once i has left (u_i = U_i at their own time) and -A(t) w_i while at risk. Summed
within a cluster c: B_c(t) - A(t) W_c(t), with W_c the cluster's weight still at risk and B_c the
summed w u of members already out, so sum_c (B_c - A W_c)^2 = SBB - 2 A SBW + A^2 SWW, three
totals that change only when someone leaves. Sorting once by (cluster, group, time) gives every
person the cluster weight leaving after them and the w u of members out before them (from the
next and previous rows for small matched sets, cumulative sums for bigger clusters); each
person's changes to the three totals are then added up per (group, time) and cumulated. A
cluster is a cluster value within one group (matched sets span the groups; each curve has its
own). With no clusters, or only one-person ones, the totals change by -w^2, 0 and (w u)^2 and
need no order. The people are taken in chunks of whole clusters that fit the processor's cache.
Checked against the person x time definition (tests/unit/test_kaplan_meier_ij.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class KMGrid:
    """Per (group, time) sums on the union of the groups' times, and per person their key."""

    times: np.ndarray  # unique observed times over all groups, sorted
    key: np.ndarray  # per person: group * len(times) + position of their time
    people: np.ndarray  # (groups, times): people leaving (event or censored) at the time
    n_events: np.ndarray  # (groups, times): people with an event
    at_risk: np.ndarray  # weighted Y(t)
    events: np.ndarray  # weighted D(t)
    survival: np.ndarray  # S(t) = prod (1 - D/Y), right-continuous
    cum_a: np.ndarray  # A(t) = sum_{s<=t} D/(Y(Y-D)): the (weighted) Greenwood sum
    u_event: np.ndarray  # per cell, flat: U of a person with an event there, 1/(Y-D) - A
    u: np.ndarray  # per person: event_i/(Y-D)(T_i) - A(T_i) (empty if not asked for)


def sorted_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)``: codes 0.. and the sorted distinct values.

    Integers in a range no wider than the data are coded by offset (no hashing, no sort), and so
    are floats that are all whole numbers (durations in days)."""
    v = np.asarray(values)
    if v.dtype.kind == "f" and len(v):
        with np.errstate(invalid="ignore"):  # NaN or huge values: not whole, hashed below
            whole = v.astype(np.int64)
        if np.array_equal(whole, v):
            codes, uniques = sorted_codes(whole)
            return codes, uniques.astype(v.dtype)
    if v.dtype.kind in "iu" and len(v):
        low, high = int(v.min()), int(v.max())
        if high - low < 2 * len(v):
            offset = v if low == 0 and v.dtype == np.intp else (v - low).astype(np.intp)
            seen = np.bincount(offset) > 0
            uniques = (np.flatnonzero(seen) + low).astype(v.dtype)
            if seen.all():
                return offset, uniques
            return (np.cumsum(seen) - 1)[offset], uniques
    codes, uniques = pd.factorize(v, sort=True)
    return codes, np.asarray(uniques)


def km_grid(
    t: np.ndarray,
    e: np.ndarray,
    w: np.ndarray,
    group: np.ndarray | None = None,
    n_groups: int = 1,
    influence: bool = True,
) -> KMGrid:
    """Product-limit sums per (group, time); ``group`` codes 0..n_groups-1, or None for one."""
    index, times = sorted_codes(t)  # np.unique's output, without a sort
    n_t = len(times)
    key = index if group is None else group * n_t + index
    size = n_groups * n_t

    def per_cell(weights=None):
        return np.bincount(key, weights=weights, minlength=size).reshape(n_groups, n_t)

    leaving = per_cell(w)
    events = per_cell(w * e)
    at_risk = leaving[:, ::-1].cumsum(axis=1)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
        survival = np.cumprod(1.0 - hazard, axis=1)
        remaining = at_risk - events
        step = np.where(events > 0, events / (at_risk * remaining), 0.0)
        cum_a = np.cumsum(step, axis=1)
        u_event = (1.0 / remaining - cum_a).ravel()  # inf/nan only where S has reached 0
    grid = KMGrid(
        times, key, per_cell(), per_cell(e), at_risk, events, survival, cum_a, u_event, np.empty(0)
    )
    if influence:
        grid = replace(grid, u=person_u(grid, key, e))
    return grid


def person_u(grid: KMGrid, key: np.ndarray, e: np.ndarray) -> np.ndarray:
    """U_i once person i has left: 1/(Y-D) - A at their time if an event, -A if censored."""
    return np.where(e > 0, grid.u_event[key], np.negative(grid.cum_a.ravel())[key])


def robust_var_survival(
    grid: KMGrid,
    e: np.ndarray,
    w: np.ndarray,
    cluster: np.ndarray | None,
    chunk: int | None = None,
) -> np.ndarray:
    """IJ variance of S on the grid (groups x times), summed within clusters of each group
    (each person their own cluster when ``cluster`` is None).

    People are taken about ``chunk`` at a time (whole clusters), so the dozen passes over them
    stay in the processor's cache (at a million rows about a third faster than whole arrays).
    By default 32,768, or 4 x the cells when times are many (each chunk adds to every cell)."""
    n_groups, n_t = grid.at_risk.shape
    size = n_groups * n_t
    if chunk is None:
        chunk = max(1 << 15, 4 * size)
    key = grid.key
    if cluster is None:
        order, c, edges = None, None, np.r_[np.arange(0, len(key), chunk), len(key)]
    else:
        # one stable sort by (cluster, group, time); a nearly sorted key sorts fast
        by = np.asarray(cluster, dtype=np.int64) * size + key
        order = np.argsort(by, kind="stable")
        c = by[order] // n_t  # the same within a cluster and group: one curve's cluster
        first = np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1]
        # chunk edges at cluster starts, so no cluster is split between two chunks
        at = np.minimum(np.searchsorted(first, np.arange(0, len(c), chunk)), len(first) - 1)
        edges = np.unique(np.r_[first[at], len(c)])
        if len(first) == len(c):  # every cluster one person: the sums need no order
            order, c, edges = None, None, np.r_[np.arange(0, len(key), chunk), len(key)]
    reaches_zero = bool((grid.survival[:, -1] == 0).any())
    w_out, d_bw, d_bb = np.zeros(size), np.zeros(size), np.zeros(size)
    with np.errstate(invalid="ignore"):
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            rows = slice(lo, hi) if order is None else order[lo:hi]
            k, wi = key[rows], w[rows]
            wu = wi * person_u(grid, k, e[rows])
            if reaches_zero:
                # u is infinite where S reaches 0 and matters only from then on, where the
                # variance is undefined (NaN below): zero it so it cannot spread through the sums
                wu[~np.isfinite(wu)] = 0.0
            if c is None:
                parts = (wi * wi, None, wu * wu)
            else:
                parts = _cluster_changes(c[lo:hi], wi, wu)
            for total, part in zip((w_out, d_bw, d_bb), parts, strict=True):
                if part is not None:
                    total += np.bincount(k, weights=part, minlength=size)
        # SWW(t): what the people still at risk after t will take out of it as they leave
        w_out = w_out.reshape(n_groups, n_t)
        sum_ww = w_out[:, ::-1].cumsum(axis=1)[:, ::-1] - w_out
        sum_bw = np.cumsum(d_bw.reshape(n_groups, n_t), axis=1)
        sum_bb = np.cumsum(d_bb.reshape(n_groups, n_t), axis=1)
        a = grid.cum_a
        var_log = a**2 * sum_ww - 2 * a * sum_bw + sum_bb
        s = grid.survival
        return np.where(s > 0, s**2 * np.maximum(var_log, 0.0), np.nan)


def _cluster_changes(c: np.ndarray, w: np.ndarray, wu: np.ndarray):
    """Each leaver's change to SWW (taken out), SBW and SBB; rows sorted by (cluster, time).

    With W the cluster weight leaving after a person and B the w u of members out before them,
    a leaver of weight w takes w (2 W + w) out of SWW and changes SBW by wu W - B w and SBB by
    wu (2 B + wu)."""
    after, before = _after_before(c, w, wu)
    out = np.multiply(after, 2.0)
    out += w
    out *= w
    bw = np.multiply(wu, after)
    bw -= np.multiply(before, w, out=after)
    bb = np.multiply(before, 2.0, out=before)
    bb += wu
    bb *= wu
    return out, bw, bb


def _after_before(c: np.ndarray, w: np.ndarray, wu: np.ndarray, max_lag: int = 3):
    """W and B of each row (sorted by cluster, then time).

    Matched sets are small: for clusters of up to ``max_lag + 1`` rows, W and B are sums over the
    next and previous few rows of the same cluster (elementwise); otherwise cumulative sums
    within each cluster (slower: a cumulative sum cannot be vectorised)."""
    after, before = np.zeros(len(c)), np.zeros(len(c))
    for lag in range(1, max_lag + 1):
        same = c[lag:] == c[:-lag]
        if not same.any():
            return after, before
        after[:-lag] += w[lag:] * same
        before[lag:] += wu[:-lag] * same
    first = np.r_[0, np.flatnonzero(c[1:] != c[:-1]) + 1]
    lengths = np.diff(np.r_[first, len(c)])
    after = np.cumsum(w)
    after -= np.repeat(after[first + lengths - 1], lengths)
    before = np.cumsum(wu)
    before -= wu
    before -= np.repeat(before[first], lengths)
    return -after, before
