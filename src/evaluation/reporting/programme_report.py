"""The report of one programme evaluation: plain-English sections, tables, figures, results.json.

Every sentence with a number is built from a ``ProgrammeEvaluation`` by the tested sentence
helpers; every table passes disclosure control before it is shown or written. The notebook only
calls ``ProgrammeReport`` methods in order, so the report's content is tested code, not notebook
code. The design sections (comparison group, attrition) and the appendix live in their own
modules (``design_sections``, ``appendix``); this class holds the numbers they share.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evaluation.analysis.programme import ProgrammeEvaluation
from evaluation.estimators.binary import per_hundred
from evaluation.outcomes.registry import measure
from evaluation.reporting import appendix as appendix_section
from evaluation.reporting import design_sections
from evaluation.reporting.before_during_section import before_during_section
from evaluation.reporting.claims import can_say, cannot_say
from evaluation.reporting.disclosure import DisclosureRules, suppress_counts
from evaluation.reporting.figures import new_figure
from evaluation.reporting.figures.survival import month_ticks, tidy_km_axes
from evaluation.reporting.html import Section, banner_text, img_html
from evaluation.reporting.numbers import format_number, format_percent, horizon_phrase
from evaluation.reporting.publish import publish_table
from evaluation.reporting.results_json import (
    json_records,
    json_value,
    suppress_json_counts,
    write_json,
)
from evaluation.reporting.robustness_section import robustness_results, robustness_section
from evaluation.reporting.sentences import power_sentence
from evaluation.reporting.style import apply_style, km_alt_text, save_figure
from evaluation.reporting.subgroup_section import subgroup_results, subgroup_section
from evaluation.reporting.summary_lines import (
    estimand_sentence,
    per_hundred_claim,
    summary_lines,
    summary_note,
)
from evaluation.reporting.verdict import build_verdict, headline_group_values

GROUP_LABELS = {1: "programme", 0: "comparison"}


class ProgrammeReport:
    """Builds the sections of one programme's report and writes its outputs.

    ``extract_info`` (from ``factories.describe_extract``) names the extract and its file
    hashes, which the appendix states (the real-data banner points there).
    """

    def __init__(self, evaluation: ProgrammeEvaluation, output_dir: str | Path,
                 truth: dict | None = None, extract_info: dict | None = None) -> None:
        self.ev = evaluation
        self.config = evaluation.config
        self.output_dir = Path(output_dir)
        self.figures_dir = self.output_dir / "figures"
        self.tables_dir = self.output_dir / "tables"
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        self.rules = DisclosureRules(threshold=self.config.disclosure.threshold,
                                     low_reliability_events=self.config.disclosure
                                     .low_reliability_events)
        self.truth = truth
        self.extract_info = extract_info
        self.programme_phrase = self.config.short_title or self.config.title
        apply_style()

    # ------------------------------------------------------------------ numbers
    @property
    def n_treated(self) -> int:
        return int((self.ev.analysis["treated"] == 1).sum())

    @property
    def n_comparison(self) -> int:
        return int((self.ev.analysis["treated"] == 0).sum())

    def estimate(self, outcome: str) -> pd.Series:
        """The estimates row of one outcome measure (registry key)."""
        return self.ev.estimates.set_index("outcome").loc[outcome]

    def per_hundred(self) -> pd.Series:
        """The one-year (window) shares and difference per 100 people."""
        return per_hundred(self.ev.details["binary"])

    def headline_groups(self) -> tuple[float, float]:
        """(programme, comparison) values of the headline measure, for the verdict box."""
        return headline_group_values(self.config.headline, self.ev.details, self.per_hundred())

    def headline_group_sizes(self) -> tuple[int, int]:
        """The people behind the verdict's pair of numbers: those of the measure shown (a rate
        or a frequency counts only people with a complete read-out, not everyone analysed)."""
        key = self.config.headline
        shown = key if key in ("n_reoffences_diff", "cost_diff", "rmst_diff") else (
            "n_reoffences_diff" if key == "n_reoffences_rr" else "reoffended_rd")
        row = self.estimate(shown)
        return int(row["n_treated"]), int(row["n_comparison"])

    def estimand(self) -> str:
        """Whom the estimates describe when some participants found no match ("" if none)."""
        d = self.ev.design_summary
        return estimand_sentence(int(d.get("n_treated_matched", self.n_treated)),
                                 int(d.get("n_treated_unmatched", 0)), self.rules.threshold)

    def period(self) -> str:
        """"within the first year", "within the first 182 days": the outcome window."""
        return f"within {horizon_phrase(self.config.outcomes.window_days)}"

    # ------------------------------------------------------------------ sections
    def banner(self) -> Section:
        """The first line of the report: synthetic or not, then the title."""
        first = banner_text(self.ev.synthetic, self.ev.validation_skipped)
        return Section(f"{first}\n\n# {self.config.title}\n\n{self.config.description}")

    def verdict(self) -> Section:
        """The first screen: what was evaluated, the answer, how sure, one pair of numbers."""
        head = self.ev.headline
        key = self.config.headline
        treated, comparison = self.headline_groups()
        v = build_verdict(key, measure(key).measures, float(head["estimate"]),
                          float(head["lower"]), float(head["upper"]), measure(key).null,
                          self.programme_phrase, treated, comparison,
                          self.period(), *self.headline_group_sizes())
        what = (f"What was evaluated: whether {self.programme_phrase} reduced proven "
                f"reoffending, compared with similar people chosen by "
                f"{self.ev.design_summary['method']} on their recorded history.")
        lines = [f'<p class="answer">{html.escape(v.answer)}</p>',
                 f"<p>{html.escape(v.numbers)}</p>", f"<p>{html.escape(v.sure)}</p>",
                 f"<p>{html.escape(what)}</p>"]
        lines += [f"<p>{html.escape(self.estimand())}</p>"] * bool(self.estimand())
        return Section(html_text=('<div class="verdict" role="note" aria-label="Verdict">'
                                  + "".join(lines) + "</div>"))

    def summary(self) -> Section:
        """Plain-English summary in the Justice Data Lab's manner, headline first; secondary
        measures give their Holm-adjusted intervals and p-values (``summary_lines``)."""
        est = self.ev.estimates
        lines = summary_lines(est, self.config.headline, self.programme_phrase, self.period(),
                              self.config.outcomes.window_days)
        n_text = (f"The comparison is between {format_number(self.n_treated)} people who "
                  f"received {self.programme_phrase} and {format_number(self.n_comparison)} "
                  f"similar people who did not, chosen by "
                  f"{self.ev.design_summary['method']} on their recorded history. "
                  f"{self.estimand()}").strip()
        body = "\n".join(f"- {line}" for line in lines)
        return Section(f"## Summary\n\n{n_text}\n\n{body}\n\n"
                       f"{summary_note(est, self.config.headline)}")

    def claim_inputs(self) -> dict[str, Any]:
        """The result dict ``can_say``/``cannot_say`` read (per 100, window, sizes, E-value)."""
        result = {**per_hundred_claim(self.ev.estimates, self.config.headline),
                  "programme": self.programme_phrase, "outcome": "were proven to have reoffended",
                  "n_treated": self.n_treated, "n_comparison": self.n_comparison,
                  "adjustment": self.ev.design_summary["method"], "period": self.period(),
                  "headline": self.ev.headline_result}
        ev = self.ev.sensitivity
        if "e_value_ci" in ev:
            result["e_value"] = float(ev["e_value"])
            result["e_value_ci"] = float(ev["e_value_ci"])
        return result

    def can_and_cannot_say(self) -> Section:
        result = self.claim_inputs()
        can = "\n".join(f"- {s}" for s in can_say(result))
        cannot = "\n".join(f"- {s}" for s in cannot_say(result))
        return Section(f"## What you can say\n\n{can}\n\n## What you cannot say\n\n{cannot}")

    def headline_chart(self) -> Section:
        """Kaplan-Meier curves with numbers at risk (suppressed below the threshold)."""
        km = self.ev.km
        horizon = self.config.outcomes.window_days
        fig, ax = new_figure((7.5, 5))
        ticks, _ = month_ticks(horizon)
        km.plot(ax=ax, times=ticks, labels=GROUP_LABELS, min_count=self.rules.threshold,
                xlabel="months since the index date")
        tidy_km_axes(ax, horizon, float(km.survival_table_["lower"].min()))
        ax.set_title("Share not yet proven to have reoffended")
        fig.subplots_adjust(bottom=0.32, left=0.2)
        table = km.survival_table_.assign(group=lambda t: t["group"].map(GROUP_LABELS))
        alt = km_alt_text(table, at_days=horizon)
        path = self.figures_dir / "kaplan_meier.png"
        save_figure(fig, path, alt)
        at = km.survival_at([horizon]).assign(group=lambda t: t["group"].map(GROUP_LABELS))
        text = ", ".join(f"{g} {format_percent(s)}" for g, s in zip(at["group"], at["survival"],
                                                                    strict=True))
        caption = (f"At the end of {horizon_phrase(horizon)}, the share not yet "
                   f"proven to have reoffended was {text}. Shaded bands are 95% confidence "
                   "intervals (robust to the matching weights); the numbers under the chart are "
                   "the people at risk: still followed up and not yet proven to have "
                   "reoffended. The vertical axis starts above 0% so the curves can be told "
                   "apart.")
        return Section(html_text="<h2>Time to first proven reoffence</h2>"
                       + img_html(path, self.output_dir, alt, caption=caption))

    def comparison_group(self) -> Section:
        """How the comparison group was built and whether it is balanced (never hidden)."""
        return design_sections.comparison_group(self)

    def attrition(self) -> Section:
        """Who entered, who was excluded and why, by group (counts under the threshold hidden)."""
        return design_sections.attrition(self)

    def power(self) -> Section:
        """Minimum detectable effect for the achieved group sizes (computed before outcomes)."""
        p = self.ev.power
        rate_rows = p.loc[p["measure"] == "reoffending rate"]
        decrease = rate_rows.loc[rate_rows.get("direction", "") == "decrease", "risk_difference"]
        if not np.isfinite(decrease.astype(float)).all():  # no reduction is detectable at all
            return Section("## Could this evaluation detect an effect?\n\nNo: the groups are "
                           "too small for even the largest possible reduction in the share "
                           "reoffending to be detected reliably, so any result below is "
                           "inconclusive whatever it shows.")
        sentence = power_sentence(rate_rows.drop(columns=["measure"]),
                                  programme_phrase=self.programme_phrase,
                                  outcome_phrase="were proven to have reoffended",
                                  period=self.period())
        baseline = self.config.power.baseline_rate
        return Section(f"## Could this evaluation detect an effect?\n\n{sentence} This assumes "
                       f"about {format_percent(baseline)} of the comparison group reoffend "
                       "(a planning value set in the configuration before outcomes were "
                       "looked at).")

    def readouts(self) -> Section:
        """Earlier read-outs: hazard ratios at 3, 6, 12 and 24 months, valid under censoring."""
        r = self.ev.readouts.copy()
        table = pd.DataFrame({
            "follow-up (days)": r["window_days"],
            "hazard ratio": r["hazard_ratio"].round(2),
            "95% CI": [f"{lo:.2f} to {hi:.2f}" if np.isfinite(lo) and np.isfinite(hi) else "[x]"
                       for lo, hi in zip(r["hr_lower"], r["hr_upper"], strict=True)],
            "events (people)": r["n_events"],
            "people with complete follow-up": r["n_complete"],
        })
        counts = ["events (people)", "people with complete follow-up"]
        shown = suppress_counts(table, counts, rules=self.rules)
        families, _ = appendix_section.linked_families(self)
        if "binary" in families:  # complete follow-up at the window = analysed - those left out
            at_window = (r["window_days"] == self.config.outcomes.window_days).to_numpy()
            shown.loc[at_window, "people with complete follow-up"] = "[c]"
        body, _ = publish_table(shown, "readouts", rules=self.rules,
                                tables_dir=self.tables_dir)
        return Section(html_text=(
            "<h2>Earlier read-outs</h2><p>Time to first proven reoffence uses everyone, "
            "censoring those whose follow-up is not yet complete, so shorter read-outs are "
            "valid early answers rather than biased rates.</p>" + body))

    def before_during(self) -> Section | None:
        """IOM: the IDIOM-style before/during change, then what the comparison group changes."""
        return before_during_section(self)

    def caveats(self) -> Section:
        items = [
            "Matching balances only what is recorded: police and court history, age, sex, "
            "ethnicity and area. Motivation, family support, employment or substance misuse are "
            "not in the data and may differ between the groups.",
            "Proven reoffending counts offences that led to a conviction or caution within the "
            "waiting period; offending that is not detected or not proven is not counted.",
            f"People whose follow-up was incomplete at the data cut-off "
            f"({self.ev.data_cutoff.date()}) are kept in the time-to-reoffence analysis "
            "(censored) but left out of the one-year rate, frequency and cost.",
        ]
        ph = self.ev.ph
        if getattr(ph, "violated", False):
            items.append("The programme's effect on the moment-to-moment chance of reoffending "
                         "seems to change over the follow-up (a check of the proportional-hazards "
                         "assumption failed), so the hazard ratio is only an average; the "
                         "difference in days free of proven reoffending does not rely on that "
                         "assumption and is the better summary of timing.")
        n_events = int(self.ev.estimates["n_events_treated"].iloc[0])
        if n_events < self.rules.low_reliability_events:
            items.append(f"Fewer than {self.rules.low_reliability_events} programme "
                         "participants reoffended, so the estimates are of low reliability "
                         "([u]).")
        items += ["The balance check failed (see the comparison group section)."] * bool(
            self.ev.balance_failed) + [f.statement for f in self.ev.flags]  # edge cases
        return Section("## Caveats\n\n" + "\n".join(f"- {i}" for i in items))

    def robustness(self) -> Section | None:
        """Hidden bias, death as a competing event, earlier trends (decision 0402)."""
        return robustness_section(self)

    def subgroups(self) -> Section | None:
        """Effects by declared subgroup, Holm-adjusted, never the headline (decision 0412)."""
        return subgroup_section(self)

    def appendix(self) -> Section:
        """Technical appendix: every model's table, with disclosure rules applied."""
        return appendix_section.appendix(self)

    # ------------------------------------------------------------------ outputs
    def results(self) -> dict[str, Any]:
        """The numbers of this report, deterministic (no times), for results.json."""
        ev = self.ev
        return json_value({
            "programme": self.config.name, "title": self.config.title,
            "synthetic": ev.synthetic,
            "validation_skipped": ev.validation_skipped,
            "estimable": True, "flags": [f.to_dict() for f in ev.flags],
            "data_cutoff": ev.data_cutoff,
            "headline": self.config.headline,
            "n_treated": self.n_treated, "n_comparison": self.n_comparison,
            "design": ev.design_summary,
            "estimates": json_records(ev.estimates),
            "unadjusted": json_records(ev.unadjusted),
            "per_hundred": dict(self.per_hundred()),
            "readouts": json_records(ev.readouts),
            "balance": {"max_abs_smd_before": float(ev.balance_before["smd"].abs().max()),
                        "max_abs_smd_after": float(ev.balance_after["smd"].abs().max()),
                        "failed": ev.balance_failed, "flagged": ev.balance_flagged},
            "power": json_records(ev.power),
            "e_value": dict(ev.sensitivity),
            "proportional_hazards_violated": bool(getattr(ev.ph, "violated", False)),
            "before_during": {k: json_records(v) for k, v in ev.before_during.items()},
            "robustness": robustness_results(ev.robustness),
            "subgroups": subgroup_results(self),
            "itt_per_protocol": json_records(ev.details.get("itt_per_protocol")),  # 0406
            "parameters": self.config.to_dict(),
            "planted_truth": self.truth if self.ev.synthetic else None,
        })

    def write_results(self) -> Path:
        path = write_json(self.output_dir / "results.json",
                          suppress_json_counts(self.results(), self.rules.threshold))
        est = self.ev.estimates.round(10)  # "events": each row's own, suppressed
        est = est.assign(events=est.get("events_treated", est["n_events_treated"])).drop(
            columns=["n_events_treated"])
        counts = [c for c in ("n_treated", "n_comparison", "events_treated",
                              "events_comparison") if c in est.columns]
        publish_table(est, "estimates", rules=self.rules, tables_dir=self.tables_dir,
                      estimates=True, count_cols=counts)
        return path
