"""End to end: `evaluation design` on a person-level file (the Rossi data) to a full report.

The real command in a subprocess, twice into the same folder: HTML, PDF (asserted only where
Chromium is installed), results.json identical on the rerun, CSV tables, figures and a manifest
with relative paths; every output passes the disclosure scanner; the input file is
byte-identical afterwards. Bad specs and bad files are refused with a message naming the spec
field and the column (and the rows and rule for bad values), before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from paths import REFERENCE_DIR, REPO

from evaluation.cli import main
from evaluation.reporting.pdf import find_chromium
from evaluation.reporting.scan import pdf_text, scan_reports

ROSSI = REFERENCE_DIR / "rossi_design" / "rossi.csv"
SPEC = REPO / "docs" / "examples" / "design_file_spec.yaml"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _design(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaluation", "design", *argv],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("design_e2e")
    data, spec = root / "data" / "rossi.csv", root / "rossi_spec.yaml"
    data.parent.mkdir()
    shutil.copy(ROSSI, data)
    shutil.copy(SPEC, spec)
    before = _sha(data)
    out = root / "reports" / "rossi"
    first = _design("--file", str(data), "--spec", str(spec), "--out", str(out))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    results = (out / "results.json").read_bytes()
    second = _design("--file", str(data), "--spec", str(spec), "--out", str(out))
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    return {"root": root, "data": data, "spec": spec, "out": out, "before": before,
            "first_results": results, "stdout": first.stdout}


def test_writes_the_full_report(run):
    out = run["out"]
    for name in ("rossi.html", "results.json", "manifest.json", "tables/estimates.csv",
                 "tables/balance.csv", "tables/attrition.csv", "figures/kaplan_meier.png",
                 "figures/kaplan_meier.alt.txt", "figures/balance.png", "figures/overlap.png"):
        assert (out / name).is_file(), name
    if find_chromium() is not None:
        pdf = out / "rossi.pdf"
        assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
        text = pdf_text(pdf)
        if text is not None:
            assert "Financial aid on release from prison" in text
    assert "passed the disclosure scan" in run["stdout"]


def test_every_output_passes_the_scanner(run):
    assert scan_reports(run["out"], threshold=10) == []


def test_input_file_is_unchanged(run):
    assert _sha(run["data"]) == run["before"]
    assert sorted(p.name for p in run["data"].parent.iterdir()) == ["rossi.csv"]


def test_rerun_gives_identical_results(run):
    assert (run["out"] / "results.json").read_bytes() == run["first_results"]


def test_first_screen_reads_in_order(run):
    page = (run["out"] / "rossi.html").read_text()
    body = page[page.index("<body"):]
    assert "import " not in body and "run_design" not in body
    file_line, title = body.index("person-level file"), body.index("<h1")
    verdict, summary = body.index('class="verdict"'), body.index(">Summary")
    assert file_line < title < verdict < summary
    box = body[verdict:summary]
    assert "financial aid" in box and "re-arrest" in box and "hazard ratio" in box
    assert _sha(ROSSI) in body  # the appendix names the file by its SHA-256


def test_results_hold_the_headline(run):
    results = json.loads(run["first_results"])
    head = [e for e in results["estimates"] if e["role"] == "headline"]
    assert len(head) == 1 and head[0]["outcome"] == "time_to_reoffence_hr"
    assert results["file"] == {"name": "rossi.csv", "sha256": run["before"], "rows": 432}
    assert results["n_treated"] == results["n_comparison"] == 201
    assert results["synthetic"] is False


def test_manifest_records_provenance_without_machine_detail(run):
    out = run["out"]
    text = (out / "manifest.json").read_text()
    manifest = json.loads(text)
    assert manifest["command"] == "evaluation design"
    assert manifest["inputs"]["file"]["sha256"] == run["before"]
    assert manifest["inputs"]["spec"]["sha256"] == _sha(run["spec"])
    assert manifest["inputs"]["spec"]["content"]["treatment_col"] == "fin"
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", manifest["git"]["commit"])
    assert {"lifelines", "statsmodels", "pandas"} <= set(manifest["packages"])
    for rel, digest in manifest["outputs"].items():
        assert not Path(rel).is_absolute() and _sha(out / rel) == digest
    assert "rossi.html" in manifest["outputs"] and "results.json" in manifest["outputs"]
    for machine in (str(run["root"]), str(REPO), os.path.expanduser("~"), "platform"):
        assert machine not in text


# ---------------------------------------------------------------------- refusals
def _spec(tmp_path: Path, change: dict | None = None, drop: tuple[str, ...] = ()) -> Path:
    spec = yaml.safe_load(SPEC.read_text())
    for key in drop:
        spec.pop(key)
    for key, value in (change or {}).items():
        if "." in key:
            section, sub = key.split(".")
            spec[section] = {**spec.get(section, {}), sub: value}
        else:
            spec[key] = value
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _file(tmp_path: Path, edit=None) -> Path:
    frame = pd.read_csv(ROSSI)
    if edit is not None:
        frame = edit(frame.astype(object))
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    return path


def _set(col, row, value):
    def edit(frame):
        frame.loc[row, col] = value
        return frame
    return edit


def _race_as_text(frame):
    return frame.assign(race=frame["race"].map({1: "black", 0: "other"}))


REFUSALS = {
    # name: (spec changes, spec keys dropped, file edit, words the message must hold)
    "unknown key": ({"desing": {"method": "matching"}}, (), None,
                    ["unknown key 'desing'", "did you mean 'design'"]),
    "unknown nested key": ({"design.calliper": 0.1}, (), None,
                           ["unknown key 'design.calliper'", "did you mean 'design.caliper'"]),
    "wrong type in the spec": ({"design.ratio": "two"}, (), None,
                               ["'design.ratio'", "valid integer", "'two'"]),
    "matching for the ATE": ({"design.estimand": "ATE"}, (), None,
                             ["'design'", "matching estimates the ATT"]),
    "weights given": ({"weights_col": "w"}, (), None, ["weights_col", "evaluation analyse"]),
    "headline without its column": ({"headline": "n_reoffences_rr"}, (), None,
                                    ["headline", "needs count_col"]),
    "category not a covariate": ({"categorical": ["area"]}, (), None,
                                 ["categorical: ['area'] not in covariates"]),
    "missing treatment column": ({"treatment_col": "fn"}, (), None,
                                 ["no column for treatment_col='fn'", "Its columns are"]),
    "missing covariate column": ({"covariates": ["age", "racee"]}, (), None,
                                 ["covariates[1]='racee'"]),
    "no treatment named": ({}, ("treatment_col",), None, ["'treatment_col' is missing"]),
    "non-binary treatment": ({}, (), _set("fin", 4, 2),
                             ["people.csv: column 'fin' (spec treatment_col): value must be 0 "
                              "or 1 (row 5)"]),
    "text in a numeric covariate": ({}, (), _race_as_text,
                                    ["column 'race' (spec covariates[1]): value must be a "
                                     "number", "categorical:"]),
    "negative duration": ({}, (), _set("week", 2, -1),
                          ["column 'week' (spec duration_col): value must be a finite number "
                           "of weeks, 0 or more (row 3)"]),
    "empty outcome": ({}, (), _set("arrest", 7, None),
                      ["column 'arrest' (spec event_col, outcome_col): value is required but "
                       "empty (row 8)"]),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_bad_spec_or_file_is_refused_clearly(tmp_path, capsys, name):
    change, drop, edit, words = REFUSALS[name]
    spec, data = _spec(tmp_path, change, drop), _file(tmp_path, edit)
    before = _sha(data)
    out = tmp_path / "out"
    code = main(["design", "--file", str(data), "--spec", str(spec), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    for word in words:
        assert word in err, err
    assert "Traceback" not in err
    assert not out.exists()
    assert _sha(data) == before


def test_an_occupied_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code = main(["design", "--file", str(ROSSI), "--spec", str(SPEC), "--out", str(out)])
    assert code == 2
    assert "not empty and was not written by `evaluation design`" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"


def test_matched_data_must_stay_out_of_the_report(tmp_path, capsys):
    out = tmp_path / "report"
    code = main(["design", "--file", str(ROSSI), "--spec", str(SPEC), "--out", str(out),
                 "--matched-data", str(out / "matched.csv")])
    assert code == 2
    assert "person-level data and must not go into the report folder" in \
        capsys.readouterr().err


def test_a_folder_left_by_a_stopped_run_is_reused(tmp_path):
    out = tmp_path / "report"
    (out / "figures").mkdir(parents=True)
    (out / ".evaluation-design").write_text("written by `evaluation design`\n")
    (out / "figures" / "stale.png").write_bytes(b"old")  # no manifest: the run stopped
    code = main(["design", "--file", str(ROSSI), "--spec", str(SPEC), "--out", str(out),
                 "--no-pdf"])
    assert code == 0
    assert not (out / "figures" / "stale.png").exists()
    assert (out / "manifest.json").is_file() and (out / "report.html").is_file()
