"""Facts about the code and the parameters of a run: the git state of the work tree and parameters
turned into what papermill can inject (and JSON can record)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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
