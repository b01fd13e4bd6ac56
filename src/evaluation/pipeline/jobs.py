"""What a run is made of: a :class:`ReportJob` to execute, the :class:`JobResult` of each and the
:class:`RunSummary` of all of them (what the index page and the manifest are written from)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "failed", "cached", "pending"]
_TABLE_SUFFIXES = {".csv", ".tsv", ".parquet", ".xlsx", ".ods"}
_FIGURE_SUFFIXES = {".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp"}


@dataclass(frozen=True)
class ReportJob:
    """One report: run ``notebook`` with ``parameters``; it reads ``inputs``, writes ``output_dir``.

    ``output_dir`` defaults to ``<reports_dir>/<name>``. Unless ``output_param`` is None, the
    output directory is also injected as that parameter (so notebooks need no hard-coded
    paths). ``cwd`` (default: the output directory) is where the kernel starts, so a stray
    relative write lands in ``reports/``, never back in ``notebooks/``. ``after`` names jobs of
    the same run that must finish first (this one reuses what they computed). ``seed`` is the
    seed the job's computation uses (recorded in the manifest; from its configuration).
    ``title`` is what a reader calls the report (the page's ``<title>`` and the index's link
    text); the short ``name`` stays the folder and file name.
    """

    name: str
    notebook: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    inputs: Sequence[Path] = ()
    output_dir: Path | None = None
    output_param: str | None = "output_dir"
    cwd: Path | None = None
    after: Sequence[str] = ()
    seed: int | None = None
    title: str | None = None


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
    seed: int | None = None
    title: str | None = None

    @property
    def display_title(self) -> str:
        """The reader's name for the report (its title), else its short name."""
        return self.title or self.name

    @property
    def succeeded(self) -> bool:
        return self.status in ("ok", "cached")

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
    def pending(self) -> list[JobResult]:
        """Jobs not finished yet (only while a run is in progress)."""
        return [j for j in self.jobs if j.status == "pending"]

    @property
    def ok(self) -> list[JobResult]:
        return [j for j in self.jobs if j.status == "ok"]

    @property
    def exit_code(self) -> int:
        """0 when every job succeeded (ran or cached), 1 otherwise: for ``sys.exit``."""
        return 1 if self.failed or self.pending else 0

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
