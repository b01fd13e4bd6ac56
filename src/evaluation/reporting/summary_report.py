"""The cross-programme summary: every programme's headline on one page and one forest plot.

Reads the ``results.json`` each programme report wrote, so the summary never recomputes an
estimate and cannot disagree with the programme reports. Measure labels come from the outcome
registry.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from evaluation.atomic import atomic_write_text
from evaluation.outcomes.registry import measure
from evaluation.reporting.disclosure import DisclosureRules
from evaluation.reporting.figures import new_figure
from evaluation.reporting.html import Section, banner_text, img_html, table_html
from evaluation.reporting.numbers import format_away, format_number
from evaluation.reporting.publish import publish_table
from evaluation.reporting.style import apply_style, forest_alt_text, forest_plot, save_figure
from evaluation.reporting.verdict import verdict_kind


def load_results(reports_dir: str | Path, programmes: list[str]) -> dict[str, dict]:
    """Each programme's results.json; a missing one is an error naming the file."""
    out = {}
    for name in programmes:
        path = Path(reports_dir) / name / "results.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `evaluation run {name}` first")
        out[name] = json.loads(path.read_text())
    return out


def headline_table(results: dict[str, dict]) -> pd.DataFrame:
    """One row per programme: its pre-declared headline estimate and interval."""
    rows = []
    for r in results.values():
        head = next(e for e in r["estimates"] if e["role"] == "headline")
        rows.append({"programme": r["title"],
                     "headline measure": measure(head["outcome"]).label,
                     "estimate": head["estimate"], "lower": head["lower"],
                     "upper": head["upper"], "p_value": head["p_value"],
                     "people (programme)": r["n_treated"],
                     "people (comparison)": r["n_comparison"]})
    return pd.DataFrame(rows)


def hazard_ratio_table(results: dict[str, dict]) -> pd.DataFrame:
    """The hazard ratio of every programme: the one measure on a common scale."""
    rows = []
    for r in results.values():
        hr = next(e for e in r["estimates"] if e["outcome"] == "time_to_reoffence_hr")
        truth = (r.get("planted_truth") or {}).get("hazard_ratio")
        rows.append({"label": r["title"], "estimate": hr["estimate"], "lower": hr["lower"],
                     "upper": hr["upper"], "truth": truth})
    return pd.DataFrame(rows)


def _count(value) -> str:
    """A count with separators; a suppressed one ("[c]") as it is."""
    return format_number(value) if isinstance(value, int) else str(value)


RATIO_KEYS = {"reoffended_rr", "n_reoffences_rr", "time_to_reoffence_hr"}


def display_table(results: dict[str, dict]) -> pd.DataFrame:
    """The page's table: human headers, differences and ratios in separate columns (a share
    is never in the column of a ratio), the interval as text and a verdict per row."""
    rows = []
    for r in results.values():
        head = next(e for e in r["estimates"] if e["role"] == "headline")
        key = head["outcome"]
        m = measure(key)
        kind = verdict_kind(key, head["lower"], head["upper"], m.null)
        ratio = key in RATIO_KEYS
        scale = 100.0 if key == "reoffended_rd" else 1.0  # a share is shown per 100 people
        digits = 2 if ratio else (1 if key == "reoffended_rd" else 0)
        est, lo, hi = format_away([scale * head["estimate"], scale * head["lower"],
                                   scale * head["upper"]], m.null, digits)
        unit = " per 100 people" if key == "reoffended_rd" else ""
        rows.append({
            "programme": r["title"],
            "headline measure": m.label,
            "difference (95% CI)": "" if ratio else f"{est}{unit} ({lo} to {hi})",
            "ratio (95% CI)": f"{est} ({lo} to {hi})" if ratio else "",
            "verdict": VERDICT_WORDS[kind],
            "people (programme)": _count(r["n_treated"]),
            "people (comparison)": _count(r["n_comparison"]),
        })
    return pd.DataFrame(rows)


VERDICT_WORDS = {"reduction": "evidence of a reduction", "increase": "evidence of an increase",
                 "small": "no clear effect; any effect is small",
                 "inconclusive": "inconclusive: too few people to tell"}


class CrossProgrammeSummary:
    """Sections of the summary report."""

    def __init__(self, reports_dir: str | Path, programmes: list[str],
                 output_dir: str | Path) -> None:
        everything = load_results(reports_dir, list(programmes))
        # a programme whose effect could not be estimated has no row: a sentence says why
        self.results = {k: r for k, r in everything.items() if r.get("estimable", True)}
        self.not_estimable = {k: r for k, r in everything.items() if k not in self.results}
        self.output_dir = Path(output_dir)
        (self.output_dir / "figures").mkdir(parents=True, exist_ok=True)
        self.synthetic = any(r["synthetic"] for r in everything.values())
        self.validation_skipped = any(r.get("validation_skipped") for r in everything.values())
        apply_style()

    def banner(self) -> Section:
        first = banner_text(self.synthetic, self.validation_skipped)
        missing = "".join(f"\n\n{r['title']}: no estimate of the effect. "
                          f"{r['flags'][0]['statement']}" for r in self.not_estimable.values())
        return Section(f"{first}\n\n# Reoffending programmes: all evaluations on one page"
                       + missing)

    def overview(self) -> Section:
        return Section(
            "Each programme was compared with similar people who did not take part, chosen from "
            "the same records by matching on their recorded history. The chart shows, for each "
            "programme, the hazard ratio for a first proven reoffence (below 1: reoffending "
            "came later or less often with the programme) with its 95% confidence interval. "
            "Each programme's pre-declared headline measure is in the table; the full reports "
            "explain what each result does and does not show."
            + (" On synthetic data the chart also marks the effect the generator planted, so "
               "you can see whether each interval recovers it." if self.synthetic else ""))

    def forest(self) -> Section | None:
        table = hazard_ratio_table(self.results)
        if table.empty:
            return None  # no programme has an estimate (the banner says why)
        fig, ax = new_figure((7, 0.6 * len(table) + 1.6))
        planted = table["truth"].notna().any()
        forest_plot(table, ax=ax, null=1.0, log=True, truth_col="truth" if planted else None)
        ax.annotate("\u2190 favours programme", xy=(0.0, 1.0), xycoords="axes fraction",
                    ha="left", va="bottom", fontsize=9)
        ax.annotate("favours comparison \u2192", xy=(1.0, 1.0), xycoords="axes fraction",
                    ha="right", va="bottom", fontsize=9)
        fig.tight_layout()
        alt = forest_alt_text(table, measure="hazard ratios")
        path = self.output_dir / "figures" / "forest.png"
        save_figure(fig, path, alt)
        return Section(html_text=img_html(path, self.output_dir, alt))

    def table(self) -> Section:
        publish_table(headline_table(self.results), "headlines", rules=DisclosureRules(),
                      tables_dir=self.output_dir,
                      count_cols=["people (programme)", "people (comparison)"])
        shown = display_table(self.results)
        links = "".join(f'<li><a href="../{html.escape(n)}/{html.escape(n)}.html">'
                        f"{html.escape(r['title'])}</a></li>" for n, r in self.results.items())
        links += '<li><a href="../index.html">All reports (index)</a></li>'
        return Section(html_text=table_html(shown, "Pre-declared headline of each programme")
                       + f"<ul>{links}</ul>")

    def write_results(self) -> Path:
        path = self.output_dir / "results.json"
        data = {"synthetic": self.synthetic, "validation_skipped": self.validation_skipped,
                "not_estimable": sorted(self.not_estimable),
                "headlines": headline_table(self.results).to_dict(orient="records")}
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")
        return path
