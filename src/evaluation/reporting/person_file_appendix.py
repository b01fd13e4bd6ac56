"""The technical appendix and the numbers (results.json, CSV tables) of a person-file report.

Why a module of its own: as ``appendix`` for the programme report, this part is for
evaluators: which file and spec were used (names and SHA-256, never a folder of this machine),
every model's table, the unadjusted comparison, the E-value, the proportional-hazards check
and the propensity model. Every table is written through ``publish_table``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaluation.reporting.appendix import disclosure_note
from evaluation.reporting.html import Section
from evaluation.reporting.publish import publish_table
from evaluation.reporting.results_json import (
    json_records,
    json_value,
    suppress_json_counts,
    write_json,
)
from evaluation.reporting.robustness_section import robustness_results

if TYPE_CHECKING:
    from evaluation.reporting.person_file_report import PersonFileReport

# (the method of each estimate is in its model's table below)
ESTIMATE_COLUMNS = ["outcome", "term", "estimate", "std_error", "lower", "upper", "p_value",
                    "p_adjusted", "role", "n", "events"]
MODEL_COLUMNS = ("term", "estimate", "std_error", "lower", "upper", "p_value", "method", "n")


def spec_rows(spec: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The spec as (dotted key, value) pairs, defaults included; title and description, which
    the report shows already, left out."""
    rows: list[tuple[str, str]] = []
    for key, value in spec.items():
        if key in ("title", "description") and not prefix:
            continue
        if isinstance(value, dict):
            rows += spec_rows(value, f"{prefix}{key}.")
        else:
            shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
            rows.append((f"{prefix}{key}", "" if shown is None else str(shown)))
    return rows


def file_paragraph(info: dict[str, Any], spec: dict[str, Any]) -> str:
    """HTML naming the file and the spec by name and SHA-256, the columns read, and the spec
    as it was understood (defaults filled in)."""
    rows = "".join(
        f"<tr><td>{html.escape(role)}</td><td>{html.escape(str(name))}</td>"
        f"<td><code>{html.escape(digest)}</code></td></tr>"
        for role, name, digest in (("person-level file", info["name"], info["sha256"]),
                                   ("spec", info["spec_name"], info["spec_sha256"])))
    table = ('<table class="report-table"><caption>The files used (SHA-256)</caption>'
             "<thead><tr><th>what</th><th>file</th><th>SHA-256</th></tr></thead>"
             f"<tbody>{rows}</tbody></table>")
    # a list, not a table: settings such as low_reliability_events: 5 are not counts of
    # people, and the disclosure scan reads every table cell under a count-like label as one
    settings = "".join(f"<li><code>{html.escape(k)}</code>: {html.escape(v)}</li>"
                       for k, v in spec_rows(spec))
    settings = ("<p>The spec as understood, every default filled in:</p>"
                f'<ul class="spec" style="columns: 2; font-size: 0.9em">{settings}</ul>')
    facts = (f"The person-level file <strong>{html.escape(info['name'])}</strong> has "
             f"{info['rows']:,} rows and the columns "
             f"{html.escape(', '.join(map(str, info['columns'])))}. It was read, never "
             "written; no row of it is published.")
    return f"<h3>The file used</h3><p>{facts}</p>{table}{settings}"


def estimates_frame(table, digits: int = 4):
    """A measure table (``FileEvaluation.estimates`` or ``unadjusted``) as published."""
    out = table.assign(events=table["n_events_treated"])
    return out[[c for c in ESTIMATE_COLUMNS if c in out.columns]].round(digits)


def appendix(report: PersonFileReport) -> Section:
    """Every model's table, with disclosure rules applied, and the file and spec used."""
    ev, rules = report.ev, report.rules
    parts = ["<h2>Technical appendix</h2>",
             file_paragraph(report.file_info, report.spec.to_dict())]
    parts.append(publish_table(estimates_frame(ev.estimates), None, rules=rules,
                               estimates=True,
                               caption="All outcomes: matched/weighted estimates (headline "
                                       "and Holm-adjusted secondaries)")[0])
    parts.append(publish_table(estimates_frame(ev.unadjusted).drop(columns=["p_adjusted",
                                                                            "role"]),
                               None, rules=rules, estimates=True,
                               caption="Unadjusted comparison of everyone in the file "
                                       "(biased: shown to make the point)")[0])
    for name, table in ev.details.items():
        shown = table[[c for c in MODEL_COLUMNS if c in table.columns]].round(4)
        parts.append(publish_table(shown, None, rules=rules, caption=f"Model: {name}")[0])
    sens = ev.sensitivity
    if str(sens.get("e_value")) != "nan":
        parts.append(f"<p>E-value for the headline: {float(sens['e_value']):.2f} (confidence "
                     f"limit {float(sens['e_value_ci']):.2f}): an unmeasured confounder would "
                     "need to be associated with both the programme and the outcome by a risk "
                     "ratio of this size to explain the estimate away.</p>")
    if ev.ph is not None:
        parts.append(f"<p>Proportional hazards check: {html.escape(ev.ph.statement)}</p>")
    parts.append(publish_table(ev.propensity.summary_.round(4), None, rules=rules,
                               caption="Propensity model (logistic regression)")[0])
    parts.append(f'<p class="table-note">{html.escape(disclosure_note(rules))}</p>')
    return Section(html_text="".join(parts))


def results(report: PersonFileReport) -> dict[str, Any]:
    """The numbers of the report, deterministic (no times, no folders), for results.json."""
    ev, info = report.ev, report.file_info
    ph = report.per_hundred()
    return json_value({
        "title": report.title,
        "file": {"name": info["name"], "sha256": info["sha256"], "rows": info["rows"]},
        "spec_file": {"name": info["spec_name"], "sha256": info["spec_sha256"]},
        "synthetic": False,
        "headline": report.spec.headline_measure,
        "time_unit": report.unit,
        "n_treated": report.n_treated,
        "n_comparison": report.n_comparison,
        "design": ev.design_summary,
        "estimates": json_records(ev.estimates),
        "unadjusted": json_records(ev.unadjusted),
        "per_hundred": dict(ph) if ph is not None else None,
        "balance": {"max_abs_smd_before": float(ev.balance_before["smd"].abs().max()),
                    "max_abs_smd_after": float(ev.balance_after["smd"].abs().max()),
                    "failed": ev.balance_failed, "flagged": ev.balance_flagged},
        "power": json_records(ev.power),
        "e_value": dict(ev.sensitivity),
        "proportional_hazards_violated": bool(getattr(ev.ph, "violated", False)),
        "robustness": robustness_results(ev.robustness),
        "propensity_model": json_records(ev.propensity.summary_),
        "parameters": report.spec.to_dict(),
    })


def write_results(report: PersonFileReport) -> Path:
    """results.json (small counts suppressed) and the estimate tables as CSV."""
    path = write_json(report.output_dir / "results.json",
                      suppress_json_counts(results(report), report.rules.threshold))
    counts = ["n_treated", "n_comparison", "events_treated", "events_comparison"]
    for name, table in (("estimates", report.ev.estimates),
                        ("unadjusted", report.ev.unadjusted)):
        est = table.round(10).assign(events=table["n_events_treated"])
        est = est.drop(columns=["n_events_treated"])
        publish_table(est, name, rules=report.rules, tables_dir=report.tables_dir,
                      estimates=True, count_cols=[c for c in counts if c in est.columns])
    publish_table(report.ev.propensity.summary_.round(10), "propensity_model",
                  rules=report.rules, tables_dir=report.tables_dir)
    return path
