"""Benchmark: the synthetic generator at scale 1 and with 1,000,000 simulated people.

Run: ``.venv/bin/python benchmarks/bench_synth.py [--repeats R] [--people N]``.
Each measurement runs ``evaluation.synth.generate`` in a fresh child process, so the peak
resident set (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, read in the child at the end) is
that of one generation, not of the whole benchmark. Times are wall-clock around ``generate``
only (imports excluded); the scale-1 time is the median of the repeats. Target: scale 1 < 30 s.
Results go to benchmarks/results/synth.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "synth.json"
SEED = 20190930


def _one(n_people: int | None) -> dict:
    from evaluation.synth import generate

    t0 = time.perf_counter()
    world = generate(seed=SEED, n_people=n_people)
    seconds = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"seconds": seconds, "peak_rss_mib": peak_kib / 1024.0,
            "n_people_simulated": world.metadata["n_people_simulated"],
            "rows": {k: int(len(v)) for k, v in world.tables.items()}}


def _child(n_people: int | None) -> dict:
    cmd = [sys.executable, __file__, "--child"]
    if n_people is not None:
        cmd += ["--people", str(n_people)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--people", type=int, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_one(args.people)))
        return {}
    runs = [_child(None) for _ in range(args.repeats)]
    big = _child(args.people or 1_000_000)
    result = {
        "benchmark": "evaluation.synth.generate",
        "seed": SEED,
        "scale_1": {"repeats": args.repeats,
                    "seconds_median": statistics.median(r["seconds"] for r in runs),
                    "seconds_all": [r["seconds"] for r in runs],
                    "peak_rss_mib_max": max(r["peak_rss_mib"] for r in runs),
                    "n_people_simulated": runs[0]["n_people_simulated"],
                    "rows": runs[0]["rows"]},
        "n_people": big,
        "target_seconds_scale_1": 30.0,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "note": "wall-clock on a shared 2-core machine; each run in a fresh process",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
