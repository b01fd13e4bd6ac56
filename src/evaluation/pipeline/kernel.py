"""The Jupyter kernel every report notebook runs in, and the worker processes that start them.

Kernel: every notebook runs in a ``python3`` kernel started with *this* interpreter
(``sys.executable``), whatever kernelspecs are installed globally or named in the notebook's
metadata: a private kernelspec directory is put first on ``JUPYTER_PATH`` in each worker. The
kernel draws figures with matplotlib's non-interactive ``Agg`` backend (``MPLBACKEND``): library
code never switches a user's backend itself.

Workspace: each run keeps its kernelspec, the kernels' connection and socket files
(``JUPYTER_RUNTIME_DIR``, ``TMPDIR``) and the store of computed evaluations (``EVALUATION_RESULT_CACHE``, see
:mod:`evaluation.analysis.result_store`) in one private temporary folder, removed when the run
ends; a folder left by a run that was killed (its owner process is gone) is removed by the next.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

KERNEL_NAME = "python3"
WORKSPACE_PREFIX = "evaluation-kernel-"
_OWNER = "owner.pid"

#: Environment of every worker, inherited by the kernels it starts. Deterministic hashing; one
#: BLAS thread per worker (parallel workers on few cores, and thread-count-dependent float sums
#: would break bit-for-bit reproducibility); figures drawn off-screen.
KERNEL_ENVIRONMENT: dict[str, str] = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def write_kernelspec(root: str | Path) -> Path:
    """Write ``<root>/kernels/python3/kernel.json`` launching ipykernel with this interpreter."""
    kernel_dir = Path(root) / "kernels" / KERNEL_NAME
    kernel_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python {sys.version_info.major}.{sys.version_info.minor} (evaluation)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return kernel_dir


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def sweep_stale_workspaces(tmp_dir: str | Path | None = None) -> list[Path]:
    """Remove workspaces whose owner process is gone (a run killed with SIGKILL)."""
    removed = []
    for root in Path(tmp_dir or tempfile.gettempdir()).glob(WORKSPACE_PREFIX + "*"):
        try:
            pid = int((root / _OWNER).read_text().strip())
        except (OSError, ValueError):
            continue
        if not _alive(pid):
            shutil.rmtree(root, ignore_errors=True)
            removed.append(root)
    return removed


@contextmanager
def kernel_workspace(tmp_dir: str | Path | None = None) -> Iterator[Path]:
    """A private folder (mode 0700) for one run: kernelspec, runtime files, result store."""
    sweep_stale_workspaces(tmp_dir)
    root = Path(tempfile.mkdtemp(prefix=WORKSPACE_PREFIX, dir=tmp_dir))
    try:
        (root / _OWNER).write_text(str(os.getpid()), encoding="utf-8")
        write_kernelspec(root)
        for sub in ("runtime", "results", "tmp"):
            (root / sub).mkdir()
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def init_worker(kernel_root: str) -> None:
    """Worker set-up: our kernelspec first on ``JUPYTER_PATH``, :data:`KERNEL_ENVIRONMENT`, the
    workspace's runtime folder and result store; SIGTERM kills the worker's kernels with it."""
    from evaluation.analysis.result_store import ENV_VAR
    from evaluation.pipeline.interrupt import kill_children_and_exit

    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = kernel_root + (os.pathsep + previous if previous else "")
    os.environ.update(KERNEL_ENVIRONMENT)
    os.environ["JUPYTER_RUNTIME_DIR"] = str(Path(kernel_root) / "runtime")
    # connection files and sockets that jupyter_client puts in the temporary folder go here too
    os.environ["TMPDIR"] = str(Path(kernel_root) / "tmp")
    tempfile.tempdir = None
    os.environ[ENV_VAR] = str(Path(kernel_root) / "results")
    signal.signal(signal.SIGTERM, kill_children_and_exit)
    # nbformat -> jsonschema imports the optional rfc3987_syntax, which compiles a Lark grammar
    # at import (about 2 s per worker); it only checks the "iri" string format, which notebook
    # schemas never use. Treat it as absent in workers.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    for var in _THREAD_VARIABLES:
        os.environ.setdefault(var, "1")


def kernel_config() -> Any:
    """Talk to the kernel over local IPC sockets, not TCP ports: nothing listens on the network
    (and ipykernel stops warning about unencrypted TCP)."""
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    return config


@contextmanager
def main_module_hidden() -> Iterator[None]:
    """Spawned workers re-import the parent's ``__main__`` (to find pickled functions); ours live
    in this package, so hide ``__main__`` while workers start: run_reports then works from
    ``python -c``, stdin and scripts without an ``if __name__ == "__main__"`` guard."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main
