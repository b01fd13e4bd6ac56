"""The verdict box on a report's first screen: what was evaluated, the answer, how sure.

Why: a reader who stops after one screen must leave with the right answer. The answer is read
off the pre-declared headline measure's 95% interval (never the one-year share when the
headline is another measure), and a tight interval around "no difference" is told apart from a
study too small to tell: "any effect is small" only when the whole interval lies inside the
band of differences the report calls small (``SMALL``, a presentation convention stated in
the box).
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.reporting.numbers import format_away, format_number

# Differences a policy reader would call small, per headline measure (lower, upper bound of the
# band around the null). Ratios: within 10% either way; people reoffending per 100: 3;
# reoffences per 100 people: 10; days: 7; £: 100.
SMALL: dict[str, tuple[float, float]] = {
    "reoffended_rd": (-0.03, 0.03),
    "reoffended_rr": (0.9, 1.1),
    "n_reoffences_rr": (0.9, 1.1),
    "n_reoffences_diff": (-10.0, 10.0),  # proven reoffences per 100 people
    "time_to_reoffence_hr": (0.9, 1.1),
    "rmst_diff": (-7.0, 7.0),
    "cost_diff": (-100.0, 100.0),
    "custody_rd": (-0.03, 0.03),
}
# Measures where a higher value favours the programme (more days free of reoffending).
HIGHER_IS_BETTER = {"rmst_diff"}


@dataclass(frozen=True)
class Verdict:
    """The four lines of the box."""

    kind: str  # "reduction", "increase", "small", "inconclusive"
    answer: str
    sure: str
    numbers: str


def verdict_kind(key: str, lower: float, upper: float, null: float) -> str:
    """"reduction"/"increase" when the interval excludes the null (by the measure's direction),
    "small" when it lies inside the measure's small band, else "inconclusive"."""
    better_high = key in HIGHER_IS_BETTER
    if upper < null or lower > null:
        favours = (lower > null) if better_high else (upper < null)
        return "reduction" if favours else "increase"
    lo, hi = SMALL[key]
    if lo <= lower and upper <= hi:
        return "small"
    return "inconclusive"


def answer_sentence(kind: str, programme: str) -> str:
    """The one-line answer in the Justice Data Lab's cautious wording."""
    return {
        "reduction": f"The evidence suggests that {programme} reduced proven reoffending.",
        "increase": f"The evidence suggests that proven reoffending was higher after {programme}.",
        "small": (f"No clear effect: {programme} made little or no difference to proven "
                  "reoffending (any effect is small)."),
        "inconclusive": (f"Inconclusive: this evaluation cannot tell whether {programme} "
                         "reduced or increased proven reoffending."),
    }[kind]


def interval_phrase(key: str, estimate: float, lower: float, upper: float) -> str:
    """The headline with its interval in words a lay reader can use."""
    if key == "reoffended_rd":
        e, lo, hi = format_away([100 * estimate, 100 * lower, 100 * upper], 0.0, 0,
                                uniform=False)
        return (f"best estimate {e} per 100 people (95% confidence interval {lo} to {hi} per "
                "100; negative means fewer reoffended)")
    if key in ("reoffended_rr", "n_reoffences_rr", "time_to_reoffence_hr"):
        e, lo, hi = format_away([estimate, lower, upper], 1.0, 2)
        name = {"reoffended_rr": "ratio of reoffending rates",
                "n_reoffences_rr": "ratio of reoffence rates",
                "time_to_reoffence_hr": "hazard ratio"}[key]
        return (f"{name} {e} (95% confidence interval {lo} to {hi}; below 1 favours the "
                "programme)")
    if key == "n_reoffences_diff":
        e, lo, hi = format_away([estimate, lower, upper], 0.0, 0, uniform=False)
        return (f"best estimate {e} proven reoffences per 100 people (95% confidence interval "
                f"{lo} to {hi} per 100; negative means fewer reoffences)")
    if key == "rmst_diff":
        e, lo, hi = format_away([estimate, lower, upper], 0.0, 0, uniform=False)
        return (f"best estimate {e} more days free of proven reoffending (95% confidence "
                f"interval {lo} to {hi})")
    e, lo, hi = (format_number(v) for v in (estimate, lower, upper))
    return f"best estimate £{e} per person (95% confidence interval £{lo} to £{hi})"


def build_verdict(key: str, measure_label: str, estimate: float, lower: float, upper: float,
                  null: float, programme: str, treated_per_100: float,
                  comparison_per_100: float, period: str, n_treated: int,
                  n_comparison: int) -> Verdict:
    """The verdict box from the headline row and the two groups' reoffending per 100."""
    kind = verdict_kind(key, lower, upper, null)
    band = SMALL[key]
    sure = (f"How sure: the pre-declared headline measure is the {measure_label}: "
            f"{interval_phrase(key, estimate, lower, upper)}.")
    if kind == "small":
        sure += (f" The whole interval lies within {format_number(band[0], 2)} to "
                 f"{format_number(band[1], 2)}, the range this report calls small.")
    elif kind == "inconclusive":
        sure += " The interval includes both a reduction and an increase."
    t, c = format_number(treated_per_100), format_number(comparison_per_100)
    numbers = (f"{t} in 100 of the {format_number(n_treated)} people who received {programme} "
               f"were proven to have reoffended {period}, against {c} in 100 of the "
               f"{format_number(n_comparison)} similar people who did not.")
    return Verdict(kind, answer_sentence(kind, programme), sure, numbers)


# A change in proven offences per person per year that a board would call small (IOM).
SMALL_OFFENCES_PER_YEAR = 0.5


def difference_kind(lower: float, upper: float, small: float) -> str:
    """The verdict kind of a difference (negative favours the programme) with a small band
    of plus or minus ``small``."""
    if upper < 0 or lower > 0:
        return "reduction" if upper < 0 else "increase"
    return "small" if -small <= lower and upper <= small else "inconclusive"
