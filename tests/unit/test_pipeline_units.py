"""Pipeline machinery without starting a kernel: cache keys, parameters, index, manifest.

Expected hashes are computed here with hashlib from the bytes written by the test, never copied
from the code's output.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from paths import FIXTURES_DIR, REPO

from evaluation.pipeline import cache
from evaluation.pipeline.index import SYNTHETIC_NOTICE, png_description, write_index
from evaluation.pipeline.jobs import JobResult, ReportJob, RunSummary
from evaluation.pipeline.kernel import write_kernelspec
from evaluation.pipeline.manifest import build_manifest
from evaluation.pipeline.provenance import git_state, jsonable
from evaluation.pipeline.runner import run_reports

FIXTURES = FIXTURES_DIR / "notebooks"
REPO = REPO


def _png(width: int, height: int, text: dict[str, str] | None = None) -> bytes:
    """A grey-scale PNG built from the PNG specification (independent of the code under test)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes(range(width)) for _ in range(height))
    out = b"\x89PNG\r\n\x1a\n" + chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    )
    for key, value in (text or {}).items():
        out += chunk(b"tEXt", key.encode("latin-1") + b"\x00" + value.encode("latin-1"))
    return out + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# --- cache keys ---------------------------------------------------------------------------------


def _components(nb: Path, params: dict, inputs: dict, versions: dict | None = None) -> dict:
    return cache.cache_components(nb, params, inputs, versions or {"numpy": "1"}, "lib")


def test_cache_key_depends_on_every_component(tmp_path: Path) -> None:
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    base = cache.cache_key(_components(nb, {"a": 1, "b": 2}, {"x.csv": "00"}))
    # key order of the parameters does not matter (canonical JSON)
    assert cache.cache_key(_components(nb, {"b": 2, "a": 1}, {"x.csv": "00"})) == base
    assert cache.cache_key(_components(nb, {"a": 1, "b": 3}, {"x.csv": "00"})) != base
    assert cache.cache_key(_components(nb, {"a": 1, "b": 2}, {"x.csv": "01"})) != base
    assert (
        cache.cache_key(_components(nb, {"a": 1, "b": 2}, {"x.csv": "00"}, {"numpy": "2"})) != base
    )
    nb.write_text('{"changed": true}')
    assert cache.cache_key(_components(nb, {"a": 1, "b": 2}, {"x.csv": "00"})) != base


def test_sha256_file_matches_hashlib(tmp_path: Path) -> None:
    data = b"person_id,offence\n1,theft\n" * 100_000  # > one read chunk
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    assert cache.sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_stamp_fresh_only_with_same_key_and_all_outputs(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    out.write_text("{}")
    stamp = {"key": "k1", "status": "ok"}
    assert cache.stamp_is_fresh(stamp, "k1", [out])
    assert not cache.stamp_is_fresh(stamp, "k2", [out])
    assert not cache.stamp_is_fresh(None, "k1", [out])
    out.unlink()
    assert not cache.stamp_is_fresh(stamp, "k1", [out])


def test_package_versions_cover_direct_dependencies() -> None:
    versions = cache.package_versions()
    assert list(versions) == list(cache.DIRECT_DEPENDENCIES)
    assert versions["numpy"] == np.__version__
    assert cache.package_versions(["surely-not-a-package-xyz"]) == {
        "surely-not-a-package-xyz": "not installed"
    }


# --- parameters and job validation ------------------------------------------------------------


def test_parameters_made_injectable() -> None:
    got = jsonable({"p": Path("/data/x.csv"), "k": np.int64(3), "t": (1, 2.5)}, "params")
    assert got == {"p": "/data/x.csv", "k": 3, "t": [1, 2.5]}
    assert type(got["k"]) is int
    with pytest.raises(ValueError, match=r"params\['when'\] has type object"):
        jsonable({"when": object()}, "params")


def test_bad_job_definitions_raise(tmp_path: Path) -> None:
    nb = FIXTURES / "quick.ipynb"
    with pytest.raises(ValueError, match="used by more than one job"):
        run_reports([ReportJob("a", nb), ReportJob("a", nb)], tmp_path, progress=False)
    with pytest.raises(ValueError, match="must be letters"):
        run_reports([ReportJob("../escape", nb)], tmp_path, progress=False)
    shared = tmp_path / "out"
    with pytest.raises(ValueError, match="share the output directory"):
        run_reports(
            [ReportJob("a", nb, output_dir=shared), ReportJob("b", nb, output_dir=shared)],
            tmp_path,
            progress=False,
        )


def test_missing_input_fails_the_job_without_running_it(tmp_path: Path) -> None:
    job = ReportJob("needs_data", FIXTURES / "quick.ipynb", inputs=[tmp_path / "absent.parquet"])
    summary = run_reports([job], tmp_path / "reports", progress=False)
    assert summary.exit_code == 1
    assert summary["needs_data"].status == "failed"
    assert "absent.parquet" in summary["needs_data"].error
    assert summary["needs_data"].executed_notebook is None


def test_kernelspec_uses_this_interpreter(tmp_path: Path) -> None:
    import sys

    spec = json.loads((write_kernelspec(tmp_path) / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["argv"][1:3] == ["-m", "ipykernel_launcher"]


# --- git ----------------------------------------------------------------------------------------


def test_git_state_unknown_outside_a_repository(tmp_path: Path) -> None:
    assert git_state(tmp_path) == {"commit": "unknown", "dirty": "unknown"}


def test_git_state_inside_the_repository() -> None:
    expected = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    if not expected:
        pytest.skip("the project is not a git work tree here")
    state = git_state(REPO)
    assert state["commit"] == expected
    assert isinstance(state["dirty"], bool)


# --- index and manifest from a hand-built summary ----------------------------------------------


@pytest.fixture
def fake_summary(tmp_path: Path) -> RunSummary:
    reports = tmp_path / "reports"
    ok_dir, bad_dir, cached_dir = reports / "iom", reports / "broken", reports / "nc"
    for d in (ok_dir / "figures", ok_dir / "tables", bad_dir, cached_dir):
        d.mkdir(parents=True)
    files = {
        ok_dir / "results.json": b'{"effect": -0.05}\n',
        ok_dir / "tables" / "balance.csv": b"covariate,smd\nage,0.02\n",
        ok_dir / "figures" / "km curve.png": _png(4, 3, {"Description": "Kaplan-Meier curves"}),
        ok_dir / "figures" / "love_plot.png": _png(2, 2),
        ok_dir / "iom.html": b"<html></html>",
        ok_dir / "iom.ipynb": b"{}",
        cached_dir / "nc.html": b"<html></html>",
        cached_dir / "nc.ipynb": b"{}",
        bad_dir / "broken.ipynb": b"{}",
    }
    for path, data in files.items():
        path.write_bytes(data)
    nb = tmp_path / "nb.ipynb"
    nb.write_bytes(b'{"cells": []}')

    def job(name: str, status: str, out: Path, **kw) -> JobResult:
        return JobResult(
            name=name,
            status=status,
            notebook=nb,
            output_dir=out,
            report_dir=out,
            parameters={"seed": 7, "output_dir": str(out)},
            inputs={"data/x.csv": "ab" * 32},
            duration_s=1.25,
            **kw,
        )

    jobs = [
        job(
            "iom",
            "ok",
            ok_dir,
            html=ok_dir / "iom.html",
            executed_notebook=ok_dir / "iom.ipynb",
            outputs=[
                ok_dir / "results.json",
                ok_dir / "tables" / "balance.csv",
                ok_dir / "figures" / "km curve.png",
                ok_dir / "figures" / "love_plot.png",
            ],
        ),
        job(
            "broken",
            "failed",
            bad_dir,
            executed_notebook=bad_dir / "broken.ipynb",
            error="NameError: name 'cohort' is not defined",
            failed_cell={"index": 3, "execution_count": 2, "source": "cohort.head()"},
        ),
        job(
            "nc",
            "cached",
            cached_dir,
            html=cached_dir / "nc.html",
            executed_notebook=cached_dir / "nc.ipynb",
        ),
    ]
    return RunSummary(
        jobs=jobs,
        reports_dir=reports,
        started="2026-01-01T00:00:00+00:00",
        finished="2026-01-01T00:00:05+00:00",
        duration_s=5.0,
        git={"commit": "a" * 40, "dirty": True},
        packages=cache.package_versions(),
        python="3.11.7",
    )


def test_png_description_reads_text_chunk(tmp_path: Path) -> None:
    path = tmp_path / "f.png"
    path.write_bytes(_png(3, 2, {"Software": "x", "Description": "Survival by group"}))
    assert png_description(path) == "Survival by group"
    path.write_bytes(_png(3, 2))
    assert png_description(path) is None


def test_index_links_status_and_accessibility(fake_summary: RunSummary) -> None:
    reports = fake_summary.reports_dir
    build_manifest(fake_summary, synthetic=True)
    page = write_index(fake_summary, reports, synthetic=True).read_text(encoding="utf-8")
    body = page.split("<body>", 1)[1]
    first_text = re.sub(r"<[^>]+>", "", body).strip().splitlines()[0]
    assert first_text.startswith("These reports are built on SYNTHETIC data")
    assert first_text == SYNTHETIC_NOTICE
    assert '<html lang="en">' in page and "<title>Reoffending evaluation reports</title>" in page
    assert "<h1>" in page and "<h2" in page
    # no external resources at all
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    # every image has a non-empty alt; the PNG's own description is used when present
    imgs = re.findall(r"<img [^>]*>", page)
    assert len(imgs) == 2
    assert all(re.search(r'alt="[^"]+"', img) for img in imgs)
    assert 'alt="Kaplan-Meier curves"' in page
    # every link resolves to an existing file (anchors aside)
    hrefs = [h for h in re.findall(r'href="([^"]+)"', page) if not h.startswith("#")]
    from urllib.parse import unquote

    assert all((reports / unquote(h)).is_file() for h in hrefs), hrefs
    for needed in (
        "iom/iom.html",
        "iom/iom.ipynb",
        "iom/results.json",
        "iom/tables/balance.csv",
        "manifest.json",
        "nc/nc.html",
        "broken/broken.ipynb",
    ):
        assert needed in [unquote(h) for h in hrefs], needed
    # status per job, failure reason and failing cell
    assert "FAILED" in page and "NameError: name &#x27;cohort&#x27; is not defined" in page
    assert "cohort.head()" in page and "In [2]" in page
    assert "cached" in page


def test_index_reads_as_a_reader_would_want(fake_summary: RunSummary) -> None:
    """Issue 14: titles not short names, a "Start here" list with the board summary and the
    PDFs, the summary first, figure descriptions from ``.alt.txt``, no absolute paths."""
    reports = fake_summary.reports_dir
    iom = fake_summary["iom"]
    iom.title = "Integrated Offender Management (Core pillar)"
    (reports / "iom" / "iom.pdf").write_bytes(b"%PDF-1.4\n")
    (reports / "board_summary.html").write_text("<html></html>")
    (reports / "iom" / "figures" / "love_plot.alt.txt").write_text("Balance before and after")
    page = write_index(fake_summary, reports, synthetic=True).read_text(encoding="utf-8")
    start = page.split('id="start-here"', 1)[1].split("</section>", 1)[0]
    assert "Board summary" in start and 'href="board_summary.html"' in start
    assert "Integrated Offender Management (Core pillar)" in start
    assert 'href="iom/iom.pdf"' in start
    assert 'alt="Balance before and after"' in page and "no description" not in page
    assert str(reports) not in page  # parameters shown relative to the reports folder


def test_index_lists_the_summary_first(fake_summary: RunSummary) -> None:
    from dataclasses import replace

    summary_dir = fake_summary.reports_dir / "summary"
    summary_dir.mkdir()
    (summary_dir / "summary.html").write_text("<html></html>")
    first = fake_summary.jobs[0]
    job = replace(first, name="summary", output_dir=summary_dir, report_dir=summary_dir,
                  html=summary_dir / "summary.html", outputs=[], title="Summary of all")
    fake_summary.jobs.append(job)
    page = write_index(fake_summary, synthetic=True).read_text(encoding="utf-8")
    start = page.split('id="start-here"', 1)[1]
    assert start.index("Summary of all") < start.index("iom")


def test_index_without_synthetic_flag_has_no_notice(fake_summary: RunSummary) -> None:
    page = write_index(fake_summary, synthetic=False).read_text(encoding="utf-8")
    assert "SYNTHETIC" not in page


def test_manifest_records_provenance(fake_summary: RunSummary) -> None:
    path = build_manifest(fake_summary, synthetic=True)
    manifest = json.loads(path.read_text())
    assert path == fake_summary.reports_dir / "manifest.json"
    assert manifest["synthetic"] is True
    assert manifest["git"] == {"commit": "a" * 40, "dirty": True}
    assert set(manifest["packages"]) == set(cache.DIRECT_DEPENDENCIES)
    assert manifest["seed"] == 7
    iom = manifest["jobs"]["iom"]
    results = fake_summary.reports_dir / "iom" / "results.json"
    assert iom["outputs"]["iom/results.json"] == hashlib.sha256(results.read_bytes()).hexdigest()
    assert iom["notebook_sha256"] == hashlib.sha256(b'{"cells": []}').hexdigest()
    assert iom["inputs"] == {"data/x.csv": "ab" * 32}
    assert iom["parameters"]["seed"] == 7
    assert manifest["jobs"]["broken"]["error"].startswith("NameError")
    assert manifest["run"]["exit_code"] == 1
    assert manifest["run"]["counts"] == {"ok": 1, "cached": 1, "failed": 1}


def test_template_hides_code_and_loads_nothing_remote() -> None:
    import evaluation.pipeline

    # not via evaluation.pipeline.render: importing nbconvert costs seconds
    templates = Path(evaluation.pipeline.__file__).parent / "templates"
    template = (templates / "evaluation_report" / "index.html.j2").read_text()
    for block in ("input_group", "html_head_js", "html_head_js_mathjax", "html_head_js_mermaidjs"):
        assert re.search(r"{%-? block " + block + r" -?%}\s*{%-? endblock", template), block
    conf = json.loads((templates / "evaluation_report" / "conf.json").read_text())
    assert conf["base_template"] == "lab"


# --- provenance without machine detail ----------------------------------------------------------


def test_manifest_has_no_machine_paths_and_every_seed(fake_summary: RunSummary, tmp_path: Path):
    from evaluation.pipeline.provenance import extract_identity

    data = tmp_path / "extract_2026"
    data.mkdir()
    (data / "people.parquet").write_bytes(b"rows")
    for job in fake_summary.jobs:
        job.parameters = {"data_dir": str(data), "output_dir": str(job.output_dir),
                          "config_path": str(REPO / "config" / "programmes" / "iom.yaml")}
        job.inputs = {str(data / "people.parquet"): "ab" * 32}
        job.seed = 20190930
    extra = {"data": extract_identity(data), "data_dir": str(data)}
    text = build_manifest(fake_summary, synthetic=True, extra=extra).read_text()
    for local in (str(tmp_path), str(Path.home()), str(REPO), "/tmp"):
        assert local not in text, local
    manifest = json.loads(text)
    iom = manifest["jobs"]["iom"]
    assert iom["parameters"] == {"data_dir": "extract_2026", "output_dir": "iom",
                                 "config_path": "config/programmes/iom.yaml"}
    assert iom["inputs"] == {"extract_2026/people.parquet": "ab" * 32}
    assert iom["notebook"] == f"{tmp_path.name}/nb.ipynb"
    assert all(job["seed"] == 20190930 for job in manifest["jobs"].values())
    identity = manifest["extra"]["data"]
    assert identity["name"] == "extract_2026"
    digest = hashlib.sha256(b"rows").hexdigest()
    assert identity["files"] == {"people.parquet": digest}
    assert identity["sha256"] == hashlib.sha256(f"people.parquet\0{digest}\n".encode()).hexdigest()


def test_programme_jobs_record_the_configured_seed(tmp_path: Path) -> None:
    from evaluation.config import load_programme_config
    from evaluation.pipeline.cli import programme_jobs

    data = tmp_path / "data"
    data.mkdir()
    jobs = programme_jobs(["iom"], data, tmp_path / "reports", ["seed=77"])
    assert [j.name for j in jobs] == ["iom", "iom_before_after"]
    assert [j.seed for j in jobs] == [77, 77]
    assert jobs[1].after == ("iom",)  # the before/after report reuses the IOM evaluation
    default = load_programme_config("iom").seed
    assert [j.seed for j in programme_jobs(["iom"], data, tmp_path / "r", [])] == [default] * 2


# --- a reports folder that cannot be written ----------------------------------------------------


def test_read_only_reports_folder_gets_a_clear_message(tmp_path: Path, capsys) -> None:
    import argparse
    import os

    from evaluation.pipeline.cli import run_from_cli

    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o555)
    if os.access(target, os.W_OK):  # root ignores permissions: use a read-only file system
        target = Path("/sys/evaluation-reports")
    args = argparse.Namespace(data=str(REPO / "data" / "synthetic"), reports=str(target),
                              programmes=["iom"], overrides=[], workers=1, force=False)
    try:
        code = run_from_cli(args)
    finally:
        (tmp_path / "ro").chmod(0o755)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"ERROR: cannot write the reports into {target}")
    assert "--reports" in err and "Traceback" not in err


def test_index_of_a_run_in_progress_never_says_succeeded(fake_summary: RunSummary) -> None:
    fake_summary.jobs = [j for j in fake_summary.jobs if j.status != "failed"]
    fake_summary.jobs[1].status = "pending"
    fake_summary.jobs[1].html = fake_summary.jobs[1].executed_notebook = None
    page = write_index(fake_summary, synthetic=True).read_text(encoding="utf-8")
    assert "1 of 2 reports NOT FINISHED" in page and "succeeded" not in page
    assert "not finished (the run is in progress" in page
    assert fake_summary.exit_code == 1 and not fake_summary.jobs[1].succeeded


def test_portable_paths(tmp_path: Path) -> None:
    from evaluation.pipeline.provenance import portable_path

    reports, project = tmp_path / "out" / "reports", tmp_path / "project"
    (tmp_path / "elsewhere" / "extract").mkdir(parents=True)
    assert portable_path(reports / "iom" / "results.json", reports, project) == "iom/results.json"
    assert portable_path(reports, reports, project) == "."
    assert portable_path(project / "config" / "iom.yaml", reports, project) == "config/iom.yaml"
    assert portable_path(tmp_path / "elsewhere" / "extract", reports, project) == "extract"
    assert (portable_path(tmp_path / "elsewhere" / "extract" / "people.parquet", reports, project)
            == "extract/people.parquet")
