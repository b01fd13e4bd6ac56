"""The `evaluation` command: generate synthetic data, validate an extract, run the evaluations.

Each sub-command is a thin shell around a library function, so everything it does is tested
in the library; heavy imports happen inside the command that needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

CHECKPOINTS = Path(".cache") / "multiverse"  # finished analyses, to resume
DEFAULT_DATA = Path("data/synthetic")
DEFAULT_REPORTS = Path("reports")


def _synth(args: argparse.Namespace) -> int:
    from evaluation.synth import generate, write_and_calibrate
    from evaluation.synth.scenarios import SCENARIOS

    if args.scenario not in SCENARIOS:  # checked here: the parser must not import the generator
        print(f"ERROR: unknown --scenario {args.scenario!r}; choose from "
              f"{', '.join(sorted(SCENARIOS))}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    world = generate(seed=args.seed, n_people=args.people, scale=args.scale,
                     scenario=args.scenario, workers=args.workers)
    paths, table = write_and_calibrate(world, args.out, fmt=args.format, workers=args.workers)
    elapsed = time.perf_counter() - started
    print(f"Synthetic extract (seed {args.seed}) written to {args.out} in {elapsed:.1f} s:\n"
          + "\n".join(f"  {path}" for path in paths))
    table.to_csv(Path(args.out) / "calibration.csv", index=False)
    print("\nCalibration against the seed papers (published vs generated):")
    print(table[["target", "published", "generated", "tolerance", "within_tolerance"]]
          .to_string(index=False))
    if (not table["within_tolerance"].all() and args.scale == 1.0 and args.people is None
            and args.scenario == "default"):
        print("\nWARNING: some calibration targets are outside tolerance", file=sys.stderr)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from evaluation.data import validate
    from evaluation.data.gate import refuse_unreadable
    from evaluation.data.violations import ExtractError, describe_violations

    try:
        violations = validate.validate_directory(args.data)
    except ExtractError as exc:  # cannot be read at all: exit 2, printed by main
        raise refuse_unreadable(args.data, exc) from None
    if not violations:
        print(f"{args.data}: no violations of the data contract.")
        return 0
    print(describe_violations(str(args.data), violations, max_rows=args.max_rows))
    if args.report:
        validate.violations_frame(violations).to_csv(args.report, index=False)
        print(f"Every affected row is listed in {args.report}")
    print("Nothing was changed. Fix the rows above (see data/README.md for each rule).")
    return 1


def _dictionary(args: argparse.Namespace) -> int:
    from evaluation.data.dictionary import data_dictionary_markdown

    text = data_dictionary_markdown()
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    return 0


def _analyse(args: argparse.Namespace) -> int:
    """Bring your own analysis file: every estimator on one person-level table, after the
    table has passed its checks (nothing is computed or written otherwise)."""
    from pydantic import ValidationError

    from evaluation.data.analysis_table import (
        AnalysisTableInvalid,
        check_analysis_table,
        read_analysis_table,
        read_spec_file,
    )
    from evaluation.data.violations import InputError
    from evaluation.estimators.analysis_file import AnalysisFileSpec, run_all

    raw_spec = read_spec_file(args.spec)
    try:
        spec = AnalysisFileSpec(**raw_spec)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'spec'}: {e['msg']}"
                             for e in exc.errors())
        raise InputError(f"{args.spec}: {problems}") from None
    table = read_analysis_table(args.file)
    try:
        spec.check_columns(table)
    except ValueError as exc:
        raise InputError(f"{args.spec} / {args.file}: {exc}") from None
    violations = check_analysis_table(table, spec, Path(args.file).name)
    if violations:
        raise AnalysisTableInvalid(args.file, violations)
    try:
        results = run_all(table, spec)
    except ValueError as exc:
        raise InputError(f"{args.spec} / {args.file}: {exc}") from None
    out = results.effects
    if args.out:
        out.to_csv(args.out, index=False)
        print(f"Estimates written to {args.out}")
    print(out.to_string(index=False))
    if results.ph is not None:
        print("\n" + results.ph.statement)
    return 0


def _design(args: argparse.Namespace) -> int:
    """One person-level file to a full report: the design, every estimator, HTML and PDF."""
    from evaluation.pipeline.person_file import run_design

    run = run_design(args.file, args.spec, args.out, matched_data=args.matched_data,
                     pdf=not args.no_pdf)
    h = run.headline
    print(f"{args.file}: {h['n_treated']} programme and {h['n_comparison']} comparison people "
          f"analysed; headline {h['outcome']} {h['estimate']:.3f} "
          f"(95% CI {h['lower']:.3f} to {h['upper']:.3f}).")
    for note in run.notes:
        print(f"note: {note}")
    if run.matched_data is not None:
        print(f"Matched person-level file (not for publication): {run.matched_data}")
    print(f"Every output passed the disclosure scan. Open {run.html}")
    return 0


def _check_run_arguments(args: argparse.Namespace) -> list[str]:
    """Programme names, overrides and folders, checked in a second before the extract."""
    from evaluation.config import list_programmes, load_programme_config
    from evaluation.data.violations import InputError

    known = list_programmes()
    programmes = list(args.programmes) or known
    unknown = [p for p in programmes if p not in known]
    if unknown:
        raise InputError(f"unknown programme(s) {', '.join(unknown)}; configured: "
                         f"{', '.join(known)} (config/programmes/*.yaml)")
    for name in programmes:
        config = load_programme_config(name)
        if args.overrides:
            config.with_overrides(list(args.overrides))  # ConfigError naming the key
    if args.workers < 1:
        raise InputError(f"--workers {args.workers}: give 1 or more")
    data, reports = Path(args.data).resolve(), Path(args.reports).resolve()
    if reports == data or data in reports.parents:
        raise InputError(f"--reports {args.reports} is inside the extract folder {args.data}: "
                         "the extract is read-only; write the reports elsewhere")
    existing = next(p for p in (reports, *reports.parents) if p.exists())
    if not os.access(existing, os.W_OK):
        raise InputError(f"--reports {args.reports}: {existing} is not writable")
    return programmes


VALIDATION_RECORD = ".validated-extract.json"


def _run(args: argparse.Namespace) -> int:
    """The gate first: nothing is rendered or written unless the extract passes every rule."""
    from evaluation.data.gate import (
        VALIDATED_DIGEST_ENV,
        input_digest,
        open_validated_extract,
        validate_once,
    )

    programmes = _check_run_arguments(args)
    if args.skip_validation:  # unreadable values are still refused; every report's banner says so
        open_validated_extract(args.data, skip_validation=True)
        print(f"WARNING: {args.data} was NOT checked against the data contract "
              "(--skip-validation); every report says so in its first line.", file=sys.stderr)
    else:
        known = validate_once(args.data, Path(args.reports) / VALIDATION_RECORD,
                              write=not args.dry_run)  # ExtractInvalid (main); dry: no write
        print(f"{args.data}: no violations of the data contract"
              + (" (checked in an earlier run; unchanged since)." if known else "."))
        # for the notebooks: open_validated_extract(data_dir, validated_digest=...) then skips
        # re-checking the same bytes
        args.validated_digest = input_digest(args.data)
        os.environ[VALIDATED_DIGEST_ENV] = args.validated_digest  # inherited by the kernels
    if args.dry_run:
        from evaluation.pipeline.cli import programme_jobs

        jobs = programme_jobs(programmes, Path(args.data).resolve(),
                              Path(args.reports).resolve(), list(args.overrides),
                              skip_validation=args.skip_validation)
        print(f"Dry run: {len(jobs)} report(s) would be rendered into {args.reports} (and the "
              "summary): " + ", ".join(j.name for j in jobs) + ". Nothing was written.")
        return 0
    from evaluation.pipeline.cli import run_from_cli

    return run_from_cli(args)


def _multiverse(args: argparse.Namespace) -> int:
    """The specification curve of one programme: every declared combination of choices."""
    from evaluation.analysis.multiverse import fingerprint, run_multiverse, specifications
    from evaluation.config import load_programme_config
    from evaluation.data.gate import open_validated_extract
    from evaluation.reporting.multiverse_report import write_multiverse

    config = load_programme_config(args.programme)
    if args.overrides:
        config = config.with_overrides(list(args.overrides))
    extract = open_validated_extract(args.data)  # the gate first
    specs = specifications(config)
    print(f"{args.programme}: {len(specs)} analyses in the multiverse "
          f"({'Dask at ' + args.scheduler if args.scheduler else f'{args.workers} worker(s)'})")
    checkpoint = CHECKPOINTS / f"{args.programme}-{fingerprint(config, args.data)}.jsonl"
    table = run_multiverse(config, args.data, workers=args.workers, scheduler=args.scheduler,
                           checkpoint=checkpoint, progress=sys.stderr.isatty())
    out = args.out or Path(args.reports) / "multiverse" / args.programme
    page = write_multiverse(table, out, title=config.title, synthetic=extract.is_synthetic,
                            threshold=config.disclosure.threshold,
                            stamp=fingerprint(config, args.data))
    print(f"Open {page}")
    return 0


def _report_error(exc: BaseException) -> int:
    """A clear message instead of a traceback; the exit code says what kind of failure."""
    from evaluation.config import ConfigError
    from evaluation.data.violations import InputError

    if isinstance(exc, (InputError, ConfigError)):
        print(f"ERROR: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ERROR: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"ERROR: unexpected {type(exc).__name__}: {exc}\nThis is a fault in the toolkit, "
          "not in your input: rerun with --debug and report the traceback.", file=sys.stderr)
    return 3


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error (for developers)")
    parser = argparse.ArgumentParser(
        prog="evaluation", parents=[common],
        description="Reoffending programme evaluations: data, validation and reports.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    synth = sub.add_parser(
        "synth", parents=[common], help="generate the synthetic West Midlands extract")
    synth.add_argument("--seed", type=int, default=20190930)
    synth.add_argument("--out", type=Path, default=DEFAULT_DATA)
    synth.add_argument("--scale", type=float, default=1.0,
                       help="shrink every cohort and the population (e.g. 0.1 for tests)")
    synth.add_argument("--people", type=int, default=None,
                       help="background population size (default: calibrated size)")
    synth.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    synth.add_argument("--scenario", default="default",
                       help="a harder world (benchmarks/README.md): adoption_lag, crossover, "
                            "rescoring, unmeasured_confounder, area_differences")
    synth.add_argument("--workers", type=int, default=None, help="processes (default: up to 2)")
    synth.set_defaults(func=_synth)

    validate = sub.add_parser(
        "validate", parents=[common], help="check an extract against the data contract")
    validate.add_argument("--data", type=Path, default=DEFAULT_DATA)
    validate.add_argument("--max-rows", type=int, default=20,
                          help="row numbers shown per broken rule (all go to --report)")
    validate.add_argument("--report", type=Path, default=None,
                          help="write every (file, column, rule, row) to this CSV")
    validate.set_defaults(func=_validate)

    dictionary = sub.add_parser(
        "dictionary", parents=[common], help="print the data dictionary (Markdown)")
    dictionary.add_argument("--out", type=Path, default=None)
    dictionary.set_defaults(func=_dictionary)

    analyse = sub.add_parser(
        "analyse", parents=[common],
        help="run every estimator on your own person-level analysis table")
    analyse.add_argument("--file", type=Path, required=True, help="CSV or Parquet table")
    analyse.add_argument("--spec", type=Path, required=True,
                         help="YAML naming its columns (see AnalysisFileSpec), e.g. "
                              "treatment: treated, duration: days, event: reoffended")
    analyse.add_argument("--out", type=Path, default=None, help="write the estimates as CSV")
    analyse.set_defaults(func=_analyse)

    design = sub.add_parser(
        "design", parents=[common],
        help="your own person-level file to a full report: propensity model, matching or "
             "weighting, balance, every estimator, HTML and PDF",
        description="Build the comparison group for one person-level file (one row per "
                    "person: treatment, covariates, outcomes), run every estimator and write "
                    "a full report (HTML, PDF, results.json, CSV tables, figures, manifest). "
                    "The spec names the columns and the design; unknown keys are rejected. "
                    "Example: docs/examples/design_file_spec.yaml (the Rossi data shipped "
                    "with lifelines). The file is only read.")
    design.add_argument("--file", type=Path, required=True,
                        help="CSV (UTF-8, header row) or Parquet file, one row per person")
    design.add_argument("--spec", type=Path, required=True,
                        help="YAML: treatment_col, covariates, categorical, duration_col, "
                             "event_col, outcome_col, count_col, exposure_col, time_unit, "
                             "design (method, caliper, ratio, replace, exact, estimand) ...")
    design.add_argument("--out", type=Path, default=None,
                        help="report folder (default: reports/<file name>); new, empty or "
                             "written by an earlier `evaluation design`")
    design.add_argument("--matched-data", type=Path, default=None,
                        help="also write the matched/weighted person-level rows (row, "
                             "propensity, weight, match_set) to this CSV, outside --out: for "
                             "your own checks, never for publication")
    design.add_argument("--no-pdf", action="store_true", help="write the HTML report only")
    design.set_defaults(func=_design)

    run = sub.add_parser(
        "run", parents=[common], help="run the programme evaluations and render reports/")
    run.add_argument("programmes", nargs="*", help="programme names (default: all)")
    run.add_argument("--data", type=Path, default=DEFAULT_DATA)
    run.add_argument("--reports", type=Path, default=DEFAULT_REPORTS)
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE",
                     help="override a parameter, e.g. outcomes.window_days=182")
    run.add_argument("--workers", type=int, default=2)
    run.add_argument("--force", action="store_true", help="recompute even if nothing changed")
    run.add_argument("--dry-run", action="store_true",
                     help="check the extract, programmes and overrides; render and write nothing")
    run.add_argument("--skip-validation", action="store_true",
                     help="do not check the contract rules (unreadable values are still "
                          "refused); every report then says so in its first line")
    run.set_defaults(func=_run)

    multiverse = sub.add_parser(
        "multiverse", parents=[common],
        help="the headline hazard ratio under every combination of the choices declared in "
             "the configuration's multiverse: section, as a specification curve")
    multiverse.add_argument("programme", help="programme name (config/programmes/<name>.yaml)")
    multiverse.add_argument("--data", type=Path, default=DEFAULT_DATA)
    multiverse.add_argument("--reports", type=Path, default=DEFAULT_REPORTS)
    multiverse.add_argument("--out", type=Path, default=None,
                            help="default: <reports>/multiverse/<programme>")
    multiverse.add_argument("--set", dest="overrides", action="append", default=[],
                            metavar="KEY=VALUE", help="configuration override (repeatable)")
    multiverse.add_argument("--workers", type=int, default=2, help="local processes")
    multiverse.add_argument("--scheduler", default=os.environ.get("DASK_SCHEDULER_ADDRESS"),
                            help="a Dask scheduler address (tcp://host:8786); default "
                                 "$DASK_SCHEDULER_ADDRESS, else a local process pool")
    multiverse.set_defaults(func=_multiverse)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; an input error prints a message (no traceback unless --debug)."""
    args = build_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a stray byte in a file name must not crash us
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        return _report_error(exc)


if __name__ == "__main__":
    raise SystemExit(main())
