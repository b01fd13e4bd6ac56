"""The summary bullets of a programme report: headline first, secondaries Holm-adjusted.

Why a module of its own: decision 0403 adjusts one lead measure per question (Holm) and gives
every measure an adjusted interval; a bullet that quoted the unadjusted interval of a secondary
measure, under a note saying secondaries are "adjusted", told the reader something the numbers
did not. Here the choice is made once: measures of the headline's own question are read at the
nominal 95% level, like the headline; every other bullet gives its Holm-adjusted interval and
says so, with its adjusted p-value ("after adjusting for 4 comparisons").
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from evaluation.outcomes.registry import measure
from evaluation.reporting.numbers import count_phrase
from evaluation.reporting.sentences import (
    frequency_sentence,
    hazard_ratio_sentence,
    per_hundred_sentence,
    rate_ratio_sentence,
    rmst_sentence,
)

ALPHA = 0.05
ADJUSTED_LABEL = "Holm-adjusted confidence interval"
REOFFENDED = "were proven to have reoffended"
CUSTODY = "were sentenced to custody for a proven reoffence"
# the measures with a summary bullet, in the order they follow the headline
SUMMARY_MEASURES = ("reoffended_rd", "n_reoffences_diff", "n_reoffences_rr",
                    "time_to_reoffence_hr", "rmst_diff", "custody_rd")


def n_comparisons(estimates: pd.DataFrame) -> int:
    """How many tests the Holm family holds (the lead of each question but the headline's)."""
    return int((estimates["role"] == "secondary").sum())


def is_adjusted(row: pd.Series, headline: str) -> bool:
    """Whether ``row`` (an estimates row) is read at a Holm-adjusted level: every measure
    outside the headline's own question."""
    return measure(row["outcome"]).question != measure(headline).question


def format_p(p: float) -> str:
    """"0.042", "1.000", "below 0.001" (as the subgroup section writes them)."""
    return "below 0.001" if p < 0.001 else f"= {p:.3f}"


def holm_clause(row: pd.Series, n: int) -> str:
    """The sentence after a secondary bullet: the interval is adjusted for ``n`` comparisons,
    and the adjusted p-value (no significance statement below the JDL minimum)."""
    lead = (f"Secondary measure, interval and p-value after adjusting for "
            f"{count_phrase(n, 'comparison')} (Holm's method)")
    if not bool(row.get("jdl_minimum_met", True)):
        return (f"{lead}: the groups are below the Justice Data Lab's minimum, so no statement "
                "about statistical significance is made.")
    p = float(row["p_adjusted"])
    lower, upper = float(row["lower_adjusted"]), float(row["upper_adjusted"])
    null = measure(row["outcome"]).null
    significant = p <= ALPHA
    if significant == (lower <= null <= upper):
        raise ValueError(f"{row['outcome']}: adjusted p {p} and adjusted interval "
                         f"[{lower}, {upper}] disagree about the null {null}")
    verdict = "statistically significant" if significant else "not statistically significant"
    return f"{lead}: p {format_p(p)}, {verdict} at the 5% level."


def _sentence_builders(programme: str, period: str, horizon_days: float
                       ) -> dict[str, Callable[[float, float, float, bool], str]]:
    """For each measure: (estimate, lower, upper, adjusted) in the estimates' units -> text."""
    def ratio_label(adjusted: bool) -> str | None:
        return ADJUSTED_LABEL if adjusted else None

    return {
        "reoffended_rd": lambda e, lo, hi, a: per_hundred_sentence(
            100 * lo, 100 * hi, 100 * e, REOFFENDED, programme, period=period),
        # already per 100 people; the helper takes a per-person difference
        "n_reoffences_diff": lambda e, lo, hi, a: frequency_sentence(
            lo / 100, hi / 100, e / 100, programme, period=period),
        "n_reoffences_rr": lambda e, lo, hi, a: rate_ratio_sentence(
            e, lo, hi, programme, unit_phrase="proven reoffences per day at liberty",
            interval=ratio_label(a)),
        "time_to_reoffence_hr": lambda e, lo, hi, a: hazard_ratio_sentence(
            e, lo, hi, programme, interval=ratio_label(a)),
        "rmst_diff": lambda e, lo, hi, a: rmst_sentence(
            lo, hi, e, programme, horizon_days=horizon_days),
        "custody_rd": lambda e, lo, hi, a: per_hundred_sentence(
            100 * lo, 100 * hi, 100 * e, CUSTODY, programme, period=period),
    }


def summary_lines(estimates: pd.DataFrame, headline: str, programme: str, period: str,
                  horizon_days: float) -> list[str]:
    """One bullet per summary measure present in ``estimates``, the headline first; measures
    outside the headline's question give their adjusted interval and ``holm_clause``."""
    builders = _sentence_builders(programme, period, horizon_days)
    table = estimates.set_index("outcome", drop=False)
    order = [headline] + [k for k in SUMMARY_MEASURES if k != headline]
    n = n_comparisons(estimates)
    lines = []
    for key in order:
        if key not in table.index or key not in builders:
            continue
        row = table.loc[key]
        adjusted = is_adjusted(row, headline)
        lo, hi = ((row["lower_adjusted"], row["upper_adjusted"]) if adjusted
                  else (row["lower"], row["upper"]))
        text = builders[key](float(row["estimate"]), float(lo), float(hi), adjusted)
        lines.append(f"{text} {holm_clause(row, n)}" if adjusted else text)
    return lines


def summary_note(estimates: pd.DataFrame, headline: str) -> str:
    """What the intervals of the bullets are: the headline's question at 95%, the rest
    Holm-adjusted for the number of comparisons actually made."""
    head = measure(headline)
    companions = [measure(k).measures for k in estimates["outcome"]
                  if k != headline and k in SUMMARY_MEASURES
                  and measure(k).question == head.question]
    text = (f"The pre-declared headline measure is the {head.measures}, given first with its "
            "95% confidence interval")
    if companions:
        text += (f"; the {' and the '.join(companions)} answers the same question on another "
                 "scale and is read at the same 95% level")
    n = n_comparisons(estimates)
    return (f"{text}. The other measures are secondary: their intervals and p-values (how often "
            "a difference this large would arise by chance if the programme had no effect) are "
            f"adjusted for making {count_phrase(n, 'comparison')} (Holm's method), so a "
            "secondary result is called statistically significant only when its adjusted "
            "p-value is at most 0.05.")


def per_hundred_claim(estimates: pd.DataFrame, headline: str) -> dict:
    """The per-100 share reoffending for "what you can/cannot say": its 95% interval when it
    answers the headline's question, else its Holm-adjusted interval with ``interval_note``
    saying so (``claims.can_say`` appends it)."""
    row = estimates.set_index("outcome", drop=False).loc["reoffended_rd"]
    out = {"estimate": 100 * float(row["estimate"])}
    if not is_adjusted(row, headline):
        return {**out, "lower": 100 * float(row["lower"]), "upper": 100 * float(row["upper"])}
    n = count_phrase(n_comparisons(estimates), "comparison")
    return {**out, "lower": 100 * float(row["lower_adjusted"]),
            "upper": 100 * float(row["upper_adjusted"]),
            "interval_note": (f"(A secondary measure here: the range is adjusted for {n}, "
                              "Holm's method.)")}


def reported_interval(row: pd.Series, headline: str, n: int) -> tuple[float, float, str]:
    """(lower, upper, suffix) of one estimates row as a bullet gives it: 95% in the headline's
    question (no suffix), else Holm-adjusted with ``holm_clause`` as the suffix."""
    if not is_adjusted(row, headline):
        return float(row["lower"]), float(row["upper"]), ""
    return (float(row["lower_adjusted"]), float(row["upper_adjusted"]),
            f" {holm_clause(row, n)}")


def estimand_sentence(n_matched: int, n_unmatched: int, threshold: int = 10,
                      people: str = "eligible participants") -> str:
    """Whom the estimates describe when some participants found no match: the matched ones
    only ("N of M"), never all participants ("" when everyone was matched). Below
    ``threshold`` the unmatched count is withheld and so is M (M - N would give it back)."""
    if n_unmatched <= 0:
        return ""
    n = f"{n_matched:,}"
    if n_unmatched < threshold:
        return (f"The estimates are for the {n} matched {people} only, not for all {people}: "
                f"fewer than {threshold} found no comparison person close enough (within the "
                "caliper) and are left out.")
    return (f"The estimates are for the {n} of {n_matched + n_unmatched:,} {people} who found "
            f"a comparison person close enough (within the caliper), not for all {people}: "
            f"the {n_unmatched:,} left out may differ from those analysed.")
