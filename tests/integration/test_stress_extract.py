"""A stress extract for disclosure control: a programme of 12 people, areas and ethnic groups of
1 to 9 people, read-outs with a handful of events. Its report, results.json, tables, figures'
alt text, the cross-programme summary, the board summary (and PDFs when Chromium is present)
carry no unsuppressed small count, no suppressed attrition cell that subtraction gives back,
and no person id, birth date or offence id. Every file written is scanned.

The same extract checks ``--skip-validation``: with a broken rule it is refused, unless the flag
is given, and then every report says so in its first line."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from edge_extracts import copy_with
from test_numerical_edge_cases import notebook_sections

from evaluation.cli import main
from evaluation.data.gate import ExtractInvalid
from evaluation.data.io import load_extract
from evaluation.reporting.board_summary import write_board_summary
from evaluation.reporting.factories import open_programme_report
from evaluation.reporting.html import VALIDATION_SKIPPED_BANNER
from evaluation.reporting.scan import SCANNED_SUFFIXES, pdf_text, scan_reports
from evaluation.reporting.summary_report import CrossProgrammeSummary
from evaluation.synth import generate, write_world

PROGRAMME = "princes_trust"
KEEP = 12


def _stress(tables) -> None:
    """12 participants; 3 of them in a 'mixed' ethnic group and 2 in Solihull (tiny cells)."""
    episodes = tables["programme_episodes"]
    mine = episodes.index[episodes["programme"] == PROGRAMME]
    tables["programme_episodes"] = episodes.drop(mine[KEEP:]).reset_index(drop=True)
    kept = tables["programme_episodes"]
    ids = list(kept.loc[kept["programme"] == PROGRAMME, "person_id"])
    people = tables["people"]
    people.loc[people["person_id"].isin(ids[:3]), "ethnicity_group"] = "mixed"
    people.loc[people["person_id"].isin(ids[3:5]), "area"] = "solihull"


@pytest.fixture(scope="module")
def stress(tmp_path_factory):
    root = tmp_path_factory.mktemp("stress")
    write_world(generate(seed=5, scale=0.02), root / "base")
    return copy_with(root / "base", root / "extract", _stress)


def _render(report, out) -> str:
    page = []
    for name in notebook_sections():
        section = getattr(report, name)()
        if section is not None and hasattr(section, "_repr_html_"):
            page.append(section._repr_html_() or section._repr_markdown_() or "")
    html_path = out / f"{PROGRAMME}.html"
    html_path.write_text("<html><body>" + "\n".join(page) + "</body></html>")
    return html_path.read_text()


def _suppression_holds(path) -> bool:
    """Each count column of an attrition table has no [c] or at least two: one withheld cell
    in a column that adds up would be recovered by subtraction."""
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    for col in ("treated", "comparison"):
        if sum(r[col] == "[c]" for r in rows) == 1:
            return False
    return True


def test_tiny_subgroups_render_with_nothing_disclosive(stress, tmp_path):
    extract = load_extract(stress)
    episodes = extract.tables["programme_episodes"]
    assert (episodes["programme"] == PROGRAMME).sum() == KEEP
    reports = tmp_path / "reports"
    report = open_programme_report(PROGRAMME, stress, reports / PROGRAMME)
    readout_events = report.ev.readouts["n_events"]
    assert ((readout_events > 0) & (readout_events < 10)).any()  # a small read-out exists
    page = _render(report, reports / PROGRAMME)
    report.write_results()
    summary = CrossProgrammeSummary(reports, [PROGRAMME], reports / "summary")
    for section in (summary.banner, summary.overview, summary.forest, summary.table):
        section()
    summary.write_results()
    write_board_summary(reports, [PROGRAMME])
    try:
        from evaluation.reporting.pdf import PdfUnavailable, html_to_pdf

        html_to_pdf(reports / PROGRAMME / f"{PROGRAMME}.html")
    except PdfUnavailable:
        pass

    written = sorted(p for p in reports.rglob("*") if p.is_file())
    scanned = [p for p in written if p.suffix in SCANNED_SUFFIXES]
    assert len(scanned) >= 10
    findings = scan_reports(reports)
    assert not findings, "\n".join(map(str, findings))
    assert _suppression_holds(reports / PROGRAMME / "tables" / "attrition.csv")

    # no person id, birth date or offence id of anyone in the extract, in any file's text
    people = extract.tables["people"]
    mine = people.loc[people["person_id"].isin(episodes["person_id"])]
    secrets = set(mine["person_id"]) | set(mine["date_of_birth"].dt.strftime("%Y-%m-%d"))
    secrets |= set(extract.tables["offences"].loc[
        extract.tables["offences"]["person_id"].isin(mine["person_id"]), "offence_id"])
    for path in written:
        if path.suffix == ".png":
            continue
        text = (pdf_text(path) or "") if path.suffix == ".pdf" else path.read_text(
            errors="replace")
        text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "", text)
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{path.name}: {leaked[:5]}"
    assert "[c]" in page  # the small cells are there, withheld


def _broken(stress, target):
    """The stress extract with a risk-factor count of 11 on a 0-10 scale (a contract rule)."""
    def change(tables):
        ep = tables["programme_episodes"]
        ep.loc[ep.index[ep["programme"] == PROGRAMME][0], "pt_risk_factors"] = 11
    return copy_with(stress, target, change)


def test_skip_validation_is_said_in_the_first_line_of_every_report(stress, tmp_path, capsys):
    data = _broken(stress, tmp_path / "broken")
    with pytest.raises(ExtractInvalid, match="pt_risk_factors"):
        open_programme_report(PROGRAMME, data, tmp_path / "refused")
    reports = tmp_path / "reports"
    report = open_programme_report(PROGRAMME, data, reports / PROGRAMME, skip_validation=True)
    first = str(report.banner()).splitlines()[0]
    assert first.startswith(VALIDATION_SKIPPED_BANNER) and "SYNTHETIC" in first
    report.write_results()
    assert json.loads((reports / PROGRAMME / "results.json").read_text())["validation_skipped"]
    summary = CrossProgrammeSummary(reports, [PROGRAMME], reports / "summary")
    assert str(summary.banner()).splitlines()[0].startswith(VALIDATION_SKIPPED_BANNER)
    board = write_board_summary(reports, [PROGRAMME], pdf=False).read_text()
    body = board.split("<body>", 1)[1]
    assert body.startswith('<p class="synthetic">VALIDATION WAS SKIPPED')

    # the command line: refused without the flag; with it, a warning and the notebooks told
    assert main(["run", PROGRAMME, "--data", str(data), "--dry-run"]) == 1
    capsys.readouterr()
    assert main(["run", PROGRAMME, "--data", str(data), "--dry-run", "--skip-validation"]) == 0
    assert "NOT checked against the data contract" in capsys.readouterr().err


def test_skip_validation_reaches_every_notebook_and_its_cache_key(tmp_path):
    from evaluation.pipeline.cli import programme_jobs

    jobs = programme_jobs(["iom"], tmp_path, tmp_path / "r", [], skip_validation=True)
    assert [j.name for j in jobs] == ["iom", "iom_before_after"]
    assert all(j.parameters["skip_validation"] is True for j in jobs)
    plain = programme_jobs(["iom"], tmp_path, tmp_path / "r", [])
    assert all("skip_validation" not in j.parameters for j in plain)
    from evaluation.pipeline.cli import NOTEBOOKS

    for job in jobs:  # the notebook declares the parameter and passes it on
        nb = json.loads(job.notebook.read_text())
        assert "skip_validation = False" in "".join(nb["cells"][0]["source"])
        assert "skip_validation)" in "".join(nb["cells"][1]["source"])
    assert NOTEBOOKS.is_dir()
