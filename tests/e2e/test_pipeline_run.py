"""End-to-end: papermill runs of tiny fixture notebooks in parallel worker processes.

One module-scoped run of three notebooks (one fails on purpose) feeds the read-only checks; two
more small runs check caching, parameter changes, ``force`` and byte-identical results.json.
Notebooks are read with ``json`` (not nbformat) to keep the test process light.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from paths import FIXTURES_DIR

from evaluation.pipeline import (
    ReportJob,
    RunSummary,
    build_manifest,
    cache,
    run_reports,
    write_index,
)

FIXTURES = FIXTURES_DIR / "notebooks"
WR_PARAMS = {"n": 12, "seed": 5, "label": "first"}


@dataclass
class FirstRun:
    summary: RunSummary
    reports: Path
    progress: str
    wr_results: bytes  # snapshots: later tests rerun jobs in the same directory
    wr_html: str
    quick_html: str
    wr_notebook: dict


def _jobs(greeting: str = "hello from the test") -> list[ReportJob]:
    return [
        ReportJob("wr", FIXTURES / "writes_results.ipynb", WR_PARAMS),
        ReportJob("quick", FIXTURES / "quick.ipynb", {"greeting": greeting}),
        ReportJob("fails", FIXTURES / "fails.ipynb", {}),
    ]


@pytest.fixture(scope="module", autouse=True)
def _stable_library_hash() -> Iterator[None]:
    """The cache key includes a hash of the evaluation package's source; other work on the
    library during the test run must not turn an expected cache hit into a rerun."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cache, "library_source_hash", lambda: "library-source-fixed-for-tests")
        yield


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory, _stable_library_hash: None) -> FirstRun:
    root = tmp_path_factory.mktemp("pipeline")
    # A global-looking python3 kernelspec pointing at a Python that does not exist: the runner
    # must still start its kernels with this interpreter.
    bogus = root / "bogus-jupyter" / "kernels" / "python3"
    bogus.mkdir(parents=True)
    (bogus / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    "/nonexistent/python",
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "wrong python",
                "language": "python",
            }
        )
    )
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(stderr):
        mp.setenv("JUPYTER_PATH", str(root / "bogus-jupyter"))
        summary = run_reports(_jobs(), root / "reports", max_workers=2, progress=True)
    reports = root / "reports"
    return FirstRun(
        summary=summary,
        reports=reports,
        progress=stderr.getvalue(),
        wr_results=(reports / "wr" / "results.json").read_bytes(),
        wr_html=(reports / "wr" / "wr.html").read_text(encoding="utf-8"),
        quick_html=(reports / "quick" / "quick.html").read_text(encoding="utf-8"),
        wr_notebook=json.loads((reports / "wr" / "wr.ipynb").read_text(encoding="utf-8")),
    )


def test_one_failure_does_not_stop_the_others(first: FirstRun) -> None:
    s = first.summary
    assert [j.status for j in s.jobs] == ["ok", "ok", "failed"]
    assert s.exit_code == 1
    assert [j.name for j in s.failed] == ["fails"]
    fails = s["fails"]
    assert fails.error == "ZeroDivisionError: division by zero"
    assert fails.failed_cell is not None and "1 / divisor" in fails.failed_cell["source"]
    assert "ZeroDivisionError" in fails.failure_text() and "1 / divisor" in fails.failure_text()
    # the partly executed notebook is kept (and rendered) so the failure can be inspected
    assert fails.executed_notebook is not None and fails.executed_notebook.is_file()
    assert "before the failure" in fails.executed_notebook.read_text()
    assert "never reached" not in fails.html.read_text()  # later cells never ran
    assert "failed fails" in first.progress and "ZeroDivisionError" in first.progress


def test_progress_line_per_finished_job(first: FirstRun) -> None:
    lines = re.findall(r"^\[(\d)/3\] (ok|failed) +(\w+) \((\d+\.\d) s\)", first.progress, re.M)
    assert sorted(name for *_, name, _ in lines) == ["fails", "quick", "wr"]
    assert sorted(int(i) for i, *_ in lines) == [1, 2, 3]


def test_parameters_injected_and_recorded(first: FirstRun) -> None:
    results = json.loads(first.wr_results)
    # the notebook's defaults are n=10, seed=1, label="default": these prove injection worked
    assert (results["n"], results["seed"], results["label"]) == (12, 5, "first")
    wr = first.summary["wr"]
    assert wr.parameters == {**WR_PARAMS, "output_dir": str(first.reports / "wr")}
    nb = first.wr_notebook
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and 'label = "first"' in "".join(injected[0]["source"])
    assert nb["metadata"]["papermill"]["parameters"] == wr.parameters


def test_kernel_runs_this_interpreter_despite_other_kernelspecs(first: FirstRun) -> None:
    assert json.loads(first.wr_results)["python_executable"] == sys.executable


def test_kernel_draws_figures_off_screen(first: FirstRun) -> None:
    # the pipeline, not library code, chooses matplotlib's backend
    assert json.loads(first.wr_results)["mpl_backend"] == "Agg"


def test_outputs_collected(first: FirstRun) -> None:
    wr = first.summary["wr"]
    rel = sorted(p.relative_to(wr.output_dir).as_posix() for p in wr.outputs)
    assert rel == ["figures/draws.png", "results.json", "tables/draws.csv"]
    kinds = wr.outputs_by_kind()
    assert [p.name for p in kinds["figures"]] == ["draws.png"]
    assert [p.name for p in kinds["tables"]] == ["draws.csv"]
    assert wr.executed_notebook == first.reports / "wr" / "wr.ipynb"
    assert wr.html == first.reports / "wr" / "wr.html"


def test_html_has_outputs_but_no_code(first: FirstRun) -> None:
    for page in (first.wr_html, first.quick_html):
        for code in ("import json", "np.random", "def png_chunk", "b64decode", "output_dir ="):
            assert code not in page, code
        assert not re.search(r'class="[^"]*(jp-InputArea-editor|jp-InputPrompt)', page)
        body = page.split("<body", 1)[1]
        assert "In&nbsp;[" not in body and "Out[" not in body
        assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", page)
    assert "mean of 12 draws" in first.wr_html and "Fixture report" in first.wr_html
    assert "hello from the test" in first.quick_html
    assert "internal check" not in first.quick_html  # cell tagged remove-cell
    # alt text from the cell's metadata and from the output's metadata
    assert '<img alt="Grey strip of the simulated draws"' in first.wr_html
    assert '<img alt="A single pixel (alt text from the output metadata)"' in first.quick_html


def test_index_and_manifest_of_a_run_with_a_failure(first: FirstRun) -> None:
    manifest = json.loads(build_manifest(first.summary, synthetic=True, seed=5).read_text())
    page = write_index(first.summary, first.reports, synthetic=True).read_text()
    assert "FAILED" in page and "ZeroDivisionError: division by zero" in page
    assert page.count('class="status-ok"') == 2 * 2  # summary table row + section, per job
    nb_bytes = (FIXTURES / "writes_results.ipynb").read_bytes()
    wr = manifest["jobs"]["wr"]
    assert wr["notebook_sha256"] == hashlib.sha256(nb_bytes).hexdigest()
    assert wr["outputs"]["wr/results.json"] == hashlib.sha256(first.wr_results).hexdigest()
    assert wr["parameters"]["label"] == "first" and manifest["seed"] == 5
    assert manifest["jobs"]["fails"]["status"] == "failed"
    assert manifest["synthetic"] is True and manifest["packages"]["papermill"]
    # volatile times live in the manifest, never in results.json
    assert wr["started"] and wr["duration_s"] > 0
    assert not re.search(rb"20\d\d-\d\d-\d\dT", first.wr_results)


def test_cache_skips_unchanged_and_reruns_changed_parameters(first: FirstRun) -> None:
    wr_nb = first.reports / "wr" / "wr.ipynb"
    before = wr_nb.stat().st_mtime_ns
    fails_stamp = json.loads((first.reports / "fails" / ".evaluation-stamp.json").read_text())
    assert fails_stamp["status"] == "failed"  # a failed run never counts as a cache hit
    jobs = _jobs(greeting="changed greeting")[:2]
    summary = run_reports(jobs, first.reports, progress=False)
    assert [j.status for j in summary.jobs] == ["cached", "ok"]
    assert summary.exit_code == 0
    assert wr_nb.stat().st_mtime_ns == before  # not re-executed
    assert summary["wr"].outputs == first.summary["wr"].outputs
    quick = json.loads((first.reports / "quick" / "results.json").read_text())
    assert quick == {"greeting": "changed greeting"}


def test_force_reruns_and_results_json_is_identical(first: FirstRun) -> None:
    wr_nb = first.reports / "wr" / "wr.ipynb"
    before = wr_nb.stat().st_mtime_ns
    summary = run_reports(_jobs()[:1], first.reports, force=True, progress=False)
    assert summary["wr"].status == "ok"
    assert wr_nb.stat().st_mtime_ns != before
    assert (first.reports / "wr" / "results.json").read_bytes() == first.wr_results


def test_a_job_after_another_reuses_its_stored_result(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "people.csv").write_text("person_id\n1\n")
    params = {"data_dir": str(data)}
    jobs = [
        ReportJob("first", FIXTURES / "store.ipynb", params),
        ReportJob("second", FIXTURES / "store.ipynb", params, after=("first",)),
    ]
    summary = run_reports(jobs, tmp_path / "reports", max_workers=2, progress=False)
    assert summary.exit_code == 0, summary.describe()
    first, second = summary["first"], summary["second"]
    assert second.started >= first.finished  # waited, though a second worker was free
    got = {j.name: json.loads((j.output_dir / "results.json").read_text()) for j in (first, second)}
    assert got["first"] == {"computed": True, "store_set": True, "value": {"answer": 42}}
    assert got["second"] == {"computed": False, "store_set": True, "value": {"answer": 42}}


def test_failed_page_shows_one_line_and_the_log_the_traceback(first: FirstRun) -> None:
    fails = first.summary["fails"]
    page = fails.html.read_text()
    assert "ZeroDivisionError: division by zero" in page and "fails.log" in page
    assert "Traceback" not in page and "most recent call last" not in page
    log = (fails.report_dir / "fails.log").read_text()
    assert "ZeroDivisionError" in log and "1 / divisor" in log
    assert "\x1b[" not in log  # no terminal colour codes
