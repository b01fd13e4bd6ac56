"""The machinery behind ``evaluation run``: parameterised notebooks -> executed notebooks, HTML
reports without code, a provenance manifest and an index page.

Notebooks are thin report templates run by papermill; modules compute. Modules: ``jobs`` (what a
run is made of), ``runner`` (``run_reports``, ``run_pipeline``), ``worker`` (one job), ``kernel``,
``cache``, ``provenance``, ``manifest``, ``index``, ``render`` (HTML) and ``cli``.
"""

from __future__ import annotations

from typing import Any

from evaluation.pipeline.index import write_index
from evaluation.pipeline.jobs import JobResult, ReportJob, RunSummary
from evaluation.pipeline.manifest import build_manifest
from evaluation.pipeline.runner import run_pipeline, run_reports

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


def __getattr__(name: str) -> Any:
    # render pulls in nbconvert (slow to import); load it only when asked for.
    if name == "render_html":
        from evaluation.pipeline.render import render_html

        return render_html
    raise AttributeError(f"module 'evaluation.pipeline' has no attribute {name!r}")
