"""Who was analysed, in prose, with the disclosure rules applied to every count.

Why a module of its own: the attrition sentence is the one sentence whose numbers are counts
of people (decision 0301, item 6). Its counts pass the same primary and secondary suppression
as the attrition table (``disclosure.suppression_pattern``), and the shorter sentence used when
the table itself withholds numbers routes the analysed count through ``count_text``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evaluation.reporting.numbers import format_number


def count_text(n: int, threshold: int | None = 10) -> str:
    """A count of people for prose: "fewer than 10" from 1 to ``threshold - 1`` (primary
    suppression, as ``disclosure.suppress_counts``), else the number ("0", "2,181")."""
    if threshold is not None and 0 < int(n) < threshold:
        return f"fewer than {threshold}"
    return format_number(int(n))


def withheld_attrition_sentence(n_analysed: int, people_phrase: str = "people",
                                threshold: int = 10) -> str:
    """When the attrition table withholds some numbers: the analysed count (itself suppressed
    below ``threshold``) and why the rest are not given."""
    n = count_text(n_analysed, threshold)
    verb = "was" if n == "1" else "were"
    return (f"{n[0].upper()}{n[1:]} {people_phrase} {verb} analysed; the number received and "
            f"some numbers excluded are withheld (fewer than {threshold} people, or a figure "
            "from which such a number could be worked out).")


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
