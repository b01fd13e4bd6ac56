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

Shared helpers (column checks, sandwich sums, the tidy row) live in ``estimators.common``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .common import (
    RESULT_COLUMNS,
    binary_array,
    check_columns,
    cluster_codes,
    p_value,
    result_row,
    sandwich,
    treatment_values,
    variance_label,
    weight_array,
    z_value,
)


# --------------------------------------------------------------------------- public API
def binary_effect(
    df: pd.DataFrame,
    *,
    outcome_col: str,
    treatment_col: str = "treated",
    weights_col: str | None = None,
    cluster_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Risk in each group, risk difference (programme minus comparison) and relative risk.

    Rows (``term``): ``risk_comparison``, ``risk_treated``, ``risk_difference``,
    ``relative_risk``. Wald intervals from the weighted, cluster-robust sandwich (module
    docstring); the relative risk interval is exp(log RR +/- z SE) and is NaN when a group has
    no events. Risk intervals are clipped to [0, 1]. p-values test RD = 0 and RR = 1.
    """
    check_columns(df, [outcome_col, treatment_col, weights_col, cluster_col])
    y = binary_array(df, outcome_col, "outcome")
    g = treatment_values(df, treatment_col)
    w = weight_array(df, weights_col)
    codes = cluster_codes(df, cluster_col)
    z = z_value(alpha)

    risks, infl, counts = {}, {}, {}
    for value in (0, 1):
        m = g == value
        total = w[m].sum()
        if total <= 0:
            raise ValueError(f"group {value} of {treatment_col!r} has zero total weight in "
                             f"{weights_col!r}")
        p = float((w[m] * y[m]).sum() / total)
        f = np.zeros(len(y))
        f[m] = w[m] * (y[m] - p) / total
        risks[value], infl[value], counts[value] = p, f, int(m.sum())

    label = variance_label(weights_col, cluster_col, codes)
    p0, p1 = risks[0], risks[1]
    n = len(y)
    rows = []
    for value, term in ((0, "risk_comparison"), (1, "risk_treated")):
        se = float(np.sqrt(sandwich(infl[value], codes, 2)[0, 0]))
        p = risks[value]
        rows.append(result_row(term, p, se, max(0.0, p - z * se), min(1.0, p + z * se), np.nan,
                         f"weighted mean; {label}", counts[value]))

    rd = p1 - p0
    se_rd = float(np.sqrt(sandwich(infl[1] - infl[0], codes, 2)[0, 0]))
    rows.append(result_row("risk_difference", rd, se_rd, rd - z * se_rd, rd + z * se_rd,
                     p_value(rd, se_rd), f"risk difference, Wald; {label}", n))

    if p0 > 0 and p1 > 0:
        log_rr = np.log(p1 / p0)
        se_log = float(np.sqrt(sandwich(infl[1] / p1 - infl[0] / p0, codes, 2)[0, 0]))
        rows.append(result_row("relative_risk", np.exp(log_rr), se_log, np.exp(log_rr - z * se_log),
                         np.exp(log_rr + z * se_log), p_value(log_rr, se_log),
                         f"relative risk, Wald on log scale (std_error is of log RR); {label}", n))
    else:
        rows.append(result_row("relative_risk", p1 / p0 if p0 > 0 else np.nan, np.nan, np.nan, np.nan,
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
