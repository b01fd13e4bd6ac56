"""Writes that are all or nothing: every file under ``reports/`` (results.json, tables, figures,
pages) is written to a temporary name in the same folder and renamed over its final name
(``os.replace`` is atomic on one file system), so a run killed part-way never leaves half a
file under a name that looks finished. Temporary names
start with a dot and hold ``.partial``: hidden from the index and the output lists, and swept
by the next run. In layer 1 so that the report builders and the pipeline share one helper."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PARTIAL_SUFFIX = ".partial"


def _file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give (mkstemp's files are owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed to ``path`` when the block ends without error,
    removed when it raises (or is interrupted)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX)
    os.close(fd)
    os.chmod(tmp, _file_mode())
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` all or nothing."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` all or nothing."""
    return atomic_write_bytes(path, text.encode(encoding))


def remove_partials(root: str | Path) -> list[Path]:
    """Delete the temporary files a killed run left under ``root``; returns what was removed."""
    root = Path(root)
    if not root.is_dir():
        return []
    removed = []
    for path in root.rglob(f".*{PARTIAL_SUFFIX}*"):
        if path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
