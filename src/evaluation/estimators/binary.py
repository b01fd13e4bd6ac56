"""Binary reoffending (any proven reoffence in the follow-up, yes/no): risks, difference, ratio.

Why not the Justice Data Lab t-test of proportions: after matching (with replacement, k:1) or
weighting, people are neither equally weighted nor independent, so the interval must come from a
variance that knows about the weights and the matched sets.

Method (say which, as the issue asks): weighted M-estimation of the saturated two-group model.
Each group's risk is a weighted mean p_g = sum(w y) / sum(w); its influence function
w_i (y_i - p_g) / W_g, summed within clusters (matched set or person) and squared, is the
sandwich variance. The relative risk uses the delta method on the log scale. Weights are treated
as fixed sampling weights (the uncertainty of an estimated propensity score is not propagated;
use the design bootstrap for that). This is exactly what statsmodels GLM Binomial with an identity
or log link, ``var_weights`` and ``cov_type="HC0"``/``"cluster"`` returns for this model (tested),
but the closed form cannot fail to converge when a group's risk is 0 or 1.

Small-sample factor: with clusters, the statsmodels/Stata CR1 factor G/(G-1) * (N-1)/(N-2); without
clusters none (HC0), which reproduces the textbook Wald intervals of a 2x2 table.

The private helpers here (column checks, sandwich sums) are shared by the other estimator modules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

RESULT_COLUMNS = ["term", "estimate", "std_error", "lower", "upper", "p_value", "method", "n"]


# --------------------------------------------------------------------------- shared helpers
def _rows_text(index: pd.Index, limit: int = 5) -> str:
    shown = ", ".join(repr(i) for i in list(index[:limit]))
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return f"{shown}{more}"


def _check_frame(df: pd.DataFrame, columns: Sequence[str | None]) -> list[str]:
    """Columns exist and hold no missing values; never drop rows silently."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(df).__name__}")
    used = [c for c in columns if c is not None]
    missing = [c for c in used if c not in df.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the data; columns are {list(df.columns)}")
    if len(df) == 0:
        raise ValueError("the data has no rows")
    for c in used:
        bad = df.index[df[c].isna().to_numpy()]
        if len(bad):
            raise ValueError(
                f"column {c!r} has {len(bad)} missing value(s) at rows {_rows_text(bad)}; "
                "resolve them (and record the exclusion in the attrition ledger) before estimating"
            )
    return used


def _binary_column(df: pd.DataFrame, col: str, role: str) -> np.ndarray:
    """A 0/1 (or boolean) column as floats, or a ValueError naming the offending rows."""
    s = df[col]
    if s.dtype == bool:
        return s.to_numpy(dtype=float)
    values = pd.to_numeric(s, errors="coerce")
    bad = df.index[~values.isin([0, 1]).to_numpy()]
    if len(bad):
        raise ValueError(
            f"{role} column {col!r} must hold only 0/1 (or True/False); rows {_rows_text(bad)} do not"
        )
    return values.to_numpy(dtype=float)


def _group_column(df: pd.DataFrame, group: str) -> np.ndarray:
    g = _binary_column(df, group, "group")
    if g.min() == g.max():
        raise ValueError(
            f"group column {group!r} holds only the value {int(g[0])}; "
            "both the programme group (1) and the comparison group (0) are needed"
        )
    return g


def _weight_column(df: pd.DataFrame, weights: str | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(df))
    w = pd.to_numeric(df[weights], errors="coerce")
    bad = df.index[~(np.isfinite(w.to_numpy(dtype=float)) & (w.to_numpy(dtype=float) >= 0))]
    if len(bad):
        raise ValueError(
            f"weights column {weights!r} must be finite and >= 0; rows {_rows_text(bad)} are not"
        )
    return w.to_numpy(dtype=float)


def _cluster_codes(df: pd.DataFrame, cluster: str | None) -> np.ndarray | None:
    if cluster is None:
        return None
    codes, _ = pd.factorize(df[cluster], sort=True)
    return codes


def _sandwich(scores: np.ndarray, codes: np.ndarray | None, n_params: int) -> np.ndarray:
    """Sum influence contributions within clusters, then S'S (with the CR1 factor if clustered).

    ``scores`` is n x k, each row one person's influence on the k estimates (already divided
    by the bread), so S'S is the variance. Without clusters: HC0 (no factor).
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=float).T).T
    if codes is None:
        return scores.T @ scores
    n = scores.shape[0]
    n_groups = int(codes.max()) + 1
    if n_groups < 2:
        raise ValueError("cluster-robust variance needs at least 2 clusters")
    summed = np.zeros((n_groups, scores.shape[1]))
    np.add.at(summed, codes, scores)
    factor = n_groups / (n_groups - 1.0) * (n - 1.0) / (n - n_params)
    return factor * (summed.T @ summed)


def _variance_label(weights: str | None, cluster: str | None, codes: np.ndarray | None) -> str:
    parts = []
    if weights is not None:
        parts.append(f"weights {weights!r}")
    if cluster is not None and codes is not None:
        parts.append(f"cluster-robust on {cluster!r} ({int(codes.max()) + 1} clusters, CR1)")
    else:
        parts.append("robust (HC0)")
    return ", ".join(parts)


def _z(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return float(stats.norm.ppf(1 - alpha / 2))


def _p_value(estimate: float, se: float, null: float = 0.0) -> float:
    if not np.isfinite(se) or se <= 0:
        return float("nan")
    return float(2 * stats.norm.sf(abs((estimate - null) / se)))


def _row(term: str, estimate: float, se: float, lower: float, upper: float, p: float,
         method: str, n: int) -> dict:
    return {"term": term, "estimate": float(estimate), "std_error": float(se),
            "lower": float(lower), "upper": float(upper), "p_value": float(p),
            "method": method, "n": int(n)}


# --------------------------------------------------------------------------- public API
def binary_effect(
    df: pd.DataFrame,
    outcome: str,
    group: str,
    weights: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Risk in each group, risk difference (programme minus comparison) and relative risk.

    Rows (``term``): ``risk_comparison``, ``risk_treated``, ``risk_difference``,
    ``relative_risk``. Wald intervals from the weighted, cluster-robust sandwich (module
    docstring); the relative risk interval is exp(log RR +/- z SE) and is NaN when a group has
    no events. Risk intervals are clipped to [0, 1]. p-values test RD = 0 and RR = 1.
    """
    _check_frame(df, [outcome, group, weights, cluster])
    y = _binary_column(df, outcome, "outcome")
    g = _group_column(df, group)
    w = _weight_column(df, weights)
    codes = _cluster_codes(df, cluster)
    z = _z(alpha)

    risks, infl, counts = {}, {}, {}
    for value in (0, 1):
        m = g == value
        total = w[m].sum()
        if total <= 0:
            raise ValueError(f"group {value} of {group!r} has zero total weight in {weights!r}")
        p = float((w[m] * y[m]).sum() / total)
        f = np.zeros(len(y))
        f[m] = w[m] * (y[m] - p) / total
        risks[value], infl[value], counts[value] = p, f, int(m.sum())

    label = _variance_label(weights, cluster, codes)
    p0, p1 = risks[0], risks[1]
    n = len(y)
    rows = []
    for value, term in ((0, "risk_comparison"), (1, "risk_treated")):
        se = float(np.sqrt(_sandwich(infl[value], codes, 2)[0, 0]))
        p = risks[value]
        rows.append(_row(term, p, se, max(0.0, p - z * se), min(1.0, p + z * se), np.nan,
                         f"weighted mean; {label}", counts[value]))

    rd = p1 - p0
    se_rd = float(np.sqrt(_sandwich(infl[1] - infl[0], codes, 2)[0, 0]))
    rows.append(_row("risk_difference", rd, se_rd, rd - z * se_rd, rd + z * se_rd,
                     _p_value(rd, se_rd), f"risk difference, Wald; {label}", n))

    if p0 > 0 and p1 > 0:
        log_rr = np.log(p1 / p0)
        se_log = float(np.sqrt(_sandwich(infl[1] / p1 - infl[0] / p0, codes, 2)[0, 0]))
        rows.append(_row("relative_risk", np.exp(log_rr), se_log, np.exp(log_rr - z * se_log),
                         np.exp(log_rr + z * se_log), _p_value(log_rr, se_log),
                         f"relative risk, Wald on log scale (std_error is of log RR); {label}", n))
    else:
        rows.append(_row("relative_risk", p1 / p0 if p0 > 0 else np.nan, np.nan, np.nan, np.nan,
                         np.nan, "relative risk undefined: a group has no events", n))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def per_hundred(effect: pd.DataFrame | pd.Series) -> pd.Series:
    """The Justice Data Lab numbers: per 100 people in the programme vs 100 similar people.

    Takes the ``risk_difference`` row (or the whole ``binary_effect`` table) and returns, per
    100 people, ``difference`` (negative = fewer reoffend), its ``lower``/``upper`` bounds,
    ``significant`` (the interval excludes 0), and, when given the whole table, the numbers
    reoffending per 100 in each group. Unrounded: the reporting helpers round and write words.
    """
    extra = {}
    if isinstance(effect, pd.DataFrame):
        table = effect.set_index("term")
        if "risk_difference" not in table.index:
            raise ValueError("the table has no 'risk_difference' row; pass binary_effect() output")
        row = table.loc["risk_difference"]
        for term, key in (("risk_treated", "treated"), ("risk_comparison", "comparison")):
            if term in table.index:
                extra[key] = 100 * float(table.loc[term, "estimate"])
    elif isinstance(effect, pd.Series):
        row = effect
        if "term" in row.index and row["term"] != "risk_difference":
            raise ValueError(f"per_hundred needs the 'risk_difference' row, got {row['term']!r}")
    else:
        raise ValueError(f"expected a DataFrame or Series, got {type(effect).__name__}")
    lower, upper = 100 * float(row["lower"]), 100 * float(row["upper"])
    out = {
        "difference": 100 * float(row["estimate"]),
        "lower": lower,
        "upper": upper,
        "significant": bool(upper < 0 or lower > 0),
    }
    out.update(extra)
    return pd.Series(out, dtype=object)
