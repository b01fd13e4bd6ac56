"""Benchmark: the multiverse (every declared combination of analytic choices) of each programme
on the shipped synthetic data, on one process, on a local pool of 2 and on a Dask cluster.

Issue 12 asks for the multiverse's timings with date and machine, and for results identical
across executors. Each programme's grid is the one its configuration declares
(``config/programmes/<name>.yaml``, ``multiverse:``); every specification refits the design and
re-derives the outcomes (``analysis.multiverse.run_specification``).

Run: .venv/bin/python benchmarks/bench_multiverse.py [--programmes iom ...] [--repeats 3]
     -> benchmarks/results/multiverse.json
Timing: wall clock (time.perf_counter) of ``run_multiverse`` alone, no checkpoint, for each
executor in turn (1 process, local pool of 2, Dask ``LocalCluster`` of 2 single-threaded worker
processes on loopback, started before the clock), the executors alternating, ``--repeats``
times; medians reported. Each worker reads and validates the extract once, inside the timed
run, as a real run does. The tables of every executor are compared with
``pandas.testing.assert_frame_equal`` (exact).
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

import pandas as pd

from evaluation.analysis.multiverse import run_multiverse, specifications
from evaluation.config import load_programme_config
from evaluation.data.gate import open_validated_extract

ROOT = Path(__file__).resolve().parents[1]
EXECUTORS = ("1 process", "local pool of 2", "dask LocalCluster of 2")


def _run(executor: str, config, data: str, scheduler: str) -> tuple[float, pd.DataFrame]:
    kwargs = {"1 process": {"workers": 1}, "local pool of 2": {"workers": 2},
              "dask LocalCluster of 2": {"scheduler": scheduler}}[executor]
    t0 = time.perf_counter()
    table = run_multiverse(config, data, **kwargs)
    return time.perf_counter() - t0, table


def main() -> None:
    import distributed

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT / "data" / "synthetic"))
    ap.add_argument("--programmes", nargs="+",
                    default=["iom", "new_chance", "princes_trust", "conditional_caution"])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "multiverse.json"))
    args = ap.parse_args()

    open_validated_extract(args.data)  # the gate first, as every entry point
    os.environ.pop("DASK_SCHEDULER_ADDRESS", None)  # "1 process" and the pool must not use one
    records = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        for name in args.programmes:
            config = load_programme_config(name)
            n_specs = len(specifications(config))
            times: dict[str, list[float]] = {e: [] for e in EXECUTORS}
            tables: dict[str, pd.DataFrame] = {}
            for _ in range(args.repeats):
                for executor in EXECUTORS:
                    seconds, table = _run(executor, config, args.data,
                                          cluster.scheduler_address)
                    times[executor].append(seconds)
                    tables[executor] = table
                    print(f"{name}: {executor}: {seconds:.1f} s ({n_specs} analyses)",
                          flush=True)
            reference = tables[EXECUTORS[0]]
            for executor in EXECUTORS[1:]:
                pd.testing.assert_frame_equal(reference, tables[executor])
            medians = {e: statistics.median(v) for e, v in times.items()}
            pre = reference.loc[reference["prespecified"]].iloc[0]
            records.append({
                "programme": name, "analyses": n_specs,
                "seconds": times, "median_seconds": {e: round(m, 2) for e, m in medians.items()},
                "seconds_per_analysis_1_process": round(medians[EXECUTORS[0]] / n_specs, 3),
                "speed_up_1_to_2_local": round(medians[EXECUTORS[0]] / medians[EXECUTORS[1]], 2),
                "speed_up_1_to_2_dask": round(medians[EXECUTORS[0]] / medians[EXECUTORS[2]], 2),
                "identical_across_executors": True,
                "hazard_ratio_range": [round(float(reference["hazard_ratio"].min()), 4),
                                       round(float(reference["hazard_ratio"].max()), 4)],
                "prespecified_hazard_ratio": round(float(pre["hazard_ratio"]), 4),
                "prespecified_rank": int(pre["rank"]),
            })
    record = {
        "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "data": str(Path(args.data).resolve().relative_to(ROOT))
        if Path(args.data).resolve().is_relative_to(ROOT) else str(args.data),
        "repeats": args.repeats,
        "programmes": records,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
