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
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

INCONCLUSIVE_TAIL = "more people would need to be analysed to know which"
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


# --------------------------------------------------------------------------- small formatting
def format_number(x: float, digits: int = 0) -> str:
    """Thousands separators, fixed decimals, and never a "-0"."""
    if not np.isfinite(x):
        raise ValueError(f"cannot format a non-finite number: {x!r}")
    text = f"{x:,.{digits}f}"
    if text.lstrip("-").replace("0", "").replace(".", "").replace(",", "") == "":
        text = text.lstrip("-")
    return text


def number_to_words(n: int, upto: int = 9) -> str:
    """Words for whole numbers 0..``upto`` (at most nine), numerals with separators above."""
    if isinstance(n, bool) or int(n) != n:
        raise ValueError(f"number_to_words needs a whole number, got {n!r}")
    n = int(n)
    if 0 <= n <= min(upto, 9):
        return _WORDS[n]
    return format_number(n)


def plural(n: float | str, singular: str, plural_form: str | None = None) -> str:
    """The noun for ``n`` (a number or its displayed text): singular only for exactly one."""
    shown = n if isinstance(n, str) else format_number(float(n), 0 if float(n).is_integer() else 2)
    one = shown in ("1", "one", "-1")
    return singular if one else (plural_form or singular + "s")


def count_phrase(n: int, singular: str, plural_form: str | None = None, words: bool = True) -> str:
    """"one characteristic", "12 characteristics"."""
    shown = number_to_words(n) if words else format_number(n)
    return f"{shown} {plural(shown, singular, plural_form)}"


def join_words(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c" (GOV.UK style: no Oxford comma)."""
    items = list(items)
    if not items:
        raise ValueError("nothing to join")
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def format_away(values: Sequence[float], null: float = 0.0, digits: int = 0,
                max_digits: int = 4, uniform: bool = True) -> list[str]:
    """Format values with the fewest decimals (at least ``digits``) such that no value that is
    not the null prints as the null, and none prints on the wrong side of it.

    ``uniform``: one number of decimals for all values (an interval's bounds); otherwise each
    value gets its own (a list of separate statistics)."""
    values = [float(v) for v in values]
    if not uniform:
        return [format_away([v], null, digits, max_digits)[0] for v in values]
    for d in range(digits, max_digits + 1):
        texts = [format_number(v, d) for v in values]
        null_text = format_number(null, d)
        shown = [float(t.replace(",", "")) for t in texts]
        if all(v == null or (t != null_text and (s - null) * (v - null) > 0)
               for v, t, s in zip(values, texts, shown, strict=True)):
            return texts
    return [format_number(v, max_digits) for v in values]


def indefinite_article(number_text: str) -> str:
    """"an" before numerals read with a vowel sound (8, 11, 18, 80-89, 800...), else "a"."""
    whole = number_text.rstrip("%").split(".")[0].replace(",", "")
    if whole.startswith("8") or whole in ("11", "18") or (
            len(whole) in (5, 6) and whole[: len(whole) - 3] in ("11", "18")):
        return "an"
    return "a"


def format_percent(x: float, digits: int = 1, proportion: bool = True) -> str:
    """27.5%: from a proportion (0.275) by default, or from a percentage with proportion=False."""
    return format_number(100 * x if proportion else x, digits) + "%"


def format_rate(x: float, per: str = "person", digits: int = 2) -> str:
    """"2.56 per person", "27.5 per 100 people"."""
    return f"{format_number(x, digits)} per {per}"


def _check_interval(lower: float, upper: float, estimate: float | None = None) -> None:
    vals = [lower, upper] + ([] if estimate is None else [estimate])
    if not all(np.isfinite(float(v)) for v in vals):
        raise ValueError(f"the estimate and its limits must be finite numbers, got {vals}")
    if lower > upper:
        raise ValueError(f"lower limit {lower} is above upper limit {upper}")
    if estimate is not None and not lower <= estimate <= upper:
        raise ValueError(f"the estimate {estimate} is not inside its interval [{lower}, {upper}]")


def _significance(lower: float, upper: float, null: float, significant: bool | None) -> bool:
    excludes = upper < null or lower > null
    if significant is not None and bool(significant) != excludes:
        raise ValueError(
            f"significant={significant} contradicts the interval [{lower}, {upper}], which "
            f"{'excludes' if excludes else 'includes'} {null:g}; pass the matching interval"
        )
    return excludes


def horizon_phrase(days: float) -> str:
    """"the first year", "the first two years", "the first 180 days"."""
    if days <= 0:
        raise ValueError(f"the horizon must be positive, got {days} days")
    years = days / 365
    if float(days) == 365:
        return "the first year"
    if years.is_integer():
        return f"the first {number_to_words(int(years))} years"
    return f"the first {format_number(days)} days"


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
    _check_interval(effect_lower, effect_upper, estimate)
    _significance(effect_lower, effect_upper, 0.0, significant)
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
    _check_interval(lower, upper, estimate)
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
) -> str:
    """Restricted mean time free of reoffending: difference in days (programme minus
    comparison; positive = more days free)."""
    _check_interval(lower, upper, estimate)
    when = horizon_phrase(horizon_days)
    start = f"On average, people who received {programme_phrase}"
    end = f"{free_phrase} in {when} than similar people who did not"

    def days(text: str, word: str) -> str:
        return f"{text} {word} {plural(text, 'day')}"

    if lower == 0 and upper == 0:
        return f"{start} spent the same number of days {free_phrase} in {when} as similar people."
    if lower > 0 or upper < 0:
        word = "more" if lower > 0 else "fewer"
        a, b = format_away(sorted([abs(lower), abs(upper)]), 0.0, digits)
        span = f"about {a}" if a == b else f"between {a} and {b}"
        return f"{start} spent {span} {word} {plural(b, 'day')} {end}."
    a, b = format_away([abs(lower), upper], 0.0, digits)
    if lower == 0:
        options = f"the same number of days, or as many as {days(b, 'more')},"
    elif upper == 0:
        options = f"as many as {days(a, 'fewer')}, or the same number of days,"
    else:
        options = f"as many as {days(a, 'fewer')}, or as many as {days(b, 'more')},"
    return f"{start} could have spent {options} {end}; {INCONCLUSIVE_TAIL}."


def _ratio_sentence(estimate: float, lower: float, upper: float, lead: str, label: str,
                    level: int, digits: int) -> str:
    _check_interval(lower, upper, estimate)
    if lower <= 0:
        raise ValueError(f"a {label} and its limits must be > 0, got [{lower}, {upper}]")
    est, lo, hi = format_away([estimate, lower, upper], 1.0, 2)
    stats = f"({label} {est}, {level}% confidence interval {lo} to {hi})"
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
) -> str:
    """Cox hazard ratio (programme vs comparison) as a change in the moment-to-moment chance."""
    lead = (f"Among people who had not yet reoffended, for those who received {programme_phrase}"
            f" compared with similar people who did not, the chance of {outcome_phrase} at any "
            "point in the follow-up")
    return _ratio_sentence(hr, lower, upper, lead, "hazard ratio", level, digits)


def rate_ratio_sentence(
    ratio: float,
    lower: float,
    upper: float,
    programme_phrase: str = "the programme",
    unit_phrase: str = "proven reoffences per person",
    level: int = 95,
    digits: int = 0,
) -> str:
    """Count-model rate ratio (programme vs comparison) as a percentage change."""
    lead = (f"For people who received {programme_phrase}, compared with similar people who did "
            f"not, the number of {unit_phrase}")
    return _ratio_sentence(ratio, lower, upper, lead, "rate ratio", level, digits)


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


def attrition_sentence(
    ledger: pd.DataFrame,
    group: str | None = None,
    people_phrase: str = "people",
    threshold: int | None = 10,
) -> str:
    """From ``Attrition.table()``: how many were received, analysed and excluded, and why.

    Counts pass the disclosure rules (``threshold``; None to switch off): small ones read
    "fewer than 10", and secondary suppression keeps them from being recovered by subtraction
    ("a withheld number"); the excluded total is then not given.
    """
    from evaluation.reporting.disclosure import suppression_pattern

    needed = ["stage", "reason", "group", "n_before", "n_excluded"]
    missing = [c for c in needed if c not in ledger.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the ledger; pass Attrition.table()")
    t = ledger if group is None else ledger[ledger["group"] == group]
    if t.empty:
        raise ValueError(f"no ledger rows for group {group!r}; groups are "
                         f"{sorted(ledger['group'].unique())}")
    if t["group"].nunique() > 1:
        raise ValueError(f"the ledger has groups {sorted(t['group'].unique())}; choose one")
    received = int(t.loc[t["reason"] == "received", "n_before"].sum())
    excl = t[t["n_excluded"] > 0].groupby("reason", sort=False)["n_excluded"].sum()
    analysed = received - int(excl.sum())
    if analysed < 0:
        raise ValueError(f"the ledger excludes {int(excl.sum())} but received only {received}")

    cells = pd.DataFrame([[*excl.to_numpy(), analysed, received]],
                         columns=[*range(len(excl)), "analysed", "received"])
    if threshold is None:
        status = pd.Series("", index=cells.columns)
    else:
        status = suppression_pattern(cells, list(cells.columns[:-1]), threshold,
                                     total_col="received").iloc[0]

    def show(col: Any, value: int) -> str:
        if status[col] == "primary":
            return f"fewer than {threshold}"
        if status[col] == "secondary":
            return "a withheld number"
        return format_number(value)

    head = f"Of {show('received', received)} {people_phrase}"
    if received == 0:
        return f"No {people_phrase} were received."
    if excl.empty:
        return f"{head}, all were analysed; none was excluded."
    hidden = (status != "").any()
    parts = [f"{reason}: {show(i, int(v))}" for i, (reason, v) in enumerate(excl.items())]
    n_excl = int(excl.sum())
    if hidden:
        excluded = "the others were excluded"
    else:
        excluded = f"{format_number(n_excl)} {'was' if n_excl == 1 else 'were'} excluded"
    verb = "was" if analysed == 1 and status["analysed"] == "" else "were"
    return (f"{head}, {show('analysed', analysed)} {verb} analysed; {excluded} "
            f"({'; '.join(parts)}).")


# --------------------------------------------------------------------------- can / cannot say
def can_say(result: Mapping[str, Any]) -> list[str]:
    """"What you can say" bullets from a result dict.

    Keys: ``lower``, ``upper``, ``estimate`` (per 100, programme minus comparison),
    ``programme``, optional ``outcome`` ("reoffended"), ``n_treated``, ``n_comparison``,
    ``adjustment`` ("matching").
    """
    lower, upper = float(result["lower"]), float(result["upper"])
    programme = result["programme"]
    outcome = result.get("outcome", "reoffended")
    out = [per_hundred_sentence(lower, upper, float(result["estimate"]), outcome, programme)]
    if upper < 0:
        out.append(f"This analysis gives evidence that {programme} may reduce the number of "
                   f"people who {outcome} within a year, for people like those analysed.")
    elif lower > 0:
        out.append(f"This analysis gives evidence that {programme} may increase the number of "
                   f"people who {outcome} within a year, for people like those analysed.")
    else:
        out.append(f"This analysis did not find a statistically significant difference in the "
                   f"number of people who {outcome} within a year; {programme} could have "
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
