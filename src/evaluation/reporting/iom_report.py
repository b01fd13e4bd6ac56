"""IOM before/after report: the board papers' before/during table rebuilt from events, then
what a matched comparison group changes (regression to the mean and the general trend)."""

from __future__ import annotations

import html

import pandas as pd

from evaluation.reporting.before_during_section import comparison_table
from evaluation.reporting.figures import before_during_bars, new_figure
from evaluation.reporting.html import Section, banner_text, img_html, table_html
from evaluation.reporting.numbers import format_away, format_number
from evaluation.reporting.programme_report import ProgrammeReport
from evaluation.reporting.publish import publish_table
from evaluation.reporting.style import save_figure
from evaluation.reporting.verdict import SMALL_OFFENCES_PER_YEAR, answer_sentence, difference_kind


def format_money(x: float) -> str:
    """"£4,371": whole pounds with thousands separators."""
    return f"£{x:,.0f}"


def published_iom_text() -> str:
    """The board paper's before/during figures, read from data/reference/published_figures.csv."""
    from evaluation.reporting.board_summary import load_published

    rows = load_published().set_index(["programme", "measure"])["published_value"]
    people = load_published().set_index(["programme", "measure"])["people"]
    b, d, c = (float(rows[("iom", k)]) for k in ("offences_per_person_before",
                                                 "offences_per_person_during",
                                                 "offences_change_pct"))
    n = int(people[("iom", "offences_per_person_before")])
    return (f"{b:.2f} and {d:.2f} offences per person ({c:+.1f}%) for the "
            f"{format_number(n)} people managed since the first tranche (TS1)")


class IomBeforeAfterReport(ProgrammeReport):
    """IOM: the board papers' before/during table rebuilt from events, then the comparison."""

    def banner(self) -> Section:
        first = banner_text(self.ev.synthetic, self.ev.validation_skipped)
        return Section(f"{first}\n\n# IOM before and during management: what a comparison "
                       "group changes")

    def verdict(self) -> Section:
        """The first screen: the published-style drop, what the comparison group changes, and
        the programme's own share with its interval."""
        did = self.ev.before_during["did"].set_index("term")
        d = did.loc["did"]
        kind = difference_kind(float(d["lower"]), float(d["upper"]), SMALL_OFFENCES_PER_YEAR)
        e, lo, hi = format_away([d["estimate"], d["lower"], d["upper"]], 0.0, 2)
        est = did["estimate"]
        numbers = (f"Proven offences per person per year fell from "
                   f"{format_number(est['before_treated'], 2)} to "
                   f"{format_number(est['during_treated'], 2)} in the matched programme group "
                   f"({format_number(self.n_treated)} people) and from "
                   f"{format_number(est['before_comparison'], 2)} to "
                   f"{format_number(est['during_comparison'], 2)} in the matched comparison "
                   f"group ({format_number(self.n_comparison)} similar people not managed).")
        sure = (f"How sure: the change beyond the comparison group's own change is {e} offences "
                f"per person per year (95% confidence interval {lo} to {hi}).")
        if kind == "small":
            sure += (f" The whole interval lies within {SMALL_OFFENCES_PER_YEAR} offences either "
                     "way, the range this report calls small.")
        what = ("What was evaluated: whether the drop in offending during Integrated Offender "
                "Management, which the board papers report, is due to IOM or would have "
                "happened anyway (people are selected at a peak of offending).")
        lines = [f'<p class="answer">{html.escape(answer_sentence(kind, self.programme_phrase))}'
                 "</p>", f"<p>{html.escape(numbers)}</p>", f"<p>{html.escape(sure)}</p>",
                 f"<p>{html.escape(what)}</p>"]
        lines += [f"<p>{html.escape(self.estimand())}</p>"] * bool(self.estimand())
        return Section(html_text=('<div class="verdict" role="note" aria-label="Verdict">'
                                  + "".join(lines) + "</div>"))

    def idiom_table(self) -> Section:
        """The seed papers' layout: people, offences and cost per year before and during."""
        t = self.ev.before_during["idiom_table"].iloc[0]
        people = int(t["people"])
        money = format_money
        shown = pd.DataFrame([{
            "cohort": "managed (Core pillar, eligible)",
            "people": people if people >= self.rules.threshold else "[c]",
            "pre: offences per year (per person)":
                f"{t['offences_pre_pa']:,.0f} ({t['offences_pre_per_person']:.2f})",
            "during: offences per year (per person)":
                f"{t['offences_during_pa']:,.0f} ({t['offences_during_per_person']:.2f})",
            "change": f"{t['offences_change_pct']:+.1f}%",
            "cost pre -> during (per person)":
                f"{money(t['cost_pre_pa'])} ({money(t['cost_pre_per_person'])}) -> "
                f"{money(t['cost_during_pa'])} ({money(t['cost_during_per_person'])}), "
                f"{t['cost_change_pct']:+.1f}%",
        }])
        publish_table(shown, "idiom_table", rules=self.rules, tables_dir=self.tables_dir)
        note = ("Method: for each person, proven offences (conviction or caution) committed in "
                "the 365 days before the index date and in the 365 days from it, each "
                "annualised as count / days observed x 365 (observation ends at death or the "
                "data cut-off), costed with the Home Office unit costs (Heeks et al. 2018) in "
                "data/reference/unit_costs.csv. The published papers report "
                f"{published_iom_text()}; how IDIOM annualises is not published.")
        return Section(html_text=table_html(shown, "Before/during, as in the board papers")
                       + f"<p>{html.escape(note)}</p>")

    def comparison_table(self) -> Section:
        """One table: the published figure, the figure rebuilt from the records, the matched
        comparison group over the same periods, the difference and the share of the drop the
        comparison group shows too."""
        from evaluation.reporting.board_summary import load_published

        return comparison_table(self, load_published())

    def before_during_chart(self) -> Section:
        """Offences per person per year before and during, programme vs matched comparison."""
        did = self.ev.before_during["did"].set_index("term")["estimate"]
        fig, ax = new_figure((6.5, 4))
        prog = [did["before_treated"], did["during_treated"]]
        comp = [did["before_comparison"], did["during_comparison"]]
        before_during_bars(ax, prog, comp)
        fig.tight_layout()
        alt = (f"Bar chart: proven offences per person per year fell from {prog[0]:.2f} to "
               f"{prog[1]:.2f} in the programme group and from {comp[0]:.2f} to {comp[1]:.2f} "
               "in the matched comparison group.")
        path = self.figures_dir / "before_during.png"
        save_figure(fig, path, alt)
        return Section(html_text=img_html(path, self.output_dir, alt))
