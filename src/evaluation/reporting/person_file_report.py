"""The report of one person-level file (`evaluation design`), in the programme report's order.

The sections are the programme report's (``programme_report``), built from a
``FileEvaluation`` instead of a ``ProgrammeEvaluation``, and worded with the spec's own names
for the programme, the outcome and the time unit (``wording:``, ``time_unit:``). The design
sections (comparison group, attrition) and the robustness section are the programme report's
own functions; the appendix lives in ``person_file_appendix``. Every sentence with a number
comes from the tested helpers (``sentences``, ``claims``, ``verdict``), every table goes
through ``publish_table``, and every figure has alt text.
"""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.analysis.person_file import FileEvaluation, e_value_inputs
from evaluation.estimators.binary import per_hundred
from evaluation.outcomes.registry import measure
from evaluation.reporting import design_sections
from evaluation.reporting import person_file_appendix as appendix_section
from evaluation.reporting.claims import can_say, cannot_say
from evaluation.reporting.disclosure import DisclosureRules
from evaluation.reporting.figures import new_figure
from evaluation.reporting.figures.survival import tidy_km_axes, unit_ticks
from evaluation.reporting.html import Section, img_html
from evaluation.reporting.numbers import (
    count_phrase,
    format_number,
    format_percent,
    horizon_phrase,
    join_words,
)
from evaluation.reporting.robustness_section import robustness_section
from evaluation.reporting.sentences import (
    hazard_ratio_sentence,
    per_hundred_sentence,
    power_sentence,
    rate_ratio_sentence,
    rmst_sentence,
)
from evaluation.reporting.style import apply_style, km_alt_text, save_figure
from evaluation.reporting.summary_lines import (
    ADJUSTED_LABEL,
    n_comparisons,
    per_hundred_claim,
    reported_interval,
)
from evaluation.reporting.verdict import SMALL, OutcomeWords, build_verdict, group_numbers

# headlines whose pair of numbers is the two groups' shares
SHARE_HEADLINES = ("reoffended_rd", "reoffended_rr", "time_to_reoffence_hr")

GROUP_LABELS = {1: "programme", 0: "comparison"}
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}


class PersonFileReport:
    """Builds the sections of one file's report; ``file_info`` names the file and the spec
    (``name``, ``sha256``, ``rows``, ``columns``; ``spec_name``, ``spec_sha256``)."""

    def __init__(self, evaluation: FileEvaluation, output_dir: str | Path,
                 file_info: dict[str, Any]) -> None:
        self.ev = evaluation
        self.spec = evaluation.spec
        self.config = self.spec  # the shared design sections read ``config.balance``
        self.file_info = file_info
        self.output_dir = Path(output_dir)
        self.figures_dir = self.output_dir / "figures"
        self.tables_dir = self.output_dir / "tables"
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        d = self.spec.disclosure
        self.rules = DisclosureRules(threshold=d.threshold,
                                     low_reliability_events=d.low_reliability_events)
        self.words = self.spec.wording
        self.programme_phrase = self.words.programme
        self.unit = self.spec.time_unit
        apply_style()

    # ------------------------------------------------------------------ numbers
    @property
    def title(self) -> str:
        return self.spec.title or f"Evaluation of {self.file_info['name']}"

    @property
    def n_treated(self) -> int:
        return int((self.ev.analysis["treated"] == 1).sum())

    @property
    def n_comparison(self) -> int:
        return int((self.ev.analysis["treated"] == 0).sum())

    def estimate(self, outcome: str) -> pd.Series:
        return self.ev.estimates.set_index("outcome").loc[outcome]

    def period(self) -> str:
        return f"within {horizon_phrase(self.spec.horizon, self.unit)}"

    def per_hundred(self) -> pd.Series | None:
        """The binary outcome's shares and difference per 100 (None without one)."""
        return per_hundred(self.ev.details["binary"]) if "binary" in self.ev.details else None

    def shares_per_100(self) -> tuple[float, float]:
        """Per 100 people with the outcome in each group: the binary outcome, or (a file with
        survival columns only) 1 - Kaplan-Meier survival at the horizon."""
        ph = self.per_hundred()
        if ph is not None:
            return float(ph["treated"]), float(ph["comparison"])
        at = self.ev.km.survival_at([self.spec.horizon]).set_index("group")["survival"]
        return 100 * (1 - float(at[1])), 100 * (1 - float(at[0]))

    def measure_label(self, key: str) -> str:
        """What a measure measures, in the spec's words (the registry's for the defaults)."""
        w, unit = self.words, self.unit
        labels = {"time_to_reoffence_hr": f"hazard ratio for {w.event}",
                  "rmst_diff": f"difference in mean {unit} free of {w.outcome}",
                  "reoffended_rd": f"difference in the share who {w.outcome_verb}",
                  "reoffended_rr": f"ratio of the shares who {w.outcome_verb}",
                  "n_reoffences_diff": f"difference in {w.count} per 100 people",
                  "n_reoffences_rr": f"ratio of {w.count} rates"}
        return labels.get(key, measure(key).measures)

    def small_band(self, key: str) -> tuple[float, float]:
        """The verdict's "small" band; the days-free band converted to the file's time unit."""
        lo, hi = SMALL[key]
        if key == "rmst_diff":
            return lo / DAYS_PER_UNIT[self.unit], hi / DAYS_PER_UNIT[self.unit]
        return lo, hi

    def characteristics(self) -> str:
        return join_words(list(self.spec.covariates))

    # ------------------------------------------------------------------ sections
    def banner(self) -> Section:
        """The first line: which file the results are built on; then the title."""
        info = self.file_info
        first = (f"These results are built on the person-level file **{info['name']}** "
                 f"(SHA-256 `{info['sha256'][:12]}...`, in full in the appendix), with the "
                 f"spec **{info['spec_name']}**.")
        text = f"{first}\n\n# {self.title}"
        if self.spec.description:
            text += f"\n\n{self.spec.description}"
        return Section(text)

    def verdict(self) -> Section:
        """The first screen: what was evaluated, the answer, how sure, one pair of numbers."""
        head = self.ev.headline
        key = self.spec.headline_measure
        treated, comparison = self.shares_per_100()
        w = self.words
        words = OutcomeWords(outcome=w.outcome, verb=w.outcome_verb, fewer=w.outcome_verb,
                             count=w.count, fewer_count=w.count, unit=self.unit,
                             ratio_name=(self.measure_label(key) if key.endswith("_rr")
                                         else None))
        v = build_verdict(key, self.measure_label(key), float(head["estimate"]),
                          float(head["lower"]), float(head["upper"]), measure(key).null,
                          self.programme_phrase, treated, comparison, self.period(),
                          self.n_treated, self.n_comparison, words=words,
                          small=self.small_band(key))
        if key not in SHARE_HEADLINES:  # the file's pair of numbers is always the shares
            v = replace(v, numbers=group_numbers("reoffended_rd", treated, comparison,
                                                 self.programme_phrase, self.period(),
                                                 self.n_treated, self.n_comparison, words))
        what = (f"What was evaluated: whether {self.programme_phrase} reduced {w.outcome}, "
                f"compared with similar people chosen by {self.ev.design_summary['method']} "
                f"on the characteristics in the file ({self.characteristics()}).")
        lines = [f'<p class="answer">{html.escape(v.answer)}</p>',
                 f"<p>{html.escape(v.numbers)}</p>", f"<p>{html.escape(v.sure)}</p>",
                 f"<p>{html.escape(what)}</p>"]
        return Section(html_text=('<div class="verdict" role="note" aria-label="Verdict">'
                                  + "".join(lines) + "</div>"))

    def summary(self) -> Section:
        """Plain-English summary in the Justice Data Lab's manner, one line per measure;
        secondary measures give their Holm-adjusted interval and p-value (``summary_lines``)."""
        w, p, head = self.words, self.programme_phrase, self.spec.headline_measure
        table = self.ev.estimates.set_index("outcome", drop=False)
        n = n_comparisons(self.ev.estimates)

        def shown(key: str) -> tuple[float, float, float, str]:
            return (float(table.loc[key, "estimate"]),
                    *reported_interval(table.loc[key], head, n))

        lines = []
        if "reoffended_rd" in table.index:
            e, lo, hi, note = shown("reoffended_rd")
            lines.append(per_hundred_sentence(100 * lo, 100 * hi, 100 * e, w.outcome_verb, p,
                                              period=self.period()) + note)
        if "n_reoffences_rr" in table.index:
            e, lo, hi, note = shown("n_reoffences_rr")
            per = f"per {self.unit.removesuffix('s')} at risk" if self.spec.exposure_col \
                else "per person"
            lines.append(rate_ratio_sentence(e, lo, hi, p, unit_phrase=f"{w.count} {per}",
                                             interval=ADJUSTED_LABEL if note else None) + note)
        if "time_to_reoffence_hr" in table.index:
            e, lo, hi, note = shown("time_to_reoffence_hr")
            lines.append(hazard_ratio_sentence(e, lo, hi, p, outcome_phrase=w.event,
                                               at_risk_phrase=f"had not yet had {w.event}",
                                               interval=ADJUSTED_LABEL if note else None)
                         + note)
        if "rmst_diff" in table.index:
            e, lo, hi, note = shown("rmst_diff")
            lines.append(rmst_sentence(lo, hi, e, p, horizon_days=self.spec.horizon,
                                       free_phrase=f"free of {w.outcome}",
                                       digits=0 if self.unit == "days" else 1, unit=self.unit)
                         + note)
        head_text = (f"The pre-declared headline measure is the {self.measure_label(head)}; "
                     "the other measures are secondary: their intervals and p-values (how "
                     "often a difference this large would arise by chance if the programme "
                     f"had no effect) are adjusted for making {count_phrase(n, 'comparison')} "
                     "(Holm's method).")
        n_text = (f"The comparison is between {format_number(self.n_treated)} people who "
                  f"received {p} and {format_number(self.n_comparison)} similar people who "
                  f"did not, chosen by {self.ev.design_summary['method']} on "
                  f"{self.characteristics()}.")
        body = "\n".join(f"- {line}" for line in lines)
        return Section(f"## Summary\n\n{n_text}\n\n{body}\n\n{head_text}")

    def claim_inputs(self) -> dict[str, Any]:
        """The result dict ``can_say``/``cannot_say`` read."""
        result: dict[str, Any] = {
            "programme": self.programme_phrase, "outcome": self.words.outcome_verb,
            "outcome_noun": self.words.outcome, "n_treated": self.n_treated,
            "n_comparison": self.n_comparison, "adjustment": self.ev.design_summary["method"],
            "period": self.period(),
            "headline": {**self.ev.headline_result,
                         "label": self.measure_label(self.spec.headline_measure)},
            **e_value_inputs(self.ev)}
        if "reoffended_rd" in set(self.ev.estimates["outcome"]):  # Holm-adjusted if secondary
            result.update(per_hundred_claim(self.ev.estimates, self.spec.headline_measure))
        return result

    def can_and_cannot_say(self) -> Section:
        result = self.claim_inputs()
        can = "\n".join(f"- {s}" for s in can_say(result))
        cannot = "\n".join(f"- {s}" for s in cannot_say(result))
        return Section(f"## What you can say\n\n{can}\n\n## What you cannot say\n\n{cannot}")

    def headline_chart(self) -> Section | None:
        """Kaplan-Meier curves with numbers at risk (suppressed below the threshold)."""
        km = self.ev.km
        if km is None:
            return None
        horizon, event = self.spec.horizon, self.words.event
        fig, ax = new_figure((7.5, 5))
        ticks, _, xlabel = unit_ticks(horizon, self.unit)
        km.plot(ax=ax, times=ticks, labels=GROUP_LABELS, min_count=self.rules.threshold,
                xlabel=xlabel, ylabel=f"share without {event} yet")
        tidy_km_axes(ax, horizon, float(km.survival_table_["lower"].min()), unit=self.unit)
        ax.set_title(f"Share without {event} yet")
        fig.subplots_adjust(bottom=0.32, left=0.2)
        table = km.survival_table_.assign(group=lambda t: t["group"].map(GROUP_LABELS))
        alt = km_alt_text(table, at_days=horizon, subject=f"the share without {event} yet",
                          unit=self.unit)
        path = self.figures_dir / "kaplan_meier.png"
        save_figure(fig, path, alt)
        at = km.survival_at([horizon]).assign(group=lambda t: t["group"].map(GROUP_LABELS))
        text = ", ".join(f"{g} {format_percent(s)}" for g, s in zip(at["group"], at["survival"],
                                                                    strict=True))
        caption = (f"At the end of {horizon_phrase(horizon, self.unit)}, the share without "
                   f"{event} was {text}. Shaded bands are 95% confidence intervals (robust to "
                   f"the {self.ev.design_summary['method']} weights); the numbers under the "
                   "chart are the people at risk: still followed up and without "
                   f"{event} yet. The vertical axis starts above 0% so the curves can be told "
                   "apart.")
        return Section(html_text=f"<h2>Time to {html.escape(event)}</h2>"
                       + img_html(path, self.output_dir, alt, caption=caption))

    def comparison_group(self) -> Section:
        return design_sections.comparison_group(self)

    def attrition(self) -> Section:
        return design_sections.attrition(self)

    def power(self) -> Section:
        """Minimum detectable effect for the achieved group sizes (computed before outcomes)."""
        p = self.ev.power
        sentence = power_sentence(p.loc[p["measure"] == "reoffending rate"]
                                  .drop(columns=["measure"]),
                                  programme_phrase=self.programme_phrase,
                                  outcome_phrase=self.words.outcome_verb, period=self.period())
        baseline = self.spec.power.baseline_rate
        return Section(f"## Could this evaluation detect an effect?\n\n{sentence} This assumes "
                       f"about {format_percent(baseline)} of the comparison group "
                       f"{self.words.outcome_verb} (a planning value set in the spec, "
                       "power.baseline_rate, before outcomes were looked at).")

    def robustness(self) -> Section | None:
        return robustness_section(self)

    def caveats(self) -> Section:
        items = [
            f"The groups were made alike only on the characteristics in the file "
            f"({self.characteristics()}). Anything the file does not hold (motivation, family "
            "support, employment) may still differ between them.",
            f"The outcome is what the file records ({self.words.outcome}); this command did "
            "not derive it. A Ministry of Justice proven reoffending measure needs its one-year "
            "window and six-month waiting period applied before the file is made.",
        ]
        unmatched = int(self.ev.design_summary.get("n_treated_unmatched", 0))
        if unmatched:
            n = (f"fewer than {self.rules.threshold}" if unmatched < self.rules.threshold
                 else format_number(unmatched))
            items.append(f"{n[0].upper() + n[1:]} programme participants had no comparison "
                         "person close enough (within the caliper) and are left out: the "
                         "estimates describe the participants who were matched.")
        if getattr(self.ev.ph, "violated", False):
            items.append("The effect on the moment-to-moment chance seems to change over the "
                         "follow-up (a check of the proportional-hazards assumption failed), so "
                         "the hazard ratio is only an average; the difference in time free "
                         f"of {self.words.outcome} is the better summary of timing.")
        events = int(self.ev.headline["events_treated"])
        if events < self.rules.low_reliability_events:
            items.append(f"Fewer than {self.rules.low_reliability_events} programme "
                         "participants had the outcome, so the estimates are of low "
                         "reliability ([u]).")
        if self.ev.balance_failed:
            items.append("The balance check failed (see the comparison group section).")
        return Section("## Caveats\n\n" + "\n".join(f"- {i}" for i in items))

    def appendix(self) -> Section:
        return appendix_section.appendix(self)

    def sections(self) -> list[Section]:
        """Every section in reading order (the ones a file cannot have are left out)."""
        built = [self.banner(), self.verdict(), self.summary(), self.can_and_cannot_say(),
                 self.headline_chart(), self.comparison_group(), self.attrition(),
                 self.power(), self.robustness(), self.caveats(), self.appendix()]
        return [s for s in built if s is not None]

    # ------------------------------------------------------------------ outputs
    def results(self) -> dict[str, Any]:
        return appendix_section.results(self)

    def write_results(self) -> Path:
        return appendix_section.write_results(self)
