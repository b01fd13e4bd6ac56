"""Eligibility rules, applied in the same way to programme and comparison rows.

A comparison group is only fair if it meets the same entry criteria as the programme group; so
every rule here is one mask over the combined frame, and each exclusion is recorded in the
attrition ledger under a named reason, per group. Rules run in a fixed order and a row is
counted under the first rule it fails (a CONSORT-style flow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.config import EligibilityConfig

STAGE = "eligibility"


@dataclass(frozen=True)
class Rule:
    """One eligibility rule: rows where ``fails`` is true are excluded under ``reason``."""

    reason: str
    columns: tuple[str, ...]
    fails: Callable[[pd.DataFrame], pd.Series]


def completed_years(birth: pd.Series, on: pd.Series) -> pd.Series:
    """Age in completed years on a date (a birthday on the date counts); NaN if unknown.

    Exact calendar arithmetic, not days / 365.25, so a person is 18 on their 18th birthday.
    Born on 29 February: the birthday falls on 1 March in other years.
    """
    birth = pd.to_datetime(birth)
    on = pd.to_datetime(on)
    years = on.dt.year - birth.dt.year
    before_birthday = (on.dt.month < birth.dt.month) | (
        (on.dt.month == birth.dt.month) & (on.dt.day < birth.dt.day)
    )
    return (years - before_birthday.astype("int64")).astype("float64")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def eligibility_rules(config: EligibilityConfig) -> list[Rule]:
    """The rules a config asks for, in the order they are applied. Missing values fail a rule.

    Thresholds are bound as lambda defaults: a closure would see only the last value of k.
    """
    rules: list[Rule] = []
    age = "age_years"
    if config.age_min is not None:
        lo = config.age_min
        rules.append(Rule(f"aged under {lo} at index", (age,), lambda f, lo=lo: ~(f[age] >= lo)))
    if config.age_max is not None:
        hi = config.age_max
        rules.append(Rule(f"aged over {hi} at index", (age,), lambda f, hi=hi: ~(f[age] <= hi)))
    if config.sexes is not None:
        sexes = list(config.sexes)
        rules.append(Rule(f"sex not {' or '.join(sexes)}", ("sex",),
                          lambda f, sexes=sexes: ~f["sex"].isin(sexes)))
    if config.areas is not None:
        areas = sorted(config.areas)
        rules.append(Rule(f"lives outside {', '.join(areas)}", ("area",),
                          lambda f, areas=areas: ~f["area"].isin(areas)))
    if config.index_date_from is not None:
        start = pd.Timestamp(config.index_date_from)
        rules.append(Rule(f"index date before {start.date()}", ("index_date",),
                          lambda f, start=start: ~(pd.to_datetime(f["index_date"]) >= start)))
    if config.index_date_to is not None:
        end = pd.Timestamp(config.index_date_to)
        rules.append(Rule(f"index date after {end.date()}", ("index_date",),
                          lambda f, end=end: ~(pd.to_datetime(f["index_date"]) <= end)))
    if config.max_prior_convictions is not None:
        k = config.max_prior_convictions
        reason = ("has a previous conviction" if k == 0
                  else f"more than {_plural(k, 'previous conviction')}")
        rules.append(Rule(reason, ("prior_convictions_ever",),
                          lambda f, k=k: ~(f["prior_convictions_ever"] <= k)))
    if config.max_prior_recorded is not None:
        k = config.max_prior_recorded
        reason = ("has a recorded offence before index" if k == 0
                  else f"more than {_plural(k, 'recorded offence')} before index")
        rules.append(Rule(reason, ("prior_recorded_ever",),
                          lambda f, k=k: ~(f["prior_recorded_ever"] <= k)))
    return rules


def apply_eligibility(
    frame: pd.DataFrame,
    config: EligibilityConfig,
    attrition: Attrition,
    stage: str = STAGE,
) -> pd.DataFrame:
    """Rows of ``frame`` meeting every rule; each exclusion recorded in ``attrition``.

    ``frame`` holds the covariates (``evaluation.cohort.covariates``) and, when an age rule is set,
    ``date_of_birth`` (age in completed years is computed from it; ``age_at_index`` is not
    used because days / 365.25 misplaces birthdays).
    """
    rules = eligibility_rules(config)
    frame = frame.copy()
    if any("age_years" in r.columns for r in rules):
        for col in ("date_of_birth", "index_date"):
            if col not in frame.columns:
                raise ValueError(f"eligibility: an age rule needs column '{col}'")
        frame["age_years"] = completed_years(frame["date_of_birth"], frame["index_date"])
    for rule in rules:
        missing = [c for c in rule.columns if c not in frame.columns]
        if missing:
            raise ValueError(f"eligibility rule '{rule.reason}' needs column(s) {missing}")
        fails = np.asarray(rule.fails(frame).fillna(True), dtype=bool)
        frame = attrition.exclude(frame, pd.Series(fails, index=frame.index), rule.reason, stage)
    return frame.drop(columns="age_years", errors="ignore")
