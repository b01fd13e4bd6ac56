"""Benchmark: 1:1 nearest-neighbour matching with a 0.2 SD caliper, without replacement,
100,000 treated against a 1,000,000-person comparison pool (target < 30 s).

Run: .venv/bin/python benchmarks/bench_matching.py  -> benchmarks/results/matching.json
Timing: wall clock (time.perf_counter) of NearestNeighbourMatcher.fit + transform, best of
``--repeats``; memory: peak resident set size of the process (resource.ru_maxrss) and the peak
of Python allocations during one fit (tracemalloc, run separately because it slows the code).
The logit scores are simulated (no propensity model fit), so this times the matching alone.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.design import NearestNeighbourMatcher


def make_data(n_treated: int, n_pool: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    logit = np.r_[rng.normal(-1.0, 1.0, n_treated), rng.normal(-2.5, 1.2, n_pool)]
    return pd.DataFrame({
        "treated": np.r_[np.ones(n_treated, dtype=int), np.zeros(n_pool, dtype=int)],
        "logit": logit,
    })


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-treated", type=int, default=100_000)
    ap.add_argument("--n-pool", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "matching.json"))
    args = ap.parse_args()

    df = make_data(args.n_treated, args.n_pool, args.seed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        m = NearestNeighbourMatcher(caliper=0.2, ratio=1, replace=False).fit(
            df, distance_col="logit")
        m.transform(df)
        times.append(time.perf_counter() - t0)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    tracemalloc.start()
    NearestNeighbourMatcher(caliper=0.2).fit(df, distance_col="logit")
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # sanity: the rules held
    p = m.pairs_
    assert p["comparison_index"].is_unique and p["distance"].max() <= m.caliper_
    s = m.summary_.set_index("quantity")["value"]
    result = {
        "task": "1:1 NN matching on logit PS, caliper 0.2 SD, without replacement",
        "n_treated": args.n_treated,
        "n_pool": args.n_pool,
        "seed": args.seed,
        "seconds_best": round(min(times), 3),
        "seconds_all": [round(x, 3) for x in times],
        "peak_rss_mb": round(rss_after / 1024, 1),
        "peak_rss_mb_before_matching": round(rss_before / 1024, 1),
        "tracemalloc_peak_mb_one_fit": round(traced_peak / 2**20, 1),
        "treated_matched": int(s["treated matched"]),
        "treated_unmatched": int(s["treated unmatched"]),
        "target_seconds": 30,
        "meets_target": min(times) < 30,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "machine": platform.machine(),
        "note": "2 shared cores (other jobs running); ru_maxrss in KiB on Linux",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
