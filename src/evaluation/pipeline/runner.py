"""Run parameterised report notebooks with papermill, in parallel, with caching.

``run_reports`` executes each :class:`ReportJob` in a worker process, keeps the executed notebook,
renders an HTML report without code and lists the files the notebook wrote. One failing job does
not stop the others; :class:`RunSummary` says which failed and why, and ``exit_code`` is non-zero
when any did. A job whose notebook, parameters, inputs and environment are unchanged since its
last successful run is not recomputed (see :mod:`evaluation.pipeline.cache`).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from evaluation.pipeline import cache
from evaluation.pipeline.jobs import JobResult, ReportJob, RunSummary
from evaluation.pipeline.kernel import init_worker, main_module_hidden, write_kernelspec
from evaluation.pipeline.provenance import git_state, jsonable, now
from evaluation.pipeline.worker import execute_job, last_line

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _prepare(
    job: ReportJob, reports_dir: Path, versions: dict[str, str], library_hash: str
) -> tuple[JobResult, dict[str, Any]]:
    """Resolve paths, hash inputs and build the cache key; failures become a failed JobResult."""
    notebook = Path(job.notebook).resolve()
    output_dir = Path(job.output_dir).resolve() if job.output_dir else reports_dir / job.name
    params = jsonable(dict(job.parameters), f"job {job.name!r}: parameters")
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
    started, t0 = now(), time.perf_counter()
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
                initializer=init_worker,
                initargs=(kernel_root,),
            ) as pool:
                with main_module_hidden():  # workers start inside submit()
                    futures: dict[Future[JobResult], JobResult] = {
                        pool.submit(execute_job, spec): res for res, spec in to_run
                    }
                for future in as_completed(futures):
                    try:
                        done = future.result()
                    except (BrokenProcessPool, Exception) as exc:
                        done = futures[future]
                        done.status = "failed"
                        done.error = "worker process failed: " + last_line(
                            "".join(traceback.format_exception_only(exc))
                        )
                    results[done.name] = done
                    bar.update(done)
    bar.close()
    return RunSummary(
        jobs=[results[job.name] for job in jobs],
        reports_dir=reports_dir,
        started=started,
        finished=now(),
        duration_s=round(time.perf_counter() - t0, 3),
        git=git,
        packages=versions,
        python=cache.python_version(),
    )


def merge_summaries(first: RunSummary, second: RunSummary) -> RunSummary:
    """One summary for two stages of the same run (jobs in order, durations added)."""
    return replace(first, jobs=first.jobs + second.jobs, finished=second.finished,
                   duration_s=first.duration_s + second.duration_s)


def run_pipeline(
    jobs: Sequence[ReportJob],
    reports_dir: str | Path,
    *,
    synthetic: bool,
    seed: int | None = None,
    extra: Mapping[str, Any] | None = None,
    then: Callable[[RunSummary], Sequence[ReportJob]] | None = None,
    max_workers: int = 2,
    force: bool = False,
    progress: bool = True,
    timeout: float | None = None,
) -> RunSummary:
    """What ``evaluation run`` does: run the jobs, then the jobs ``then(summary)`` returns (e.g. a
    summary of the reports that succeeded), then write manifest.json and index.html.

    Exit with ``summary.exit_code`` (non-zero when any report failed).
    """
    from evaluation.pipeline.index import write_index
    from evaluation.pipeline.manifest import build_manifest

    options = {"force": force, "progress": progress, "timeout": timeout}
    summary = run_reports(jobs, reports_dir, max_workers=max_workers, **options)
    followers = list(then(summary)) if then is not None else []
    if followers:
        second = run_reports(followers, reports_dir, max_workers=max_workers, **options)
        summary = merge_summaries(summary, second)
    build_manifest(summary, reports_dir, synthetic=synthetic, seed=seed, extra=extra)
    write_index(summary, reports_dir, synthetic=synthetic)
    return summary
