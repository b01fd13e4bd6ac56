"""Facts about the code and the parameters of a run: the git state of the work tree and parameters
turned into what papermill can inject (and JSON can record)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: The project's root folder (the checkout holding src/, notebooks/, config/).
PROJECT_DIR = Path(__file__).resolve().parents[3]
#: The files of an extract that identify it (as ``evaluation run`` hashes them).
EXTRACT_SUFFIXES = (".parquet", ".csv", ".json")


def now() -> str:
    """The current UTC time, ISO 8601 to the millisecond (times live in the manifest only)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def jsonable(value: Any, where: str) -> Any:
    """Parameters papermill can inject: str, int, float, bool, None, lists and str-keyed dicts."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        return value.item()
    if isinstance(value, list | tuple):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: dict key {k!r} is not a string")
            out[k] = jsonable(v, f"{where}[{k!r}]")
        return out
    raise ValueError(
        f"{where} has type {type(value).__name__}; papermill can inject only str, int, float, "
        "bool, None, lists and dicts of those (convert it, e.g. a date to an ISO string)"
    )


def git_state(repo_dir: str | Path | None = None) -> dict[str, Any]:
    """Commit and dirty flag of the git work tree containing ``repo_dir`` ("unknown" outside one).

    Read-only: ``--no-optional-locks`` stops ``git status`` from rewriting the index.
    """
    cwd = Path(repo_dir) if repo_dir else Path.cwd()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        porcelain = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=normal"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": "unknown"}
    return {"commit": commit or "unknown", "dirty": bool(porcelain.strip())}


def portable_path(path: str | os.PathLike[str], reports_dir: Path,
                  project_dir: Path = PROJECT_DIR) -> str:
    """A path as the manifest records it, free of this machine's folders: relative to the
    reports folder (where the manifest lives) when inside it, else relative to the project,
    else a folder's own name (``synthetic``) or a file's folder and name
    (``synthetic/people.parquet``)."""
    p = Path(os.path.abspath(os.fspath(path)))
    for root in (Path(os.path.abspath(reports_dir)), Path(os.path.abspath(project_dir))):
        if p == root:
            return "."
        if p.is_relative_to(root):
            return p.relative_to(root).as_posix()
    if p.is_dir() or not p.parent.name:
        return p.name
    return Path(p.parent.name, p.name).as_posix()


def portable(value: Any, reports_dir: Path, project_dir: Path = PROJECT_DIR) -> Any:
    """``value`` (JSON-able) with every absolute path string made portable (:func:`portable_path`)."""
    if isinstance(value, str):
        return portable_path(value, reports_dir, project_dir) if os.path.isabs(value) else value
    if isinstance(value, list | tuple):
        return [portable(v, reports_dir, project_dir) for v in value]
    if isinstance(value, Mapping):
        return {portable(k, reports_dir, project_dir): portable(v, reports_dir, project_dir)
                for k, v in value.items()}
    return value


def extract_identity(data_dir: str | Path) -> dict[str, Any]:
    """The extract as the manifest names it: its folder's own name, the SHA-256 of each data
    file and one SHA-256 over those (equal extracts, equal hash, wherever they are stored)."""
    from evaluation.pipeline.cache import sha256_file

    folder = Path(data_dir)
    files = {p.name: sha256_file(p) for p in sorted(folder.iterdir())
             if p.is_file() and p.suffix in EXTRACT_SUFFIXES} if folder.is_dir() else {}
    combined = hashlib.sha256("".join(f"{k}\0{v}\n" for k, v in files.items()).encode())
    return {"name": folder.name, "sha256": combined.hexdigest(), "files": files}
