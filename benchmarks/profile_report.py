"""Profile one programme report end to end: where do its seconds go?

Run: ``.venv/bin/python benchmarks/profile_report.py [--programme iom] [--data data/synthetic]``.

Stages, each timed separately (wall clock, on this machine, single worker):
1. ``kernel``: papermill runs a notebook that only imports what a report imports (pandas,
   lifelines, statsmodels, matplotlib, the evaluation package) in a fresh kernel: the fixed cost of
   one report before any of our work.
2. ``notebook_code``: the report notebook's own cells executed in this process under cProfile
   (parameters injected as papermill would): our work. The top functions by cumulative time go to
   ``benchmarks/results/profile_report.txt``.
3. ``render``: nbconvert import and the HTML rendering of the executed notebook.
4. ``pipeline``: ``run_reports`` of the one report (everything above plus worker start-up).
Results: ``benchmarks/results/profile_report.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
NOTEBOOK = REPO / "notebooks" / "programme_evaluation.ipynb"
IMPORTS = (
    "import pandas, numpy, scipy, statsmodels.api, lifelines, matplotlib.pyplot\n"
    "import evaluation.report\n"
)


def _code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _imports_notebook(path: Path) -> Path:
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "imports",
                   "metadata": {}, "outputs": [], "source": IMPORTS}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def time_kernel(root: Path) -> float:
    """A fresh kernel that imports what a report imports, through the pipeline's runner."""
    from evaluation.pipeline import ReportJob, run_reports

    nb = _imports_notebook(root / "imports.ipynb")
    summary = run_reports([ReportJob("imports", nb, {}, output_param=None)], root / "k",
                          max_workers=1, progress=False, force=True)
    job = summary["imports"]
    assert job.status == "ok", job.error
    return float(job.duration_s or 0.0)


def profile_notebook_code(programme: str, data: Path, out: Path, top: int) -> tuple[float, str]:
    """The notebook's cells in this process under cProfile; returns seconds and the top list."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    cells = _code_cells(NOTEBOOK)
    params = (f"programme = {programme!r}\ndata_dir = {str(data)!r}\n"
              f"output_dir = {str(out)!r}\noverrides = []\nconfig_path = None\n")
    namespace: dict = {"__name__": "__main__"}
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    exec(compile(cells[0] + "\n" + params, "<parameters>", "exec"), namespace)
    for i, source in enumerate(cells[1:], start=1):
        exec(compile(source, f"<cell {i}>", "exec"), namespace)
    profiler.disable()
    seconds = time.perf_counter() - t0
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
    return seconds, text.getvalue()


def time_render(executed: Path, out: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    from evaluation.pipeline.render import render_html

    t1 = time.perf_counter()
    render_html(executed, out / "page.html", title="profile")
    t2 = time.perf_counter()
    return {"import_nbconvert_s": round(t1 - t0, 3), "render_s": round(t2 - t1, 3)}


def time_pipeline(programme: str, data: Path, root: Path) -> tuple[float, float, Path]:
    """One report through ``run_reports`` (as ``evaluation run`` builds it)."""
    from evaluation.pipeline.cli import programme_jobs
    from evaluation.pipeline.runner import run_reports

    jobs = [j for j in programme_jobs([programme], data, root / "reports", []) if
            j.name == programme]
    t0 = time.perf_counter()
    summary = run_reports(jobs, root / "reports", max_workers=1, progress=False, force=True)
    wall = time.perf_counter() - t0
    job = summary[programme]
    assert job.status == "ok", job.failure_text()
    return wall, float(job.duration_s or 0.0), Path(job.executed_notebook)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programme", default="iom")
    parser.add_argument("--data", type=Path, default=REPO / "data" / "synthetic")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    data = args.data.resolve()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="profile-report-") as tmp:
        root = Path(tmp)
        kernel_s = time_kernel(root)
        wall, job_s, executed = time_pipeline(args.programme, data, root)
        code_s, top = profile_notebook_code(args.programme, data, root / "inproc", args.top)
        render = time_render(executed, root)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(),
        "programme": args.programme,
        "data": data.name,
        "stages_s": {
            "kernel_start_and_imports": round(kernel_s, 3),
            "notebook_code_in_process_profiled": round(code_s, 3),
            **render,
            "pipeline_job": round(job_s, 3),
            "pipeline_wall_incl_worker_start": round(wall, 3),
        },
        "note": "wall-clock, one run, shared 2-core machine; cProfile adds overhead to "
                "notebook_code (see profile_report.txt for where it goes)",
    }
    (RESULTS / "profile_report.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "profile_report.txt").write_text(top)
    print(json.dumps(result, indent=2))
    print(top[:6000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
