"""Report helpers: disclosure control, plain-English sentences, chart style, output scanning.

The reports themselves: ``programme_report`` (one programme), ``iom_report`` (IOM before/after),
``summary_report`` (all programmes), opened by ``factories``; pieces in ``html``, ``figures``,
``results_json``, ``numbers``, ``sentences`` and ``claims``.

Why a package of its own: every number a policy officer reads passes through a tested function
here (no typed numbers in notebooks), every table passes the disclosure rules first, and every
rendered report is scanned before it is published.
"""

from evaluation.reporting.claims import can_say, cannot_say
from evaluation.reporting.disclosure import (
    DisclosureRules,
    apply_to_estimates,
    suppress_counts,
    suppression_pattern,
)
from evaluation.reporting.numbers import (
    format_number,
    format_percent,
    format_rate,
    number_to_words,
    plural,
)
from evaluation.reporting.scan import Finding, check_reports, scan_report, scan_reports
from evaluation.reporting.sentences import (
    attrition_sentence,
    balance_sentence,
    change_sentence,
    frequency_sentence,
    hazard_ratio_sentence,
    per_hundred_sentence,
    power_sentence,
    rate_ratio_sentence,
    rmst_sentence,
)
from evaluation.reporting.style import (
    OKABE_ITO,
    alt_text,
    apply_style,
    forest_alt_text,
    forest_plot,
    km_alt_text,
    save_figure,
    series_style,
    style_context,
)

__all__ = [
    "OKABE_ITO",
    "DisclosureRules",
    "Finding",
    "alt_text",
    "apply_style",
    "apply_to_estimates",
    "attrition_sentence",
    "balance_sentence",
    "can_say",
    "cannot_say",
    "change_sentence",
    "check_reports",
    "forest_alt_text",
    "forest_plot",
    "format_number",
    "format_percent",
    "format_rate",
    "frequency_sentence",
    "hazard_ratio_sentence",
    "km_alt_text",
    "number_to_words",
    "per_hundred_sentence",
    "plural",
    "power_sentence",
    "rate_ratio_sentence",
    "rmst_sentence",
    "save_figure",
    "scan_report",
    "scan_reports",
    "series_style",
    "style_context",
    "suppress_counts",
    "suppression_pattern",
]
