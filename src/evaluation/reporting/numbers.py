"""Number formatting for report prose: separators, decimals that never land on the null, words.

Why a module of its own: every sentence, table and chart caption formats numbers the same way,
so a rounding rule is tested once (see ``format_away``) and cannot drift between sections.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

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


def check_interval(lower: float, upper: float, estimate: float | None = None) -> None:
    """ValueError unless the limits (and estimate) are finite, ordered and nested."""
    vals = [lower, upper] + ([] if estimate is None else [estimate])
    if not all(np.isfinite(float(v)) for v in vals):
        raise ValueError(f"the estimate and its limits must be finite numbers, got {vals}")
    if lower > upper:
        raise ValueError(f"lower limit {lower} is above upper limit {upper}")
    if estimate is not None and not lower <= estimate <= upper:
        raise ValueError(f"the estimate {estimate} is not inside its interval [{lower}, {upper}]")


def check_significance(lower: float, upper: float, null: float, significant: bool | None) -> bool:
    """Whether the interval excludes ``null``; ValueError if ``significant`` says otherwise."""
    excludes = upper < null or lower > null
    if significant is not None and bool(significant) != excludes:
        raise ValueError(
            f"significant={significant} contradicts the interval [{lower}, {upper}], which "
            f"{'excludes' if excludes else 'includes'} {null:g}; pass the matching interval"
        )
    return excludes


def horizon_phrase(days: float, unit: str = "days") -> str:
    """"the first year", "the first two years", "the first 180 days"; in another time unit
    (a file measured in weeks or months) "the first 52 weeks", "the first 18 months" (whole
    years of months as years)."""
    if days <= 0:
        raise ValueError(f"the horizon must be positive, got {days} {unit}")
    if unit == "months" and float(days) % 12 == 0:
        days = 365 * float(days) / 12
    elif unit != "days":
        singular = unit.removesuffix("s")
        return f"the first {format_number(days, 0 if float(days).is_integer() else 1)} " \
               f"{plural(float(days), singular)}"
    years = days / 365
    if float(days) == 365:
        return "the first year"
    if years.is_integer():
        return f"the first {number_to_words(int(years))} years"
    return f"the first {format_number(days)} days"
