"""A one-page board summary: per programme, the published figure, the figure rebuilt from the
records and the matched comparison's answer, with a verdict in the Justice Data Lab's wording.

Why: boards read the published (before/after or raw-rate) figure; this page puts the corrected
answer beside it. It reads each programme's results.json (never recomputes) and the published
figures from ``data/reference/published_figures.csv`` (with their sources; not typed in code).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from evaluation.atomic import atomic_write_text
from evaluation.outcomes.registry import measure
from evaluation.reporting.html import VALIDATION_SKIPPED_BANNER, banner_text
from evaluation.reporting.numbers import format_away, format_number
from evaluation.reporting.verdict import (
    SMALL_OFFENCES_PER_YEAR,
    answer_sentence,
    difference_kind,
    interval_phrase,
    verdict_kind,
)

PUBLISHED_FIGURES = Path(__file__).resolve().parents[3] / "data" / "reference" / \
    "published_figures.csv"

CSS = """
@page { size: A4 landscape; margin: 12mm 12mm 16mm 12mm; }
body { font-family: system-ui, Arial, sans-serif; font-size: 9.5pt; color: #1b1b1b; margin: 1rem; }
.synthetic { border: 3px solid #d4351c; padding: 0.4rem 0.8rem; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin-top: 0.6rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.3rem 0.4rem; vertical-align: top; text-align: left; }
thead th { background: #f3f2f1; }
tr { break-inside: avoid; }
.note { font-size: 8.5pt; color: #3b3b3b; }
"""


def load_published(path: str | Path = PUBLISHED_FIGURES) -> pd.DataFrame:
    """The published figures table (programme, measure, published_value, unit, source ...)."""
    return pd.read_csv(path, dtype={"programme": str, "measure": str})


def _published_text(pub: pd.DataFrame, programme: str) -> tuple[str, str]:
    """The published figure in words, and its source (with any note) for the footnotes."""
    rows = pub.loc[pub["programme"] == programme].set_index("measure")
    if rows.empty:
        return "none published", ""
    first = rows.iloc[0]
    source = str(first["source"]) + (f" ({first['note']})" if pd.notna(first["note"]) else "")
    if programme == "iom" and "offences_per_person_before" in rows.index:
        b, d, c = (rows.loc[k, "published_value"] for k in
                   ("offences_per_person_before", "offences_per_person_during",
                    "offences_change_pct"))
        people = int(rows.loc["offences_per_person_before", "people"])
        return (f"{float(b):.2f} \u2192 {float(d):.2f} proven offences per person per year "
                f"({float(c):+.1f}%), {format_number(people)} people managed"), source
    if pd.isna(first["published_value"]):
        return "no reoffending figure published", source
    return f"{format_number(float(first['published_value']))}% reoffended", source


def _count(value) -> str:
    """A count with separators; one suppressed in results.json ("[c]") as it is."""
    return format_number(value) if isinstance(value, int) else str(value)


def board_row(result: dict, published: pd.DataFrame) -> dict[str, str]:
    """One programme's row of the board summary from its results.json."""
    programme = result["programme"]
    bd = result.get("before_during") or {}
    if not result.get("estimable", True):  # no effect could be estimated: say why
        text, source = _published_text(published, programme)
        return {"programme": result["title"], "published figure": text, "_source": source,
                "rebuilt from the records": "[x]",
                "matched comparison": "no estimate: " + result["flags"][0]["statement"],
                "verdict": "No estimate of the effect could be made."}
    if programme == "iom" and bd.get("idiom_table") and bd.get("did"):
        t = bd["idiom_table"][0]
        rebuilt = (f"{t['offences_pre_per_person']:.2f} \u2192 "
                   f"{t['offences_during_per_person']:.2f} per person per year "
                   f"({t['offences_change_pct']:+.1f}%), {format_number(t['people'])} people")
        did = {r["term"]: r for r in bd["did"]}["did"]
        e, lo, hi = format_away([did["estimate"], did["lower"], did["upper"]], 0.0, 2)
        matched = (f"change beyond the matched comparison group's own change: {e} offences per "
                   f"person per year (95% confidence interval {lo} to {hi})")
        kind = difference_kind(did["lower"], did["upper"], SMALL_OFFENCES_PER_YEAR)
    else:
        ph = result["per_hundred"]
        rebuilt = (f"{format_number(ph['treated'])}% of {_count(result['n_treated'])} "
                   "programme participants proven to reoffend within the follow-up year")
        head = next(e for e in result["estimates"] if e["role"] == "headline")
        key = head["outcome"]
        matched = (f"{format_number(ph['comparison'])}% of the matched comparison group; "
                   f"{interval_phrase(key, head['estimate'], head['lower'], head['upper'])}")
        kind = verdict_kind(key, head["lower"], head["upper"], measure(key).null)
    phrase = result.get("parameters", {}).get("short_title") or result["title"]
    text, source = _published_text(published, programme)
    return {"programme": result["title"], "published figure": text, "_source": source,
            "rebuilt from the records": rebuilt, "matched comparison": matched,
            "verdict": answer_sentence(kind, phrase)}


def board_summary_html(results: dict[str, dict], published: pd.DataFrame) -> str:
    """The whole page as HTML (a title, the synthetic notice, one table, a method note)."""
    synthetic = any(r.get("synthetic") for r in results.values())
    rows = [board_row(r, published) for r in results.values()]
    sources = []
    for r in rows:
        src = r.pop("_source")
        if src:
            sources.append(src)
            r["published figure"] += f" [{len(sources)}]"
    head = "".join(f"<th scope=\"col\">{html.escape(c)}</th>" for c in rows[0]) if rows else ""
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r.values())
                   + "</tr>" for r in rows)
    notes = "".join(f"<li>{html.escape(s)}</li>" for s in sources)
    skipped = any(r.get("validation_skipped") for r in results.values())
    notice = ""
    if synthetic or skipped:
        text = banner_text(synthetic, skipped) if synthetic else VALIDATION_SKIPPED_BANNER
        text = text.replace("**", "").replace("`", "")
        notice = f'<p class="synthetic">{html.escape(text)}</p>'
    note = ("Published figures: the board papers (source beside each). Rebuilt: the same "
            "figure computed from the records. Matched comparison: the answer once the "
            "programme group is compared with similar people who did not take part (95% "
            "confidence intervals). 'Any effect is small' means the whole interval lies within "
            f"a small band (ratios 0.9 to 1.1; {SMALL_OFFENCES_PER_YEAR} offences per person per "
            "year for IOM). The IOM figures rebuilt from the records cover the Core pillar only, "
            "so fewer people than the board paper's cohort. Full reports: "
            "<a href=\"index.html\">index</a>.")
    title = "Reoffending programmes: the published figure and the matched comparison"
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            f"{notice}<h1>{html.escape(title)}</h1><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table><p class=\"note\">{note}</p>"
            f"<ol class=\"note\">{notes}</ol></body></html>\n")


def write_board_summary(reports_dir: str | Path, programmes: list[str],
                        published_csv: str | Path = PUBLISHED_FIGURES,
                        pdf: bool = True) -> Path:
    """Write reports/board_summary.html (and .pdf when Chromium is present); returns the HTML."""
    reports_dir = Path(reports_dir)
    results = {}
    for name in programmes:
        path = reports_dir / name / "results.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: run `evaluation run {name}` first")
        results[name] = json.loads(path.read_text())
    out, printed = reports_dir / "board_summary.html", reports_dir / "board_summary.pdf"
    page = board_summary_html(results, load_published(published_csv))
    unchanged = out.is_file() and out.read_text(encoding="utf-8") == page
    if not unchanged:  # the same page is not rewritten (nor printed again: a no-change rerun)
        atomic_write_text(out, page)
    if pdf and not (unchanged and printed.is_file()
                    and printed.stat().st_mtime >= out.stat().st_mtime):
        from evaluation.reporting.pdf import PdfUnavailable, html_to_pdf

        try:
            html_to_pdf(out, printed)
        except PdfUnavailable:
            pass
    return out
