"""Faults: a run stopped part-way (SIGTERM, SIGKILL) leaves nothing that looks complete and no
cache entry that skips work; the next run recomputes exactly what was missing.

Each run is a real ``run_pipeline`` in a subprocess, one worker: the ``quick`` fixture notebook
finishes, then ``slow`` writes a table and waits for a gate file, and the test stops the run
while it waits. The rerun opens the gate (same parameters, so the same cache keys).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from paths import FIXTURES_DIR, REPO

FIXTURES = FIXTURES_DIR / "notebooks"
SCRIPT = """
import sys
from pathlib import Path
from evaluation.pipeline import ReportJob, run_pipeline
from evaluation.pipeline.interrupt import RunInterrupted

reports, gate, fixtures = (Path(a) for a in sys.argv[1:4])
jobs = [ReportJob("quick", fixtures / "quick.ipynb", {"greeting": "hi"}),
        ReportJob("slow", fixtures / "slow.ipynb", {"gate": str(gate)})]
try:
    summary = run_pipeline(jobs, reports, synthetic=True, max_workers=1, progress=False)
except RunInterrupted as exc:
    sys.exit(exc.exit_code)
sys.exit(summary.exit_code)
"""


def _start(root: Path) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(root / "tmp"),
           "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    (root / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(root / "reports"), str(root / "gate"), str(FIXTURES)],
        env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen, limit: float = 180) -> None:
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"run ended early ({proc.returncode}): {out[-2000:]} {err[-2000:]}")
        assert time.monotonic() - t0 < limit, f"{path} never appeared"
        time.sleep(0.1)


def _partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".partial" in p.name]


def _stop_while_waiting(root: Path, how: signal.Signals) -> subprocess.Popen:
    proc = _start(root)
    reports = root / "reports"
    _wait_for(reports / "slow" / "tables" / "first.csv", proc)
    index = (reports / "index.html").read_text()
    # while the run is in progress the index says so, and links only what is finished
    assert "NOT FINISHED" in index and "succeeded" not in index
    assert 'href="quick/quick.html"' in index and "slow/slow.html" not in index
    if how == signal.SIGKILL:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole run at once, as a machine stop would
    else:
        os.kill(proc.pid, how)
    proc.communicate(timeout=60)
    time.sleep(1.5)  # a kernel orphaned by SIGKILL notices its parent is gone within a second
    return proc


def _rerun_recomputes_only_what_was_missing(root: Path) -> None:
    reports = root / "reports"
    quick_nb = (reports / "quick" / "quick.ipynb").stat().st_mtime_ns
    (root / "gate").write_text("open")
    proc = _start(root)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-2000:] + err[-2000:]
    assert (reports / "quick" / "quick.ipynb").stat().st_mtime_ns == quick_nb  # cached
    assert (reports / "slow" / "results.json").read_text() == '{"waited": true}\n'
    assert (reports / "slow" / "slow.html").is_file()
    assert "All 2 reports succeeded." in (reports / "index.html").read_text()
    manifest = (reports / "manifest.json").read_text()
    assert '"cached": 1' in manifest and '"ok": 1' in manifest
    assert not _partials(root)
    assert not list((root / "tmp").glob("evaluation-kernel-*")), "workspace left behind"


def test_sigterm_records_what_finished_and_the_rerun_completes(tmp_path: Path) -> None:
    proc = _stop_while_waiting(tmp_path, signal.SIGTERM)
    reports = tmp_path / "reports"
    assert proc.returncode == 128 + signal.SIGTERM
    index = (reports / "index.html").read_text()
    assert "1 of 2 reports FAILED" in index and "stopped (SIGTERM)" in index
    assert "succeeded" not in index
    slow = reports / "slow"
    assert not (slow / ".evaluation-stamp.json").exists()  # nothing that would skip the rerun
    assert not (slow / "slow.html").exists() and not (slow / "tables" / "first.csv").exists()
    assert (reports / "quick" / ".evaluation-stamp.json").is_file()
    manifest = (reports / "manifest.json").read_text()
    assert "RunInterrupted" in manifest
    assert not _partials(tmp_path)
    # the kernels' connection and socket files lived in the run's workspace: gone with it
    assert not list((tmp_path / "tmp").glob("evaluation-kernel-*"))
    _rerun_recomputes_only_what_was_missing(tmp_path)


def test_sigkill_leaves_nothing_that_looks_complete_and_the_rerun_completes(
    tmp_path: Path,
) -> None:
    _stop_while_waiting(tmp_path, signal.SIGKILL)
    reports = tmp_path / "reports"
    index = (reports / "index.html").read_text()
    assert "NOT FINISHED" in index and "succeeded" not in index
    assert not (reports / "manifest.json").exists()  # written last: a stopped run has none
    slow = reports / "slow"
    assert not (slow / ".evaluation-stamp.json").exists()
    assert not (slow / "slow.html").exists() and not (slow / "slow.ipynb").exists()
    # the rerun sweeps the dead run's workspace and temporary files and redoes only `slow`
    _rerun_recomputes_only_what_was_missing(tmp_path)
