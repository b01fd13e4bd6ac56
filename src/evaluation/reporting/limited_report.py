"""The report of an evaluation whose effect cannot be estimated (separation, nobody matched, no
reoffences in a group): the reason in plain English, who entered and who was left out, and a
results.json that says ``"estimable": false`` with the flag, instead of a crash or an absurd
number.

Why a class of its own: every section of ``ProgrammeReport`` reads estimates that do not exist
here. The notebooks call the same section names on either class; here the sections that would
show an estimate show nothing.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from evaluation.cohort.attrition import flow_by_group
from evaluation.design.estimability import NotEstimable
from evaluation.reporting.design_sections import protect_attrition
from evaluation.reporting.disclosure import DisclosureRules
from evaluation.reporting.html import Section, banner_text
from evaluation.reporting.publish import publish_table
from evaluation.reporting.results_json import json_value, suppress_json_counts, write_json

GROUPS = ("treated", "comparison")
# sections of the programme and IOM before/after notebooks that show an estimate: nothing here
ESTIMATE_SECTIONS = ("summary", "can_and_cannot_say", "headline_chart", "comparison_group",
                     "power", "readouts", "robustness", "before_during", "appendix",
                     "idiom_table", "before_during_chart", "subgroups")


class LimitedEvaluation:
    """What is known when ``evaluate_programme`` stopped with ``NotEstimable``."""

    def __init__(self, config: Any, extract: Any, error: NotEstimable) -> None:
        self.config = config
        self.synthetic = bool(extract.is_synthetic)
        self.validation_skipped = bool(getattr(extract, "validation_skipped", False))
        self.data_cutoff = extract.data_cutoff
        self.flag = error.flag
        self.attrition = error.cohort.attrition if error.cohort is not None else None


class LimitedReport:
    """Banner, the reason no effect is given, attrition, caveats and results.json."""

    def __init__(self, evaluation: LimitedEvaluation, output_dir: str | Path,
                 extract_info: dict | None = None) -> None:
        self.ev = evaluation
        self.config = evaluation.config
        self.output_dir = Path(output_dir)
        self.tables_dir = self.output_dir / "tables"
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        self.rules = DisclosureRules(threshold=self.config.disclosure.threshold,
                                     low_reliability_events=self.config.disclosure
                                     .low_reliability_events)
        self.extract_info = extract_info
        self.truth = None

    def __getattr__(self, name: str):
        if name in ESTIMATE_SECTIONS:
            return lambda: None
        raise AttributeError(name)

    def _remaining(self) -> dict[str, int]:
        """People per group still in the ledger when the evaluation stopped."""
        flow = self.ev.attrition.table()
        out = {}
        for g in GROUPS:
            mine = flow.loc[flow["group"] == g]
            received = int(mine.loc[mine["reason"] == "received", "n_before"].sum())
            out[g] = received - int(mine["n_excluded"].sum())
        return out

    def banner(self) -> Section:
        first = banner_text(self.ev.synthetic, self.ev.validation_skipped)
        return Section(f"{first}\n\n# {self.config.title}\n\n{self.config.description}")

    def verdict(self) -> Section:
        text = f"No estimate of the effect: {self.ev.flag.statement}"
        return Section(html_text=('<div class="verdict" role="note" aria-label="Verdict">'
                                  f'<p class="answer">{html.escape(text)}</p></div>'))

    def attrition(self) -> Section | None:
        if self.ev.attrition is None:
            return None
        table = flow_by_group(self.ev.attrition.table(), self._remaining())
        table.loc[len(table) - 1, "stage"] = "reached the comparison"
        shown = protect_attrition(table, list(GROUPS), self.rules)
        body, _ = publish_table(shown, "attrition", rules=self.rules,
                                tables_dir=self.tables_dir,
                                rename={"treated": "programme (people)",
                                        "comparison": "comparison (people)"},
                                caption="Attrition: people received, excluded by reason, and "
                                        "those left when the evaluation stopped")
        return Section(html_text="<h2>Who entered the evaluation</h2>" + body)

    def caveats(self) -> Section:
        return Section("## What this means\n\n- No effect of the programme is estimated: an "
                       "absence of an estimate is not evidence that the programme works or "
                       "that it does not.\n- " + self.ev.flag.statement)

    def results(self) -> dict[str, Any]:
        counts = self._remaining() if self.ev.attrition is not None else {}
        return json_value({
            "programme": self.config.name, "title": self.config.title,
            "synthetic": self.ev.synthetic, "validation_skipped": self.ev.validation_skipped,
            "data_cutoff": self.ev.data_cutoff, "headline": self.config.headline,
            "estimable": False, "flags": [self.ev.flag.to_dict()],
            "n_treated": counts.get("treated"), "n_comparison": counts.get("comparison"),
            "parameters": self.config.to_dict(), "planted_truth": None})

    def write_results(self) -> Path:
        return write_json(self.output_dir / "results.json",
                          suppress_json_counts(self.results(), self.rules.threshold))
