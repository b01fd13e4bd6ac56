"""The headline and the Holm family of secondaries: one test per question, adjusted intervals.

Why: the rate as a difference and as a ratio, or time to reoffence as a hazard ratio and as
days free (RMST), answer one question twice. Counting both in the Holm family double-counts a
question and makes every other secondary pay for it. The family is the lead measure of each
question other than the headline's (``outcomes/registry.py``); the other measures of a
question (role "supporting") share their lead's adjustment, and the headline's companions are,
like the headline, read at the nominal level.

Adjusted intervals (decision 0403): each measure's interval is recomputed at the two-sided
level ``alpha_adjusted = alpha * p / p_adjusted`` of its question's lead. For an unconstrained
Holm step this is Holm's own threshold alpha / (m - k + 1) for the k-th smallest p-value; where
the step-down is stopped by an earlier step the level is lowered, so an adjusted interval
excludes the null exactly when the Holm-adjusted p-value is at most alpha. Intervals are Wald,
from the estimate and its standard error: on the log scale for ratios (null 1), else linear.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.estimators.multiplicity import adjust_secondaries
from evaluation.outcomes.registry import measure, question_lead

ALPHA = 0.05


def _interval(row: pd.Series, alpha: float) -> tuple[float, float]:
    z = float(stats.norm.ppf(1 - alpha / 2))
    est, se = float(row["estimate"]), float(row["std_error"])
    if measure(row["outcome"]).null == 1.0:
        return float(np.exp(np.log(est) - z * se)), float(np.exp(np.log(est) + z * se))
    return est - z * se, est + z * se


def holm_by_question(table: pd.DataFrame, headline: str, alpha: float = ALPHA) -> pd.DataFrame:
    """Mark roles, Holm-adjust one lead measure per question, and add adjusted intervals.

    ``table`` has one row per registered measure (``outcome``, ``estimate``, ``std_error``,
    ``p_value``). Adds ``question``, ``role`` (headline / secondary / supporting),
    ``p_adjusted``, ``significant``, ``alpha_adjusted``, ``lower_adjusted``, ``upper_adjusted``.
    """
    out = table.copy()
    out["question"] = [measure(k).question for k in out["outcome"]]
    head_question = measure(headline).question
    lead_of = {q: (headline if q == head_question else question_lead(q).key)
               for q in out["question"].unique()}
    is_lead = out["outcome"].isin(lead_of.values())
    family = adjust_secondaries(out.loc[is_lead, ["outcome", "p_value"]], headline=headline,
                                alpha=alpha).set_index("outcome")
    # the factor each question's lead was multiplied by (1 for the headline's question)
    factor = {q: (family.loc[k, "p_adjusted"] / family.loc[k, "p_value"]
                  if family.loc[k, "p_value"] > 0 else float(len(family) - 1) or 1.0)
              for q, k in lead_of.items()}
    roles, p_adj, levels = [], [], []
    for key, q, p in zip(out["outcome"], out["question"], out["p_value"], strict=True):
        f = max(1.0, float(factor[q]))
        if key in family.index:
            roles.append(family.loc[key, "role"])
            p_adj.append(float(family.loc[key, "p_adjusted"]))
        else:
            roles.append("supporting")
            p_adj.append(min(1.0, float(p) * f))
        levels.append(alpha / f)
    out["role"], out["p_adjusted"], out["alpha_adjusted"] = roles, p_adj, levels
    out["significant"] = out["p_adjusted"] <= alpha
    bounds = [_interval(row, level) for (_, row), level in zip(out.iterrows(), levels,
                                                                strict=True)]
    out["lower_adjusted"] = [b[0] for b in bounds]
    out["upper_adjusted"] = [b[1] for b in bounds]
    return out
