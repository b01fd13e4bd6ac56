"""The report section "How robust is the answer?" (decision 0402), in plain English.

Three questions a sceptical reader asks of a matched comparison: could something the records do
not hold explain the result away (Rosenbaum bounds); does treating death as the end of follow-up
change it (competing risks); and were the two groups already on different paths before the
index date (event study and a placebo index date)? Each sentence comes from the numbers of
``analysis.robustness``; tables go through ``publish_table`` (disclosure at the point of writing).
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from evaluation.reporting.html import Section
from evaluation.reporting.publish import publish_table


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def hidden_bias_text(table: pd.DataFrame) -> str:
    """The binary comparison's sentence (the one-year share), with the other two in a table."""
    row = table.iloc[0]
    return ("**Hidden bias.** Matching balances what the records hold, not what they do not "
            "(motivation, family support). " + str(row["sentence"]))


def competing_risks_text(r: dict[str, pd.DataFrame], horizon: int) -> str:
    cif = r["cumulative_incidence"]
    reoffence = cif.loc[cif["cause"] == 1].set_index("group")["estimate"]
    diff = r["cif_difference"].iloc[0]
    fg = r["fine_gray"].iloc[0]
    programme = _pct(reoffence.get("programme", float("nan")))
    comparison = _pct(reoffence.get("comparison", float("nan")))
    return (f"**Death as the end of follow-up.** Counting death as ending a person's chance "
            f"to reoffend (rather than as missing follow-up), {programme} of the programme "
            f"group and {comparison} of the comparison "
            f"group had a proven reoffence within {horizon} days: a difference of "
            f"{100 * diff['estimate']:+.1f} percentage points ({100 * diff['lower']:+.1f} to "
            f"{100 * diff['upper']:+.1f}). A model of the same question (Fine-Gray, on the "
            f"matched groups) gives a ratio of {fg['hazard_ratio']:.2f} ({fg['hr_lower']:.2f} "
            f"to {fg['hr_upper']:.2f}; below 1 favours the programme).")


def trends_text(r: dict[str, pd.DataFrame]) -> str:
    pre = r["pretrend"].iloc[0]
    placebo = r["placebo"].iloc[0]
    same = pre["p_value"] >= 0.05
    trend = ("followed the same path month by month in the two years before the index date "
             f"(a test of different paths finds nothing: p = {pre['p_value']:.2f})" if same else
             "were already on different paths before the index date (a test of different "
             f"paths: p = {pre['p_value']:.3f}), so part of any difference may predate the "
             "programme")
    crosses = placebo["lower"] <= 0 <= placebo["upper"]
    verdict = ("consistent with no effect, as it should be" if crosses else
               "not zero, which warns that the groups differ in ways matching did not remove")
    return (f"**Earlier trends.** The two groups' monthly offending {trend}. Pretending the "
            "programme started 12 months earlier, when it cannot have had an effect, gives "
            f"{placebo['estimate']:+.3f} offences per person per month ({placebo['lower']:+.3f} "
            f"to {placebo['upper']:+.3f}): {verdict}.")


def robustness_section(report: Any) -> Section | None:
    """The section, or None when the configuration switches every check off."""
    r = report.ev.robustness
    if not r:
        return None
    parts, tables = ["## How robust is the answer?"], []
    if "rosenbaum" in r and not r["rosenbaum"].empty:
        parts.append(hidden_bias_text(r["rosenbaum"]))
        shown = r["rosenbaum"][["comparison", "n_pairs", "n_informative", "sensitivity_value"]]
        shown = shown.assign(sensitivity_value=shown["sensitivity_value"].round(2))
        html, _ = publish_table(
            shown, "rosenbaum_bounds", rules=report.rules, tables_dir=report.tables_dir,
            count_cols=["n_pairs", "n_informative"],
            caption="How strong hidden bias would have to be (Γ: how many times more likely to "
                    "be on the programme) before each pair comparison stopped being significant "
                    "at the 5% level; 1 means it is not significant even without hidden bias",
            rename={"comparison": "comparison of matched pairs", "n_pairs": "pairs",
                    "n_informative": "pairs that differ", "sensitivity_value": "Γ"})
        tables.append(html)
    if "cumulative_incidence" in r:
        parts.append(competing_risks_text(r, report.config.outcomes.window_days))
    if "pretrend" in r:
        parts.append(trends_text(r))
    body = "".join(f"<p>{_bold_lead(escape(p))}</p>" for p in parts[1:])
    return Section(html_text=f"<h2>How robust is the answer?</h2>{body}{''.join(tables)}")


def _bold_lead(text: str) -> str:
    """``**Lead.** rest`` -> ``<strong>Lead.</strong> rest``."""
    if text.startswith("**") and "**" in text[2:]:
        lead, rest = text[2:].split("**", 1)
        return f"<strong>{lead}</strong>{rest}"
    return text


def robustness_results(r: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The numbers behind the section, for results.json."""
    out: dict[str, Any] = {}
    if "rosenbaum" in r and not r["rosenbaum"].empty:
        out["rosenbaum"] = r["rosenbaum"].drop(columns="sentence").to_dict("records")
    if "cif_difference" in r:
        out["cif_difference"] = r["cif_difference"].to_dict("records")
        out["fine_gray"] = r["fine_gray"].to_dict("records")
    if "pretrend" in r:
        out["pretrend"] = r["pretrend"].to_dict("records")
        out["placebo"] = r["placebo"].to_dict("records")
        out["average_post"] = r["average_post"].to_dict("records")
    return out
