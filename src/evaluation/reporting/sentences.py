"""Plain-English sentences for policy readers, Justice Data Lab style (domain-facts section 3).

Why: a number typed into prose goes stale and is never tested. Every sentence with a number in a
report comes from a function here, with its rounding, singular/plural, zero-change and
inconclusive cases tested against hand-written strings (the MoJ ``incdec``/``change_desc`` idea).

Wording rules:
- An interval that crosses the null is never "no effect": it "could be lower by as many as A, or
  higher by as many as B; more people would need to be analysed to know which".
- Rounding never carries a bound into the wrong sign or onto the null: if a bound that is not
  the null would print as the null (0 people, 1.00 for a ratio), more decimals are shown.
- Numerals for results (as the JDL does); words for small counts of things ("all nine
  characteristics"); GOV.UK lists with no Oxford comma.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaluation.reporting.attrition_text import attrition_sentence  # noqa: F401 (moved)
from evaluation.reporting.numbers import (
    check_interval,
    check_significance,
    count_phrase,
    format_away,
    format_number,
    format_percent,
    horizon_phrase,
    indefinite_article,
    join_words,
    number_to_words,
    plural,
)

INCONCLUSIVE_TAIL = "more people would need to be analysed to know which"


# --------------------------------------------------------------------------- differences
def _difference_clause(lower: float, upper: float, digits: int) -> str:
    """"could be lower by between A and B", "could be lower by as many as A, or higher ..."."""
    if lower == 0 and upper == 0:
        return "was the same in both groups"
    if upper < 0 or lower > 0:
        word = "lower" if upper < 0 else "higher"
        near, far = sorted([abs(lower), abs(upper)])
        a, b = format_away([near, far], 0.0, digits)
        if a == b:
            return f"could be {word} by about {a}"
        return f"could be {word} by between {a} and {b}"
    a, b = format_away([abs(lower), upper], 0.0, digits)
    if lower == 0:
        return f"could be the same, or higher by as many as {b}; {INCONCLUSIVE_TAIL}"
    if upper == 0:
        return f"could be lower by as many as {a}, or the same; {INCONCLUSIVE_TAIL}"
    return (f"could be lower by as many as {a}, or higher by as many as {b}; "
            f"{INCONCLUSIVE_TAIL}")


def per_hundred_sentence(
    effect_lower: float,
    effect_upper: float,
    estimate: float,
    outcome_phrase: str = "reoffended",
    programme_phrase: str = "the programme",
    significant: bool | None = None,
    period: str = "within a year",
    digits: int = 0,
) -> str:
    """The JDL headline from per-100 numbers (programme minus comparison; negative = fewer).

    Inputs are already per 100 people, as :func:`evaluation.estimators.binary.per_hundred` gives.
    ``estimate`` is checked to lie inside the interval but not printed: the JDL wording gives
    the range, because a single number invites more certainty than the data hold.
    ``significant`` (optional) must agree with the interval (it excludes zero) or ValueError.
    """
    check_interval(effect_lower, effect_upper, estimate)
    check_significance(effect_lower, effect_upper, 0.0, significant)
    clause = _difference_clause(effect_lower, effect_upper, digits)
    return (f"For 100 typical people who received {programme_phrase}, compared with 100 similar "
            f"people who did not, the number who {outcome_phrase} {period} {clause}.")


def frequency_sentence(
    lower: float,
    upper: float,
    estimate: float,
    programme_phrase: str = "the programme",
    unit_phrase: str = "proven reoffences",
    period: str = "within a year",
    per: int = 100,
    digits: int = 0,
) -> str:
    """JDL frequency: the difference in reoffences per person (programme minus comparison),
    written per ``per`` people."""
    check_interval(lower, upper, estimate)
    clause = _difference_clause(per * lower, per * upper, digits)
    return (f"For {per} typical people who received {programme_phrase}, compared with {per} "
            f"similar people who did not, the number of {unit_phrase} {period} {clause}.")


def rmst_sentence(
    lower: float,
    upper: float,
    estimate: float,
    programme_phrase: str = "the programme",
    horizon_days: float = 365,
    free_phrase: str = "free of proven reoffending",
    digits: int = 0,
    unit: str = "days",
) -> str:
    """Restricted mean time free of reoffending: difference in days (programme minus
    comparison; positive = more days free); ``unit`` "weeks" or "months" for a file measured
    so (``horizon_days`` is then in that unit too)."""
    check_interval(lower, upper, estimate)
    when = horizon_phrase(horizon_days, unit)
    start = f"On average, people who received {programme_phrase}"
    end = f"{free_phrase} in {when} than similar people who did not"
    one = unit.removesuffix("s")

    def days(text: str, word: str) -> str:
        return f"{text} {word} {plural(text, one)}"

    if lower == 0 and upper == 0:
        return f"{start} spent the same number of {unit} {free_phrase} in {when} as similar people."
    if lower > 0 or upper < 0:
        word = "more" if lower > 0 else "fewer"
        a, b = format_away(sorted([abs(lower), abs(upper)]), 0.0, digits)
        span = f"about {a}" if a == b else f"between {a} and {b}"
        return f"{start} spent {span} {word} {plural(b, one)} {end}."
    a, b = format_away([abs(lower), upper], 0.0, digits)
    if lower == 0:
        options = f"the same number of {unit}, or as many as {days(b, 'more')},"
    elif upper == 0:
        options = f"as many as {days(a, 'fewer')}, or the same number of {unit},"
    else:
        options = f"as many as {days(a, 'fewer')}, or as many as {days(b, 'more')},"
    return f"{start} could have spent {options} {end}; {INCONCLUSIVE_TAIL}."


def _ratio_sentence(estimate: float, lower: float, upper: float, lead: str, label: str,
                    level: int, digits: int, interval: str | None = None) -> str:
    check_interval(lower, upper, estimate)
    if lower <= 0:
        raise ValueError(f"a {label} and its limits must be > 0, got [{lower}, {upper}]")
    est, lo, hi = format_away([estimate, lower, upper], 1.0, 2)
    stats = f"({label} {est}, {interval or f'{level}% confidence interval'} {lo} to {hi})"
    pct = [100 * (1 - upper), 100 * (1 - lower), 100 * (lower - 1), 100 * (upper - 1)]
    if upper < 1 or lower > 1:
        near, far = (pct[0], pct[1]) if upper < 1 else (pct[2], pct[3])
        word = "lower" if upper < 1 else "higher"
        a, b = format_away([near, far], 0.0, digits)
        span = f"about {a}%" if a == b else f"between {a}% and {b}%"
        return f"{lead} was {span} {word} {stats}."
    a, b = format_away([pct[1], pct[3]], 0.0, digits)
    if lower == 1:
        options = f"the same or as much as {b}% higher"
    elif upper == 1:
        options = f"as much as {a}% lower or the same"
    else:
        options = f"as much as {a}% lower or as much as {b}% higher"
    return f"{lead} could be {options} {stats}; {INCONCLUSIVE_TAIL}."


def hazard_ratio_sentence(
    hr: float,
    lower: float,
    upper: float,
    programme_phrase: str = "the programme",
    outcome_phrase: str = "a first proven reoffence",
    level: int = 95,
    digits: int = 0,
    at_risk_phrase: str = "had not yet reoffended",
    interval: str | None = None,
) -> str:
    """Cox hazard ratio (programme vs comparison) as a change in the moment-to-moment chance;
    ``interval`` names another interval ("Holm-adjusted confidence interval")."""
    lead = (f"Among people who {at_risk_phrase}, for those who received {programme_phrase}"
            f" compared with similar people who did not, the chance of {outcome_phrase} at any "
            "point in the follow-up")
    return _ratio_sentence(hr, lower, upper, lead, "hazard ratio", level, digits, interval)


def rate_ratio_sentence(
    ratio: float,
    lower: float,
    upper: float,
    programme_phrase: str = "the programme",
    unit_phrase: str = "proven reoffences per person",
    level: int = 95,
    digits: int = 0,
    interval: str | None = None,
) -> str:
    """Count-model rate ratio (programme vs comparison) as a percentage change."""
    lead = (f"For people who received {programme_phrase}, compared with similar people who did "
            f"not, the number of {unit_phrase}")
    return _ratio_sentence(ratio, lower, upper, lead, "rate ratio", level, digits, interval)


def change_sentence(before: float, after: float, subject: str, digits: int = 1,
                    value_digits: int = 0) -> str:
    """Before/after change (``incdec`` style): "fell by 40.8%, from 27,268 to 16,154"."""
    if before < 0 or after < 0 or not (np.isfinite(before) and np.isfinite(after)):
        raise ValueError(f"change_sentence needs finite values >= 0, got {before}, {after}")
    b, a = format_number(before, value_digits), format_number(after, value_digits)
    if b == a:
        return f"{subject} was unchanged at {b}."
    word = "rose" if after > before else "fell"
    if before == 0:
        return f"{subject} {word} from {b} to {a}."
    (pct,) = format_away([abs(after - before) / before * 100], 0.0, digits)
    return f"{subject} {word} by {pct}%, from {b} to {a}."


# --------------------------------------------------------------------------- design sentences
def balance_sentence(
    smd: pd.Series | Mapping[str, float],
    threshold: float = 0.10,
    adjustment: str = "matching",
    labels: Mapping[str, str] | None = None,
) -> str:
    """Balance after matching/weighting: all balanced, or naming those that are not.

    ``smd``: standardised mean differences after adjustment, by characteristic (sign ignored),
    or a ``evaluation.design.balance.balance_table`` frame (``covariate``, ``level``, ``smd``;
    a level is named "covariate: level"); balanced means ``|smd| < threshold``.
    """
    if isinstance(smd, pd.DataFrame):
        missing = [c for c in ("covariate", "smd") if c not in smd.columns]
        if missing:
            raise ValueError(f"column(s) {missing} not in the balance table")
        names = smd["covariate"].astype(str)
        if "level" in smd.columns:
            level = smd["level"].fillna("").astype(str)
            names = names.where(level == "", names + ": " + level)
        if names.duplicated().any():
            raise ValueError(f"characteristics repeat in the balance table: "
                             f"{sorted(set(names[names.duplicated()]))}")
        smd = pd.Series(smd["smd"].to_numpy(dtype=float), index=names.to_numpy())
    smd = pd.Series(smd, dtype=float)
    if smd.empty:
        raise ValueError("no characteristics given")
    if smd.isna().any():
        raise ValueError(f"missing SMD for {list(smd.index[smd.isna()])}")
    size = smd.abs()
    failed = size[size >= threshold].sort_values(ascending=False, kind="stable")
    k, n = len(failed), len(smd)
    (thr,) = format_away([threshold], 0.0, 2)
    rule = f"(standardised mean difference below {thr})"
    start = f"After {adjustment},"
    if k == 0:
        if n == 1:
            return f"{start} the one characteristic compared was balanced {rule}."
        return f"{start} all {count_phrase(n, 'characteristic')} were balanced {rule}."
    shown = format_away(list(failed), threshold, 2, uniform=False)
    names = [f"{(labels or {}).get(c, c)} ({s})" for c, s in zip(failed.index, shown, strict=True)]
    listed = join_words(names)
    if k == n:
        if n == 1:
            return f"{start} the one characteristic compared was not balanced {rule}: {listed}."
        return (f"{start} none of the {count_phrase(n, 'characteristic')} was balanced {rule}: "
                f"{listed}.")
    verb = "was" if k == 1 else "were"
    return (f"{start} {number_to_words(n - k)} of {count_phrase(n, 'characteristic')} "
            f"{'was' if n - k == 1 else 'were'} balanced {rule}; {number_to_words(k)} {verb} "
            f"not: {listed}.")


def power_sentence(
    mde: float | pd.DataFrame,
    n_treated: int | None = None,
    n_comparison: int | None = None,
    power: float = 0.8,
    alpha: float = 0.05,
    outcome_phrase: str = "reoffended",
    programme_phrase: str = "the programme",
    period: str = "within a year",
) -> str:
    """Minimum detectable effect, per 100 people, rounded UP (never overstate the power).

    ``mde`` is per 100 people, or the frame of
    ``evaluation.design.power.minimum_detectable_effect`` (its "decrease" row gives the MDE,
    the group sizes, power and alpha).
    """
    if isinstance(mde, pd.DataFrame):
        rows = mde[mde["direction"] == "decrease"] if "direction" in mde.columns else mde[:0]
        if len(rows) != 1:
            raise ValueError("the MDE table needs exactly one row with direction 'decrease'")
        row = rows.iloc[0]
        mde = 100 * abs(float(row["risk_difference"]))
        n_treated, n_comparison = int(row["n_treated"]), int(row["n_comparison"])
        power, alpha = float(row["power"]), float(row["alpha"])
    if n_treated is None or n_comparison is None:
        raise ValueError("give n_treated and n_comparison (or the minimum_detectable_effect table)")
    if not (mde > 0 and np.isfinite(mde)):
        raise ValueError(f"the minimum detectable effect must be a positive number, got {mde}")
    if n_treated < 1 or n_comparison < 1:
        raise ValueError(f"group sizes must be >= 1, got {n_treated} and {n_comparison}")
    if not (0 < power < 1 and 0 < alpha < 1):
        raise ValueError(f"power and alpha must be in (0, 1), got {power}, {alpha}")
    m = math.ceil(round(mde, 9))
    chance = format_percent(power, 0)
    return (
        f"With {format_number(n_treated)} {plural(n_treated, 'person', 'people')} who received "
        f"{programme_phrase} and {format_number(n_comparison)} similar "
        f"{plural(n_comparison, 'person', 'people')} who did not, this analysis had "
        f"{indefinite_article(chance)} {chance} chance of detecting a difference of {m} or "
        "more in the "
        f"number per 100 who {outcome_phrase} {period} (at the {format_percent(alpha, 0)} "
        "significance level); smaller real differences could go undetected."
    )
