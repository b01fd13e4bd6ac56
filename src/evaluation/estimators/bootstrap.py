"""Bootstrap of the whole design: resample people (or matched clusters), re-run everything.

Why: the sandwich intervals of the other estimators treat the matching or weights as fixed. When
the propensity model and the matching are re-run on every resample, the interval also carries
their uncertainty (the WeightIt / adjustedCurves approach). ``fn`` is the whole pipeline: it takes a
person-level frame and returns the estimates.

Reproducible whatever ``n_jobs``: resample b draws its rows with its own generator, seeded by
``numpy.random.SeedSequence(seed).spawn(n_resamples)[b]``, so the draws do not depend on which worker
runs it or in which order. Parallel runs use joblib (shipped with scikit-learn) when installed,
else run serially.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .common import RESULT_COLUMNS, check_columns, result_row, z_value


@dataclass(frozen=True)
class BootstrapResult:
    """``table``: tidy rows (estimate = full-sample value, std_error = bootstrap SD, lower/upper =
    percentile interval); ``distribution``: one row per resample, one column per term."""

    table: pd.DataFrame
    distribution: pd.DataFrame
    n_failed: int
    seed: int


def _as_series(value) -> pd.Series:
    """fn may return a number, a dict / Series of numbers, or a tidy frame (term, estimate)."""
    if isinstance(value, pd.DataFrame):
        if not {"term", "estimate"} <= set(value.columns):
            raise ValueError("fn returned a DataFrame without 'term' and 'estimate' columns")
        return pd.Series(value["estimate"].to_numpy(float), index=value["term"].astype(str))
    if isinstance(value, pd.Series):
        return value.astype(float)
    if isinstance(value, dict):
        return pd.Series(value, dtype=float)
    if np.isscalar(value):
        return pd.Series({"estimate": float(value)})
    raise ValueError(f"fn must return a number, dict, Series or tidy DataFrame, "
                     f"got {type(value).__name__}")


def _resample(df: pd.DataFrame, seed_seq: np.random.SeedSequence,
              cluster_col: str | None) -> pd.DataFrame:
    rng = np.random.default_rng(seed_seq)
    if cluster_col is None:
        rows = rng.integers(0, len(df), size=len(df))
        return df.iloc[rows].reset_index(drop=True)
    codes, _ = pd.factorize(df[cluster_col], sort=True)
    n_clusters = int(codes.max()) + 1
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(n_clusters))
    sizes = np.bincount(codes, minlength=n_clusters)
    drawn = rng.integers(0, n_clusters, size=n_clusters)
    # rows of each drawn cluster, vectorised: repeat the start of each draw, add 0..size-1
    lengths = sizes[drawn]
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = order[np.repeat(starts[drawn], lengths) + offsets]
    out = df.iloc[rows].reset_index(drop=True)
    # a cluster drawn twice is two clusters in the resample
    out[cluster_col] = np.repeat(np.arange(n_clusters), lengths)
    return out


def _one(fn, df, seed_seq, cluster_col, on_error):
    try:
        return _as_series(fn(_resample(df, seed_seq, cluster_col))), None
    except Exception as exc:  # reported in n_failed, or re-raised below
        if on_error == "raise":
            raise
        return None, f"{type(exc).__name__}: {exc}"


def bootstrap(
    fn: Callable[[pd.DataFrame], object],
    df: pd.DataFrame,
    n_resamples: int,
    *,
    seed: int,
    cluster_col: str | None = None,
    n_jobs: int = 1,
    alpha: float = 0.05,
    on_error: str = "raise",
    backend: str | None = None,
) -> BootstrapResult:
    """Percentile bootstrap of ``fn`` over people (rows) or over clusters of ``cluster_col``.

    ``on_error="nan"`` records a resample where ``fn`` fails (e.g. no events drawn) as missing and
    counts it in ``n_failed`` (also in ``method``) instead of stopping. ``backend`` is passed to
    joblib (default: processes via loky; "threading" avoids start-up cost for light ``fn``).
    """
    if n_resamples < 2:
        raise ValueError(f"n_resamples must be at least 2, got {n_resamples}")
    if on_error not in ("raise", "nan"):
        raise ValueError(f"on_error must be 'raise' or 'nan', got {on_error!r}")
    check_columns(df, [cluster_col])
    z_value(alpha)  # validates alpha
    full = _as_series(fn(df))
    children = np.random.SeedSequence(seed).spawn(n_resamples)
    try:
        from joblib import Parallel, delayed
    except ImportError:  # pragma: no cover - joblib ships with scikit-learn
        Parallel = None
    if n_jobs != 1 and Parallel is not None:
        results = Parallel(n_jobs=n_jobs, backend=backend)(
            delayed(_one)(fn, df, s, cluster_col, on_error) for s in children)
    else:
        results = [_one(fn, df, s, cluster_col, on_error) for s in children]
    dist = pd.DataFrame([r if r is not None else pd.Series(dtype=float) for r, _ in results],
                        columns=full.index).reset_index(drop=True)
    n_failed = sum(err is not None for _, err in results)
    lo, hi = dist.quantile(alpha / 2), dist.quantile(1 - alpha / 2)
    unit = f"clusters of {cluster_col!r}" if cluster_col else "people"
    method = (f"percentile bootstrap, {n_resamples} resamples of {unit}, seed {seed}"
              + (f", {n_failed} failed" if n_failed else ""))
    rows = [result_row(term, full[term], dist[term].std(ddof=1), lo[term], hi[term], np.nan, method,
                 len(df)) for term in full.index]
    return BootstrapResult(pd.DataFrame(rows, columns=RESULT_COLUMNS), dist, n_failed, seed)
