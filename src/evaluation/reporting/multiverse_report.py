"""Write a multiverse run: its table (disclosure applied as it is written), the specification
curve with alt text, and a short page a reader can open on its own."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from evaluation.atomic import atomic_write_text
from evaluation.reporting.disclosure import DisclosureRules
from evaluation.reporting.figures.specification_curve import (
    specification_alt_text,
    specification_curve,
)
from evaluation.reporting.html import banner_text
from evaluation.reporting.publish import publish_table
from evaluation.reporting.style import save_figure, style_context

COUNTS = ["n_treated", "n_comparison", "events"]


def write_multiverse(table: pd.DataFrame, out_dir: str | Path, *, title: str,
                     synthetic: bool, threshold: int, stamp: str | None = None) -> Path:
    """``<out>/multiverse.csv``, ``specification_curve.png`` (+ alt text), ``multiverse.html``;
    with ``stamp`` (``analysis.multiverse.fingerprint``) also ``multiverse_stamp.json``, which
    lets the programme's own report show the curve (``reporting.specification_section``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rules = DisclosureRules(threshold=threshold)
    shown = table.assign(hazard_ratio=table["hazard_ratio"].round(4),
                         lower=table["lower"].round(4), upper=table["upper"].round(4),
                         p_value=table["p_value"].round(4))
    html_table, _ = publish_table(shown, "multiverse", rules=rules, tables_dir=out,
                                  count_cols=COUNTS, caption="Every analysis of the multiverse")
    alt = specification_alt_text(table)
    with style_context():
        fig = Figure(figsize=(8, 4.5))
        specification_curve(fig.subplots(), table)
        fig.tight_layout()
        save_figure(fig, out / "specification_curve.png", alt)
    page = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{escape(title)}: multiverse</title></head><body><p><strong>"
            f"{escape(banner_text(synthetic))}</strong></p><h1>{escape(title)}: does the answer "
            f"depend on the analytic choices?</h1><p>{escape(alt)}</p>"
            f"<img src=\"specification_curve.png\" alt=\"{escape(alt)}\">{html_table}"
            "</body></html>\n")
    path = out / "multiverse.html"
    atomic_write_text(path, page)
    if stamp is not None:  # written last: a stamp always describes a complete table
        atomic_write_text(out / "multiverse_stamp.json",
                          json.dumps({"fingerprint": stamp, "specifications": len(table)}) + "\n")
    return path
