"""Paired timing of the robustness stage at national scale: this code against a base commit.

The robustness stage (Rosenbaum bounds, competing risks, event study) is where the 2026-12-04
changes went: the Aalen-Johansen influence in closed form at the times asked and the event
study's cluster codes by hashing. One process loads the national extract
(``bench_national.py`` builds it), evaluates the IOM programme once, then times
``robustness_checks`` on the same analysis set alternately with the estimator modules of
``--base`` (read from git, loaded as modules of their own) and with the current ones; medians
of ``--repeats``, and the largest difference between the two results' numbers.

Run: .venv/bin/python benchmarks/bench_robustness_paired.py [--base 8e10820] [--repeats 3]
     -> benchmarks/results/robustness_paired.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache" / "national"
MODULES = ("competing_risks", "event_study")


def _module_at(commit: str, name: str):
    """``evaluation.estimators.<name>`` as it was at ``commit``, as a separate module."""
    source = subprocess.run(["git", "show", f"{commit}:src/evaluation/estimators/{name}.py"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout
    full = f"evaluation.estimators._base_{name}"
    spec = importlib.util.spec_from_loader(full, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "evaluation.estimators"  # its relative imports resolve as before
    exec(compile(source, f"{commit}:{name}.py", "exec"), module.__dict__)
    sys.modules[full] = module
    return module


def _use(robustness, negative_control, modules) -> None:
    """Point the robustness module at these estimator functions."""
    cr, es = modules
    for fn in ("cumulative_incidence", "cif_difference"):
        setattr(robustness, fn, getattr(cr, fn))
    robustness.event_study = es.event_study
    negative_control.event_study = es.event_study  # the placebo index date refits it


def _numbers(out: dict) -> np.ndarray:
    parts = [t.select_dtypes("number").to_numpy(dtype=float).ravel()
             for t in out.values() if isinstance(t, pd.DataFrame)]
    return np.concatenate(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="8e10820")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "robustness_paired.json")
    args = ap.parse_args()

    from evaluation.analysis import robustness
    from evaluation.analysis.programme import evaluate_programme
    from evaluation.cohort.build import programme_extract
    from evaluation.config import load_programme_config
    from evaluation.data.io import load_extract
    from evaluation.estimators import competing_risks, event_study, negative_control

    if not (args.cache / "built.json").exists():
        sys.exit(f"no national extract in {args.cache}: run benchmarks/bench_national.py first")
    config = load_programme_config("iom")
    extract = load_extract(args.cache)
    warnings.simplefilter("ignore")
    evaluation = evaluate_programme(config, extract)
    analysis = evaluation.analysis
    cut = programme_extract(extract, config)  # what evaluate_programme hands the stage
    versions = {"base": [_module_at(args.base, m) for m in MODULES],
                "new": [competing_risks, event_study]}
    times = {k: [] for k in versions}
    results = {}
    for i in range(args.repeats):
        order = list(versions) if i % 2 == 0 else list(versions)[::-1]
        for name in order:
            _use(robustness, negative_control, versions[name])
            t0 = time.perf_counter()
            results[name] = robustness.robustness_checks(config, cut, analysis)
            times[name].append(time.perf_counter() - t0)
            print(f"{name}: {times[name][-1]:.1f} s", flush=True)
    a, b = _numbers(results["base"]), _numbers(results["new"])
    both = np.isfinite(a) & np.isfinite(b)
    medians = {k: statistics.median(v) for k, v in times.items()}
    record = {
        "date": time.strftime("%Y-%m-%d"), "base": args.base,
        "code": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "analysis_rows": int(len(analysis)), "repeats": args.repeats,
        "seconds": times, "median_seconds": {k: round(v, 2) for k, v in medians.items()},
        "ratio_new_to_base": round(medians["new"] / medians["base"], 3),
        "same_missing_values": bool(np.array_equal(np.isfinite(a), np.isfinite(b))),
        "max_abs_difference": float(np.max(np.abs(a[both] - b[both]))),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
