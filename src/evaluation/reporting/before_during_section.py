"""IOM before/during: the board papers' figure, the same figure rebuilt, and what a matched
comparison group changes, in prose and as one table.

Why a module of its own: the before/during numbers come from three places (the published
board papers, the IDIOM-style table of every eligible participant, the difference in
differences over the matched groups); a reader needs them side by side, each row saying whom it
is about, so the drop the papers report is never set against a comparison of other people.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evaluation.analysis.before_during import before_after_comparison
from evaluation.reporting.disclosure import NOT_APPLICABLE, SUPPRESSED
from evaluation.reporting.html import Section, table_html
from evaluation.reporting.numbers import format_away, format_number, format_percent
from evaluation.reporting.publish import publish_table
from evaluation.reporting.sentences import change_sentence

if TYPE_CHECKING:
    from evaluation.reporting.programme_report import ProgrammeReport

PER_YEAR = "proven offences per person per year"
ROW_LABELS = {
    "published": "Published figure (board papers, people managed since the first tranche)",
    "rebuilt": "Rebuilt from the records: every eligible participant, the same people before "
               "and during",
    "matched_programme": "Rebuilt from the records: the matched participants",
    "matched_comparison": "Matched comparison group: scored, not managed, same periods",
    "did": "Difference: the matched participants' change beyond the comparison group's",
    "comparison_share": "Share of the matched participants' drop that the comparison group "
                        "shows too (regression to the mean and the general trend, not IOM)",
}


def published_row(published: pd.DataFrame) -> dict:
    """The board papers' before/during figure as a row of ``before_after_comparison``."""
    rows = published.loc[published["programme"] == "iom"].set_index("measure")
    before = float(rows.loc["offences_per_person_before", "published_value"])
    during = float(rows.loc["offences_per_person_during", "published_value"])
    return {"figure": "published", "people": int(rows.loc["offences_per_person_before",
                                                            "people"]),
            "before": before, "during": during, "change": during - before,
            "lower": np.nan, "upper": np.nan,
            "change_pct": float(rows.loc["offences_change_pct", "published_value"])}


def comparison_display(rows: pd.DataFrame, threshold: int, n_unmatched: int) -> pd.DataFrame:
    """The published table: rounded (2 decimals per person per year, 1 for percentages), counts
    below ``threshold`` withheld; with 1 to ``threshold - 1`` participants unmatched the
    rebuilt row's people are withheld too (it minus the matched row would give them)."""
    out = []
    for _, r in rows.iterrows():
        fig = r["figure"]
        people = r["people"]
        if pd.isna(people):
            shown_people = NOT_APPLICABLE
        elif 0 < people < threshold or (fig == "rebuilt" and 0 < n_unmatched < threshold):
            shown_people = SUPPRESSED
        else:
            shown_people = int(people)
        ci = ""
        if np.isfinite(r["lower"]) and fig != "comparison_share":
            lo, hi = format_away([r["lower"], r["upper"]], 0.0, 2)
            ci = f" (95% CI {lo} to {hi})"
        if fig == "comparison_share":
            change = (f"{format_percent(r['change'])} (95% CI {format_percent(r['lower'])} to "
                      f"{format_percent(r['upper'])})" if np.isfinite(r["change"]) else "[x]")
        else:
            (c,) = format_away([r["change"]], 0.0, 2)
            change = f"{c}{ci}"
        out.append({
            "figure": ROW_LABELS[fig], "people": shown_people,
            "before": format_number(r["before"], 2) if np.isfinite(r["before"]) else "",
            "during": format_number(r["during"], 2) if np.isfinite(r["during"]) else "",
            "change": change,
            "change (%)": (f"{r['change_pct']:+.1f}%" if np.isfinite(r["change_pct"]) else ""),
        })
    return pd.DataFrame(out)


def comparison_table(report: ProgrammeReport, published: pd.DataFrame) -> Section:
    """One table: published figure, rebuilt figure, matched groups, the difference and the
    share of the drop the comparison group shows too."""
    bd = report.ev.before_during
    rows = pd.concat([pd.DataFrame([published_row(published)]),
                      before_after_comparison(bd["idiom_table"], bd["did"])],
                     ignore_index=True)
    unmatched = int(report.ev.design_summary.get("n_treated_unmatched", 0))
    shown = comparison_display(rows, report.rules.threshold, unmatched)
    _, shown = publish_table(shown, "before_after_comparison", rules=report.rules,
                             tables_dir=report.tables_dir)
    caption = (f"From the published figure to the programme's own change ({PER_YEAR}; "
               "change = during - before)")
    note = ("The published figure covers everyone managed since the first tranche, counted by "
            "the Home Office IDIOM tracker, whose annualisation is not published; the rebuilt "
            "rows count proven offences in the year before and the year from the index date. "
            "The difference row is the estimate of IOM's effect; the share row is how much of "
            "the participants' drop would have happened anyway.")
    return Section(html_text="<h2>From the published figure to the effect of IOM</h2>"
                   + table_html(shown, caption) + f"<p>{note}</p>")


def before_during_section(report: ProgrammeReport) -> Section | None:
    """IOM: the IDIOM-style change of every participant, then the matched participants' and
    the comparison group's changes, the share they have in common and the difference."""
    bd = report.ev.before_during
    if not bd:
        return None  # only IOM reports have a before/during section: show nothing
    rows = before_after_comparison(bd["idiom_table"], bd["did"]).set_index("figure")
    rebuilt, prog, comp = (rows.loc[k] for k in ("rebuilt", "matched_programme",
                                                 "matched_comparison"))
    naive = change_sentence(rebuilt["before"], rebuilt["during"],
                            f"Among all eligible programme participants, {PER_YEAR}",
                            digits=1, value_digits=2)
    matched = change_sentence(prog["before"], prog["during"],
                              f"Among the matched participants, {PER_YEAR}",
                              digits=1, value_digits=2)
    comp_text = change_sentence(comp["before"], comp["during"],
                                "In the matched comparison group, who were not managed, "
                                f"{PER_YEAR}", digits=1, value_digits=2)
    text = (f"## Before and during: the published figure and what a comparison group "
            f"changes\n\n{naive} {matched} {comp_text}")
    share = rows.loc["comparison_share"]
    if np.isfinite(share["change"]):
        text += (f" About {format_percent(min(max(share['change'], 0), 9.99))} of the matched "
                 "participants' drop is matched by the comparison group's drop: regression to "
                 "the mean (people are selected at a peak) and the general trend, not the "
                 "programme.")
    d = rows.loc["did"]
    text += (f" The difference-in-differences estimate of the programme's effect is "
             f"{format_number(d['change'], 2)} offences per person per year "
             f"(95% CI {format_number(d['lower'], 2)} to {format_number(d['upper'], 2)}).")
    for name, key in (("before_during_idiom", "idiom_table"),
                      ("before_during_by_group", "by_group")):
        publish_table(bd[key], name, rules=report.rules, tables_dir=report.tables_dir,
                      count_cols=["people"])
    publish_table(bd["did"], "difference_in_differences", rules=report.rules,
                  tables_dir=report.tables_dir, estimates=True, events_col=None)
    return Section(text)
