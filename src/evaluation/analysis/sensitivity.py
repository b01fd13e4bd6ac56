"""E-value for the pre-declared headline: how strong an unmeasured confounder would have to be
(decision 0404).

The E-value belongs to the headline's own measure, on the scale the registry gives it
(``evalue_scale``): a risk or rate ratio as it is; a hazard ratio converted to a risk ratio
when the outcome is common; a risk difference converted with the comparison group's risk held
fixed; a difference in reoffences per 100 people converted to a ratio of means with the
comparison mean held fixed. A headline with no ratio scale (days free, cost) borrows the
E-value of the lead ratio measure of its own question, and says so (``outcome``); where its
question has none, there is no E-value (NaN).

Rare or common (the hazard-ratio conversion): the share reoffending by the end of the window in
the comparison group, 1 - Kaplan-Meier survival at the window, so censored people count as
what they are (unknown), not as non-reoffenders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.estimators.kaplan_meier import KaplanMeierByGroup
from evaluation.estimators.sensitivity import e_value
from evaluation.outcomes.registry import MEASURES, OutcomeMeasure, measure


def comparison_risk_at(km: KaplanMeierByGroup, horizon: float) -> float:
    """1 - Kaplan-Meier survival of the comparison group (treated == 0) at ``horizon`` days."""
    at = km.survival_at([horizon])
    return float(1 - at.loc[at["group"] == 0, "survival"].iloc[0])


def _scaled(head: OutcomeMeasure) -> OutcomeMeasure | None:
    if head.evalue_scale is not None:
        return head
    same = [m for m in MEASURES if m.question == head.question and m.evalue_scale is not None]
    return same[0] if same else None


def _comparison(details: dict[str, pd.DataFrame], m: OutcomeMeasure, term: str) -> float:
    """The comparison group's level (risk or mean) from the measure's estimator table."""
    return float(details[m.family].set_index("term").loc[term, "estimate"])


NOTES = {"RD": "RD converted to RR with baseline risk held fixed",
         "MR": "difference converted to a ratio of means, comparison mean held fixed"}


def _held_fixed_evalue(row: pd.Series, base: float, scale: str) -> pd.Series:
    """E-value of a difference read as a ratio, (base + d) / base, with the comparison
    group's risk or mean (``base``) held fixed. A limit beyond -base has no ratio (NaN); the
    E-value for the interval comes from the limit closer to the null, as for any ratio."""
    est, lo, hi = (float(row[c]) for c in ("estimate", "lower", "upper"))
    ratio = [(base + v) / base for v in (est, lo, hi)]
    if ratio[0] <= 0:
        out = pd.Series({"rr": ratio[0], "e_value": np.inf}, dtype=object)
    else:
        out = e_value(ratio[0], measure="RR")
    out["measure"], out["conversion"] = scale, NOTES[scale]
    out["rr_lower"], out["rr_upper"] = (r if r > 0 else np.nan for r in ratio[1:])
    if lo <= 0 <= hi:
        out["e_value_ci"] = 1.0
    else:
        closer = (base + (hi if est < 0 else lo)) / base
        out["e_value_ci"] = float(e_value(closer, measure="RR")["e_value"]) if closer > 0 \
            else np.inf
    return out[["measure", "conversion", "rr", "rr_lower", "rr_upper", "e_value",
                "e_value_ci"]]


def headline_sensitivity(estimates: pd.DataFrame, details: dict[str, pd.DataFrame],
                         km: KaplanMeierByGroup | None, horizon: float) -> pd.Series:
    """E-value for the headline measure (or the measure named in ``outcome``, see above).

    ``km`` may be None (no survival data): then a hazard ratio cannot be converted and no
    comparison risk is reported (NaN)."""
    head_row = estimates.loc[estimates["role"] == "headline"].iloc[0]
    head = measure(head_row["outcome"])
    risk = comparison_risk_at(km, horizon) if km is not None else np.nan
    target = _scaled(head)
    if target is None:
        out = pd.Series({"measure": None, "conversion": "no E-value: not a ratio, and no ratio "
                         "measure answers the same question", "rr": np.nan, "rr_lower": np.nan,
                         "rr_upper": np.nan, "e_value": np.nan, "e_value_ci": np.nan},
                        dtype=object)
    else:
        row = estimates.loc[estimates["outcome"] == target.key].iloc[0]
        args = (float(row["estimate"]), float(row["lower"]), float(row["upper"]))
        if target.evalue_scale == "HR":
            out = e_value(*args, measure="HR", outcome_prevalence=risk)
        elif target.evalue_scale in ("RD", "MR"):
            term = "risk_comparison" if target.evalue_scale == "RD" else "mean_comparison"
            out = _held_fixed_evalue(row, _comparison(details, target, term),
                                     target.evalue_scale)
        else:
            out = e_value(*args, measure="RR")
    out["outcome"] = None if target is None else target.key
    out["headline"] = head.key
    out["comparison_risk_km"] = risk
    out["horizon_days"] = float(horizon)
    return out
