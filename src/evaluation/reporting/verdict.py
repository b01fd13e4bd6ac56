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


def verdict_kind(key: str, lower: float, upper: float, null: float,
                 small: tuple[float, float] | None = None) -> str:
    """"reduction"/"increase" when the interval excludes the null (by the measure's direction),
    "small" when it lies inside the measure's small band (``SMALL``, or ``small``: e.g. the
    days band in weeks), else "inconclusive"."""
    better_high = key in HIGHER_IS_BETTER
    if upper < null or lower > null:
        favours = (lower > null) if better_high else (upper < null)
        return "reduction" if favours else "increase"
    lo, hi = small or SMALL[key]
    if lo <= lower and upper <= hi:
        return "small"
    return "inconclusive"


def answer_sentence(kind: str, programme: str, outcome: str = "proven reoffending") -> str:
    """The one-line answer in the Justice Data Lab's cautious wording (``outcome``: what was
    measured, for a file whose outcome is not proven reoffending, e.g. "re-arrest")."""
    return {
        "reduction": f"The evidence suggests that {programme} reduced {outcome}.",
        "increase": f"The evidence suggests that {outcome} was higher after {programme}.",
        "small": (f"No clear effect: {programme} made little or no difference to "
                  f"{outcome} (any effect is small)."),
        "inconclusive": (f"Inconclusive: this evaluation cannot tell whether {programme} "
                         f"reduced or increased {outcome}."),
    }[kind]


@dataclass(frozen=True)
class OutcomeWords:
    """How a verdict names the outcome and time; the defaults are the programme reports'
    (proven reoffending, in days). A person-level file with another outcome (re-arrest, in
    weeks) passes its own."""

    outcome: str = "proven reoffending"  # "... reduced <outcome>"; "more days free of <outcome>"
    verb: str = "were proven to have reoffended"  # "8 in 100 ... <verb> within the first year"
    fewer: str = "reoffended"  # "negative means fewer <fewer>"
    count: str = "proven reoffences"  # "best estimate -3 <count> per 100 people"
    fewer_count: str = "reoffences"  # "negative means fewer <fewer_count>"
    unit: str = "days"
    ratio_name: str | None = None  # a ratio headline's name (default: the wording below)


RATIO_NAMES = {"reoffended_rr": "ratio of reoffending rates",
               "n_reoffences_rr": "ratio of reoffence rates",
               "time_to_reoffence_hr": "hazard ratio"}


def interval_phrase(key: str, estimate: float, lower: float, upper: float,
                    words: OutcomeWords | None = None) -> str:
    """The headline with its interval in words a lay reader can use."""
    w = words or OutcomeWords()
    if key == "reoffended_rd":
        e, lo, hi = format_away([100 * estimate, 100 * lower, 100 * upper], 0.0, 0,
                                uniform=False)
        return (f"best estimate {e} per 100 people (95% confidence interval {lo} to {hi} per "
                f"100; negative means fewer {w.fewer})")
    if key in RATIO_NAMES:
        e, lo, hi = format_away([estimate, lower, upper], 1.0, 2)
        name = w.ratio_name or RATIO_NAMES[key]
        return (f"{name} {e} (95% confidence interval {lo} to {hi}; below 1 favours the "
                "programme)")
    if key == "n_reoffences_diff":
        e, lo, hi = format_away([estimate, lower, upper], 0.0, 0, uniform=False)
        return (f"best estimate {e} {w.count} per 100 people (95% confidence interval "
                f"{lo} to {hi} per 100; negative means fewer {w.fewer_count})")
    if key == "rmst_diff":
        digits = 0 if w.unit == "days" else 1  # a week or a month is a long time
        e, lo, hi = format_away([estimate, lower, upper], 0.0, digits, uniform=False)
        return (f"best estimate {e} more {w.unit} free of {w.outcome} (95% confidence "
                f"interval {lo} to {hi})")
    e, lo, hi = (format_number(v) for v in (estimate, lower, upper))
    return f"best estimate £{e} per person (95% confidence interval £{lo} to £{hi})"


def build_verdict(key: str, measure_label: str, estimate: float, lower: float, upper: float,
                  null: float, programme: str, treated_per_100: float,
                  comparison_per_100: float, period: str, n_treated: int,
                  n_comparison: int, *, words: OutcomeWords | None = None,
                  small: tuple[float, float] | None = None) -> Verdict:
    """The verdict box from the headline row and the two groups' reoffending per 100.

    ``words`` and ``small`` (the band this report calls small) word a person-level file whose
    outcome or time unit differ from the programme reports'."""
    w = words or OutcomeWords()
    kind = verdict_kind(key, lower, upper, null, small)
    band = small or SMALL[key]
    sure = (f"How sure: the pre-declared headline measure is the {measure_label}: "
            f"{interval_phrase(key, estimate, lower, upper, w)}.")
    if kind == "small":
        sure += (f" The whole interval lies within {format_number(band[0], 2)} to "
                 f"{format_number(band[1], 2)}, the range this report calls small.")
    elif kind == "inconclusive":
        sure += " The interval includes both a reduction and an increase."
    numbers = group_numbers(key, treated_per_100, comparison_per_100, programme, period,
                            n_treated, n_comparison, w)
    return Verdict(kind, answer_sentence(kind, programme, w.outcome), sure, numbers)


def group_numbers(key: str, treated: float, comparison: float, programme: str, period: str,
                  n_treated: int, n_comparison: int, words: OutcomeWords | None = None) -> str:
    """The box's one pair of numbers, in the headline measure's own terms: both groups' proven
    reoffences per 100 people when the headline is a frequency, days free of reoffending for
    the restricted mean, cost for the cost; otherwise how many in 100 reoffended."""
    w = words or OutcomeWords()
    t, c = format_number(treated), format_number(comparison)
    people = (f"the {format_number(n_treated)} people who received {programme}",
              f"the {format_number(n_comparison)} similar people who did not")
    if key in ("n_reoffences_diff", "n_reoffences_rr"):
        return (f"{t} {w.count} per 100 people {period} among {people[0]}, against "
                f"{c} per 100 among {people[1]}.")
    if key == "rmst_diff":
        return (f"On average {t} {w.unit} free of {w.outcome} {period} among {people[0]}, "
                f"against {c} {w.unit} among {people[1]}.")
    if key == "cost_diff":
        return (f"£{t} per person in the cost of {w.outcome} {period} among "
                f"{people[0]}, against £{c} among {people[1]}.")
    return (f"{t} in 100 of {people[0]} {w.verb} {period}, against {c} in 100 of "
            f"{people[1]}.")


# A change in proven offences per person per year that a board would call small (IOM).
SMALL_OFFENCES_PER_YEAR = 0.5


def difference_kind(lower: float, upper: float, small: float) -> str:
    """The verdict kind of a difference (negative favours the programme) with a small band
    of plus or minus ``small``."""
    if upper < 0 or lower > 0:
        return "reduction" if upper < 0 else "increase"
    return "small" if -small <= lower and upper <= small else "inconclusive"


def headline_group_values(key: str, details: dict, shares_per_100) -> tuple[float, float]:
    """(programme, comparison) values of the headline measure for :func:`group_numbers`:
    proven reoffences per 100 people for a frequency headline, mean days free of reoffending
    for the restricted mean, mean cost for the cost, else the share reoffending per 100."""
    detail = {"n_reoffences_diff": "frequency_per_100", "n_reoffences_rr": "frequency_per_100",
              "cost_diff": "cost", "rmst_diff": "rmst"}.get(key)
    if detail is not None:
        rows = details[detail].set_index("term")["estimate"]
        prefix = "rmst" if key == "rmst_diff" else "mean"
        return float(rows[f"{prefix}_treated"]), float(rows[f"{prefix}_comparison"])
    return float(shares_per_100["treated"]), float(shares_per_100["comparison"])
