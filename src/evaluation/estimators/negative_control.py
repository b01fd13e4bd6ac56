"""Falsification checks: a placebo index date and negative-control outcomes should show nothing.

Why: matching and DiD remove the differences the extract records. If people are chosen for a
programme because their offending was about to change anyway (selected at a peak, or referred
when things were already improving), an "effect" appears where the programme cannot have caused
one. Two standard checks (Lipsitch et al. 2010, Epidemiology 21:383; Rosenbaum 2002 ch. 6):

- ``placebo_index_date``: pretend everyone's index date was ``shift_months`` earlier and rerun
  the event-study DiD on months *before* the real index date only. The programme had not started,
  so the placebo DiD (mean of the placebo "after" months minus mean of the placebo "before"
  months, programme minus comparison) should be compatible with 0.
- ``negative_control_check``: read any estimate of an outcome the programme cannot affect
  (e.g. offences in the year before the index date, or a cause of death unrelated to offending)
  against its null, with a plain sentence.
A non-null result does not prove bias, but it says the comparison does not stand in for what
would have happened, and the headline estimate should be read with that caveat.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .event_study import EventStudyResult, event_study


def placebo_index_date(panel: pd.DataFrame, *, shift_months: int = 12,
                       treatment_col: str = "treated", cluster_col: str = "person_id",
                       weights_col: str | None = None, rel_month_col: str = "rel_month",
                       alpha: float = 0.05) -> tuple[pd.DataFrame, EventStudyResult]:
    """Placebo DiD with the index date moved ``shift_months`` back, on pre-index months only.

    ``panel``: the person-month frame of ``event_study`` (months relative to the real index
    date, at least ``2 * shift_months`` before it). Returns (tidy row of the placebo DiD, the
    placebo event study, whose months are relative to the placebo date).
    """
    k = pd.to_numeric(panel[rel_month_col]).to_numpy(dtype=int)
    keep = (k < 0) & (k >= -2 * shift_months)
    if not np.any(k[keep] < -shift_months):
        raise ValueError(f"the panel needs months before -{shift_months} for a placebo date "
                         f"{shift_months} months back")
    placebo = panel.loc[keep].copy()
    placebo[rel_month_col] = k[keep] + shift_months
    res = event_study(placebo, treatment_col=treatment_col, cluster_col=cluster_col,
                      weights_col=weights_col, rel_month_col=rel_month_col, alpha=alpha)
    months = res.coefficients["rel_month"].to_numpy()
    n_post, n_pre = np.sum(months >= 0), np.sum(months < 0) + 1  # + the reference month (0)
    weights = np.where(months >= 0, 1 / n_post, -1 / n_pre)
    row = res.contrast(weights, f"placebo DiD: index date {shift_months} months earlier",
                       alpha=alpha)
    row["method"] = (f"placebo index date ({shift_months} months back), mean after minus mean "
                     "before, " + row["method"].iloc[0])
    return row, res


def negative_control_check(estimate_row: pd.Series | pd.DataFrame, *, null: float = 0.0,
                           what: str = "the placebo comparison") -> dict:
    """Does a negative-control estimate's interval include its null? With a sentence."""
    row = estimate_row.iloc[0] if isinstance(estimate_row, pd.DataFrame) else estimate_row
    lower, upper, est = float(row["lower"]), float(row["upper"]), float(row["estimate"])
    passed = lower <= null <= upper
    if passed:
        sentence = (f"As expected, {what} shows no clear difference (estimate {est:.3g}, "
                    f"interval {lower:.3g} to {upper:.3g}, which includes {null:g}).")
    else:
        sentence = (f"Warning: {what} shows a difference where the programme cannot have caused "
                    f"one (estimate {est:.3g}, interval {lower:.3g} to {upper:.3g}). The groups "
                    "were already on different paths, so the headline estimate may be biased.")
    return {"passed": bool(passed), "estimate": est, "lower": lower, "upper": upper,
            "p_value": float(row["p_value"]), "sentence": sentence}
