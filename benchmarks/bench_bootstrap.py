"""Benchmark: the whole-design bootstrap (propensity model refitted and people re-matched in
every replicate) on one programme of the shipped synthetic data, with 1 and with 2 workers.

Issue 12's target: 1,000 replicates for a 10,000-person cohort in <= 5 min on 2 cores. The
IOM design frame of the default synthetic world is about 11,600 people (2,278 on the
programme), so it is the cohort timed here.

Run: .venv/bin/python benchmarks/bench_bootstrap.py [--replicates 1000] [--workers 1 2]
     -> benchmarks/results/bootstrap.json
Timing: wall clock (time.perf_counter) of ``bootstrap_design`` alone (the design is built once
before the clock starts), one run per worker count, alternating, ``--repeats`` times; the
medians are reported with the 1 -> 2 worker speed-up. Also checks that the replicate estimates
are identical whatever the number of workers (seeded per replicate).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import date
from pathlib import Path

from evaluation.analysis.bootstrap import bootstrap_design
from evaluation.config import load_programme_config
from evaluation.data.gate import open_validated_extract
from evaluation.design.build import build_design

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT / "data" / "synthetic"))
    ap.add_argument("--programme", default="iom")
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bootstrap.json"))
    args = ap.parse_args()

    extract = open_validated_extract(args.data)  # the gate first, as every entry point
    config = load_programme_config(args.programme)
    design = build_design(config, extract)
    times: dict[int, list[float]] = {w: [] for w in args.workers}
    tables = {}
    for _ in range(args.repeats):
        for workers in args.workers:
            t0 = time.perf_counter()
            result = bootstrap_design(design, extract, config, n_resamples=args.replicates,
                                      n_jobs=workers)
            times[workers].append(time.perf_counter() - t0)
            tables[workers] = result
            print(f"{workers} worker(s): {times[workers][-1]:.1f} s", flush=True)
    first = tables[args.workers[0]]
    identical = all(r.distribution.equals(first.distribution) for r in tables.values())
    medians = {w: statistics.median(v) for w, v in times.items()}
    record = {
        "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "programme": args.programme,
        "cohort_people": int(len(design.frame)),
        "cohort_programme": int(design.frame["treated"].sum()),
        "replicates": args.replicates,
        "seconds": {str(w): v for w, v in times.items()},
        "median_seconds": {str(w): round(m, 2) for w, m in medians.items()},
        "seconds_per_replicate": {str(w): round(m / args.replicates, 4)
                                  for w, m in medians.items()},
        "identical_across_workers": bool(identical),
        "failed_replicates": int(first.n_failed),
        "interval": first.table.to_dict(orient="records"),
    }
    if 1 in medians and 2 in medians:
        record["speed_up_1_to_2_workers"] = round(medians[1] / medians[2], 2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
