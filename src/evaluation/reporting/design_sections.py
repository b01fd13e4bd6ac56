"""The design sections of a programme report: how the comparison group was built, who is in.

Why a module of its own: these sections show the design stage (balance, overlap, attrition),
decided before outcomes are looked at, and they are the longest builders of the report.
Functions take the ``ProgrammeReport`` whose numbers and folders they use, or any report with
the same attributes (``PersonFileReport``: ``ev``, ``config.balance``, ``rules``,
``output_dir``, ``figures_dir``, ``tables_dir``).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import flow_by_group
from evaluation.reporting.attrition_text import (
    attrition_sentence,
    count_text,
    withheld_attrition_sentence,
)
from evaluation.reporting.disclosure import SUPPRESSED, suppress_counts
from evaluation.reporting.figures import love_plot, new_figure, overlap_plot
from evaluation.reporting.html import Section, img_html, table_html
from evaluation.reporting.labels import characteristic_labels
from evaluation.reporting.numbers import count_phrase, format_number
from evaluation.reporting.publish import publish_table
from evaluation.reporting.sentences import balance_sentence
from evaluation.reporting.style import save_figure
from evaluation.reporting.tables import balance_before_after
from evaluation.reporting.trials_table import (
    WHAT_EACH_ANSWERS,
    interval_comparison,
    itt_pp_display,
)

if TYPE_CHECKING:
    from evaluation.reporting.programme_report import ProgrammeReport


def matching_description(design: dict) -> str:
    """One sentence on how the comparison group was chosen (matching or weighting)."""
    if design["method"] == "matching":
        whom = count_phrase(design["ratio"], "comparison person", "comparison people")
        return (f"Each programme participant was matched to {whom} with the nearest "
                "propensity score (the estimated chance of receiving the programme, given the "
                "recorded history), and never to someone whose score was further away than "
                f"{design['caliper_sd']} standard deviations of the score on the log-odds scale "
                "(the caliper)"
                + (f", exactly on {', '.join(design['exact'])}" if design["exact"] else "")
                + ", without" * (not design["replace"]) + " with" * bool(design["replace"])
                + " replacement.")
    if design.get("estimand") == "ATE":
        return ("Everyone was weighted by the inverse of their estimated chance of being in "
                "their own group (given the recorded history), so that both groups resemble "
                "everyone analysed: the effect on the whole population (ATE).")
    return "Comparison people were weighted by their odds of receiving the programme."


def comparison_group(report: ProgrammeReport) -> Section:
    """How the comparison group was built and whether it is balanced (never hidden)."""
    ev, config = report.ev, report.config
    after = ev.balance_after
    sentence = balance_sentence(after, threshold=config.balance.smd_good,
                                adjustment=ev.design_summary["method"])
    failed = ev.balance_failed
    warning = ""
    if failed:
        warning = ("<p><strong>Balance check failed</strong> for "
                   f"{html.escape(', '.join(failed))}: the groups still differ on "
                   "these characteristics, so the estimates may be biased.</p>")
    fig, ax = new_figure((6.5, 0.28 * len(after) + 1.8))
    love_plot(ev.balance_before, after, ax=ax,
              thresholds=(config.balance.smd_good, config.balance.smd_fail))
    fig.tight_layout()
    love_path = report.figures_dir / "balance.png"
    n_bad = int((after["smd"].abs() >= config.balance.smd_good).sum())
    love_alt = (f"Standardised mean differences of {len(after)} characteristics before and "
                f"after {ev.design_summary['method']}; {n_bad} at or above "
                f"{config.balance.smd_good} after.")
    save_figure(fig, love_path, love_alt)
    fig, ax = new_figure((6.5, 4))
    overlap_plot(ev.design_frame, "propensity", "treated", ax=ax)
    fig.tight_layout()
    overlap_path = report.figures_dir / "overlap.png"
    outside = int(ev.support["n_outside"].sum())
    overlap_alt = ("Distribution of the propensity score in the programme and comparison "
                   f"groups before matching; {outside} people lie outside the common support.")
    save_figure(fig, overlap_path, overlap_alt)
    _, shown = publish_table(
        balance_before_after(ev.balance_before, after), "balance", rules=report.rules,
        tables_dir=report.tables_dir)
    # the page names each characteristic in words; the CSV keeps the column names
    balance = table_html(
        shown.drop(columns=["covariate", "level"]).set_axis(
            characteristic_labels(shown).to_list()).rename_axis("characteristic").reset_index(),
        caption="Balance after adjustment (standardised mean difference: pooled standard "
                "deviation before adjustment)")
    how = matching_description(ev.design_summary)
    return Section(html_text=(
        "<h2>The comparison group</h2>"
        f"<p>{html.escape(how)} {html.escape(sentence)}</p>{warning}"
        + sequential_trials(report)
        + f"{img_html(love_path, report.output_dir, love_alt)}"
        f"{img_html(overlap_path, report.output_dir, overlap_alt)}"
        + balance))


def sequential_trials(report: ProgrammeReport) -> str:
    """The sequential trials (decision 0406): how many, and the effect by intention to treat
    beside the per-protocol effect (comparisons censored at a later adoption). Empty for a
    single comparison group."""
    table = report.ev.details.get("itt_per_protocol")
    if table is None:
        return ""
    trials = report.ev.design_summary["trials"]
    pp = report.ev.design_summary["per_protocol"]
    censored = count_text(pp["n_censored_by_adoption"], report.rules.threshold)
    text = (f"Each scoring round is its own comparison ({format_number(trials['n_trials'])} "
            "rounds): people adopted in a round are compared with people scored in the same "
            "round and not adopted, followed from the scoring date. Someone not adopted can "
            "be a comparison again in a later round, so intervals allow for the same person "
            "appearing more than once. Intention to treat follows every comparison person to "
            "the end, even if they were adopted later; per protocol stops following them when "
            f"they were adopted ({censored} of {format_number(pp['n_comparison'])}) and gives "
            "more weight to similar people who were not.")
    body, _ = publish_table(itt_pp_display(table, report.rules), "itt_per_protocol",
                            rules=report.rules, tables_dir=report.tables_dir,
                            caption="Intention to treat and per protocol (95% intervals)")
    more = f"{WHAT_EACH_ANSWERS} {interval_comparison(table)}".strip()
    return f"<p>{html.escape(text)}</p><p>{html.escape(more)}</p>" + body


def protect_attrition(table: pd.DataFrame, groups: list[str], rules) -> pd.DataFrame:
    """Primary and secondary suppression of the attrition table, with "received" (row 0) as
    the total of the exclusions and the analysed row (last). The analysed numbers are the
    study's size, published in every section, so they are never the secondary cell: where the
    rules pick one, the "received" total is withheld instead (one equation, two unknowns)."""
    shown = suppress_counts(table, groups, rules=rules, total_row=0)
    last = len(table) - 1
    for g in groups:
        if shown.loc[last, g] == SUPPRESSED and table.loc[last, g] >= rules.threshold:
            shown.loc[last, g] = int(table.loc[last, g])
            shown.loc[0, g] = SUPPRESSED
    return shown


def attrition(report: ProgrammeReport) -> Section:
    """Who entered, who was excluded and why, by group (counts under the threshold hidden)."""
    flow = report.ev.attrition.table()
    analysed = report.ev.analysis
    group = np.where(analysed["treated"] == 1, "treated", "comparison")
    counts = {g: int((group == g).sum()) for g in ("treated", "comparison")}
    table = flow_by_group(flow, counts)
    shown = protect_attrition(table, ["treated", "comparison"], report.rules)
    body, _ = publish_table(shown, "attrition", rules=report.rules,
                            tables_dir=report.tables_dir,
                            rename={"treated": "programme (people)",
                                    "comparison": "comparison (people)"},
                            caption="Attrition: people received, excluded by reason, analysed")
    if (shown["treated"] == SUPPRESSED).any():
        sentence = withheld_attrition_sentence(counts["treated"], "programme participants",
                                               report.rules.threshold)
    else:
        sentence = attrition_sentence(flow, group="treated",
                                      people_phrase="programme participants",
                                      threshold=report.rules.threshold)
    return Section(html_text=("<h2>Who is in the analysis</h2>"
                              f"<p>{html.escape(sentence)}</p>" + body))
