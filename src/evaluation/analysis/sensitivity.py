"""E-value for the headline: how strong an unmeasured confounder would have to be."""

from __future__ import annotations

import pandas as pd

from evaluation.estimators.sensitivity import e_value
from evaluation.outcomes.registry import MEASURES, measure

# A headline that is not a ratio borrows the E-value of a ratio: its own family's ratio when
# the family has one (risk difference -> risk ratio), the hazard ratio otherwise.
FALLBACK_RATIO = "time_to_reoffence_hr"


def headline_sensitivity(estimates: pd.DataFrame, analysis: pd.DataFrame) -> pd.Series:
    """E-value for the headline on the risk-ratio scale (hazard and rate ratios converted)."""
    head = estimates.loc[estimates["role"] == "headline"].iloc[0]
    prevalence = float(analysis.loc[analysis["treated"] == 0, "event"].mean())
    m = measure(head["outcome"])
    if m.evalue_scale is not None:
        return e_value(head["estimate"], head["lower"], head["upper"], measure=m.evalue_scale,
                       outcome_prevalence=prevalence)
    sibling = [s for s in MEASURES if s.family == m.family and s.evalue_scale is not None]
    if sibling:
        rr = estimates.loc[estimates["outcome"] == sibling[0].key].iloc[0]
        return e_value(rr["estimate"], rr["lower"], rr["upper"], measure=sibling[0].evalue_scale)
    fallback = measure(FALLBACK_RATIO)
    hr = estimates.loc[estimates["outcome"] == fallback.key].iloc[0]
    return e_value(hr["estimate"], hr["lower"], hr["upper"], measure=fallback.evalue_scale,
                   outcome_prevalence=prevalence)
