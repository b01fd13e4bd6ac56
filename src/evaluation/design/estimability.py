"""Numerical edge cases said in words: separation, nobody matched, everyone matched, a covariate
with one value in a group, no reoffences in a group.

Why: on small or unusual extracts the models either fail (a singular matrix, an index error) or
return numbers nobody should read as a finding (a hazard ratio of 0 or infinity, an interval
of 0 to infinity). Each case is detected here, before or beside the estimate, and becomes a
``Flag``: a machine-readable code for results.json and a plain-English statement for the report.
A fatal flag stops the evaluation with ``NotEstimable``, whose report says why no effect is given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

SEPARATION = "separation"
NO_MATCH = "no_match"
ALL_MATCHED = "all_matched"
CONSTANT_COVARIATE = "constant_covariate"
ZERO_EVENTS = "zero_events"
READOUT_NOT_ESTIMABLE = "readout_not_estimable"
ADJUSTED_NOT_ESTIMABLE = "adjusted_not_estimable"

GROUP_WORDS = {1: "programme group", 0: "comparison group"}


@dataclass(frozen=True)
class Flag:
    """One edge case: ``code`` for machines, ``statement`` for readers; ``fatal`` when no
    effect can be estimated at all."""

    code: str
    statement: str
    fatal: bool = False
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class NotEstimable(ValueError):
    """The effect cannot be estimated on this extract; ``flag`` says why in plain English.

    ``cohort`` (when it was built) keeps the attrition ledger, so the report can still show who
    entered and who was left out."""

    def __init__(self, flag: Flag, cohort: Any = None) -> None:
        super().__init__(flag.statement)
        self.flag = flag
        self.cohort = cohort


def separation_flag(detail: str, programme: str) -> Flag:
    """The propensity model separates the groups: some participants have no comparable person."""
    return Flag(SEPARATION, (
        f"The recorded history separates the people who received {programme} from everyone "
        "in the comparison pool: for some participants nobody in the pool is at all similar "
        "(the model of who receives the programme cannot be fitted; this is called separation). "
        "No fair comparison can be made, so this report gives no estimate of the effect. "
        "A wider comparison pool, or fewer characteristics in the model, may make one possible."),
        fatal=True, detail=detail)


def match_flags(frame: pd.DataFrame, summary: dict[str, Any], programme: str) -> list[Flag]:
    """Nobody matched (fatal) or everyone matched (a statement), from the design frame."""
    used = frame["weight"] > 0
    n_treated = int((frame["treated"] == 1).sum())
    treated_used = int(((frame["treated"] == 1) & used).sum())
    comparison_used = int(((frame["treated"] == 0) & used).sum())
    if treated_used == 0 or comparison_used == 0:
        who = ("no participant of the programme" if treated_used == 0
               else "nobody from the comparison pool")
        return [Flag(NO_MATCH, (
            f"No comparison group could be formed: {who} could be matched within the "
            "allowed distance (the caliper). Without similar people who did not take part, "
            f"the effect of {programme} cannot be estimated, so this report gives none."),
            fatal=True, detail=f"treated used {treated_used}, comparison used {comparison_used}")]
    if summary.get("method") == "matching" and summary.get("n_treated_unmatched") == 0:
        return [Flag(ALL_MATCHED, (
            "Every programme participant found a similar comparison person within the allowed "
            "distance, so nobody was left out of the comparison for want of a match."),
            detail=f"{n_treated} of {n_treated}")]
    return []


def constant_covariate_flags(frame: pd.DataFrame, covariates: list[str],
                             categorical: list[str]) -> list[Flag]:
    """Each covariate that takes a single value in one group (or in both)."""
    flags = []
    for c in covariates:
        if c not in frame.columns:
            continue
        single = [g for g in (1, 0)
                  if frame.loc[frame["treated"] == g, c].nunique(dropna=False) <= 1
                  and (frame["treated"] == g).any()]
        if not single:
            continue
        if len(single) == 2:
            where = "everyone in both groups"
            tail = ("It cannot differ between the groups, so it was left out of the model of "
                    "who receives the programme and adds nothing to the comparison.")
        else:
            where = f"everyone in the {GROUP_WORDS[single[0]]}"
            tail = ("The comparison can only use people with that same value; its balance "
                    "check shows whether the groups still differ on it.")
        kind = "category" if c in categorical else "value"
        flags.append(Flag(CONSTANT_COVARIATE,
                          f"The characteristic '{c}' has the same {kind} for {where}. {tail}",
                          detail=c))
    return flags


def zero_event_flags(analysis: pd.DataFrame, event_col: str = "event") -> list[Flag]:
    """No proven reoffence in one group (or both): no ratio can be calculated (fatal)."""
    empty = [g for g in (1, 0)
             if int(analysis.loc[analysis["treated"] == g, event_col].sum()) == 0]
    if not empty:
        return []
    who = ("the programme group or the comparison group" if len(empty) == 2
           else f"the {GROUP_WORDS[empty[0]]}")
    return [Flag(ZERO_EVENTS, (
        f"Nobody in {who} was proven to have reoffended during the follow-up. With no "
        "reoffences in a group, a hazard ratio or rate ratio cannot be calculated (it would be "
        "zero, or have no upper limit, and so would its uncertainty), so this report gives no "
        "estimate of the effect. A longer follow-up or more people would be needed."),
        fatal=True, detail=",".join(GROUP_WORDS[g] for g in empty))]


def readout_flag(window_days: int) -> Flag:
    """A read-out whose hazard ratio cannot be estimated (no reoffence yet in a group)."""
    return Flag(READOUT_NOT_ESTIMABLE, (
        f"At {window_days} days nobody in one of the groups had yet been proven to have "
        "reoffended, so that read-out's hazard ratio cannot be estimated and is shown as [x]."),
        detail=str(window_days))


def adjusted_flag(detail: str) -> Flag:
    """The covariate-adjusted read-out's logistic model cannot be fitted (separation, or more
    covariates than a small group's events support): said, not a crash."""
    return Flag(ADJUSTED_NOT_ESTIMABLE, (
        "The covariate-adjusted read-out (a logistic model of reoffending on the covariates) "
        "cannot be estimated on these data: too few people or reoffences for that many "
        "covariates. The comparison-group estimates above do not depend on it."), detail=detail)
