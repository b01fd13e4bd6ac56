"""The report section "Does the effect differ between groups of people?" (decision 0412).

Why a section of its own: subgroup findings are secondary and easily over-read, so every
sentence here says so, uses only Holm-adjusted tests, and makes no significance statement for a
level below the Justice Data Lab minimum. Each variable's table goes through ``publish_table``
with its levels' total, so a suppressed level cannot be worked out by subtraction; a level whose
own counts are suppressed shows no estimate either.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from evaluation.reporting.figures import new_figure
from evaluation.reporting.html import Section, img_html
from evaluation.reporting.numbers import join_words
from evaluation.reporting.publish import publish_table
from evaluation.reporting.results_json import json_records
from evaluation.reporting.style import forest_alt_text, forest_plot, save_figure

LABELS = {"sex": "sex", "age_band": "age at the index date", "area": "home area"}
COUNTS = ["people (programme)", "people (comparison)", "reoffended (programme)",
          "reoffended (comparison)"]
TOTAL = "all levels"


def _p(p: float) -> str:
    return "below 0.001" if p < 0.001 else f"{p:.3f}"


def _ci(lo: float, hi: float) -> str:
    return "" if pd.isna(lo) else f"{lo:.2f} to {hi:.2f}"


def variable_table(levels: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """One variable's levels and their total, as published before count suppression; the
    estimate of a level with a count from 1 to ``threshold - 1`` is withheld ([c])."""
    counts = levels[["n_treated", "n_comparison", "events_treated", "events_comparison"]]
    small = ((counts > 0) & (counts < threshold)).any(axis=1)
    rows = pd.DataFrame({"level": levels["level"].to_numpy(),
                         **{c: counts[k].to_numpy() for c, k in zip(COUNTS, counts.columns,
                                                                     strict=True)}})
    est = levels["estimable"].to_numpy()
    rows["hazard ratio"] = [f"{e:.2f}" if ok else "[x]"
                            for e, ok in zip(levels["estimate"], est, strict=True)]
    rows["95% CI"] = [_ci(lo, hi) if ok else "[x]" for lo, hi, ok in
                      zip(levels["lower"], levels["upper"], est, strict=True)]
    rows["Holm-adjusted CI"] = [_ci(lo, hi) or "below JDL minimum" for lo, hi in
                                zip(levels["lower_adjusted"], levels["upper_adjusted"],
                                    strict=True)]
    for col in ("hazard ratio", "95% CI", "Holm-adjusted CI"):
        rows.loc[small.to_numpy(), col] = "[c]"
    total = {"level": TOTAL, **{c: int(rows[c].sum()) for c in COUNTS},
             "hazard ratio": "[z]", "95% CI": "[z]", "Holm-adjusted CI": "[z]"}
    return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)


def published_tables(report: Any, write: bool = False) -> dict[str, pd.DataFrame]:
    """Each declared variable's table as published (written to tables/ when ``write``)."""
    out = {}
    levels = report.ev.subgroups.get("levels")
    if levels is None:
        return out
    for variable in report.config.subgroups:
        table = variable_table(levels.loc[levels["variable"] == variable],
                               report.rules.threshold)
        _, shown = publish_table(table, f"subgroups_{variable}", rules=report.rules,
                                 tables_dir=report.tables_dir if write else None,
                                 count_cols=COUNTS, total_row=len(table) - 1)
        out[variable] = shown
    return out


def variable_sentence(test: pd.Series, levels: list[str]) -> str:
    """The plain-English sentence for one variable's heterogeneity test (Holm-adjusted)."""
    label = LABELS[test["variable"]]
    if test["levels_tested"] < 2:
        return (f"By {label}: fewer than two levels have the Justice Data Lab's minimum (60 "
                "people and 30 people who reoffended in each group), so this report makes no "
                "statement about whether the effect differs between them.")
    tested = f"the {int(test['levels_tested'])} levels with enough people"
    if test["significant"]:
        return (f"By {label}: the effect appears to differ between {tested} (test of a "
                f"difference, Holm-adjusted p = {_p(test['p_adjusted'])}). This is a secondary "
                "finding from one of several subgroup comparisons: it needs confirming in "
                "other data before anyone acts on it.")
    return (f"By {label} ({join_words(levels)}): no evidence that the effect differs between "
            f"{tested} (test of a difference, Holm-adjusted p = {_p(test['p_adjusted'])}). "
            "This does not show the effect is the same for everyone: subgroups are smaller, "
            "so real differences can go undetected.")


def _forest(report: Any, tables: dict[str, pd.DataFrame]) -> str:
    """The forest chart of every shown level, the overall hazard ratio first."""
    levels = report.ev.subgroups["levels"]
    head = report.ev.estimates.set_index("outcome").loc["time_to_reoffence_hr"]
    rows = [{"label": "everyone", "estimate": head["estimate"], "lower": head["lower"],
             "upper": head["upper"]}]
    for variable, shown in tables.items():
        lv = levels.loc[levels["variable"] == variable].reset_index(drop=True)
        for i, r in lv.iterrows():
            if r["estimable"] and shown.loc[i, "hazard ratio"] != "[c]":
                rows.append({"label": f"{LABELS[variable]}: {r['level']}",
                             "estimate": r["estimate"], "lower": r["lower"],
                             "upper": r["upper"]})
    if len(rows) < 2:
        return ""
    frame = pd.DataFrame(rows)
    fig, ax = new_figure((7, 0.45 * len(frame) + 1.8))
    forest_plot(frame, ax=ax, xlabel="Hazard ratio (95% confidence interval, not adjusted)")
    ax.set_title("Time to first reoffence by subgroup (below 1 favours the programme)",
                 fontsize=9)
    fig.tight_layout()
    alt = forest_alt_text(frame, measure="hazard ratios by subgroup")
    path = report.figures_dir / "subgroups_forest.png"
    save_figure(fig, path, alt)
    caption = ("Each row compares programme people of one level with their matched comparison "
               "people. The intervals are unadjusted 95% intervals; the table gives the "
               "intervals adjusted for the number of subgroup comparisons (Holm), which the "
               "sentences above use. Levels with suppressed counts are not shown.")
    return img_html(path, report.output_dir, alt, caption=caption)


def subgroup_section(report: Any) -> Section | None:
    """The section, or None when the configuration declares no subgroups."""
    if not report.config.subgroups or not report.ev.subgroups:
        return None
    tests = report.ev.subgroups["heterogeneity"]
    n_tests = int(tests["p_value"].notna().sum())
    lead = ("These results are secondary: the subgroups were declared in the configuration "
            "before outcomes were looked at, and they never replace the headline. Each hazard "
            "ratio compares programme people of one level with their matched comparison "
            f"people (below 1 favours the programme). With {n_tests} tests of a difference, "
            "some would look significant by chance, so they are adjusted together (Holm).")
    tables = published_tables(report, write=True)
    levels = report.ev.subgroups["levels"]
    parts = [f"<p>{html.escape(lead)}</p>"]
    for _, test in tests.iterrows():
        names = levels.loc[levels["variable"] == test["variable"], "level"].tolist()
        parts.append(f"<p>{html.escape(variable_sentence(test, names))}</p>")
    parts.append(_forest(report, tables))
    for variable, shown in tables.items():
        parts.append(publish_table(
            shown, None, rules=report.rules,
            caption=f"Hazard ratio by {LABELS[variable]} ([c]: withheld, small numbers)")[0])
    return Section(html_text="<h2>Does the effect differ between groups of people?</h2>"
                   + "".join(parts))


def subgroup_results(report: Any) -> dict[str, Any]:
    """The published (suppressed) tables and the tests, for results.json."""
    if not report.config.subgroups or not report.ev.subgroups:
        return {}
    tables = published_tables(report)
    return {"measure": "hazard ratio, time to first proven reoffence",
            "levels": {v: json_records(t) for v, t in tables.items()},
            "heterogeneity": json_records(report.ev.subgroups["heterogeneity"])}
