"""Covariate balance: standardised mean differences, variance ratios, eCDF (KS) distances, overlap.

SMD denominator (docs/decisions/0104-smd-denominator.md): the pooled SD of the treated and comparison
groups in the UNWEIGHTED data given, sqrt((s_t^2 + s_c^2) / 2) (Austin 2009), with s^2 the sample
variance (n-1) for continuous covariates and p(1-p) for binary ones and category levels. The
same denominator is used before and after matching/weighting: pass the FULL frame with the
matching weights (0 for unmatched people) and the denominator is computed from all rows, ignoring
the weights, while the means, variances and eCDFs use the weights. ``denominator="treated"`` gives
cobalt's ATT convention (treated SD only) for readers who want it.

Weighted variance uses reliability weights, sum w (x - m)^2 / (sum w - sum w^2 / sum w), which
is the ordinary n-1 variance when all weights are 1 (cobalt's choice).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.frames import check_columns, treatment_array, weight_array

BALANCE_COLUMNS = ["covariate", "level", "type", "mean_treated", "mean_comparison", "smd",
                   "variance_ratio", "ks", "sd_denominator"]


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float((w * x).sum() / w.sum())


def _wvar(x: np.ndarray, w: np.ndarray) -> float:
    sw = w.sum()
    m = (w * x).sum() / sw
    denom = sw - (w**2).sum() / sw
    return float((w * (x - m) ** 2).sum() / denom) if denom > 0 else np.nan


def _ks(x1: np.ndarray, w1: np.ndarray, x0: np.ndarray, w0: np.ndarray) -> float:
    """Largest distance between the two weighted empirical CDFs."""
    grid = np.unique(np.concatenate([x1, x0]))

    def ecdf(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        o = np.argsort(x, kind="stable")
        cw = np.cumsum(w[o]) / w.sum()
        idx = np.searchsorted(x[o], grid, side="right") - 1
        return np.where(idx >= 0, cw[np.clip(idx, 0, None)], 0.0)

    return float(np.max(np.abs(ecdf(x1, w1) - ecdf(x0, w0))))


def _expand(df: pd.DataFrame, covariates: Sequence[str],
            categorical: Sequence[str] | None) -> list[tuple[str, str, str, np.ndarray]]:
    """(covariate, level, type, values) with categories split into 0/1 level indicators."""
    out = []
    for c in covariates:
        s = df[c]
        is_cat = (categorical is not None and c in categorical) or not (
            pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))
        if is_cat:
            values = s.astype(str)
            for level in sorted(values.unique()):
                out.append((c, level, "binary", (values == level).to_numpy(dtype=float)))
            continue
        x = s.to_numpy(dtype=float)
        kind = "binary" if np.isin(x, [0.0, 1.0]).all() else "continuous"
        out.append((c, "", kind, x))
    return out


def balance_table(
    df: pd.DataFrame,
    covariates: Sequence[str],
    *,
    treatment_col: str = "treated",
    weights_col: str | None = None,
    categorical: Sequence[str] | None = None,
    denominator: str = "pooled",
) -> pd.DataFrame:
    """One row per covariate (per level for categories): weighted means, SMD, variance ratio, KS.

    ``weights_col`` names a weight column (None = unweighted, i.e. before matching). SMD is
    (mean_treated - mean_comparison) / sd_denominator; the variance ratio (treated /
    comparison) is given for continuous covariates only.
    """
    if denominator not in ("pooled", "treated"):
        raise ValueError(f"denominator must be 'pooled' or 'treated', got {denominator!r}")
    check_columns(df, [*covariates, weights_col])
    t = treatment_array(df, treatment_col)
    w = weight_array(df, weights_col)
    g1, g0 = t == 1, t == 0
    for g, label in ((g1, "treated"), (g0, "comparison")):
        if w[g].sum() <= 0:
            raise ValueError(f"the {label} group has zero total weight")
    rows = []
    for cov, level, kind, x in _expand(df, covariates, categorical):
        # denominator from the unweighted data (same before and after adjustment)
        if kind == "binary":
            p1, p0 = x[g1].mean(), x[g0].mean()
            v1, v0 = p1 * (1 - p1), p0 * (1 - p0)
        else:
            v1, v0 = x[g1].var(ddof=1), x[g0].var(ddof=1)
        sd = np.sqrt((v1 + v0) / 2) if denominator == "pooled" else np.sqrt(v1)
        m1, m0 = _wmean(x[g1], w[g1]), _wmean(x[g0], w[g0])
        diff = m1 - m0
        if sd > 0:
            smd = diff / sd
        else:
            smd = 0.0 if diff == 0 else np.copysign(np.inf, diff)
        sel1, sel0 = g1 & (w > 0), g0 & (w > 0)
        if kind == "continuous":
            vc = _wvar(x[sel0], w[sel0])
            vr = _wvar(x[sel1], w[sel1]) / vc if vc and vc > 0 else np.nan
            ks = _ks(x[sel1], w[sel1], x[sel0], w[sel0])
        else:
            vr, ks = np.nan, abs(diff)
        rows.append({"covariate": cov, "level": level, "type": kind, "mean_treated": m1,
                     "mean_comparison": m0, "smd": smd, "variance_ratio": vr, "ks": ks,
                     "sd_denominator": sd})
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)


def balance_status(
    table: pd.DataFrame,
    ok: float = 0.10,
    fail: float = 0.20,
    variance_ratio_range: tuple[float, float] = (0.5, 2.0),
) -> pd.DataFrame:
    """Add ``status``: "ok" if |SMD| < ok, "fail" if |SMD| > fail, else "flag".

    A continuous covariate whose variance ratio lies outside ``variance_ratio_range`` is at least
    "flag" (``variance_ratio_ok`` False) even with a small SMD.
    """
    if not 0 <= ok <= fail:
        raise ValueError(f"need 0 <= ok <= fail, got ok={ok}, fail={fail}")
    out = table.copy()
    a = out["smd"].abs()
    status = np.where(a < ok, "ok", np.where(a > fail, "fail", "flag"))
    lo, hi = variance_ratio_range
    vr = out["variance_ratio"]
    vr_ok = vr.isna() | ((vr >= lo) & (vr <= hi))
    status = np.where((~vr_ok) & (status == "ok"), "flag", status)
    out["variance_ratio_ok"] = np.where(vr.isna(), pd.NA, vr_ok)
    out["status"] = status
    return out


def balance_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Count of rows per status with the covariates (and levels) concerned."""
    if "status" not in table.columns:
        table = balance_status(table)
    label = table["covariate"] + np.where(table["level"] != "", "[" + table["level"] + "]", "")
    rows = []
    for s in ("ok", "flag", "fail"):
        m = (table["status"] == s).to_numpy()
        rows.append({"status": s, "n": int(m.sum()), "covariates": ", ".join(label[m])})
    return pd.DataFrame(rows)


def common_support(
    df: pd.DataFrame, *, propensity_col: str = "propensity", treatment_col: str = "treated"
) -> pd.DataFrame:
    """People outside the common support [max of group minima, min of group maxima] by group.

    Counts only: whether to exclude them is the analyst's decision, recorded in the attrition
    ledger if taken.
    """
    check_columns(df, [propensity_col])
    t = treatment_array(df, treatment_col)
    e = df[propensity_col].to_numpy(dtype=float)
    lower = max(e[t == 1].min(), e[t == 0].min())
    upper = min(e[t == 1].max(), e[t == 0].max())
    rows = []
    for g, label in ((1, "treated"), (0, "comparison")):
        eg = e[t == g]
        below, above = int((eg < lower).sum()), int((eg > upper).sum())
        rows.append({"group": label, "n": len(eg), "n_below": below, "n_above": above,
                     "n_outside": below + above, "lower": lower, "upper": upper})
    return pd.DataFrame(rows)
