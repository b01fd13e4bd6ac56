"""Difference-in-differences event study of monthly offence rates around the index date.

Why: the before/during DiD (did.py) compares one year before with one year after. It cannot
show *when* the groups diverge. People are selected onto IOM at a peak of offending, so if the
programme group's rate was already climbing (or falling) faster than the comparison group's in
the months before the index date, the parallel-trends assumption behind any DiD fails. The event
study estimates one programme-vs-comparison difference per relative month, each against the
month before the index date (k = -1), with person-clustered standard errors, and a joint Wald
test that all pre-index differences are zero (the pre-trend test).

Model: rate_ik = a_{g(i),k} (one mean per group x relative month: saturated, equal to OLS of
``rate ~ C(rel_month) * treated``), weighted by exposure days if asked; the event-study
coefficient is beta_k = (a_{1,k} - a_{1,-1}) - (a_{0,k} - a_{0,-1}). Cell means are computed
directly (fast on 10^6 person-months) and their cluster-robust (CR1, as statsmodels
``cov_type="cluster"``) covariance from per-person influence sums; the unit test checks both
against the statsmodels OLS fit. Rates are offences per 30.4375 days (one average month).

Relative month k covers day offsets [floor(k * 30.4375), floor((k + 1) * 30.4375)) from the
index date, so month 0 starts on the index day (as the before/during window, decision 0008).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

MONTH_DAYS = 365.25 / 12
RESULT_COLUMNS = ["term", "estimate", "std_error", "lower", "upper", "p_value", "method", "n"]


def month_bounds(window: int) -> np.ndarray:
    """Day offsets that start relative months -window .. window (the last is the end)."""
    return np.floor(np.arange(-window, window + 1) * MONTH_DAYS).astype(int)


def person_months(index: pd.DataFrame, offences: pd.DataFrame, *, window: int = 24,
                  person_col: str = "person_id", treatment_col: str = "treated",
                  index_date_col: str = "index_date", offence_date_col: str = "offence_date",
                  data_cutoff=None, end_date_col: str | None = None,
                  unit_col: str | None = None) -> pd.DataFrame:
    """Build the person-month frame: person_id, treated, rel_month, offences, exposure_days.

    ``index``: one row per person (or per ``unit_col``, e.g. person x trial) with the group and
    index date. ``offences``: one row per offence (person_id, offence_date); filter it first to
    what should count (e.g. proven offences). Exposure stops after ``data_cutoff`` and after
    ``end_date_col`` (e.g. date of death: that day is observed, as in derive_outcomes, where an
    offence on the censoring day counts); months with no exposure are dropped, and offences
    outside the exposure are not counted.
    """
    unit_col = unit_col or person_col
    need = {person_col, treatment_col, index_date_col, unit_col} | (
        {end_date_col} if end_date_col else set())
    missing = need - set(index.columns)
    if missing:
        raise KeyError(f"index frame lacks columns {sorted(missing)}")
    if index[unit_col].duplicated().any():
        raise ValueError(f"{unit_col!r} must identify one row of the index frame")
    bounds = month_bounds(window)
    months = np.arange(-window, window)
    idx = index.reset_index(drop=True)
    d0 = pd.to_datetime(idx[index_date_col]).to_numpy("datetime64[D]")
    last = np.full(len(idx), np.iinfo(np.int64).max // 4)
    if data_cutoff is not None:
        last = np.minimum(last, (np.datetime64(pd.Timestamp(data_cutoff), "D") - d0)
                          .astype(int))
    if end_date_col is not None:
        end = pd.to_datetime(idx[end_date_col]).to_numpy("datetime64[D]")
        has_end = ~np.isnat(end)
        last = np.where(has_end, np.minimum(last, (end - d0).astype(int)), last)
    lo = bounds[:-1][None, :]
    hi = np.minimum(bounds[1:][None, :], last[:, None] + 1)
    exposure = np.clip(hi - lo, 0, None)                                  # units x months
    counts = np.zeros_like(exposure)
    off = offences[[person_col, offence_date_col]].merge(
        pd.DataFrame({person_col: idx[person_col], "_row": np.arange(len(idx))}), on=person_col)
    if len(off):
        rows = off["_row"].to_numpy()
        day = (pd.to_datetime(off[offence_date_col]).to_numpy("datetime64[D]")
               - d0[rows]).astype(int)
        m = np.searchsorted(bounds, day, side="right") - 1
        ok = (day >= bounds[0]) & (day < bounds[-1]) & (day <= last[rows])
        cell = rows[ok] * len(months) + m[ok]
        counts = np.bincount(cell, minlength=counts.size).astype(counts.dtype).reshape(
            counts.shape)
    # only the months with exposure, gathered once (not every unit x month, then filtered)
    keep = np.flatnonzero(exposure.ravel() > 0)
    unit = keep // len(months)
    out = pd.DataFrame({
        person_col: idx[person_col].to_numpy()[unit],
        treatment_col: idx[treatment_col].to_numpy()[unit],
        "rel_month": months[keep % len(months)],
        "offences": counts.ravel()[keep], "exposure_days": exposure.ravel()[keep]})
    if unit_col != person_col:
        out.insert(0, unit_col, idx[unit_col].to_numpy()[unit])
    return out


@dataclass
class EventStudyResult:
    """Event-study coefficients, the pre-trend test and the average post-index difference."""

    coefficients: pd.DataFrame   # one tidy row per relative month (reference month: 0 by def.)
    pretrend: pd.DataFrame       # joint Wald test that every pre-index coefficient is 0
    average_post: pd.DataFrame   # mean of the post-index coefficients (the DiD summary)
    cell_means: pd.DataFrame     # monthly rate per group (for the chart)
    covariance: np.ndarray       # of the coefficients, in the order of ``coefficients``

    def contrast(self, weights: np.ndarray, term: str, alpha: float = 0.05) -> pd.DataFrame:
        """A tidy row for the linear combination ``weights @ coefficients`` (e.g. a mean)."""
        weights = np.asarray(weights, dtype=float)
        est = float(weights @ self.coefficients["estimate"].to_numpy())
        se = float(np.sqrt(weights @ self.covariance @ weights))
        z = stats.norm.ppf(1 - alpha / 2)
        return pd.DataFrame([{
            "term": term, "estimate": est, "std_error": se, "lower": est - z * se,
            "upper": est + z * se, "p_value": float(2 * stats.norm.sf(abs(est / se))),
            "method": self.coefficients["method"].iloc[0], "n": self.coefficients["n"].iloc[0]}])


def event_study(panel: pd.DataFrame, *, treatment_col: str = "treated",
                cluster_col: str = "person_id", weights_col: str | None = None,
                rel_month_col: str = "rel_month", offences_col: str = "offences",
                exposure_col: str = "exposure_days", reference: int = -1,
                alpha: float = 0.05) -> EventStudyResult:
    """Event-study DiD of monthly offence rates from a person-month frame (see module doc).

    ``weights_col``: e.g. "exposure_days" to weight months by time observed (a rate over the
    pooled days); None weights every person-month equally (mean of individual rates).
    """
    need = [treatment_col, cluster_col, rel_month_col, offences_col, exposure_col]
    missing = [c for c in need + ([weights_col] if weights_col else []) if c not in panel]
    if missing:
        raise KeyError(f"panel lacks columns {missing}")
    g = pd.to_numeric(panel[treatment_col]).to_numpy(dtype=int)
    k = pd.to_numeric(panel[rel_month_col]).to_numpy(dtype=int)
    expo = panel[exposure_col].to_numpy(dtype=float)
    if np.any(expo <= 0):
        raise ValueError(f"{exposure_col!r} must be > 0 (drop months with no exposure)")
    y = panel[offences_col].to_numpy(dtype=float) / expo * MONTH_DAYS
    w = np.ones(len(y)) if weights_col is None else panel[weights_col].to_numpy(dtype=float)
    months = np.unique(k)
    if reference not in months:
        raise ValueError(f"reference month {reference} is not in the panel")
    n_m = len(months)
    cell = g * n_m + np.searchsorted(months, k)
    n_cells = 2 * n_m
    w_cell = np.bincount(cell, weights=w, minlength=n_cells)
    if np.any(w_cell <= 0):
        raise ValueError("every group x relative month needs at least one person-month")
    mean = np.bincount(cell, weights=w * y, minlength=n_cells) / w_cell
    # hashed, then only the distinct ids sorted: the codes np.unique gives, without sorting
    # every person-month's id string (7 s on a national panel)
    codes, clusters = pd.factorize(panel[cluster_col], sort=True)
    if np.any(codes < 0):
        raise ValueError(f"cluster column {cluster_col!r} has missing values")
    infl = np.bincount(codes * n_cells + cell, weights=w * (y - mean[cell]) / w_cell[cell],
                       minlength=len(clusters) * n_cells).reshape(len(clusters), n_cells)
    n_obs, n_cl = len(y), len(clusters)
    factor = n_cl / (n_cl - 1) * (n_obs - 1) / (n_obs - n_cells)
    cov_cells = factor * infl.T @ infl
    ref = int(np.searchsorted(months, reference))
    others = [j for j in range(n_m) if j != ref]
    contrast = np.zeros((len(others), n_cells))
    for r, j in enumerate(others):
        contrast[r, [n_m + j, n_m + ref, j, ref]] = [1, -1, -1, 1]
    beta = contrast @ mean
    cov = contrast @ cov_cells @ contrast.T
    se = np.sqrt(np.diag(cov))
    z = stats.norm.ppf(1 - alpha / 2)
    n_people = int(len(clusters))
    method = (f"event-study DiD of offences per month, reference month {reference}, "
              f"cluster-robust on {cluster_col!r} (CR1, {n_cl} clusters)")
    coef = pd.DataFrame({
        "term": [f"rel_month={months[j]}" for j in others], "rel_month": months[others],
        "estimate": beta, "std_error": se, "lower": beta - z * se, "upper": beta + z * se,
        "p_value": _two_sided(beta, se), "method": method, "n": n_people})
    pre = np.flatnonzero(months[others] < reference)
    pretrend = _wald(beta[pre], cov[np.ix_(pre, pre)], "pre-trend: all pre-index months = 0",
                     method, n_people)
    post = np.flatnonzero(months[others] >= 0)
    avg_vec = np.zeros(len(others))
    avg_vec[post] = 1 / len(post)
    a, a_se = float(avg_vec @ beta), float(np.sqrt(avg_vec @ cov @ avg_vec))
    average = pd.DataFrame([{
        "term": "average post-index difference", "estimate": a, "std_error": a_se,
        "lower": a - z * a_se, "upper": a + z * a_se,
        "p_value": float(_two_sided(a, a_se)), "method": method, "n": n_people}])
    cells = pd.DataFrame({
        "group": np.repeat(["comparison", "programme"], n_m), "rel_month": np.tile(months, 2),
        "rate": mean, "std_error": np.sqrt(np.diag(cov_cells))})
    return EventStudyResult(coef, pretrend, average, cells, cov)


def _two_sided(est, se):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(se) > 0, 2 * stats.norm.sf(np.abs(est / se)), np.nan)


def _wald(b, v, term, method, n):
    """Joint Wald chi-square; with too few clusters the covariance is singular: use its rank."""
    rank = int(np.linalg.matrix_rank(v))
    stat = float(b @ np.linalg.pinv(v) @ b)
    note = "" if rank == len(b) else f" (covariance rank {rank} < {len(b)}: too few clusters)"
    return pd.DataFrame([{
        "term": term, "estimate": stat, "std_error": np.nan, "lower": np.nan, "upper": np.nan,
        "p_value": float(stats.chi2.sf(stat, rank)) if rank else np.nan,
        "method": f"Wald chi-square, {rank} df{note}; {method}", "n": n, "df": rank}])
