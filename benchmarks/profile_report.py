"""Profile one programme report end to end: where do its seconds go?

Run: ``.venv/bin/python benchmarks/profile_report.py [--programme iom] [--data data/synthetic]
[--repeats 3]``.

Stages, each timed separately (wall clock, single worker, medians of ``--repeats``):
1. ``kernel_bare``: papermill runs a one-cell notebook (``1 + 1``) through the pipeline's
   runner: kernel start, papermill, nbformat; nothing of ours.
2. ``kernel_imports``: the same with the imports a report makes (pandas, lifelines,
   statsmodels, matplotlib, the report factory).
3. In this process, as a report kernel inside ``evaluation run`` does them: ``load`` (the gate,
   with the run's validated digest: only the programme's people and offences are read),
   ``evaluate`` (``evaluate_programme``) and ``report_cells`` (the notebook's cells after the
   first: sentences, charts, tables, results.json). The top functions of ``evaluate`` by
   cumulative time (one extra profiled run) go to ``benchmarks/results/profile_report.txt``.
4. ``render_html``: nbconvert's HTML of the executed notebook.
5. ``pipeline_job``: the report through ``run_reports`` as ``evaluation run`` builds it (all of
   the above in a fresh worker and kernel).
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
import statistics
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
    "import evaluation.reporting.factories\n"
)


def _one_cell_notebook(path: Path, source: str) -> Path:
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "only",
                   "metadata": {}, "outputs": [], "source": source}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def time_kernel(root: Path, source: str, name: str) -> float:
    """A one-cell notebook through the pipeline's runner (fresh worker and kernel)."""
    from evaluation.pipeline import ReportJob, run_reports

    nb = _one_cell_notebook(root / f"{name}.ipynb", source)
    summary = run_reports([ReportJob(name, nb, {}, output_param=None)], root / name,
                          max_workers=1, progress=False, force=True)
    job = summary[name]
    assert job.status == "ok", job.error
    return float(job.duration_s or 0.0)


def _cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def in_process(programme: str, data: Path, out: Path) -> dict[str, float]:
    """Load, evaluate and the report cells in this process, timed apart."""
    from evaluation.analysis.programme import evaluate_programme
    from evaluation.config import load_programme_config
    from evaluation.data.gate import input_digest, open_validated_extract
    from evaluation.reporting.factories import ProgrammeReport, describe_extract

    config = load_programme_config(programme)
    t0 = time.perf_counter()
    extract = open_validated_extract(data, validated_digest=input_digest(data),
                                     programme=programme)
    t1 = time.perf_counter()
    evaluation = evaluate_programme(config, extract)
    t2 = time.perf_counter()
    report = ProgrammeReport(evaluation, out, truth=None, extract_info=describe_extract(extract))
    namespace = {"report": report, "data_dir": str(data)}
    for source in _cells(NOTEBOOK)[2:]:
        exec(compile(source, "<cell>", "exec"), namespace)
    t3 = time.perf_counter()
    return {"load": t1 - t0, "evaluate": t2 - t1, "report_cells": t3 - t2}


def profile_evaluate(programme: str, data: Path, top: int) -> str:
    from evaluation.analysis.programme import evaluate_programme
    from evaluation.config import load_programme_config
    from evaluation.data.gate import input_digest, open_validated_extract

    config = load_programme_config(programme)
    extract = open_validated_extract(data, validated_digest=input_digest(data),
                                     programme=programme)
    profiler = cProfile.Profile()
    profiler.enable()
    evaluate_programme(config, extract)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
    return text.getvalue()


def time_pipeline(programme: str, data: Path, root: Path) -> tuple[float, Path]:
    """One report through ``run_reports`` as ``evaluation run`` builds it."""
    from evaluation.data.gate import VALIDATED_DIGEST_ENV, input_digest
    from evaluation.pipeline.cli import programme_jobs
    from evaluation.pipeline.runner import run_reports

    os.environ[VALIDATED_DIGEST_ENV] = input_digest(data)
    try:
        jobs = [j for j in programme_jobs([programme], data, root / "reports", [])
                if j.name == programme]
        summary = run_reports(jobs, root / "reports", max_workers=1, progress=False,
                              force=True)
    finally:
        os.environ.pop(VALIDATED_DIGEST_ENV, None)
    job = summary[programme]
    assert job.status == "ok", job.failure_text()
    return float(job.duration_s or 0.0), Path(job.executed_notebook)


def time_render(executed: Path, out: Path) -> float:
    from evaluation.pipeline.render import render_html

    t0 = time.perf_counter()
    render_html(executed, out / "page.html", title="profile")
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programme", default="iom")
    parser.add_argument("--data", type=Path, default=REPO / "data" / "synthetic")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    data = args.data.resolve()
    os.environ.setdefault("MPLBACKEND", "Agg")
    runs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="profile-report-") as tmp:
        root = Path(tmp)
        for i in range(args.repeats):
            runs.setdefault("kernel_bare", []).append(time_kernel(root, "1 + 1", f"bare{i}"))
            runs.setdefault("kernel_imports", []).append(time_kernel(root, IMPORTS, f"imp{i}"))
            for stage, s in in_process(args.programme, data, root / f"inproc{i}").items():
                runs.setdefault(stage, []).append(s)
            job_s, executed = time_pipeline(args.programme, data, root / f"job{i}")
            runs.setdefault("pipeline_job", []).append(job_s)
            runs.setdefault("render_html", []).append(time_render(executed, root))
        top = profile_evaluate(args.programme, data, args.top)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(),
        "programme": args.programme,
        "data": data.name,
        "repeats": args.repeats,
        "median_s": {k: round(statistics.median(v), 3) for k, v in runs.items()},
        "runs_s": {k: [round(x, 3) for x in v] for k, v in runs.items()},
        "note": "wall clock on a shared machine; 'load', 'evaluate' and 'report_cells' run in "
                "this process (imports already done); pipeline_job is everything in a fresh "
                "worker and kernel",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "profile_report.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "profile_report.txt").write_text(top)
    print(json.dumps(result["median_s"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
