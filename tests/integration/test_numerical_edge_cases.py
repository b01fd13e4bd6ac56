"""Separation, a covariate constant in one group, no reoffences in a group, nobody matched and
everyone matched: each renders a report (every section the notebook calls) with a plain-English
statement and a flag in results.json, never a crash, an infinite ratio or an interval of 0 to
infinity presented as a finding."""

from __future__ import annotations

import json
import re

import pytest
from edge_extracts import CASES, PROGRAMME, copy_with
from paths import REPO

from evaluation.reporting.factories import open_programme_report
from evaluation.reporting.limited_report import LimitedReport
from evaluation.synth import generate, write_world

ABSURD = re.compile(r"\b(inf|infinity|nan)\b|∞", re.IGNORECASE)


def notebook_sections(name: str = "programme_evaluation.ipynb") -> list[str]:
    """The report methods the notebook calls, in order (the notebook is the contract)."""
    nb = json.loads((REPO / "notebooks" / name).read_text())
    calls = []
    for cell in nb["cells"]:
        calls += re.findall(r"^report\.(\w+)\(\)", "".join(cell["source"]), re.MULTILINE)
    return calls


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    directory = tmp_path_factory.mktemp("edges") / "base"
    write_world(generate(seed=5, scale=0.02), directory)
    return directory


def render(data_dir, out, overrides):
    report = open_programme_report(PROGRAMME, data_dir, out, overrides)
    page = []
    for name in notebook_sections():
        section = getattr(report, name)()
        if section is not None and not isinstance(section, type(out)):
            page.append(section._repr_html_() or section._repr_markdown_() or "")
    return report, "\n".join(page)


@pytest.mark.parametrize("case", list(CASES))
def test_edge_case_gives_a_statement_and_a_flag(base, tmp_path, case):
    change, overrides, code, fatal = CASES[case]
    data = copy_with(base, tmp_path / "extract", change) if change else base
    report, page = render(data, tmp_path / "report", overrides)
    results = json.loads((tmp_path / "report" / "results.json").read_text())

    flags = {f["code"]: f for f in results["flags"]}
    assert code in flags, results["flags"]
    statement = flags[code]["statement"]
    assert statement in page  # said in words, in the report itself
    assert results["estimable"] is (not fatal)
    assert isinstance(report, LimitedReport) is fatal
    if fatal:
        assert "No estimate of the effect" in page
        assert "estimates" not in results  # no number that could be read as a finding
    else:
        head = next(e for e in results["estimates"] if e["role"] == "headline")
        assert 0 < head["lower"] <= head["upper"] < 1e3  # a finite interval
    assert not ABSURD.search(re.sub(r"data:[^\"]+", "", page)), ABSURD.search(page)
    written = [p for p in (tmp_path / "report").rglob("*") if p.suffix in (".csv", ".json")]
    for path in written:
        assert not ABSURD.search(path.read_text()), path
    assert "Infinity" not in json.dumps(results)
