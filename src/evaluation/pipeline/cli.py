"""`evaluation run`: one report per programme, its companion reports, then the summary.

Configuration overrides are validated before any notebook starts, so a misspelled key fails in
a second with a message naming it, not after minutes of computing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.pipeline.index import write_index
from evaluation.pipeline.interrupt import RunInterrupted
from evaluation.pipeline.jobs import ReportJob, RunSummary
from evaluation.pipeline.printing import print_reports
from evaluation.pipeline.provenance import extract_identity
from evaluation.pipeline.runner import run_pipeline

REPO = Path(__file__).resolve().parents[3]
NOTEBOOKS = REPO / "notebooks"
PROGRAMME_NOTEBOOK = NOTEBOOKS / "programme_evaluation.ipynb"
SUMMARY_NOTEBOOK = NOTEBOOKS / "summary.ipynb"
SUMMARY_REPORT = "summary"
SUMMARY_TITLE = "Summary: every programme evaluation side by side"


@dataclass(frozen=True)
class CompanionReport:
    """A further report drawn from one programme's evaluation by a notebook of its own.

    It is made for the programme configuration ``<name>`` when ``notebooks/<name>_<suffix>.ipynb``
    exists and ``wanted(config)`` is true; it is called ``<name>_<suffix>``. A new companion is
    a notebook and a row here, not a branch on a programme's name.
    """

    suffix: str
    wanted: Callable[[Any], bool] = lambda config: True
    # what the report adds to the programme's title, for the page title and the index
    title_suffix: str = ""

    def notebook(self, name: str) -> Path:
        return NOTEBOOKS / f"{name}_{self.suffix}.ipynb"

    def report_name(self, name: str) -> str:
        return f"{name}_{self.suffix}"

    def title(self, programme_title: str) -> str:
        return f"{programme_title}: {self.title_suffix or self.suffix.replace('_', ' ')}"


def _asks_for_before_during(config: Any) -> bool:
    # `outcomes.before_during` (when the configuration has that key) switches the report off
    return bool(getattr(config.outcomes, "before_during", True))


#: The companion reports: today the before/after report of a programme with such a notebook.
COMPANION_REPORTS: tuple[CompanionReport, ...] = (
    CompanionReport("before_after", _asks_for_before_during,
                    "offences before and during the programme"),
)


def _data_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.iterdir() if p.is_file()
                  and p.suffix in (".parquet", ".csv", ".json"))


def programme_jobs(programmes: list[str], data_dir: Path, reports_dir: Path,
                   overrides: list[str], skip_validation: bool = False) -> list[ReportJob]:
    """The programme reports, each followed by its companion reports (:data:`COMPANION_REPORTS`).

    ``skip_validation`` reaches the notebooks as a parameter, so it is also part of every
    job's cache key: a report with the skipped-validation banner is never reused as a checked
    one, nor the other way round."""
    from evaluation.config import load_programme_config

    inputs = _data_files(data_dir) + [REPO / "data" / "reference" / "unit_costs.csv"]
    jobs = []
    for name in programmes:
        config = load_programme_config(name)
        seed = (config.with_overrides(list(overrides)) if overrides else config).seed
        params = {"programme": name, "data_dir": str(data_dir), "overrides": list(overrides),
                  "config_path": str(config.source)}
        if skip_validation:
            params["skip_validation"] = True
        # a multiverse computed for this programme (make multiverse) is shown in its report:
        # its stamp is an input, so the report is rebuilt when the curve changes
        stamp = reports_dir / "multiverse" / name / "multiverse_stamp.json"
        job_inputs = [*inputs, config.source, *([stamp] if stamp.is_file() else [])]
        jobs.append(ReportJob(name=name, notebook=PROGRAMME_NOTEBOOK, parameters=params,
                              inputs=job_inputs, output_dir=reports_dir / name, seed=seed,
                              title=config.title))
        for companion in COMPANION_REPORTS:
            notebook = companion.notebook(name)
            if not (notebook.is_file() and companion.wanted(config)):
                continue
            report = companion.report_name(name)
            # after the programme's own report: it reuses that evaluation (result_store)
            jobs.append(ReportJob(name=report, notebook=notebook,
                                  parameters={k: v for k, v in params.items() if k != "programme"},
                                  inputs=job_inputs, output_dir=reports_dir / report,
                                  after=(name,), seed=seed,
                                  title=companion.title(config.title)))
    return jobs


def summary_job(programmes: list[str], reports_dir: Path, seed: int | None = None) -> ReportJob:
    """The cross-programme summary. It draws no random numbers; ``seed`` is recorded anyway so
    that every job in the manifest has one (the smallest of its programmes' seeds)."""
    inputs = [reports_dir / name / "results.json" for name in programmes]
    return ReportJob(name=SUMMARY_REPORT, notebook=SUMMARY_NOTEBOOK,
                     parameters={"reports_dir": str(reports_dir), "programmes": programmes},
                     inputs=inputs, output_dir=reports_dir / SUMMARY_REPORT, seed=seed,
                     title=SUMMARY_TITLE)


def check_writable(reports_dir: Path) -> str | None:
    """None when reports can be written into ``reports_dir``, else a message saying why not."""
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=reports_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return (f"cannot write the reports into {reports_dir}: {reason}. Choose a folder you "
                "can write to with --reports, or make this one writable.")
    return None


def run_from_cli(args: argparse.Namespace) -> int:
    from evaluation.config import ConfigError, list_programmes
    from evaluation.data.io import ExtractError, read_metadata

    data_dir = Path(args.data).resolve()
    reports_dir = Path(args.reports).resolve()
    known = list_programmes()
    programmes = list(args.programmes) or known
    unknown = [p for p in programmes if p not in known]
    if unknown:
        print(f"ERROR: unknown programme(s) {unknown}; configured: {known} "
              "(config/programmes/*.yaml)", file=sys.stderr)
        return 2
    problem = check_writable(reports_dir)
    if problem:
        print(f"ERROR: {problem}", file=sys.stderr)
        return 2
    try:
        metadata, _ = read_metadata(data_dir)
        jobs = programme_jobs(programmes, data_dir, reports_dir, list(args.overrides),
                              skip_validation=bool(getattr(args, "skip_validation", False)))
    except (ExtractError, ConfigError, FileNotFoundError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2

    seeds = {job.name: job.seed for job in jobs}

    def the_summary(first: RunSummary) -> list[ReportJob]:
        done = [p for p in programmes if first[p].status != "failed"]
        seed = min((seeds[p] for p in done if seeds[p] is not None), default=None)
        return [summary_job(done, reports_dir, seed)] if done else []

    print(f"Running {len(jobs)} report(s) on {data_dir} with {args.workers} worker(s)...")
    try:
        summary = run_pipeline(
            jobs, reports_dir, synthetic=bool(metadata.get("synthetic", False)),
            seed=metadata.get("seed"), then=the_summary, max_workers=args.workers,
            force=args.force, extra={"data": extract_identity(data_dir),
                                     "overrides": list(args.overrides), "extract": metadata},
        )
    except RunInterrupted as exc:
        print(f"Stopped: {exc}. {reports_dir / 'index.html'} shows what finished; the next run "
              "recomputes the rest.", file=sys.stderr)
        return exc.exit_code
    print(summary.describe())
    for note in print_reports(summary, programmes, workers=args.workers):
        print(f"note: {note}")
    # again, now that the PDFs and the board summary exist: the index links them
    write_index(summary, reports_dir, synthetic=bool(metadata.get("synthetic", False)))
    print(f"Open {reports_dir / 'index.html'}")
    return summary.exit_code
