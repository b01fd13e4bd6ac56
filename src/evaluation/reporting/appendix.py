"""The technical appendix of a programme report: every model's table, the extract used.

Why a module of its own: the appendix is for evaluators (raw tables, the propensity model,
the planted truth on synthetic data, the extract's name and hashes), not for the policy reader.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from evaluation.reporting.disclosure import apply_to_estimates, suppress_counts
from evaluation.reporting.html import Section, table_html

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


def appendix(report: ProgrammeReport) -> Section:
    """Technical appendix: every model's table, with disclosure rules applied."""
    ev = report.ev
    parts = ["<h2>Technical appendix</h2>"]
    if report.extract_info:
        parts.append(extract_paragraph(report.extract_info))
    est = ev.estimates.copy()
    est["events"] = est["n_events_treated"]
    shown = apply_to_estimates(est[["outcome", "term", "estimate", "lower", "upper",
                                    "p_value", "p_adjusted", "role", "method", "n",
                                    "events"]].round(4), report.rules)
    parts.append(table_html(shown, "All outcomes: matched/weighted estimates "
                                   "(headline and Holm-adjusted secondaries)"))
    unadj = ev.unadjusted[["outcome", "estimate", "lower", "upper", "p_value"]].round(4)
    parts.append(table_html(unadj, "Unadjusted comparison with the whole eligible pool "
                                   "(biased: shown to make the point)"))
    for name, table in ev.details.items():
        if name == "exclusions":
            continue
        cols = [c for c in ("term", "estimate", "std_error", "lower", "upper", "p_value",
                            "method", "n") if c in table.columns]
        parts.append(table_html(table[cols].round(4), f"Model: {name}"))
    ex = ev.details["exclusions"]
    parts.append(table_html(suppress_counts(ex, ["treated", "comparison"], rules=report.rules),
                            "People left out of particular analyses"))
    sens = ev.sensitivity
    parts.append(f"<p>E-value for the headline: {float(sens['e_value']):.2f} (confidence "
                 f"limit {float(sens['e_value_ci']):.2f}): an unmeasured confounder would "
                 "need to be associated with both the programme and reoffending by a risk "
                 "ratio of this size to explain the estimate away.</p>")
    parts.append(f"<p>Proportional hazards check: {html.escape(ev.ph.statement)}</p>")
    model = ev.propensity.summary_.round(4)
    parts.append(table_html(model, "Propensity model (logistic regression)"))
    if report.truth:
        t = report.truth
        parts.append(
            "<p>Synthetic data only: the generator planted a multiplicative effect of "
            f"{t['theta']} on offending; the true hazard ratio among participants is "
            f"{t['hazard_ratio']:.3f} and the true one-year risk difference "
            f"{t['risk_difference']:.3f}.</p>")
    return Section(html_text="".join(parts))
