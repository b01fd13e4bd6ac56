"""The report section "Does the answer depend on the analytic choices?" (issue 12).

The multiverse (``evaluation multiverse <programme>``, ``make multiverse``) reruns the whole
evaluation under every declared combination of choices; it is slow, so it is its own command and
its results are kept beside the reports (``reports/multiverse/<programme>/``). This section puts
its specification curve into the programme's report when those results were computed from the
same configuration and the same extract (the multiverse's fingerprint), and says plainly that it
was not run (and how to run it) otherwise: never a curve of another extract.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

from evaluation.analysis.multiverse import fingerprint
from evaluation.reporting.figures.specification_curve import (
    specification_alt_text,
    specification_curve,
)
from evaluation.reporting.html import Section, img_html
from evaluation.reporting.numbers import format_number
from evaluation.reporting.style import save_figure, style_context

if TYPE_CHECKING:
    from evaluation.reporting.programme_report import ProgrammeReport

STAMP_NAME = "multiverse_stamp.json"
TABLE_NAME = "multiverse.csv"
HEADING = "<h2>Does the answer depend on the analytic choices?</h2>"


def multiverse_dir(reports_dir: Path, programme: str) -> Path:
    """Where ``evaluation multiverse`` writes a programme's results by default."""
    return Path(reports_dir) / "multiverse" / programme


def read_multiverse(folder: Path, stamp: str) -> pd.DataFrame | None:
    """The multiverse table in ``folder`` if it was computed with fingerprint ``stamp``."""
    stamp_path, table_path = folder / STAMP_NAME, folder / TABLE_NAME
    if not (stamp_path.is_file() and table_path.is_file()):
        return None
    if json.loads(stamp_path.read_text()).get("fingerprint") != stamp:
        return None
    return pd.read_csv(table_path)


def curve_sentence(table: pd.DataFrame) -> str:
    """How many analyses, the range of their estimates, the pre-declared one, how many agree."""
    declared = table.loc[table["prespecified"].astype(bool)].iloc[0]
    below = int((table["upper"] < 1).sum())
    above = int((table["lower"] > 1).sum())
    neither = len(table) - below - above
    return (f"The evaluation was rerun {len(table)} ways, once for every combination of the "
            "choices declared in its configuration before the outcomes were seen (follow-up "
            "window, how close a comparison must be, how many comparisons per person, matching "
            f"or weighting, the waiting period). The hazard ratios run from "
            f"{format_number(table['hazard_ratio'].min(), 2)} to "
            f"{format_number(table['hazard_ratio'].max(), 2)}; the pre-declared analysis gives "
            f"{format_number(declared['hazard_ratio'], 2)}. In {below} of the {len(table)} the "
            f"whole interval lies below 1 (fewer reoffend sooner), in {above} above 1, and in "
            f"{neither} it includes 1 (no clear difference). If the answer changed with the "
            "choices, a reader should trust none of them more than the pre-declared one.")


def specification_section(report: ProgrammeReport, data_dir: str | Path) -> Section | None:
    """The curve and its sentence, or why it is absent and the command that makes it (nothing
    for a report with no estimate: ``limited_report`` has no figures to show)."""
    if not hasattr(report, "figures_dir"):
        return None
    name = report.config.name
    folder = multiverse_dir(report.output_dir.parent, name)
    table = read_multiverse(folder, fingerprint(report.config, data_dir))
    if table is None:
        return Section(html_text=HEADING + (
            "<p>Not yet answered for this extract: the multiverse (every combination of the "
            "analytic choices declared in the configuration) is a long run of its own. "
            f"<code>make multiverse</code> (or <code>evaluation multiverse {escape(name)}</code>) "
            "computes it; the next <code>make reports</code> shows it here.</p>"))
    alt = specification_alt_text(table)
    with style_context():
        fig = Figure(figsize=(7, 4))
        specification_curve(fig.subplots(), table)
        fig.tight_layout()
        path = report.figures_dir / "specification_curve.png"
        save_figure(fig, path, alt)
    return Section(html_text=(HEADING + f"<p>{escape(curve_sentence(table))}</p>"
                              + img_html(path, report.output_dir, alt)))
