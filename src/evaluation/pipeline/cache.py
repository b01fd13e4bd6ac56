"""Content hashes and stamp files: rerun a report only when something it depends on changed.

A job's cache key is the SHA-256 of its notebook bytes, its parameters (canonical JSON), the
SHA-256 of every input file, the versions of the direct dependencies, the Python version and the
source of the ``evaluation`` package itself (its version number does not change while the code
does). The key is written to a stamp file in the job's output directory after a successful run;
a later run with the same key and all recorded outputs still present is skipped.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from evaluation.hashing import (  # noqa: F401 (re-exported for the pipeline)
    canonical_json,
    library_source_hash,
    sha256_file,
)

STAMP_NAME = ".evaluation-stamp.json"

#: Direct dependencies whose versions are recorded in the manifest and enter the cache key.
DIRECT_DEPENDENCIES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "lifelines",
    "scikit-learn",
    "matplotlib",
    "pandera",
    "papermill",
    "nbconvert",
    "pyarrow",
    "pydantic",
    "PyYAML",
)

def package_versions(packages: Iterable[str] = DIRECT_DEPENDENCIES) -> dict[str, str]:
    """Installed version of each package ("not installed" when absent), in the order given."""
    versions: dict[str, str] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def python_version() -> str:
    return platform.python_version()


def cache_components(
    notebook: Path,
    parameters: Mapping[str, Any],
    inputs: Mapping[str, str],
    versions: Mapping[str, str],
    library_hash: str,
) -> dict[str, Any]:
    """Everything a report's result depends on, as a JSON-able dict (kept in the stamp to explain
    why a job reran)."""
    return {
        "notebook_sha256": sha256_file(notebook),
        "parameters": dict(parameters),
        "inputs": dict(sorted(inputs.items())),
        "packages": dict(versions),
        "python": python_version(),
        "evaluation_source_sha256": library_hash,
    }


def cache_key(components: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(components).encode()).hexdigest()


def read_stamp(output_dir: Path) -> dict[str, Any] | None:
    """The stamp of the last successful run, or None when absent or unreadable."""
    path = output_dir / STAMP_NAME
    try:
        stamp = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def write_stamp(output_dir: Path, stamp: Mapping[str, Any]) -> Path:
    """Write the stamp all or nothing (a half-written stamp would read as absent anyway)."""
    from evaluation.pipeline.files import atomic_write_text

    text = json.dumps(stamp, indent=2, sort_keys=True) + "\n"
    return atomic_write_text(output_dir / STAMP_NAME, text)


def remove_stamp(output_dir: Path) -> None:
    (output_dir / STAMP_NAME).unlink(missing_ok=True)


def stamp_is_fresh(stamp: Mapping[str, Any] | None, key: str, required: Iterable[Path]) -> bool:
    """True when the stamp carries ``key`` and every file the last run produced still exists."""
    if not stamp or stamp.get("key") != key:
        return False
    return all(Path(p).is_file() for p in required)
