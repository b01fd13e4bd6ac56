"""Run parameterised report notebooks with papermill, in parallel, with caching.

``run_reports`` executes each :class:`ReportJob` in a worker process, keeps the executed notebook,
renders an HTML report without code and lists the files the notebook wrote. One failing job does
not stop the others; :class:`RunSummary` says which failed and why, and ``exit_code`` is non-zero
when any did. A job whose notebook, parameters, inputs and environment are unchanged since its
last successful run is not recomputed (see :mod:`evaluation.pipeline.cache`).

Kernel: every notebook runs in a ``python3`` kernel started with *this* interpreter
(``sys.executable``), whatever kernelspecs are installed globally or named in the notebook's
metadata: a private kernelspec directory is put first on ``JUPYTER_PATH`` in each worker.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal

from evaluation.pipeline import cache

Status = Literal["ok", "failed", "cached"]
KERNEL_NAME = "python3"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TABLE_SUFFIXES = {".csv", ".tsv", ".parquet", ".xlsx", ".ods"}
_FIGURE_SUFFIXES = {".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp"}


@dataclass(frozen=True)
class ReportJob:
    """One report: run ``notebook`` with ``parameters``; it reads ``inputs``, writes ``output_dir``.

    ``output_dir`` defaults to ``<reports_dir>/<name>``. Unless ``output_param`` is None, the
    output directory is also injected as that parameter (so notebooks need no hard-coded
    paths). ``cwd`` (default: the output directory) is where the kernel starts, so a stray
    relative write lands in ``reports/``, never back in ``notebooks/``.
    """

    name: str
    notebook: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    inputs: Sequence[Path] = ()
    output_dir: Path | None = None
    output_param: str | None = "output_dir"
    cwd: Path | None = None


@dataclass
class JobResult:
    """What happened to one job. Paths are absolute; ``outputs`` are the files it wrote."""

    name: str
    status: Status
    notebook: Path
    output_dir: Path
    report_dir: Path
    parameters: dict[str, Any]
    inputs: dict[str, str]
    cache_key: str = ""
    executed_notebook: Path | None = None
    html: Path | None = None
    outputs: list[Path] = field(default_factory=list)
    started: str | None = None
    finished: str | None = None
    duration_s: float | None = None
    error: str | None = None
    failed_cell: dict[str, Any] | None = None

    @property
    def succeeded(self) -> bool:
        return self.status != "failed"

    def outputs_by_kind(self) -> dict[str, list[Path]]:
        """Outputs grouped as ``results`` (results.json), ``tables``, ``figures`` and ``other``."""
        kinds: dict[str, list[Path]] = {"results": [], "tables": [], "figures": [], "other": []}
        for path in self.outputs:
            suffix = path.suffix.lower()
            if path.name == "results.json":
                kinds["results"].append(path)
            elif suffix in _TABLE_SUFFIXES:
                kinds["tables"].append(path)
            elif suffix in _FIGURE_SUFFIXES:
                kinds["figures"].append(path)
            else:
                kinds["other"].append(path)
        return kinds

    def failure_text(self) -> str:
        """One line for humans: the exception's last line and the cell where it happened."""
        if self.error is None:
            return ""
        if not self.failed_cell:
            return self.error
        cell = self.failed_cell
        first = (cell.get("source") or "").strip().splitlines()
        where = f"cell {cell.get('index')}"
        if cell.get("execution_count") is not None:
            where += f" (In [{cell['execution_count']}])"
        if first:
            where += f": {first[0][:80]}"
        return f"{self.error} — at {where}"


@dataclass
class RunSummary:
    """All jobs of one run, plus the environment facts the manifest records."""

    jobs: list[JobResult]
    reports_dir: Path
    started: str
    finished: str
    duration_s: float
    git: dict[str, Any] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=dict)
    python: str = ""

    @property
    def failed(self) -> list[JobResult]:
        return [j for j in self.jobs if j.status == "failed"]

    @property
    def cached(self) -> list[JobResult]:
        return [j for j in self.jobs if j.status == "cached"]

    @property
    def ok(self) -> list[JobResult]:
        return [j for j in self.jobs if j.status == "ok"]

    @property
    def exit_code(self) -> int:
        """0 when every job succeeded (ran or cached), 1 otherwise: for ``sys.exit``."""
        return 1 if self.failed else 0

    def __getitem__(self, name: str) -> JobResult:
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(f"no job named {name!r}; jobs: {[j.name for j in self.jobs]}")

    def describe(self) -> str:
        lines = [
            f"{len(self.jobs)} report(s): {len(self.ok)} ran, {len(self.cached)} cached, "
            f"{len(self.failed)} failed ({self.duration_s:.1f} s)"
        ]
        lines += [f"  FAILED {j.name}: {j.failure_text()}" for j in self.failed]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# helpers


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _jsonable(value: Any, where: str) -> Any:
    """Parameters papermill can inject: str, int, float, bool, None, lists and str-keyed dicts."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        return value.item()
    if isinstance(value, list | tuple):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: dict key {k!r} is not a string")
            out[k] = _jsonable(v, f"{where}[{k!r}]")
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


def _init_worker(kernel_root: str) -> None:
    """Worker set-up: our kernelspec first; deterministic hashing; one BLAS thread per worker
    (parallel workers on few cores, and thread-count-dependent float sums would break
    bit-for-bit reproducibility)."""
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = kernel_root + (os.pathsep + previous if previous else "")
    os.environ["PYTHONHASHSEED"] = "0"
    # nbformat -> jsonschema imports the optional rfc3987_syntax, which compiles a Lark grammar
    # at import (about 2 s per worker); it only checks the "iri" string format, which notebook
    # schemas never use. Treat it as absent in workers.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _kernel_config() -> Any:
    """Talk to the kernel over local IPC sockets, not TCP ports: nothing listens on the network
    (and ipykernel stops warning about unencrypted TCP)."""
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    return config


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Spawned workers re-import the parent's ``__main__`` (to find pickled functions); ours live
    in this module, so hide ``__main__`` while workers start: run_reports then works from
    ``python -c``, stdin and scripts without an ``if __name__ == "__main__"`` guard."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _last_line(text: str) -> str:
    lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def _collect_outputs(output_dir: Path, exclude: Iterable[Path]) -> list[Path]:
    """Files the notebook wrote under ``output_dir``, minus our own artefacts and hidden files."""
    if not output_dir.is_dir():
        return []
    skip = {p.resolve() for p in exclude}
    found = []
    for path in sorted(output_dir.rglob("*")):
        rel = path.relative_to(output_dir)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if path.is_file() and path.resolve() not in skip:
            found.append(path)
    return found


def _remove_previous_outputs(output_dir: Path, stamp: Mapping[str, Any] | None) -> None:
    """Delete what the last run wrote, so stale figures never pose as new ones."""
    if not stamp:
        return
    root = output_dir.resolve()
    for rel in stamp.get("outputs", []):
        path = (output_dir / rel).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()


# ---------------------------------------------------------------------------------------------
# the worker


def _execute_job(spec: dict[str, Any]) -> JobResult:
    """Run one notebook, render it, list its outputs, write its stamp. Never raises."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from evaluation.pipeline.render import render_html

    result: JobResult = spec["result"]
    output_dir, report_dir = result.output_dir, result.report_dir
    executed = report_dir / f"{result.name}.ipynb"
    html = report_dir / f"{result.name}.html"
    result.started = _now()
    t0 = time.perf_counter()
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        report_dir.mkdir(parents=True, exist_ok=True)
        old = cache.read_stamp(output_dir)
        cache.remove_stamp(output_dir)
        _remove_previous_outputs(output_dir, old)
        for stale in (executed, html):
            stale.unlink(missing_ok=True)
        cwd = Path(spec["cwd"])
        cwd.mkdir(parents=True, exist_ok=True)
        pm.execute_notebook(
            str(result.notebook),
            str(executed),
            parameters=result.parameters,
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=False,
            log_output=False,
            cwd=str(cwd),
            execution_timeout=spec["timeout"],
            config=_kernel_config(),
        )
        result.status = "ok"
    except PapermillExecutionError as exc:
        result.status = "failed"
        result.error = f"{exc.ename}: {_last_line(exc.evalue)}" if exc.evalue else exc.ename
        result.failed_cell = {
            "index": exc.cell_index,
            "execution_count": exc.exec_count,
            "source": "\n".join(str(exc.source).splitlines()[:10]),
        }
    except Exception as exc:
        result.status = "failed"
        result.error = _last_line("".join(traceback.format_exception_only(exc)))

    if executed.is_file():
        result.executed_notebook = executed
        try:
            result.html = render_html(executed, html, title=result.name)
        except Exception as exc:
            if result.status == "ok":
                result.status = "failed"
                result.error = "HTML rendering failed: " + _last_line(
                    "".join(traceback.format_exception_only(exc))
                )
    result.outputs = _collect_outputs(output_dir, [executed, html])
    result.finished = _now()
    result.duration_s = round(time.perf_counter() - t0, 3)
    try:
        cache.write_stamp(
            output_dir,
            {
                "status": result.status,
                "key": result.cache_key,
                "components": spec["components"],
                "outputs": [p.relative_to(output_dir).as_posix() for p in result.outputs],
                "executed_notebook": str(result.executed_notebook or ""),
                "html": str(result.html or ""),
                "started": result.started,
                "finished": result.finished,
                "duration_s": result.duration_s,
            },
        )
    except OSError as exc:
        if result.status == "ok":
            result.status = "failed"
            result.error = f"could not write the cache stamp: {exc}"
    return result


# ---------------------------------------------------------------------------------------------
# the driver


def _prepare(
    job: ReportJob, reports_dir: Path, versions: dict[str, str], library_hash: str
) -> tuple[JobResult, dict[str, Any]]:
    """Resolve paths, hash inputs and build the cache key; failures become a failed JobResult."""
    notebook = Path(job.notebook).resolve()
    output_dir = Path(job.output_dir).resolve() if job.output_dir else reports_dir / job.name
    params = _jsonable(dict(job.parameters), f"job {job.name!r}: parameters")
    if job.output_param and job.output_param not in params:
        params[job.output_param] = str(output_dir)
    result = JobResult(
        name=job.name,
        status="failed",
        notebook=notebook,
        output_dir=output_dir,
        report_dir=reports_dir / job.name,
        parameters=params,
        inputs={},
    )
    spec: dict[str, Any] = {"cwd": str(Path(job.cwd).resolve() if job.cwd else output_dir)}
    missing = [str(p) for p in [notebook, *map(Path, job.inputs)] if not Path(p).is_file()]
    if missing:
        result.error = f"FileNotFoundError: missing file(s) for job {job.name!r}: {missing}"
        return result, spec
    result.inputs = {str(Path(p)): cache.sha256_file(p) for p in job.inputs}
    components = cache.cache_components(notebook, params, result.inputs, versions, library_hash)
    result.cache_key = cache.cache_key(components)
    spec["components"] = components
    return result, spec


def _validate(jobs: Sequence[ReportJob]) -> None:
    seen: set[str] = set()
    for job in jobs:
        if not _NAME_RE.match(job.name):
            raise ValueError(
                f"report name {job.name!r} must be letters, digits, '_', '-' or '.' "
                "(it becomes a directory and file name)"
            )
        if job.name in seen:
            raise ValueError(f"report name {job.name!r} is used by more than one job")
        seen.add(job.name)


class _Progress:
    """A line per finished job on stderr; above a tqdm bar when tqdm is installed and stderr is
    a terminal (a bar redrawn into a CI log is noise)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled, self.bar = total, 0, enabled, None
        if enabled and total and sys.stderr.isatty():
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, unit="report", file=sys.stderr, leave=False)

    def update(self, result: JobResult) -> None:
        self.done += 1
        if not self.enabled:
            return
        duration = f"{result.duration_s:.1f} s" if result.duration_s is not None else "-"
        line = f"[{self.done}/{self.total}] {result.status:<6} {result.name} ({duration})"
        if result.status == "failed":
            line += f": {result.failure_text()}"
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
            self.bar.update(1)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_reports(
    jobs: Sequence[ReportJob],
    reports_dir: str | Path,
    max_workers: int = 2,
    force: bool = False,
    progress: bool = True,
    timeout: float | None = None,
    repo_dir: str | Path | None = None,
) -> RunSummary:
    """Execute every job (in parallel worker processes), render HTML, collect outputs.

    Jobs unchanged since their last successful run are reported as ``cached`` unless
    ``force``. ``timeout`` is papermill's per-cell limit in seconds. Results come back in the
    order of ``jobs``. Raises ValueError only for bad job definitions (names, parameters).
    """
    _validate(jobs)
    reports_dir = Path(reports_dir).resolve()
    reports_dir.mkdir(parents=True, exist_ok=True)
    started, t0 = _now(), time.perf_counter()
    versions = cache.package_versions()
    library_hash = cache.library_source_hash()
    git = git_state(repo_dir)

    results: dict[str, JobResult] = {}
    to_run: list[tuple[JobResult, dict[str, Any]]] = []
    bar = _Progress(len(jobs), progress)
    owners: dict[Path, str] = {}
    for job in jobs:
        result, spec = _prepare(job, reports_dir, versions, library_hash)
        if result.output_dir in owners:
            raise ValueError(
                f"jobs {owners[result.output_dir]!r} and {job.name!r} share the output directory "
                f"{result.output_dir}; each job needs its own (its cache stamp lives there)"
            )
        owners[result.output_dir] = job.name
        results[job.name] = result
        if result.error:  # could not even start (missing notebook or input)
            bar.update(result)
            continue
        stamp = cache.read_stamp(result.output_dir)
        if not force and stamp and stamp.get("status") == "ok":
            required = [Path(stamp.get("executed_notebook", "")), Path(stamp.get("html", ""))]
            required += [result.output_dir / rel for rel in stamp.get("outputs", [])]
            if cache.stamp_is_fresh(stamp, result.cache_key, required):
                result.status = "cached"
                result.executed_notebook, result.html = required[0], required[1]
                result.outputs = [result.output_dir / rel for rel in stamp["outputs"]]
                result.started, result.finished = stamp.get("started"), stamp.get("finished")
                result.duration_s = stamp.get("duration_s")
                bar.update(result)
                continue
        spec.update(result=result, timeout=timeout)
        to_run.append((result, spec))

    if to_run:
        with tempfile.TemporaryDirectory(prefix="evaluation-kernel-") as kernel_root:
            write_kernelspec(kernel_root)
            workers = max(1, min(max_workers, len(to_run)))
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=get_context("spawn"),
                initializer=_init_worker,
                initargs=(kernel_root,),
            ) as pool:
                with _main_module_hidden():  # workers start inside submit()
                    futures: dict[Future[JobResult], JobResult] = {
                        pool.submit(_execute_job, spec): res for res, spec in to_run
                    }
                for future in as_completed(futures):
                    try:
                        done = future.result()
                    except (BrokenProcessPool, Exception) as exc:
                        done = futures[future]
                        done.status = "failed"
                        done.error = "worker process failed: " + _last_line(
                            "".join(traceback.format_exception_only(exc))
                        )
                    results[done.name] = done
                    bar.update(done)
    bar.close()
    return RunSummary(
        jobs=[results[job.name] for job in jobs],
        reports_dir=reports_dir,
        started=started,
        finished=_now(),
        duration_s=round(time.perf_counter() - t0, 3),
        git=git,
        packages=versions,
        python=cache.python_version(),
    )
