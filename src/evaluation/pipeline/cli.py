"""`evaluation run`: one report per programme, the IOM before/after report, then the summary.

Configuration overrides are validated before any notebook starts, so a misspelled key fails in
a second with a message naming it, not after minutes of computing.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from evaluation.pipeline.index import write_index
from evaluation.pipeline.manifest import build_manifest
from evaluation.pipeline.run import ReportJob, RunSummary, run_reports

REPO = Path(__file__).resolve().parents[3]
NOTEBOOKS = REPO / "notebooks"
PROGRAMME_NOTEBOOK = NOTEBOOKS / "programme_evaluation.ipynb"
IOM_NOTEBOOK = NOTEBOOKS / "iom_before_after.ipynb"
SUMMARY_NOTEBOOK = NOTEBOOKS / "summary.ipynb"
IOM_REPORT = "iom_before_after"
SUMMARY_REPORT = "summary"


def _data_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.iterdir() if p.is_file()
                  and p.suffix in (".parquet", ".csv", ".json"))


def programme_jobs(programmes: list[str], data_dir: Path, reports_dir: Path,
                   overrides: list[str]) -> list[ReportJob]:
    """The programme reports (and the IOM before/after report when IOM is included)."""
    from evaluation.config import load_programme_config

    inputs = _data_files(data_dir) + [REPO / "data" / "reference" / "unit_costs.csv"]
    jobs = []
    for name in programmes:
        config = load_programme_config(name)
        if overrides:
            config.with_overrides(list(overrides))  # fail now, naming the key, if it is wrong
        params = {"programme": name, "data_dir": str(data_dir), "overrides": list(overrides),
                  "config_path": str(config.source)}
        jobs.append(ReportJob(name=name, notebook=PROGRAMME_NOTEBOOK, parameters=params,
                              inputs=[*inputs, config.source],
                              output_dir=reports_dir / name))
        if config.programme == "iom" and name == "iom":
            params = {k: v for k, v in params.items() if k != "programme"}
            jobs.append(ReportJob(name=IOM_REPORT, notebook=IOM_NOTEBOOK, parameters=params,
                                  inputs=[*inputs, config.source],
                                  output_dir=reports_dir / IOM_REPORT))
    return jobs


def summary_job(programmes: list[str], reports_dir: Path) -> ReportJob:
    inputs = [reports_dir / name / "results.json" for name in programmes]
    return ReportJob(name=SUMMARY_REPORT, notebook=SUMMARY_NOTEBOOK,
                     parameters={"reports_dir": str(reports_dir), "programmes": programmes},
                     inputs=inputs, output_dir=reports_dir / SUMMARY_REPORT)


def _merge(first: RunSummary, second: RunSummary) -> RunSummary:
    return dataclasses.replace(first, jobs=first.jobs + second.jobs, finished=second.finished,
                               duration_s=first.duration_s + second.duration_s)


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
    try:
        metadata, _ = read_metadata(data_dir)
        jobs = programme_jobs(programmes, data_dir, reports_dir, list(args.overrides))
    except (ExtractError, ConfigError, FileNotFoundError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    synthetic = bool(metadata.get("synthetic", False))
    print(f"Running {len(jobs)} report(s) on {data_dir} with {args.workers} worker(s)...")
    summary = run_reports(jobs, reports_dir, max_workers=args.workers, force=args.force)
    done = [p for p in programmes if summary[p].status != "failed"]
    if len(done) >= 1:
        summary = _merge(summary, run_reports([summary_job(done, reports_dir)], reports_dir,
                                              max_workers=1, force=args.force))
    build_manifest(summary, reports_dir, synthetic=synthetic, seed=metadata.get("seed"),
                   extra={"data_dir": str(data_dir), "overrides": list(args.overrides),
                          "extract": metadata})
    index = write_index(summary, reports_dir, synthetic=synthetic)
    print(summary.describe())
    print(f"Open {index}")
    return summary.exit_code
