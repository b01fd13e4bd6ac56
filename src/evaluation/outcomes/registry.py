"""One registry of the outcome measures a programme evaluation reports.

Each measure names the estimator family that produces it, the term it reads from that
family's tidy table, how the report describes it, its null value, the scale an E-value is
computed on and the question it answers. Adding a measure is one entry here (and its
estimator), not edits in five places.

Questions: measures answering the same question (the reoffending rate as a difference and as a
ratio; time to reoffence as a hazard ratio and as days free) are one test, not two. The first
measure listed for a question is the one that enters the Holm family of secondary outcomes;
the others are the same answer on another scale (role "supporting"). See decision 0403.
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
    # scale for an E-value: RR / HR as they are; RD: a risk difference converted to a risk
    # ratio with the comparison risk held fixed; MR: a mean difference converted to a ratio of
    # means with the comparison mean held fixed; None: no E-value on this scale
    evalue_scale: Literal["RR", "HR", "RD", "MR"] | None
    question: str  # what it answers; one Holm test per question (see the module docstring)


RATE, FREQUENCY, TIME, COST = ("reoffending rate", "frequency", "time to reoffence", "cost")
CUSTODY = "custody rate"

MEASURES: tuple[OutcomeMeasure, ...] = (
    OutcomeMeasure("reoffended_rd", "binary", "risk_difference",
                   "difference in the share reoffending",
                   "difference in one-year proven reoffending rate", 0.0, "RD", RATE),
    OutcomeMeasure("reoffended_rr", "binary", "relative_risk",
                   "ratio of the shares reoffending",
                   "ratio of one-year proven reoffending rates", 1.0, "RR", RATE),
    # The Justice Data Lab frequency: proven reoffences per 100 people in the window (everyone
    # with a complete read-out, custody included), programme minus comparison.
    OutcomeMeasure("n_reoffences_diff", "frequency_per_100", "mean_difference",
                   "difference in proven reoffences per 100 people",
                   "difference in proven reoffences per 100 people", 0.0, "MR", FREQUENCY),
    # Sensitivity analysis of the frequency: the rate per day at liberty (custody days removed).
    OutcomeMeasure("n_reoffences_rr", "frequency", "rate_ratio",
                   "ratio of proven reoffence rates per day at liberty",
                   "ratio of proven reoffence rates per day at liberty", 1.0, "RR", FREQUENCY),
    OutcomeMeasure("time_to_reoffence_hr", "cox", "hazard_ratio",
                   "hazard ratio for a first proven reoffence",
                   "hazard ratio, time to first proven reoffence", 1.0, "HR", TIME),
    OutcomeMeasure("rmst_diff", "rmst", "rmst_difference",
                   "difference in mean days free of proven reoffending",
                   "difference in days free of proven reoffending", 0.0, None, TIME),
    OutcomeMeasure("cost_diff", "cost", "mean_difference",
                   "difference in cost of proven reoffending per person",
                   "difference in cost of reoffending per person (£)", 0.0, None, COST),
    # The JDL's custody rate: the share sentenced to custody for a proven reoffence (0411).
    OutcomeMeasure("custody_rd", "custody", "risk_difference",
                   "difference in the share sentenced to custody for a proven reoffence",
                   "difference in the share sentenced to custody for a reoffence", 0.0, "RD",
                   CUSTODY),
)

BY_KEY: dict[str, OutcomeMeasure] = {m.key: m for m in MEASURES}
OUTCOME_KEYS: tuple[str, ...] = tuple(m.key for m in MEASURES)
QUESTIONS: tuple[str, ...] = tuple(dict.fromkeys(m.question for m in MEASURES))


def question_lead(question: str) -> OutcomeMeasure:
    """The measure of ``question`` that enters the Holm family (the first one listed)."""
    return next(m for m in MEASURES if m.question == question)


def measure(key: str) -> OutcomeMeasure:
    """The measure called ``key``; a clear error naming the valid keys otherwise."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown outcome measure {key!r}; valid: {', '.join(OUTCOME_KEYS)}") from None
