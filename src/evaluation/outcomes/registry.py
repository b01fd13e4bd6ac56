"""One registry of the outcome measures a programme evaluation reports.

Each measure names the estimator family that produces it, the term it reads from that
family's tidy table, how the report describes it, its null value and the scale an E-value is
computed on. Adding a measure is one entry here (and its estimator), not edits in five places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class OutcomeMeasure:
    """One reported effect measure."""

    key: str  # what configuration files and results.json call it (e.g. ``headline:``)
    family: str  # the estimator family whose table holds it ("binary", "cox", ...)
    term: str  # the row of that table (its ``term`` column)
    measures: str  # what the estimate measures, in a phrase for the appendix
    label: str  # the cross-programme summary's label
    null: float  # the value meaning "no effect"
    evalue_scale: Literal["RR", "HR"] | None  # scale for an E-value; None: not a ratio


MEASURES: tuple[OutcomeMeasure, ...] = (
    OutcomeMeasure("reoffended_rd", "binary", "risk_difference",
                   "difference in the share reoffending",
                   "difference in one-year proven reoffending rate", 0.0, None),
    OutcomeMeasure("reoffended_rr", "binary", "relative_risk",
                   "ratio of the shares reoffending",
                   "ratio of one-year proven reoffending rates", 1.0, "RR"),
    OutcomeMeasure("n_reoffences_rr", "frequency", "rate_ratio",
                   "ratio of proven reoffence rates",
                   "ratio of proven reoffence rates", 1.0, "RR"),
    OutcomeMeasure("time_to_reoffence_hr", "cox", "hazard_ratio",
                   "hazard ratio for a first proven reoffence",
                   "hazard ratio, time to first proven reoffence", 1.0, "HR"),
    OutcomeMeasure("rmst_diff", "rmst", "rmst_difference",
                   "difference in mean days free of proven reoffending",
                   "difference in days free of proven reoffending", 0.0, None),
    OutcomeMeasure("cost_diff", "cost", "mean_difference",
                   "difference in cost of proven reoffending per person",
                   "difference in cost of reoffending per person (£)", 0.0, None),
)

BY_KEY: dict[str, OutcomeMeasure] = {m.key: m for m in MEASURES}
OUTCOME_KEYS: tuple[str, ...] = tuple(m.key for m in MEASURES)


def measure(key: str) -> OutcomeMeasure:
    """The measure called ``key``; a clear error naming the valid keys otherwise."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown outcome measure {key!r}; valid: {', '.join(OUTCOME_KEYS)}") from None
