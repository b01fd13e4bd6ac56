"""The machinery behind ``evaluation run``: parameterised notebooks -> executed notebooks, HTML
reports without code, a provenance manifest and an index page.

Notebooks are thin report templates run by papermill; modules compute. See ``run_reports``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation.pipeline.index import write_index
from evaluation.pipeline.manifest import build_manifest
from evaluation.pipeline.run import JobResult, ReportJob, RunSummary, run_reports

__all__ = [
    "JobResult",
    "ReportJob",
    "RunSummary",
    "build_manifest",
    "render_html",
    "run_pipeline",
    "run_reports",
    "write_index",
]


def run_pipeline(
    jobs: Sequence[ReportJob],
    reports_dir: str | Path,
    *,
    synthetic: bool,
    seed: int | None = None,
    max_workers: int = 2,
    force: bool = False,
    progress: bool = True,
    timeout: float | None = None,
) -> RunSummary:
    """What ``evaluation run`` does: run the jobs, then write manifest.json and index.html.

    Exit with ``summary.exit_code`` (non-zero when any report failed).
    """
    summary = run_reports(
        jobs, reports_dir, max_workers=max_workers, force=force, progress=progress, timeout=timeout
    )
    build_manifest(summary, reports_dir, synthetic=synthetic, seed=seed)
    write_index(summary, reports_dir, synthetic=synthetic)
    return summary


def __getattr__(name: str) -> Any:
    # render pulls in nbconvert (slow to import); load it only when asked for.
    if name == "render_html":
        from evaluation.pipeline.render import render_html

        return render_html
    raise AttributeError(f"module 'evaluation.pipeline' has no attribute {name!r}")
