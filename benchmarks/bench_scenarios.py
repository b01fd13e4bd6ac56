"""Scenario coverage study: which designs recover the planted truth in the harder worlds?

For every scenario of ``evaluation.synth.scenarios.SCENARIOS`` (the default world included, as
the reference), seeded worlds are generated and each programme analysed exactly as the coverage
study does (``bench_coverage.analyse_dataset``: the current design with the reviewed default
configuration; the matched and the naive comparison). Bias, coverage and rejection are then
summarised per scenario, programme, analysis and measure (``bench_coverage.summarise``).

Run: .venv/bin/python benchmarks/bench_scenarios.py [--n 50] [--scale 0.15] [--workers 2]
  -> benchmarks/results/scenarios.json and the table in benchmarks/README.md (between the
  SCENARIOS markers). Each finished world is appended to a progress file (JSON lines, in the
  temporary directory); a re-run skips the (scenario, seed) pairs already there, and
  ``--report-only`` rebuilds the outputs from it (e.g. when a run is stopped at a deadline).
Worlds are queued seed by seed across scenarios, so a stopped run has every scenario at about
the same number of worlds. Timing: wall clock per world inside the worker.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_coverage import (
    PROGRAMMES,
    analyse_dataset,
    code_version,
    read_progress,
    summarise,
)

RESULTS = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- BEGIN SCENARIOS -->", "<!-- END SCENARIOS -->"


def _task(scenario: str, seed: int, scale: float, programmes: tuple[str, ...]
          ) -> tuple[str, int, list[dict[str, Any]]]:
    return scenario, seed, analyse_dataset(seed, scale, programmes, scenario=scenario)


def run(scenarios: list[str], seeds: list[int], scale: float, workers: int,
        progress: Path, programmes: tuple[str, ...] = PROGRAMMES) -> None:
    done = {(r["scenario"], r["seed"]) for r in read_progress(progress)
            if r.get("scale") == scale}
    todo = [(sc, s) for s in seeds for sc in scenarios if (sc, s) not in done]
    print(f"{len(todo)} worlds to run ({len(done)} already in {progress})", flush=True)
    with ProcessPoolExecutor(max_workers=max(workers, 1)) as pool:
        futures = [pool.submit(_task, sc, s, scale, programmes) for sc, s in todo]
        for i, f in enumerate(as_completed(futures), 1):
            sc, seed, recs = f.result()
            for r in recs:
                r["scale"] = scale
            with progress.open("a") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in recs)
            print(f"[{time.strftime('%H:%M:%S')}] {sc} seed {seed} done ({i}/{len(todo)}, "
                  f"{recs[0]['dataset_seconds']:.1f} s)", flush=True)


def summary_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frames = []
    for sc in dict.fromkeys(r["scenario"] for r in records):
        s = summarise([r for r in records if r["scenario"] == sc])
        s.insert(0, "scenario", sc)
        frames.append(s)
    return pd.concat(frames, ignore_index=True)


def markdown(summary: pd.DataFrame, meta: dict[str, Any]) -> str:
    lines = [
        f"Scenario coverage study ({meta['date']}, {meta['machine']}; scale {meta['scale']:g}, "
        f"seeds {meta['seeds'][0]}-{meta['seeds'][1]} asked, worlds done per scenario: "
        + ", ".join(f"{k} {v}" for k, v in meta["worlds_per_scenario"].items())
        + f"; code {meta['code_versions']}). Current design (default configuration of each "
        "programme); bias of the log HR / of the risk difference; coverage of the planted truth "
        "by the 95% interval; rejection = p < 0.05. `benchmarks/bench_scenarios.py`.",
        "",
        "| scenario | programme | analysis | n | HR bias (log) | HR coverage | HR rejection "
        "| RD bias | RD coverage |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    idx = summary.set_index(["scenario", "programme", "analysis", "measure"])
    for (sc, prog, an), _ in summary.groupby(["scenario", "programme", "analysis"], sort=False):
        hr = idx.loc[(sc, prog, an, "hazard_ratio")]
        rd = idx.loc[(sc, prog, an, "risk_difference")]
        lines.append(f"| {sc} | {prog} | {an} | {int(hr['n_datasets'])} | {hr['bias']:+.3f} "
                     f"| {hr['coverage']:.0%} | {hr['rejection_rate']:.0%} | {rd['bias']:+.3f} "
                     f"| {rd['coverage']:.0%} |")
    return "\n".join(lines) + "\n"


def write_outputs(progress: Path, scale: float, seeds: list[int], out: Path,
                  wall: float | None) -> dict[str, Any]:
    records = [r for r in read_progress(progress) if r.get("scale") == scale
               and seeds[0] <= r["seed"] <= seeds[-1]]
    summary = summary_frame(records)
    per_world = {}
    for r in records:
        per_world[(r["scenario"], r["seed"])] = r["dataset_seconds"]
    counts = pd.Series([k[0] for k in per_world]).value_counts().to_dict()
    secs = pd.Series(list(per_world.values()))
    meta = {
        "description": "Bias, coverage and rejection of the current design over seeded "
                       "scenario worlds; see benchmarks/bench_scenarios.py",
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, "
        f"{os.cpu_count()} cores (shared)", "python": platform.python_version(),
        "scale": scale, "seeds": [seeds[0], seeds[-1]],
        "worlds_per_scenario": {k: int(v) for k, v in counts.items()},
        "world_seconds": {"median": float(secs.median()), "mean": float(secs.mean()),
                          "max": float(secs.max())},
        "wall_seconds_this_run": wall,
        "code_versions": sorted({r.get("code_version", "unknown") for r in records}),
    }
    result = {**meta, "summary": json.loads(summary.to_json(orient="records")),
              "records": records}
    out.mkdir(parents=True, exist_ok=True)
    (out / "scenarios.json").write_text(json.dumps(result, separators=(",", ":")) + "\n")
    table = markdown(summary, meta)
    if README.exists():
        text = README.read_text()
        if BEGIN in text:
            head, rest = text.split(BEGIN, 1)
            text = head + BEGIN + "\n" + table + END + rest.split(END, 1)[1]
            README.write_text(text)
    print(table)
    return result


def main() -> None:
    from evaluation.synth import SCENARIOS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="worlds per scenario (seeds 1..n)")
    ap.add_argument("--scale", type=float, default=0.15)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument("--programmes", nargs="*", default=list(PROGRAMMES),
                    help="programmes analysed in each world (default: all four)")
    ap.add_argument("--progress", type=Path,
                    default=Path(tempfile.gettempdir()) / "bench_scenarios_progress.jsonl")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--report-only", action="store_true",
                    help="only rebuild scenarios.json and the README table from the progress file")
    args = ap.parse_args()
    seeds = list(range(1, args.n + 1))
    print(f"code {code_version()}", flush=True)
    wall = None
    if not args.report_only:
        t0 = time.perf_counter()
        run(args.scenarios, seeds, args.scale, args.workers, args.progress,
            tuple(args.programmes))
        wall = round(time.perf_counter() - t0, 1)
    write_outputs(args.progress, args.scale, seeds, args.out, wall)


if __name__ == "__main__":
    main()
