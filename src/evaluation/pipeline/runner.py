"""Run parameterised report notebooks with papermill, in parallel, with caching.

``run_reports`` executes each :class:`ReportJob` in a worker process, keeps the executed notebook,
renders an HTML report without code and lists the files the notebook wrote. One failing job does
not stop the others; :class:`RunSummary` says which failed and why, and ``exit_code`` is non-zero
when any did. A job whose notebook, parameters, inputs and environment are unchanged since its
last successful run is not recomputed (see :mod:`evaluation.pipeline.cache`).
"""

from __future__ import annotations

import re
import signal
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from evaluation.pipeline import cache
from evaluation.pipeline.files import remove_partials
from evaluation.pipeline.interrupt import RunInterrupted, signals_interrupt, stop_workers
from evaluation.pipeline.jobs import JobResult, ReportJob, RunSummary
from evaluation.pipeline.kernel import init_worker, kernel_workspace, main_module_hidden
from evaluation.pipeline.progress import Progress
from evaluation.pipeline.provenance import git_state, jsonable, now
from evaluation.pipeline.worker import collect_outputs, execute_job, last_line

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
        seed=job.seed if job.seed is not None else params.get("seed"),
        title=job.title,
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


def _summary(
    jobs: Sequence[ReportJob], results: dict[str, JobResult], reports_dir: Path, started: str,
    t0: float, git: dict[str, Any], versions: dict[str, str],
) -> RunSummary:
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


def _mark_interrupted(result: JobResult, how: str) -> None:
    """An unfinished job: failed, its partial files removed, no stamp (the next run redoes it)."""
    result.status = "failed"
    result.error = f"RunInterrupted: the run was {how} before this report finished"
    cache.remove_stamp(result.output_dir)
    for path in collect_outputs(result.output_dir, []):
        path.unlink(missing_ok=True)
    for stale in (f"{result.name}.html", f"{result.name}.ipynb"):
        (result.report_dir / stale).unlink(missing_ok=True)
    result.outputs, result.html, result.executed_notebook = [], None, None


def _next_ready(waiting: list[tuple[JobResult, dict[str, Any]]], unfinished: set[str]) -> int:
    """Index of the first waiting job whose ``after`` jobs have all finished (-1: none)."""
    for i, (_, spec) in enumerate(waiting):
        if not unfinished.intersection(spec["after"]):
            return i
    return -1


def run_reports(
    jobs: Sequence[ReportJob],
    reports_dir: str | Path,
    max_workers: int = 2,
    force: bool = False,
    progress: bool = True,
    timeout: float | None = None,
    repo_dir: str | Path | None = None,
    on_update: Callable[[RunSummary], None] | None = None,
) -> RunSummary:
    """Execute every job (in parallel worker processes), render HTML, collect outputs.

    Jobs unchanged since their last successful run are reported as ``cached`` unless
    ``force``. A job starts only after the jobs named in its ``after`` have finished (so it can
    reuse what they computed). ``timeout`` is papermill's per-cell limit in seconds.
    ``on_update(summary)`` is called before the first job starts and after each one finishes,
    with the jobs not yet finished as ``pending`` (e.g. to keep the index page true). Results
    come back in the order of ``jobs``. Raises ValueError only for bad job definitions, and
    :class:`RunInterrupted` (with ``summary``) when SIGTERM or Ctrl-C stops the run.
    """
    _validate(jobs)
    reports_dir = Path(reports_dir).resolve()
    reports_dir.mkdir(parents=True, exist_ok=True)
    remove_partials(reports_dir)
    started, t0 = now(), time.perf_counter()
    versions = cache.package_versions()
    library_hash = cache.library_source_hash()
    git = git_state(repo_dir)

    results: dict[str, JobResult] = {}
    to_run: list[tuple[JobResult, dict[str, Any]]] = []
    bar = Progress(len(jobs), progress)
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
        result.status = "pending"
        spec.update(result=result, timeout=timeout, after=tuple(job.after))
        to_run.append((result, spec))

    def update() -> None:
        if on_update is not None:
            on_update(_summary(jobs, results, reports_dir, started, t0, git, versions))

    update()
    if to_run:
        try:
            with signals_interrupt(), kernel_workspace() as kernel_root:
                _execute_all(to_run, results, max_workers, str(kernel_root), bar, update)
        except (RunInterrupted, KeyboardInterrupt) as exc:
            stop_workers()
            signum = exc.signum if isinstance(exc, RunInterrupted) else signal.SIGINT
            how = f"stopped ({signal.Signals(signum).name})"
            for result in results.values():  # the finished ones came back from the workers
                if result.status == "pending":
                    _mark_interrupted(result, how)
            remove_partials(reports_dir)
            bar.close()
            raise RunInterrupted(
                signum, _summary(jobs, results, reports_dir, started, t0, git, versions)
            ) from None
    bar.close()
    return _summary(jobs, results, reports_dir, started, t0, git, versions)


def _execute_all(
    to_run: list[tuple[JobResult, dict[str, Any]]],
    results: dict[str, JobResult],
    max_workers: int,
    kernel_root: str,
    bar: Progress,
    update: Callable[[], None],
) -> None:
    """Run the jobs on a pool of worker processes, each as soon as its ``after`` jobs are done."""
    waiting = list(to_run)
    unfinished = {res.name for res, _ in to_run}
    workers = max(1, min(max_workers, len(to_run)))
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=init_worker,
        initargs=(kernel_root,),
    )
    running: dict[Future[JobResult], JobResult] = {}
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                i = _next_ready(waiting, unfinished)
                if i < 0:
                    if running:
                        break
                    i = 0  # what it waits for is not in this run (or a cycle): run it anyway
                res, spec = waiting.pop(i)
                with main_module_hidden():  # workers start inside submit()
                    running[pool.submit(execute_job, spec)] = res
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                res = running.pop(future)
                try:
                    done = future.result()
                except (BrokenProcessPool, Exception) as exc:
                    done = res
                    done.status = "failed"
                    done.error = "worker process failed: " + last_line(
                        "".join(traceback.format_exception_only(exc))
                    )
                results[done.name] = done
                unfinished.discard(done.name)
                bar.update(done)
                update()
    except BaseException:  # stopped: end the workers (and their kernels) now, not after the job
        stop_workers()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


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

    While it runs, index.html shows what exists (reports not finished are marked so) and the
    previous manifest is gone; both are written last. A stopped run (SIGTERM, Ctrl-C) still
    writes them, for what finished, then raises :class:`RunInterrupted`. Exit with
    ``summary.exit_code`` (non-zero when any report failed).
    """
    from evaluation.pipeline.index import write_index
    from evaluation.pipeline.manifest import MANIFEST_NAME, build_manifest

    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / MANIFEST_NAME).unlink(missing_ok=True)
    done: list[RunSummary] = []

    def show(current: RunSummary) -> None:
        for earlier in reversed(done):
            current = merge_summaries(earlier, current)
        write_index(current, reports_dir, synthetic=synthetic)

    def finish(summary: RunSummary) -> None:
        build_manifest(summary, reports_dir, synthetic=synthetic, seed=seed, extra=extra)
        write_index(summary, reports_dir, synthetic=synthetic)

    options = {"force": force, "progress": progress, "timeout": timeout, "on_update": show}
    try:
        summary = run_reports(jobs, reports_dir, max_workers=max_workers, **options)
        done.append(summary)
        followers = list(then(summary)) if then is not None else []
        if followers:
            second = run_reports(followers, reports_dir, max_workers=max_workers, **options)
            summary = merge_summaries(summary, second)
    except RunInterrupted as exc:
        partial = exc.summary
        for earlier in reversed(done):
            partial = merge_summaries(earlier, partial) if partial is not None else earlier
        if partial is not None:
            finish(partial)
            exc.summary = partial
        raise
    finish(summary)
    return summary
