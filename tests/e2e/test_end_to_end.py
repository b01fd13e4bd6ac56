"""End to end: synthetic data -> `evaluation run` -> every notebook executed and rendered.

One small synthetic extract, the real notebooks and configurations, run twice: the second run
must give byte-identical results.json files. The rendered reports are scanned for disclosure
(counts under the threshold, person identifiers) and opened in headless Chromium.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_browser import _check_page, _local_path, _probe, browser  # noqa: F401

from evaluation.reporting.scan import scan_reports
from evaluation.synth import generate, write_world

PROGRAMMES = ["iom", "new_chance", "princes_trust", "conditional_caution"]
REPORTS = [*PROGRAMMES, "iom_before_after", "summary"]


def _run(data: Path, reports: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaluation", "run", "--data", str(data),
                           "--reports", str(reports), *extra],
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("e2e")
    data, reports = root / "data", root / "reports"
    write_world(generate(seed=5, scale=0.2), data)
    first = _run(data, reports)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    results = {name: (reports / name / "results.json").read_bytes() for name in REPORTS}
    second = _run(data, reports, "--force")
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    return {"data": data, "reports": reports, "first_results": results, "stdout": first.stdout}


def test_every_report_is_rendered_without_code(rendered):
    reports = rendered["reports"]
    for name in REPORTS:
        page = reports / name / f"{name}.html"
        assert page.is_file(), name
        text = page.read_text()
        assert "import " not in text and "open_programme_report" not in text, name
        assert (reports / name / f"{name}.ipynb").is_file()
    assert (reports / "index.html").is_file() and (reports / "manifest.json").is_file()


def test_first_line_of_every_report_says_synthetic(rendered):
    for name in REPORTS:
        text = (rendered["reports"] / name / f"{name}.html").read_text()
        body = text[text.index("<body"):]
        first_words = body.find("SYNTHETIC")
        assert 0 < first_words < body.find("<h1"), f"{name}: synthetic notice is not first"


def test_same_command_twice_gives_identical_results(rendered):
    for name, before in rendered["first_results"].items():
        after = (rendered["reports"] / name / "results.json").read_bytes()
        assert after == before, f"{name}/results.json changed between two identical runs"


def test_results_hold_the_headline_and_recover_nothing_from_nowhere(rendered):
    results = json.loads((rendered["reports"] / "iom" / "results.json").read_bytes())
    head = [e for e in results["estimates"] if e["role"] == "headline"]
    assert len(head) == 1 and head[0]["outcome"] == results["headline"]
    assert results["synthetic"] is True
    assert results["n_treated"] > 0 and results["n_comparison"] > 0


def test_manifest_records_provenance(rendered):
    manifest = json.loads((rendered["reports"] / "manifest.json").read_text())
    text = json.dumps(manifest)
    for key in ("git", "packages", "lifelines"):
        assert key in text
    data_files = sorted(p.name for p in rendered["data"].glob("*.parquet"))
    for name in data_files:
        assert name in text, f"manifest does not record the hash of {name}"


def test_rendered_reports_pass_the_disclosure_scan(rendered):
    findings = scan_reports(rendered["reports"])
    assert not findings, "\n".join(str(f) for f in findings[:20])


@pytest.mark.browser
def test_index_and_every_report_open_in_a_real_browser(rendered, browser, tmp_path):  # noqa: F811
    index_page = rendered["reports"] / "index.html"
    index = _probe(browser, [index_page], tmp_path)[index_page]
    assert index["text"].strip().splitlines()[0].startswith("These reports are built on SYNTHETIC")
    targets = {_local_path(url) for url in index["links"]} - {index_page}
    missing = [str(t) for t in targets if not t.is_file()]
    assert not missing, f"broken links in index.html: {missing}"
    _check_page("index.html", index)
    pages = sorted(t for t in targets if t.suffix == ".html")
    assert {p.stem for p in pages} >= set(REPORTS)
    for page, seen in _probe(browser, pages, tmp_path).items():
        _check_page(page.name, seen)
        if page.stem != "board_summary":  # the board summary is one table, by design
            assert seen["images"], f"{page.name} has no figures"
        for url in seen["links"]:
            assert _local_path(url).is_file(), f"{page.name}: broken link {url}"
