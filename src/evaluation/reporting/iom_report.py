"""IOM before/after report: the board papers' before/during table rebuilt from events, then
what a matched comparison group changes (regression to the mean and the general trend)."""

from __future__ import annotations

import html

import pandas as pd

from evaluation.reporting.figures import before_during_bars, new_figure
from evaluation.reporting.html import Section, banner_text, img_html, table_html
from evaluation.reporting.programme_report import ProgrammeReport
from evaluation.reporting.style import save_figure


def format_money(x: float) -> str:
    """"£4,371": whole pounds with thousands separators."""
    return f"£{x:,.0f}"


class IomBeforeAfterReport(ProgrammeReport):
    """IOM: the board papers' before/during table rebuilt from events, then the comparison."""

    def banner(self) -> Section:
        first = banner_text(self.ev.synthetic)
        return Section(f"{first}\n\n# IOM before and during management: what a comparison "
                       "group changes")

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
        shown.to_csv(self.tables_dir / "idiom_table.csv", index=False)
        note = ("Method: for each person, proven offences (conviction or caution) committed in "
                "the 365 days before the index date and in the 365 days from it, each "
                "annualised as count / days observed x 365 (observation ends at death or the "
                "data cut-off), costed with the Home Office unit costs (Heeks et al. 2018) in "
                "data/reference/unit_costs.csv. The published papers report 5.52 and 2.56 "
                "offences per person (-53.6%) for the 3,286 people managed since TS1; how "
                "IDIOM annualises is not published.")
        return Section(html_text=table_html(shown, "Before/during, as in the board papers")
                       + f"<p>{html.escape(note)}</p>")

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
