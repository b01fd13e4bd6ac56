"""The `evaluation` command: generate synthetic data, validate an extract, run the evaluations.

Each sub-command is a thin shell around a library function, so everything it does is tested
in the library; heavy imports happen inside the command that needs them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_DATA = Path("data/synthetic")
DEFAULT_REPORTS = Path("reports")


def _synth(args: argparse.Namespace) -> int:
    from evaluation.synth import calibration_table, generate, write_world

    started = time.perf_counter()
    world = generate(seed=args.seed, n_people=args.people, scale=args.scale)
    paths = write_world(world, args.out, fmt=args.format)
    elapsed = time.perf_counter() - started
    print(f"Synthetic extract (seed {args.seed}) written to {args.out} in {elapsed:.1f} s:")
    for path in paths:
        print(f"  {path}")
    table = calibration_table(world)
    table.to_csv(Path(args.out) / "calibration.csv", index=False)
    print("\nCalibration against the seed papers (published vs generated):")
    print(table[["target", "published", "generated", "tolerance", "within_tolerance"]]
          .to_string(index=False))
    if not table["within_tolerance"].all() and args.scale == 1.0 and args.people is None:
        print("\nWARNING: some calibration targets are outside tolerance", file=sys.stderr)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from evaluation.data.io import ExtractError
    from evaluation.data.validate import validate_directory, violations_frame

    try:
        violations = validate_directory(args.data)
    except ExtractError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    if not violations:
        print(f"{args.data}: no violations of the data contract.")
        return 0
    n_rows = sum(max(v.count, 1) for v in violations)
    print(f"{args.data}: {len(violations)} rule(s) broken, {n_rows} row(s) affected:")
    for v in violations:
        print(f"  {v.describe(max_rows=args.max_rows)}")
    if args.report:
        violations_frame(violations).to_csv(args.report, index=False)
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
    """Bring your own analysis file: every estimator on one person-level table."""
    import pandas as pd
    import yaml

    from evaluation.estimators.analysis_file import AnalysisFileSpec, run_all

    path = Path(args.file)
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    try:
        spec = AnalysisFileSpec(**(yaml.safe_load(Path(args.spec).read_text()) or {}))
        results = run_all(table, spec)
    except ValueError as exc:
        print(f"ERROR: {args.spec} / {path}: {exc}", file=sys.stderr)
        return 2
    out = results.effects
    if args.out:
        out.to_csv(args.out, index=False)
        print(f"Estimates written to {args.out}")
    print(out.to_string(index=False))
    if results.ph is not None:
        print("\n" + results.ph.statement)
    return 0


def _run(args: argparse.Namespace) -> int:
    from evaluation.pipeline.cli import run_from_cli

    return run_from_cli(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evaluation",
        description="Reoffending programme evaluations: data, validation and reports.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    synth = sub.add_parser("synth", help="generate the synthetic West Midlands extract")
    synth.add_argument("--seed", type=int, default=20190930)
    synth.add_argument("--out", type=Path, default=DEFAULT_DATA)
    synth.add_argument("--scale", type=float, default=1.0,
                       help="shrink every cohort and the population (e.g. 0.1 for tests)")
    synth.add_argument("--people", type=int, default=None,
                       help="background population size (default: calibrated size)")
    synth.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    synth.set_defaults(func=_synth)

    validate = sub.add_parser("validate", help="check an extract against the data contract")
    validate.add_argument("--data", type=Path, default=DEFAULT_DATA)
    validate.add_argument("--max-rows", type=int, default=20,
                          help="row numbers shown per broken rule (all go to --report)")
    validate.add_argument("--report", type=Path, default=None,
                          help="write every (file, column, rule, row) to this CSV")
    validate.set_defaults(func=_validate)

    dictionary = sub.add_parser("dictionary", help="print the data dictionary (Markdown)")
    dictionary.add_argument("--out", type=Path, default=None)
    dictionary.set_defaults(func=_dictionary)

    analyse = sub.add_parser(
        "analyse", help="run every estimator on your own person-level analysis table")
    analyse.add_argument("--file", type=Path, required=True, help="CSV or Parquet table")
    analyse.add_argument("--spec", type=Path, required=True,
                         help="YAML naming its columns (see AnalysisFileSpec), e.g. "
                              "treatment: treated, duration: days, event: reoffended")
    analyse.add_argument("--out", type=Path, default=None, help="write the estimates as CSV")
    analyse.set_defaults(func=_analyse)

    run = sub.add_parser("run", help="run the programme evaluations and render reports/")
    run.add_argument("programmes", nargs="*", help="programme names (default: all)")
    run.add_argument("--data", type=Path, default=DEFAULT_DATA)
    run.add_argument("--reports", type=Path, default=DEFAULT_REPORTS)
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a parameter, e.g. outcomes.window_days=182")
    run.add_argument("--workers", type=int, default=2)
    run.add_argument("--force", action="store_true", help="recompute even if nothing changed")
    run.set_defaults(func=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
