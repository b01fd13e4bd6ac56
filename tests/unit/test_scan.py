"""Report scanner: crafted HTML that must fail and HTML that must pass."""

import re

import pytest

from evaluation.reporting.scan import check_reports, scan_report, scan_reports


def _kinds(findings) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in findings]


CLEAN = """
<html><body><h1>New Chance</h1>
<p>For 100 typical people who received New Chance ... lower by between 2 and 9.</p>
<table>
  <thead><tr><th>Area</th><th>n</th><th>Reoffending rate (%)</th><th>People reoffending</th>
  <th>Mean reoffences per person</th></tr></thead>
  <tbody>
    <tr><td>Dudley</td><td>[c]</td><td>5.0</td><td>[c]</td><td>3</td></tr>
    <tr><td>Sandwell</td><td>120</td><td>7</td><td>0</td><td>0.4</td></tr>
    <tr><td>Birmingham</td><td>1,204</td><td>27.5%</td><td>331</td><td>1.2</td></tr>
  </tbody>
</table>
<img src="data:image/png;base64,AAAA+P1234567/O12345678+E123456/BBBB==">
</body></html>
"""


def test_clean_report_passes():
    # [c] markers, a true zero, rates and means under 10, big counts, an embedded image whose
    # base64 happens to spell identifiers: nothing to report
    assert scan_report(CLEAN) == []


def test_small_count_in_count_column_fails():
    html = CLEAN.replace("<td>[c]</td><td>5.0</td>", "<td>8</td><td>5.0</td>")
    findings = scan_report(html)
    assert _kinds(findings) == [("small_count", "8")]
    assert findings[0].where == "table 1, row 2, column 'n'"
    # threshold is configurable: 8 is fine under a threshold of 5
    assert scan_report(html, threshold=5) == []


def test_count_with_percentage_in_brackets():
    html = """<table><tr><th>Group</th><th>n (%)</th></tr>
    <tr><td>Programme</td><td>8 (3.2%)</td></tr><tr><td>Comparison</td><td>12 (5.0%)</td></tr>
    </table>"""
    assert _kinds(scan_report(html)) == [("small_count", "8 (3.2%)")]


def test_row_labelled_at_risk_table():
    # lifelines-style numbers at risk: times in the header row (not counts), counts in rows
    html = """<table><thead><tr><th></th><th>0</th><th>90</th><th>180</th><th>365</th></tr>
    </thead><tbody>
    <tr><th>At risk</th><td>120</td><td>45</td><td>20</td><td>7</td></tr>
    <tr><th>Censored</th><td>0</td><td>12</td><td>14</td><td>15</td></tr>
    <tr><th>Events</th><td>0</td><td>63</td><td>86</td><td>98</td></tr>
    <tr><th>Survival</th><td>1.0</td><td>0.5</td><td>0.3</td><td>2</td></tr>
    </tbody></table>"""
    findings = scan_report(html)
    # 7 at risk at day 365; the "2" in the Survival row is not a count row
    assert _kinds(findings) == [("small_count", "7")]
    assert findings[0].where == "table 1, row 2, column '365'"


def test_rowspan_keeps_cells_under_their_headers():
    # Without rowspan handling the 6 would sit under "Group" and the 12 under "n".
    html = """<table><tr><th>Area</th><th>Group</th><th>n</th><th>Rate</th></tr>
    <tr><td rowspan="2">Dudley</td><td>Programme</td><td>45</td><td>5</td></tr>
    <tr><td>Comparison</td><td>6</td><td>12</td></tr></table>"""
    findings = scan_report(html)
    assert _kinds(findings) == [("small_count", "6")]
    assert findings[0].where == "table 1, row 3, column 'n'"


def test_multi_row_headers_with_colspan():
    html = """<table><thead>
    <tr><th></th><th colspan="2">Programme</th><th colspan="2">Comparison</th></tr>
    <tr><th>Area</th><th>people</th><th>rate</th><th>people</th><th>rate</th></tr></thead>
    <tbody><tr><th>Dudley</th><td>50</td><td>4</td><td>3</td><td>9</td></tr></tbody></table>"""
    findings = scan_report(html)
    assert _kinds(findings) == [("small_count", "3")]
    assert findings[0].where == "table 1, row 3, column 'Comparison people'"


@pytest.mark.parametrize("text, found", [
    ("<p>Person P1234567 was matched.</p>", "P1234567"),
    ("offence O12345678 in the appendix", "O12345678"),
    ("<p>event E123456</p>", "E123456"),
    ('<span title="P7654321">x</span>', "P7654321"),
    ("<script>var ids = ['P0000001'];</script>", "P0000001"),
])
def test_identifiers_fail(text, found):
    assert _kinds(scan_report(text)) == [("identifier", found)]


@pytest.mark.parametrize("text", [
    "<p>P12345678 has eight digits; P123456 has six</p>",
    "<p>Birmingham is E08000025 (an ONS area code, E + 8 digits)</p>",
    "<p>OP1234567 and XE123456 are part of longer words</p>",
])
def test_identifier_lookalikes_pass(text):
    assert scan_report(text) == []


def test_configurable_identifier_patterns_and_line_numbers():
    text = "line one\nPNC 12/345678A here\nP1234567"
    findings = scan_report(text, id_patterns=[r"\b\d{2}/\d{6}[A-Z]\b"])
    assert _kinds(findings) == [("identifier", "12/345678A")]
    assert findings[0].where == "line 2"
    both = scan_report(text, id_patterns=[re.compile(r"\bP\d{7}\b"), r"\b\d{2}/\d{6}[A-Z]\b"])
    assert sorted(f.text for f in both) == ["12/345678A", "P1234567"]


@pytest.mark.parametrize("header", ["Date of birth", "DOB", "date_of_birth", "Birth date"])
def test_date_of_birth_header_fails(header):
    html = f"<table><tr><th>{header}</th><th>Area</th></tr><tr><td>1990</td><td>x</td></tr></table>"
    assert _kinds(scan_report(html)) == [("date_of_birth", header)]


def test_age_band_header_passes():
    html = "<table><tr><th>Age band</th><th>Area</th></tr><tr><td>18-24</td><td>x</td></tr></table>"
    assert scan_report(html) == []


def test_scan_reports_over_a_directory(tmp_path):
    (tmp_path / "ok.html").write_text(CLEAN)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.html").write_text("<p>P1234567</p>")
    (tmp_path / "notes.txt").write_text("P7654321")  # not HTML: not scanned
    findings = scan_reports(tmp_path)
    assert [(f.kind, f.text, f.path) for f in findings] == [
        ("identifier", "P1234567", str(tmp_path / "sub" / "bad.html"))]
    with pytest.raises(ValueError, match="(?s)1 disclosure finding.*bad.html: identifier"):
        check_reports(tmp_path)
    (tmp_path / "sub" / "bad.html").write_text("<p>clean</p>")
    check_reports(tmp_path)  # no error
    with pytest.raises(ValueError, match="not a directory"):
        scan_reports(tmp_path / "missing")


def test_suppressed_table_renders_clean_and_raw_table_does_not():
    import pandas as pd

    from evaluation.reporting.disclosure import suppress_counts

    t = pd.DataFrame({"Area": ["Dudley", "Solihull", "Total"], "people reoffending": [4, 30, 34],
                      "people not reoffending": [40, 50, 90], "people": [44, 80, 124]})
    cols = ["people reoffending", "people not reoffending"]
    raw = scan_report(t.to_html(index=False))
    assert _kinds(raw) == [("small_count", "4")]
    shown = suppress_counts(t.set_index("Area"), cols, total_row="Total", total_col="people")
    # Dudley 4 primary; the row and column subtractions force 40, 30 and 50 out too (2x2 block)
    assert list(shown.loc["Dudley"]) == ["[c]", "[c]", 44]
    assert scan_report(shown.to_html()) == []


def test_a_hash_that_starts_with_a_digit_is_not_a_count():
    page = ("<table><thead><tr><th>file</th><th>SHA-256</th></tr></thead><tbody>"
            "<tr><td>offences.parquet</td><td>4a8c3837dc93</td></tr>"
            "<tr><td>offences (people)</td><td>4</td></tr></tbody></table>")
    found = scan_report(page)
    assert [f.text for f in found] == ["4"]


def test_csv_and_json_outputs_are_scanned(tmp_path):
    from evaluation.reporting.scan import scan_reports

    (tmp_path / "t.csv").write_text("stage,people\nreceived,120\nexcluded,4\n")
    (tmp_path / "r.json").write_text(
        '{"n_treated": 120, "design": {"n_treated_unmatched": 3, "ratio": 1},'
        ' "parameters": {"age_min": 5}, "note": "P1234567"}')
    found = scan_reports(tmp_path)
    kinds = sorted((f.kind, f.text) for f in found)
    assert kinds == [("identifier", "P1234567"), ("small_count", "3"), ("small_count", "4")]
