"""Provenance for a run: ``reports/manifest.json``.

Paths are recorded relative to the reports folder or the project, never as this machine's
absolute folders (home, temporary): two machines running the same thing agree, and nothing
local leaks into a published file. The extract is named by its folder name and hashes.

Everything needed to say what produced the reports (RAP practice: outputs carry their
provenance): git commit and dirty flag, parameters per job, package versions, SHA-256 of every
input and output file, seed, Python version, the data's synthetic flag, and start/end times.
Times live here and only here: ``results.json`` files stay free of volatile items, so the same
command run twice gives byte-identical results.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evaluation.pipeline import cache
from evaluation.pipeline.files import atomic_write_text
from evaluation.pipeline.jobs import JobResult, RunSummary
from evaluation.pipeline.provenance import PROJECT_DIR, git_state, portable, portable_path

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def _rel(path: Path | None, root: Path) -> str | None:
    """A path the manifest can carry to another machine (see :func:`portable_path`)."""
    return None if path is None else portable_path(path, root)


def _job_entry(job: JobResult, root: Path) -> dict[str, Any]:
    notebook_hash = cache.sha256_file(job.notebook) if job.notebook.is_file() else None
    outputs = {_rel(p, root): cache.sha256_file(p) for p in job.outputs if Path(p).is_file()}
    seed = job.seed if job.seed is not None else job.parameters.get("seed")
    return {
        "status": job.status,
        "notebook": _rel(job.notebook, root),
        "notebook_sha256": notebook_hash,
        "parameters": portable(job.parameters, root),
        "seed": seed,
        "inputs": dict(sorted(portable(job.inputs, root).items())),
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
    job_seeds = [j.seed if j.seed is not None else j.parameters.get("seed") for j in summary.jobs]
    seeds = sorted({s for s in job_seeds if s is not None}, key=repr)
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
        **({"extra": portable(dict(extra), root)} if extra else {}),
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
    return atomic_write_text(reports_dir / MANIFEST_NAME, json.dumps(data, indent=2, default=str) + "\n")


def design_manifest(out_dir: Path, *, inputs: Mapping[str, Any], outputs: list[Path],
                    started: str, duration_s: float) -> dict[str, Any]:
    """The manifest of one `evaluation design` run: the command, its inputs (the file and the
    spec by name and SHA-256, the spec's content), the toolkit's git commit, Python and
    package versions, and the SHA-256 of every output (paths relative to ``out_dir``). No
    folder, host or platform of this machine is recorded."""
    from evaluation import __version__

    root = Path(out_dir).resolve()
    return {
        "manifest_version": MANIFEST_VERSION,
        "command": "evaluation design",
        "toolkit_version": __version__,
        "synthetic": False,
        "seed": None,  # nothing random: matching and weighting are deterministic
        "git": git_state(PROJECT_DIR),
        "python": cache.python_version(),
        "packages": cache.package_versions(),
        "inputs": portable(dict(inputs), root),
        "outputs": {Path(p).resolve().relative_to(root).as_posix(): cache.sha256_file(p)
                    for p in outputs},
        "run": {"started": started, "duration_s": round(duration_s, 3)},
    }
