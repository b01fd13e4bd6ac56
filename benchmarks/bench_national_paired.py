"""Paired national timing: ``evaluate_programme`` on the national extract, this checkout against
a base checkout, alternating in fresh processes (base, new, base, new, ...), so that load on a
shared machine falls on both alike. Each child loads the extract (not timed) and times the
evaluation alone (wall and CPU) with its peak memory; the medians and their ratio are written.

Run: .venv/bin/python benchmarks/bench_national_paired.py BASE_DIR [--repeats 3]
     -> benchmarks/results/national_paired.json
BASE_DIR is a checkout of the base commit (``git worktree add DIR COMMIT``); its ``src`` is put
first on the path of its children. The extract is ``bench_national.py``'s cache (built first).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = """
import json, resource, sys, time, warnings
from pathlib import Path
from evaluation.analysis.programme import evaluate_programme
from evaluation.config import load_programme_config
from evaluation.data.io import load_extract
warnings.simplefilter("ignore")
extract = load_extract(Path(sys.argv[1]))
t, c = time.perf_counter(), time.process_time()
evaluate_programme(load_programme_config("iom"), extract)
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _commit(tree: Path) -> str:
    out = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "src"],
                           capture_output=True, text=True).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def _child(tree: Path, cache: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run([sys.executable, "-c", CHILD, str(cache)], capture_output=True,
                         text=True, env=env, cwd=tree)
    if out.returncode:
        sys.exit(f"child in {tree} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, str(HERE))
    import bench_national

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=bench_national.CACHE)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "national_paired.json")
    args = ap.parse_args()
    bench_national.build_extract(args.cache)
    trees = {"base": args.base.resolve(), "new": HERE.parent}
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    for i in range(args.repeats):
        for name, tree in trees.items():
            runs[name].append(_child(tree, args.cache))
            r = runs[name][-1]
            print(f"{i + 1} {name}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, "
                  f"{r['peak_mib']:.0f} MiB", flush=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("wall", "cpu", "peak_mib")}
           for k, v in runs.items()}
    record = {
        "benchmark": "evaluate_programme (IOM) on the national extract, base against new",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average "
                   f"{os.getloadavg()[0]:.1f} at the end, Python {platform.python_version()}",
        "code": {k: _commit(t) for k, t in trees.items()},
        "repeats": args.repeats, "runs": runs, "medians": med,
        "ratio_new_to_base_wall": round(med["new"]["wall"] / med["base"]["wall"], 3),
        "ratio_new_to_base_cpu": round(med["new"]["cpu"] / med["base"]["cpu"], 3),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in ("code", "medians", "ratio_new_to_base_wall")}))


if __name__ == "__main__":
    main()
