"""One job in a worker process: execute the notebook with papermill, render it, list what it
wrote and write its cache stamp. :func:`execute_job` never raises: a failure is a result."""

from __future__ import annotations

import os
import re
import time
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evaluation.pipeline import cache
from evaluation.pipeline.files import PARTIAL_SUFFIX, atomic_write_text
from evaluation.pipeline.jobs import JobResult
from evaluation.pipeline.kernel import KERNEL_NAME, kernel_config
from evaluation.pipeline.provenance import now

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def last_line(text: str) -> str:
    """The last non-blank line of ``text`` (an exception's message, without the traceback)."""
    lines = [ln for ln in str(text).strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def collect_outputs(output_dir: Path, exclude: Iterable[Path]) -> list[Path]:
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


def remove_previous_outputs(output_dir: Path, stamp: Mapping[str, Any] | None) -> None:
    """Delete what the last run wrote, so stale figures never pose as new ones."""
    if not stamp:
        return
    root = output_dir.resolve()
    for rel in stamp.get("outputs", []):
        path = (output_dir / rel).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()


def _strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def write_failure_log(path: Path, result: JobResult, detail: str) -> Path:
    """The full traceback of a failed job, for developers (the page shows one line)."""
    text = f"report {result.name}: FAILED\n{result.failure_text()}\n\n{_strip_ansi(detail)}\n"
    return atomic_write_text(path, text)


def execute_job(spec: dict[str, Any]) -> JobResult:
    """Run one notebook, render it, list its outputs, write its stamp (last). Never raises.

    The executed notebook and the HTML page are written under temporary names and renamed when
    complete; the stamp, which lets the next run skip the job, is written after everything else.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from evaluation.pipeline.render import render_html

    result: JobResult = spec["result"]
    output_dir, report_dir = result.output_dir, result.report_dir
    executed = report_dir / f"{result.name}.ipynb"
    partial = report_dir / f".{result.name}{PARTIAL_SUFFIX}.ipynb"
    html = report_dir / f"{result.name}.html"
    log = report_dir / f"{result.name}.log"
    detail = ""
    result.started = now()
    t0 = time.perf_counter()
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        report_dir.mkdir(parents=True, exist_ok=True)
        old = cache.read_stamp(output_dir)
        cache.remove_stamp(output_dir)
        remove_previous_outputs(output_dir, old)
        for stale in (executed, html, log, partial):
            stale.unlink(missing_ok=True)
        cwd = Path(spec["cwd"])
        cwd.mkdir(parents=True, exist_ok=True)
        pm.execute_notebook(
            str(result.notebook),
            str(partial),
            parameters=result.parameters,
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=False,
            log_output=False,
            cwd=str(cwd),
            execution_timeout=spec["timeout"],
            config=kernel_config(),
        )
        result.status = "ok"
    except PapermillExecutionError as exc:
        result.status = "failed"
        result.error = f"{exc.ename}: {last_line(exc.evalue)}" if exc.evalue else exc.ename
        result.failed_cell = {
            "index": exc.cell_index,
            "execution_count": exc.exec_count,
            "source": "\n".join(str(exc.source).splitlines()[:10]),
        }
        detail = "\n".join(exc.traceback or []) or str(exc)
    except Exception as exc:
        result.status = "failed"
        result.error = last_line("".join(traceback.format_exception_only(exc)))
        detail = traceback.format_exc()

    if partial.is_file():  # complete: papermill writes it last (also after a failing cell)
        os.replace(partial, executed)
    if executed.is_file():
        result.executed_notebook = executed
        try:
            result.html = render_html(executed, html, title=result.display_title,
                                      error_note=f"full traceback in {log.name}")
        except Exception as exc:
            if result.status == "ok":
                result.status = "failed"
                result.error = "HTML rendering failed: " + last_line(
                    "".join(traceback.format_exception_only(exc))
                )
                detail = traceback.format_exc()
    if result.status == "failed":
        try:
            write_failure_log(log, result, detail)
        except OSError:
            pass
    result.outputs = collect_outputs(output_dir, [executed, html, log])
    result.finished = now()
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
