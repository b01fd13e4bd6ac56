"""Report and summary classes on a small synthetic extract (built once per module).

Facts checked by hand: the attrition table reconciles (received - excluded = analysed), the
summary counts match the analysis file, the "can say" period follows outcomes.window_days, the
appendix names the extract and its SHA-256 hashes without an absolute path, the summary's
labels come from the outcome registry and agree with each programme's results.json.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from evaluation.outcomes.registry import measure
from evaluation.reporting.factories import (
    describe_extract,
    load_truth,
    open_iom_before_after,
    open_programme_report,
)
from evaluation.reporting.summary_report import CrossProgrammeSummary, headline_table
from evaluation.synth import generate, write_world


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("reporting") / "small_extract"
    write_world(generate(seed=5, scale=0.05), directory)
    return directory


@pytest.fixture(scope="module")
def report(extract_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / "princes_trust"
    return open_programme_report("princes_trust", extract_dir, out)


def test_banner_says_synthetic_first(report) -> None:
    text = str(report.banner())
    assert text.startswith("**These results are built on SYNTHETIC data**")
    assert f"# {report.config.title}" in text


def test_summary_counts_are_the_analysis_file(report) -> None:
    treated = int((report.ev.analysis["treated"] == 1).sum())
    comparison = int((report.ev.analysis["treated"] == 0).sum())
    text = str(report.summary())
    assert f"between {treated:,} people who received" in text
    assert f"and {comparison:,} similar people who did not" in text
    assert "within the first year" in text


def test_attrition_table_reconciles(report) -> None:
    report.attrition()
    table = pd.read_csv(report.tables_dir / "attrition.csv", dtype=str)
    assert table["stage"].iloc[0] == "received" and table["stage"].iloc[-1] == "analysed"
    analysed = report.ev.analysis
    assert table["treated"].iloc[-1] in (str(int((analysed["treated"] == 1).sum())), "[c]")
    flow = report.ev.attrition.table()
    for group in ("treated", "comparison"):
        received = int(flow.loc[(flow["reason"] == "received") & (flow["group"] == group),
                                "n_before"].sum())
        excluded = int(flow.loc[flow["group"] == group, "n_excluded"].sum())
        assert received - excluded == int((analysed["treated"] == (group == "treated")).sum())


def test_can_say_uses_the_configured_window(extract_dir, tmp_path) -> None:
    short = open_programme_report("princes_trust", extract_dir, tmp_path / "pt182",
                                  overrides=["outcomes.window_days=182"])
    text = str(short.can_and_cannot_say())
    assert "within the first 182 days" in text
    assert "within a year" not in text and "first year" not in text


def test_appendix_states_the_extract_without_absolute_paths(report, extract_dir) -> None:
    html = str(report.appendix())
    assert "small_extract" in html
    digest = hashlib.sha256((extract_dir / "people.parquet").read_bytes()).hexdigest()
    assert digest in html
    assert str(extract_dir) not in html and str(extract_dir.parent) not in html


def test_describe_extract_lists_every_input_file(extract_dir) -> None:
    from evaluation.data.io import load_extract

    info = describe_extract(load_extract(extract_dir))
    assert info["name"] == "small_extract"
    assert set(info["files"]) == {"extract.json", "people.parquet", "offences.parquet",
                                  "programme_episodes.parquet", "comparison_pool.parquet"}
    assert info["metadata"]["synthetic"] is True


def test_results_json_matches_the_report(report, extract_dir) -> None:
    data = json.loads(report.write_results().read_text())
    assert data["n_treated"] == report.n_treated
    assert data["synthetic"] is True
    truth = load_truth(extract_dir, "princes_trust")
    assert data["planted_truth"] == pytest.approx(truth, abs=1e-10)  # rounded to 10 places
    head = [e for e in data["estimates"] if e["role"] == "headline"]
    assert [e["outcome"] for e in head] == [report.config.headline]


def test_figures_have_alt_text(report) -> None:
    html = str(report.headline_chart()) + str(report.comparison_group())
    for name in ("kaplan_meier", "balance", "overlap"):
        assert (report.figures_dir / f"{name}.png").exists()
        alt = (report.figures_dir / f"{name}.alt.txt").read_text().strip()
        assert alt and alt[:40] in html.replace("&#x27;", "'")


def test_summary_reads_results_and_registry_labels(report, tmp_path) -> None:
    reports = report.output_dir.parent
    report.write_results()
    summary = CrossProgrammeSummary(reports, ["princes_trust"], tmp_path / "summary")
    table = headline_table(summary.results)
    assert table["headline measure"].tolist() == [measure(report.config.headline).label]
    est = report.estimate(report.config.headline)
    assert table["estimate"].iloc[0] == pytest.approx(est["estimate"], abs=1e-9)
    assert str(summary.banner()).startswith("**These results are built on SYNTHETIC")
    html = str(summary.table())
    assert '<a href="../princes_trust/princes_trust.html">' in html
    summary.forest()
    assert (tmp_path / "summary" / "figures" / "forest.png").exists()


def test_iom_before_after_table_and_chart(extract_dir, tmp_path) -> None:
    iom = open_iom_before_after(extract_dir, tmp_path / "iom_before_after")
    assert "IOM before and during management" in str(iom.banner())
    idiom = iom.ev.before_during["idiom_table"].iloc[0]
    html = str(iom.idiom_table())
    assert f"({idiom['offences_pre_per_person']:.2f})" in html
    chart = str(iom.before_during_chart())
    assert re.search(r"src=\"data:image/png;base64,", chart)
    did = iom.ev.before_during["did"].set_index("term")["estimate"]
    assert f"from {did['before_treated']:.2f} to {did['during_treated']:.2f}" in chart


# --- disclosure at the point of writing: the small extract has tiny subgroups ----------------
def _column_is_protected(values: list[str]) -> bool:
    """No column of a table with a total may hold exactly one [c] (subtraction gives it)."""
    return sum(v == "[c]" for v in values) != 1


def test_attrition_suppression_survives_subtraction(report) -> None:
    report.attrition()
    table = pd.read_csv(report.tables_dir / "attrition.csv", dtype=str, keep_default_na=False)
    raw = report.ev.attrition.table()
    assert (raw["n_excluded"].between(1, 9)).any(), "the stress extract must have a small cell"
    for col in ("treated", "comparison"):
        assert _column_is_protected(table[col].tolist()), table
        shown = [int(v) for v in table[col] if v != "[c]"]
        assert all(v == 0 or v >= 10 for v in shown)


def test_every_written_file_passes_the_scanner(report) -> None:
    from evaluation.reporting.scan import scan_reports

    for section in (report.verdict, report.summary, report.can_and_cannot_say,
                    report.headline_chart, report.comparison_group, report.attrition,
                    report.power, report.readouts, report.caveats, report.appendix):
        section()
    (report.output_dir / "report.html").write_text(
        "".join(str(s()) for s in (report.attrition, report.readouts, report.appendix)))
    report.write_results()
    findings = scan_reports(report.output_dir)
    assert not findings, "\n".join(map(str, findings))
    assert any(report.tables_dir.glob("*.csv"))


def test_suppressed_exclusions_hide_the_linked_model_sizes(report) -> None:
    html = str(report.appendix())
    ex = pd.read_csv(report.tables_dir / "exclusions.csv", dtype=str, keep_default_na=False)
    if (ex[["treated", "comparison"]] == "[c]").to_numpy().any():
        freq = report.ev.details["frequency"]
        for n in freq["n"].unique():
            assert f"<td>{int(n):,}</td>" not in html.split("Model: frequency")[1].split(
                "</table>")[0]
    assert "[c]: withheld to protect confidentiality" in html


def test_verdict_box_leads_with_the_headline(report) -> None:
    html = str(report.verdict())
    assert html.startswith('<div class="verdict"')
    assert measure(report.config.headline).measures in html
    ph = report.per_hundred()
    # the pair of numbers names the headline's own people: for a rate, those with a complete
    # read-out, not everyone analysed
    n = int(report.estimate("reoffended_rd")["n_treated"])  # the shares' own people
    assert f"{ph['treated']:.0f} in 100 of the {n:,} people" in html
    complete = report.ev.analysis["eligible_for_readout"].astype(bool)
    assert n == int((complete & (report.ev.analysis["treated"] == 1)).sum())
    if n != report.n_treated:
        assert f"of the {report.n_treated:,} people" not in html


def test_board_summary_row(report, tmp_path) -> None:
    from evaluation.reporting.board_summary import board_row, load_published

    data = json.loads(report.write_results().read_text())
    row = board_row(data, load_published())
    assert row["published figure"] == "no reoffending figure published"
    assert row["rebuilt from the records"].startswith(
        f"{data['per_hundred']['treated']:.0f}% of {data['n_treated']:,} programme")
    assert row["verdict"].startswith(("Inconclusive", "No clear effect", "The evidence"))


def test_board_summary_page(report) -> None:
    from evaluation.reporting.board_summary import write_board_summary

    report.write_results()
    page = write_board_summary(report.output_dir.parent, ["princes_trust"], pdf=False)
    text = page.read_text()
    assert page.name == "board_summary.html"
    assert "These results are built on SYNTHETIC data" in text.split("<h1>")[0]
    assert "<title>Reoffending programmes: the published figure and the matched comparison" in text
    assert "no reoffending impact evaluation with a comparison group is known" in text
    assert text.count("<tr>") == 2  # header + one programme


def test_board_summary_is_not_rewritten_when_nothing_changed(report) -> None:
    # a no-change rerun of `evaluation run` must not rewrite (and reprint) the same page
    import os

    from evaluation.reporting.board_summary import write_board_summary

    report.write_results()
    page = write_board_summary(report.output_dir.parent, ["princes_trust"], pdf=False)
    os.utime(page, (1_000_000, 1_000_000))
    again = write_board_summary(report.output_dir.parent, ["princes_trust"], pdf=False)
    assert again.stat().st_mtime == 1_000_000  # same content: untouched
    again.write_text(again.read_text() + "<!-- stale -->")
    write_board_summary(report.output_dir.parent, ["princes_trust"], pdf=False)
    assert "stale" not in again.read_text()  # different content: written


def test_verdict_numbers_count_the_people_of_the_measure_shown(report) -> None:
    # the rate is over people with a complete read-out; naming everyone analysed beside it
    # would misstate the base of "N in 100" (found on the IOM report: 1,923 against 2,181)
    rows = report.ev.estimates.set_index("outcome")
    assert (rows.loc["reoffended_rd", "n_treated"], rows.loc["reoffended_rd", "n_comparison"]) \
        == report.headline_group_sizes()
    assert report.headline_group_sizes() == (
        int(((report.ev.analysis["treated"] == 1)
             & report.ev.analysis["eligible_for_readout"].astype(bool)).sum()),
        int(((report.ev.analysis["treated"] == 0)
             & report.ev.analysis["eligible_for_readout"].astype(bool)).sum()))
