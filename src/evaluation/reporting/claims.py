"""What a reader can and cannot say from a result: the Justice Data Lab's two boxes.

Why separate from the effect sentences: these bullets make claims (evidence of a reduction,
no proof of causation, no transfer elsewhere), so their conditions are tested on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evaluation.reporting.numbers import format_away, format_number, plural
from evaluation.reporting.sentences import per_hundred_sentence


def can_say(result: Mapping[str, Any]) -> list[str]:
    """"What you can say" bullets from a result dict.

    Keys: ``lower``, ``upper``, ``estimate`` (per 100, programme minus comparison; optional
    when ``headline`` is given: a file with no yes/no outcome has no per-100 statement),
    ``programme``, optional ``outcome`` ("reoffended"), ``outcome_noun`` ("reoffending"),
    ``n_treated``, ``n_comparison``, ``adjustment`` ("matching"), ``period`` (the follow-up,
    "within the first 182 days"; default "within a year"), ``interval_note`` (appended to
    the per-100 sentences: e.g. that their interval is Holm-adjusted).
    """
    programme = result["programme"]
    outcome = result.get("outcome", "reoffended")
    period = result.get("period", "within a year")
    out = []
    if "lower" in result or "headline" not in result:
        lower, upper = float(result["lower"]), float(result["upper"])
        note = f" {result['interval_note']}" if result.get("interval_note") else ""
        out.append(per_hundred_sentence(lower, upper, float(result["estimate"]), outcome,
                                        programme, period=period) + note)
    if "headline" in result:
        out.append(headline_claim(result["headline"], programme,
                                  result.get("outcome_noun", "reoffending")))
    elif upper < 0:
        out.append(f"This analysis gives evidence that {programme} may reduce the number of "
                   f"people who {outcome} {period}, for people like those analysed.")
    elif lower > 0:
        out.append(f"This analysis gives evidence that {programme} may increase the number of "
                   f"people who {outcome} {period}, for people like those analysed.")
    else:
        out.append(f"This analysis did not find a statistically significant difference in the "
                   f"number of people who {outcome} {period}; {programme} could have "
                   "reduced or increased it.")
    if "n_treated" in result and "n_comparison" in result:
        nt, nc = int(result["n_treated"]), int(result["n_comparison"])
        out.append(
            f"The {format_number(nt)} {plural(nt, 'person', 'people')} who received {programme} "
            f"were compared with {format_number(nc)} similar {plural(nc, 'person', 'people')} "
            f"who did not, chosen by {result.get('adjustment', 'matching')} on the "
            "characteristics the records hold."
        )
    return out


# Measures where a higher value favours the programme (more days free of reoffending).
HIGHER_IS_BETTER = {"rmst_diff"}


def headline_claim(h: Mapping[str, Any], programme: str, noun: str = "reoffending") -> str:
    """The significance claim, made on the pre-declared headline measure only, and only when
    the groups meet the Justice Data Lab's minimum (60 people and 30 reoffenders in each);
    ``noun`` names what was measured."""
    label = h["label"]
    if not h.get("jdl_minimum_met", True):
        return (f"The groups are below the Justice Data Lab's minimum (60 people and 30 people "
                "who reoffended in each), so this report makes no statement about statistical "
                f"significance on its pre-declared headline measure ({label}).")
    lower, upper, null = float(h["lower"]), float(h["upper"]), float(h["null"])
    if lower <= null <= upper:
        return (f"On its pre-declared headline measure ({label}), this analysis did not find a "
                f"statistically significant difference: {programme} could have reduced or "
                f"increased {noun}.")
    better = (lower > null) if h["outcome"] in HIGHER_IS_BETTER else (upper < null)
    verb = "reduce" if better else "increase"
    return (f"On its pre-declared headline measure ({label}), this analysis gives evidence that "
            f"{programme} may {verb} {noun}, for people like those analysed.")


def cannot_say(result: Mapping[str, Any]) -> list[str]:
    """"What you cannot say" bullets: causation beyond the observed covariates (with the
    E-value when given), no effect (when inconclusive), transfer elsewhere, national rates."""
    headline = result.get("headline")
    per_100 = "lower" in result or headline is None
    lower, upper = (float(result["lower"]), float(result["upper"])) if per_100 else (0.0, 0.0)
    programme = result["programme"]
    outcome = result.get("outcome", "reoffended")
    noun = result.get("outcome_noun", "reoffending")
    out = []
    if per_100 and lower <= 0 <= upper:
        a, b = format_away([abs(lower), upper], 0.0, 0)
        note = f" {result['interval_note']}" if result.get("interval_note") else ""
        out.append(f"That {programme} had no effect: the results are consistent with as many "
                   f"as {a} fewer or {b} more people in 100 who {outcome}.{note}")
    cause = (f"That {programme} caused the difference: the groups were made alike only on the "
             "characteristics the records hold, and may differ in others (such as motivation "
             "or support at home).")
    significant = (not float(headline["lower"]) <= float(headline["null"]) <= float(
        headline["upper"])) if headline else not lower <= 0 <= upper
    if result.get("e_value") is not None and significant:
        # (when the interval includes no difference there is nothing to explain away)
        (e,) = format_away([float(result["e_value"])], 1.0, 2)
        cause += (f" To explain the difference away, an unrecorded factor would need to be "
                  f"linked to both receiving {programme} and {noun} by a risk ratio of at "
                  f"least {e} each (E-value")
        if result.get("e_value_ci") is not None:
            (ec,) = format_away([float(result["e_value_ci"])], 1.0, 2)
            cause += f"; {ec} to make the confidence interval include no difference"
        cause += ")."
    out.append(cause)
    out.append(f"That {programme} would have the same effect in other areas, at other times or "
               "for people unlike those analysed.")
    out.append(f"That the difference between the {noun} rate of people who received "
               f"{programme} and a national rate shows its effect: the people referred differ "
               "from the national population, so such a comparison is not like with like.")
    return out
