"""The technical appendix of a programme report: every model's table, the extract used.

Why a module of its own: the appendix is for evaluators (raw tables, the propensity model,
the planted truth on synthetic data, the extract's name and hashes), not for the policy reader.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from evaluation.reporting.disclosure import SUPPRESSED, apply_to_estimates, suppress_counts
from evaluation.reporting.html import Section, table_html
from evaluation.reporting.publish import hide_linked_counts, publish_table

if TYPE_CHECKING:
    from evaluation.reporting.programme_report import ProgrammeReport


def extract_paragraph(info: dict) -> str:
    """HTML stating which extract the report used: its folder name, metadata and file hashes
    (no absolute path: the name and hashes identify it on any machine)."""
    meta = info.get("metadata", {})
    facts = [f"Extract: <strong>{html.escape(str(info['name']))}</strong>"]
    for key in ("description", "data_cutoff", "generator", "generator_version", "seed"):
        if key in meta:
            facts.append(f"{html.escape(key.replace('_', ' '))}: {html.escape(str(meta[key]))}")
    rows = "".join(f"<tr><td>{html.escape(name)}</td><td><code>{digest}</code></td></tr>"
                   for name, digest in info.get("files", {}).items())
    table = ("<table class=\"report-table\"><caption>Files of the extract (SHA-256)</caption>"
             f"<thead><tr><th>file</th><th>SHA-256</th></tr></thead><tbody>{rows}</tbody>"
             "</table>") if rows else ""
    return "<h3>The extract used</h3><p>" + "; ".join(facts) + ".</p>" + table


# Which model tables and estimate rows an exclusion row's count is linked to (model n =
# people analysed - people left out), so a suppressed exclusion hides those sizes too.
LINKED = {
    "reoffending rate, frequency and cost": (
        {"binary", "frequency", "frequency_per_100", "cost", "custody", "adjusted"},
        {"reoffended_rd", "reoffended_rr", "n_reoffences_diff", "n_reoffences_rr", "cost_diff",
         "custody_rd"}),
    "frequency": ({"frequency"}, {"n_reoffences_rr"}),
}


def linked_to_suppressed(exclusions_shown) -> tuple[set[str], set[str]]:
    """Model families and outcome keys whose n would reveal a suppressed exclusion count."""
    families: set[str] = set()
    outcomes: set[str] = set()
    for _, row in exclusions_shown.iterrows():
        if SUPPRESSED in (str(row["treated"]), str(row["comparison"])):
            fam, out = LINKED.get(row["analysis"], (set(), set()))
            families |= fam
            outcomes |= out
    return families, outcomes


def linked_families(report: ProgrammeReport) -> tuple[set[str], set[str]]:
    """``linked_to_suppressed`` of the report's exclusions table (suppressed as published)."""
    shown = suppress_counts(report.ev.details["exclusions"], ["treated", "comparison"],
                            rules=report.rules)
    return linked_to_suppressed(shown)


def appendix(report: ProgrammeReport) -> Section:
    """Technical appendix: every model's table, with disclosure rules applied (and model sizes
    hidden where they would give back a suppressed exclusion count)."""
    ev, rules = report.ev, report.rules
    parts = ["<h2>Technical appendix</h2>"]
    if report.extract_info:
        parts.append(extract_paragraph(report.extract_info))
    ex_html, ex_shown = publish_table(ev.details["exclusions"], "exclusions", rules=rules,
                                      tables_dir=report.tables_dir,
                                      count_cols=["treated", "comparison"],
                                      caption="People left out of particular analyses")
    families, outcomes = linked_to_suppressed(ex_shown)
    est = ev.estimates.copy()
    # each row's own programme-group events (the Cox row counts first reoffences over the
    # whole follow-up, not the one-year count repeated on every row)
    est["events"] = est.get("events_treated", est["n_events_treated"])
    est = est[["outcome", "term", "estimate", "lower", "upper", "p_value", "p_adjusted",
               "role", "method", "n", "events"]].round(4)
    caption = ("All outcomes: matched/weighted estimates (headline and Holm-adjusted "
               "secondaries); events: the programme group's events in that analysis")
    est_html, _ = publish_table(est, None, rules=rules, estimates=True, caption=caption)
    if outcomes:
        shown = apply_to_estimates(est, rules)
        linked = shown["outcome"].isin(outcomes)
        shown.loc[linked] = hide_linked_counts(shown.loc[linked])
        est_html = table_html(shown, caption)
    parts.append(est_html)
    unadj = ev.unadjusted[["outcome", "estimate", "lower", "upper", "p_value"]].round(4)
    parts.append(publish_table(unadj, None, rules=rules,
                               caption="Unadjusted comparison with the whole eligible pool "
                                       "(biased: shown to make the point)")[0])
    for name, table in ev.details.items():
        if name == "exclusions":
            continue
        cols = [c for c in ("term", "estimate", "std_error", "lower", "upper", "p_value",
                            "method", "n") if c in table.columns]
        shown = table[cols].round(4)
        small = pd.to_numeric(shown.get("n", pd.Series(dtype=float)), errors="coerce")
        if name in families or (small < rules.threshold).any():
            # a group's n below the threshold is also the total's n minus the other group's
            shown = hide_linked_counts(shown)
        parts.append(publish_table(shown, None, rules=rules, caption=f"Model: {name}")[0])
    parts.append(ex_html)
    sens = ev.sensitivity
    parts.append(f"<p>E-value for the headline: {float(sens['e_value']):.2f} (confidence "
                 f"limit {float(sens['e_value_ci']):.2f}): an unmeasured confounder would "
                 "need to be associated with both the programme and reoffending by a risk "
                 "ratio of this size to explain the estimate away.</p>")
    parts.append(f"<p>Proportional hazards check: {html.escape(ev.ph.statement)}</p>")
    model = ev.propensity.summary_.round(4)
    parts.append(publish_table(model, None, rules=rules,
                               caption="Propensity model (logistic regression)")[0])
    if report.truth:
        text = truth_sentence(report.truth, ev.estimates, report.config.headline,
                              int(ev.design_summary.get("n_treated_unmatched", 0)))
        parts.append(f"<p>{html.escape(text)}</p>")
    parts.append(f'<p class="table-note">{html.escape(disclosure_note(rules))}</p>')
    return Section(html_text="".join(parts))


# planted-truth key -> (outcome measure, what it is, decimals); the headline is named first
TRUTH_MEASURES = {
    "reoffences_per_100_diff": ("n_reoffences_diff",
                                "difference in proven reoffences per 100 people", 1),
    "hazard_ratio": ("time_to_reoffence_hr", "hazard ratio among participants", 3),
    "risk_difference": ("reoffended_rd", "one-year risk difference", 3),
}


def truth_sentence(truth: dict, estimates: pd.DataFrame, headline: str,
                   n_unmatched: int = 0) -> str:
    """Synthetic data only: each planted value beside this report's estimate and 95% interval,
    the headline's first (a truth file without a key leaves that measure out)."""
    est = estimates.set_index("outcome")
    keys = sorted((k for k in TRUTH_MEASURES if k in truth),
                  key=lambda k: TRUTH_MEASURES[k][0] != headline)
    parts = []
    for key in keys:
        outcome, what, d = TRUTH_MEASURES[key]
        item = f"the true {what}{' (the headline)' * (outcome == headline)} is {truth[key]:.{d}f}"
        if outcome in est.index:
            r = est.loc[outcome]
            item += (f" (estimate {r['estimate']:.{d}f}, 95% CI {r['lower']:.{d}f} to "
                     f"{r['upper']:.{d}f})")
        parts.append(item)
    text = (f"Synthetic data only: the generator planted a multiplicative effect of "
            f"{truth['theta']} on offending; {'; '.join(parts)}.")
    if n_unmatched:
        text += (" The true values are over all participants; the estimates are over the "
                 "matched participants only.")
    return text


def disclosure_note(rules) -> str:
    """What the markers mean and which rule hid a number (the footnote of every report)."""
    return (f"[c]: withheld to protect confidentiality: a count from 1 to {rules.threshold - 1} "
            "people or events, or a figure (a total, a model's size) from which such a count "
            f"could be worked out by subtraction. [u]: fewer than {rules.low_reliability_events} "
            "events, low reliability. [x]: not available. [z]: not applicable.")
