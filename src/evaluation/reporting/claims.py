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

    Keys: ``lower``, ``upper``, ``estimate`` (per 100, programme minus comparison),
    ``programme``, optional ``outcome`` ("reoffended"), ``n_treated``, ``n_comparison``,
    ``adjustment`` ("matching"), ``period`` (the follow-up, "within the first 182 days";
    default "within a year").
    """
    lower, upper = float(result["lower"]), float(result["upper"])
    programme = result["programme"]
    outcome = result.get("outcome", "reoffended")
    period = result.get("period", "within a year")
    out = [per_hundred_sentence(lower, upper, float(result["estimate"]), outcome, programme,
                                period=period)]
    if upper < 0:
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


def cannot_say(result: Mapping[str, Any]) -> list[str]:
    """"What you cannot say" bullets: causation beyond the observed covariates (with the
    E-value when given), no effect (when inconclusive), transfer elsewhere, national rates."""
    lower, upper = float(result["lower"]), float(result["upper"])
    programme = result["programme"]
    outcome = result.get("outcome", "reoffended")
    out = []
    if lower <= 0 <= upper:
        a, b = format_away([abs(lower), upper], 0.0, 0)
        out.append(f"That {programme} had no effect: the results are consistent with as many "
                   f"as {a} fewer or {b} more people in 100 who {outcome}.")
    cause = (f"That {programme} caused the difference: the groups were made alike only on the "
             "characteristics the records hold, and may differ in others (such as motivation "
             "or support at home).")
    if result.get("e_value") is not None and not lower <= 0 <= upper:
        # (when the interval includes no difference there is nothing to explain away)
        (e,) = format_away([float(result["e_value"])], 1.0, 2)
        cause += (f" To explain the difference away, an unrecorded factor would need to be "
                  f"linked to both receiving {programme} and reoffending by a risk ratio of at "
                  f"least {e} each (E-value")
        if result.get("e_value_ci") is not None:
            (ec,) = format_away([float(result["e_value_ci"])], 1.0, 2)
            cause += f"; {ec} to make the confidence interval include no difference"
        cause += ")."
    out.append(cause)
    out.append(f"That {programme} would have the same effect in other areas, at other times or "
               "for people unlike those analysed.")
    out.append(f"That the difference between the reoffending rate of people who received "
               f"{programme} and a national rate shows its effect: the people referred differ "
               "from the national population, so such a comparison is not like with like.")
    return out
