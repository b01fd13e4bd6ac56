"""Provenance for a run: ``reports/manifest.json``.

Everything needed to say what produced the reports (RAP practice: outputs carry their
provenance): git commit and dirty flag, parameters per job, package versions, SHA-256 of every
input and output file, seed, Python version, the data's synthetic flag, and start/end times.
Times live here and only here: ``results.json`` files stay free of volatile items, so the same
command run twice gives byte-identical results.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evaluation.pipeline import cache
from evaluation.pipeline.jobs import JobResult, RunSummary
from evaluation.pipeline.provenance import git_state

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def _rel(path: Path | None, root: Path) -> str | None:
    """Path relative to the reports directory when inside it (portable), else absolute."""
    if path is None:
        return None
    path = Path(path)
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return os.fspath(path)


def _job_entry(job: JobResult, root: Path) -> dict[str, Any]:
    notebook_hash = cache.sha256_file(job.notebook) if job.notebook.is_file() else None
    outputs = {_rel(p, root): cache.sha256_file(p) for p in job.outputs if Path(p).is_file()}
    return {
        "status": job.status,
        "notebook": os.fspath(job.notebook),
        "notebook_sha256": notebook_hash,
        "parameters": job.parameters,
        "seed": job.parameters.get("seed"),
        "inputs": dict(sorted(job.inputs.items())),
        "outputs": dict(sorted(outputs.items())),
        "executed_notebook": _rel(job.executed_notebook, root),
        "html": _rel(job.html, root),
        "cache_key": job.cache_key,
        "started": job.started,
        "finished": job.finished,
        "duration_s": job.duration_s,
        "error": job.error,
        "failed_cell": job.failed_cell,
    }


def manifest_dict(
    summary: RunSummary,
    *,
    synthetic: bool,
    seed: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest as a dict (see :func:`build_manifest`)."""
    root = Path(summary.reports_dir).resolve()
    seeds = sorted(
        {j.parameters["seed"] for j in summary.jobs if j.parameters.get("seed") is not None},
        key=repr,
    )
    return {
        "manifest_version": MANIFEST_VERSION,
        "synthetic": bool(synthetic),
        "seed": seed if seed is not None else (seeds[0] if len(seeds) == 1 else seeds or None),
        "git": summary.git or git_state(),
        "python": summary.python or cache.python_version(),
        "platform": platform.platform(),
        "packages": summary.packages or cache.package_versions(),
        "run": {
            "started": summary.started,
            "finished": summary.finished,
            "duration_s": summary.duration_s,
            "exit_code": summary.exit_code,
            "counts": {
                "ok": len(summary.ok),
                "cached": len(summary.cached),
                "failed": len(summary.failed),
            },
        },
        "jobs": {job.name: _job_entry(job, root) for job in summary.jobs},
        **({"extra": dict(extra)} if extra else {}),
    }


def build_manifest(
    summary: RunSummary,
    reports_dir: str | Path | None = None,
    *,
    synthetic: bool,
    seed: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``<reports_dir>/manifest.json`` for ``summary`` and return its path.

    ``seed`` is the run's master seed; when None, the jobs' ``seed`` parameters are recorded
    (one value, or the sorted distinct values). ``extra`` is stored verbatim (e.g. the YAML
    configuration files used).
    """
    reports_dir = Path(reports_dir) if reports_dir is not None else Path(summary.reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    data = manifest_dict(summary, synthetic=synthetic, seed=seed, extra=extra)
    path = reports_dir / MANIFEST_NAME
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path
