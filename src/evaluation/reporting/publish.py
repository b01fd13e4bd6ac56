"""The one way a report writes a table: disclosure control first, then CSV and HTML.

Why: suppression applied section by section let some files out unsuppressed (a CSV written
before the suppression ran, raw estimate tables). Every table of a report now goes through
``publish_table``, which always applies primary and secondary suppression (including totals
and margins, so a suppressed cell cannot be recovered by subtraction) and writes the CSV from
the same suppressed frame the HTML shows.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from pathlib import Path

import pandas as pd

from evaluation.atomic import atomic_write_text
from evaluation.reporting.disclosure import (
    SUPPRESSED,
    DisclosureRules,
    apply_to_estimates,
    suppress_counts,
)
from evaluation.reporting.html import table_html

_CLUSTERS = re.compile(r"\(\d[\d,]* clusters")


def hide_linked_counts(frame: pd.DataFrame, n_cols: Sequence[str] = ("n",)) -> pd.DataFrame:
    """Suppress the model sizes of an analysis whose exclusions were suppressed elsewhere: its
    ``n`` (and the cluster count inside a method description) would give the excluded number
    back by subtraction from the people analysed."""
    out = frame.copy()
    for col in n_cols:
        if col in out.columns:
            out[col] = SUPPRESSED
    if "method" in out.columns:
        out["method"] = out["method"].astype(str).str.replace(_CLUSTERS, f"({SUPPRESSED} clusters",
                                                              regex=True)
    return out


def publish_table(
    frame: pd.DataFrame,
    name: str | None,
    *,
    rules: DisclosureRules,
    tables_dir: Path | None = None,
    count_cols: Sequence[Hashable] = (),
    total_row: Hashable | None = None,
    total_col: Hashable | None = None,
    estimates: bool = False,
    events_col: str | None = "events",
    caption: str | None = None,
    rename: dict[str, str] | None = None,
) -> tuple[str, pd.DataFrame]:
    """Suppress, write ``<tables_dir>/<name>.csv`` (when both are given) and return the HTML
    and the shown frame.

    ``count_cols``: the columns holding counts of people or events (primary suppression of
    1 to threshold-1, secondary across ``total_row`` (an index label) / ``total_col``); ``estimates=True``: a tidy
    results frame, through :func:`apply_to_estimates` (no rate from fewer than ``threshold``).
    """
    shown = frame
    if estimates:
        shown = apply_to_estimates(shown, rules, events_col=events_col)
    if count_cols:
        shown = suppress_counts(shown, list(count_cols), rules=rules, total_row=total_row,
                                total_col=total_col)
    if tables_dir is not None and name is not None:  # the CSV keeps the machine column names
        atomic_write_text(tables_dir / f"{name}.csv", shown.to_csv(index=False))
    if rename:
        shown = shown.rename(columns=rename)
    return table_html(shown, caption), shown
