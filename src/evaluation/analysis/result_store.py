"""Compute each evaluation once per run: a store of pickled results keyed by what they depend on.

Several reports draw on one programme's evaluation (the IOM report and the IOM before/after
report). The pipeline runs the first, which saves its evaluation here; the second loads it
instead of recomputing. The store is a directory the pipeline creates for one run (private to
the user, deleted when the run ends: a pickled evaluation holds person-level rows, so it must
never land in ``reports/``) and names in the environment variable :data:`ENV_VAR`, which the
report kernels inherit. Without the variable nothing is stored and everything is computed.

The key is the SHA-256 of the programme configuration (as a dict, overrides applied), the
SHA-256 of every data file, the package version and a hash of the package's source (the version
number does not change while the code does): a result is reused only for the same inputs and the
same code. A result is written to a temporary file and renamed, so a run killed mid-write
leaves no entry, and an unreadable entry counts as absent.

The report factory's call (one line)::

    evaluation = result_store.evaluate_once(config, data_dir, lambda: evaluate_programme(
        config, load_extract(data_dir)))
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Mapping
from functools import cache as _memoise
from pathlib import Path
from typing import Any, TypeVar

from evaluation import hashing as cache

ENV_VAR = "EVALUATION_RESULT_CACHE"
#: The files of an extract a result depends on (as ``evaluation run`` hashes them).
DATA_SUFFIXES = (".parquet", ".csv", ".json")
T = TypeVar("T")


def store_dir(directory: str | Path | None = None) -> Path | None:
    """The store: ``directory`` if given, else the one named by :data:`ENV_VAR` (None: no store)."""
    if directory is not None:
        return Path(directory)
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value) if value else None


def data_hashes(data_dir: str | Path, suffixes: Iterable[str] = DATA_SUFFIXES) -> dict[str, str]:
    """``{file name: SHA-256}`` of the extract's data files (names only: the folder may move)."""
    wanted = tuple(suffixes)
    return {
        p.name: cache.sha256_file(p)
        for p in sorted(Path(data_dir).iterdir())
        if p.is_file() and p.suffix in wanted
    }


@_memoise
def code_version() -> dict[str, str]:
    """The package version and a hash of its source (computed once per process)."""
    from evaluation import __version__

    return {"version": __version__, "source_sha256": cache.library_source_hash()}


def _config_dict(config: Any) -> dict[str, Any]:
    if isinstance(config, Mapping):
        return dict(config)
    if hasattr(config, "to_dict"):
        return dict(config.to_dict())
    raise TypeError(f"config must be a mapping or have to_dict(), not {type(config).__name__}")


def result_key(
    config: Any, hashes: Mapping[str, str], version: Mapping[str, str] | None = None
) -> str:
    """SHA-256 of (configuration dict, data hashes, code version): equal inputs, equal keys."""
    parts = {
        "config": _config_dict(config),
        "data": dict(sorted(hashes.items())),
        "code": dict(version if version is not None else code_version()),
    }
    return hashlib.sha256(cache.canonical_json(parts).encode()).hexdigest()


def _path(directory: Path, key: str) -> Path:
    return directory / f"{key}.pickle"


def save(
    value: Any,
    config: Any,
    data_dir: str | Path,
    directory: str | Path | None = None,
    *,
    hashes: Mapping[str, str] | None = None,
) -> Path | None:
    """Store ``value`` for (``config``, the data in ``data_dir``, this code); None without a store.

    Written to a temporary file in the store and renamed: never half an entry. A value that
    cannot be pickled is not stored (None): the next report computes it again.
    """
    root = store_dir(directory)
    if root is None:
        return None
    root.mkdir(parents=True, exist_ok=True)
    key = result_key(config, hashes if hashes is not None else data_hashes(data_dir))
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, _path(root, key))
    except (pickle.PicklingError, TypeError, AttributeError):
        Path(tmp).unlink(missing_ok=True)
        return None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return _path(root, key)


def load(
    config: Any,
    data_dir: str | Path,
    directory: str | Path | None = None,
    *,
    hashes: Mapping[str, str] | None = None,
) -> Any | None:
    """The stored value for (``config``, the data in ``data_dir``, this code), or None."""
    root = store_dir(directory)
    if root is None:
        return None
    key = result_key(config, hashes if hashes is not None else data_hashes(data_dir))
    try:
        with open(_path(root, key), "rb") as fh:
            return pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None


def evaluate_once(
    config: Any, data_dir: str | Path, compute: Callable[[], T], directory: str | Path | None = None
) -> T:
    """``compute()`` unless the store holds its result for these inputs; stores what it computes.

    Without a store (no :data:`ENV_VAR`, e.g. a notebook opened by hand) this is ``compute()``.
    """
    if store_dir(directory) is None:
        return compute()
    hashes = data_hashes(data_dir)
    found = load(config, data_dir, directory, hashes=hashes)
    if found is not None:
        return found
    value = compute()
    save(value, config, data_dir, directory, hashes=hashes)
    return value
