"""National-scale benchmark: one whole programme evaluation at 1,000,000 people.

Run: .venv/bin/python benchmarks/bench_national.py [--repeats 3] [--cache DIR]
  -> benchmarks/results/national.json and the NATIONAL table in benchmarks/README.md.
Not part of ``make test``.

The extract (built once, cached under ``benchmarks/.cache/national``, gitignored): the default
synthetic world (``evaluation.synth.generate(seed=20190930)``, or the copy already written in
``data/synthetic``) gives 400,000 people with 1.9 million offences; its 200,000 most active
people are copied 5 times under new pseudonymous ids, so the extract has 1,000,000 people and
8.5 million offences with the real generator's histories. Every person gets a time zero: the
monthly scoring round after their first offence on or after 2015-01-01 (rounds 2015-02 to
2018-12, else the 2016-01 round); 100,000 of them (a fixed hash of the id) are IOM Core episodes
(eligibility and start at that round) and the other 900,000 the comparison pool
(``scored_not_adopted``, index date that round), so the IOM configuration
(``config/programmes/iom.yaml``: sequential trials, one per round) runs unchanged.

Each repeat runs in a fresh child process: ``load_extract`` and then the library's own
``evaluate_programme`` (exactly what a report runs: cohort and covariates, propensity, matching,
balance, outcomes for the analysis set, the naive pool and every read-out, KM, Cox with
matched-set clusters, negative binomial, RMST, the rest), then ``ProgrammeReport`` builds every
section, its figures and results.json. Each library call is wrapped by a timer (the names
analysis and design modules import), so the stage times add up to the whole; IPTW (not in the
matching design) is timed on the same design frame afterwards. Peak memory is the child's
``ru_maxrss`` (whole process, so it includes the loaded extract), read after each stage.
Medians of the repeats; wall clock on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "national.json"
README = HERE / "README.md"
CACHE = HERE / ".cache" / "national"
DEFAULT_DATA = HERE.parent / "data" / "synthetic"
BEGIN, END = "<!-- BEGIN NATIONAL -->", "<!-- END NATIONAL -->"
N_TREATED, COPIES, TOP = 100_000, 5, 200_000
# bumped when the cached extract's construction changes, so a stale cache is rebuilt
# (2: monthly scoring rounds and eligibility_date, for the sequential-trial IOM design)
EXTRACT_LAYOUT = 2


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------- the extract
def build_extract(cache: Path) -> dict:
    """Write the national extract once; returns its row counts."""
    import numpy as np
    import pandas as pd

    from evaluation.data.io import load_extract
    from evaluation.synth import generate, write_world

    marker = cache / "built.json"
    if marker.exists() and json.loads(marker.read_text()).get("layout") == EXTRACT_LAYOUT:
        return json.loads(marker.read_text())
    t0 = time.perf_counter()
    if (DEFAULT_DATA / "extract.json").exists():
        tables = load_extract(DEFAULT_DATA).tables
        meta = json.loads((DEFAULT_DATA / "extract.json").read_text())
    else:
        world = generate(seed=20190930)
        tables, meta = world.tables, world.metadata
    off, people = tables["offences"], tables["people"]
    top = off["person_id"].value_counts().index[:TOP]
    people = people.loc[people["person_id"].isin(top)].reset_index(drop=True)
    off = off.loc[off["person_id"].isin(top)].reset_index(drop=True)
    ppl, offs = [], []
    for k in range(COPIES):
        p = people.copy()
        p["person_id"] = p["person_id"] + f"-{k}"
        o = off.copy()
        o["person_id"] = o["person_id"] + f"-{k}"
        o["offence_id"] = o["offence_id"] + f"-{k}"
        ppl.append(p)
        offs.append(o)
    people = pd.concat(ppl, ignore_index=True)
    off = pd.concat(offs, ignore_index=True)
    del ppl, offs
    # time zero: the monthly scoring round after the first offence on or after 2015-01-01
    # (rounds 2015-02-01 to 2018-12-01, as in the shipped world; else the 2016-01-01 round),
    # the same date for an episode's eligibility and start as for a pool row's index date, so
    # the sequential-trial design (one trial per round, decision 0406) sees real rounds
    late = off.loc[off["offence_date"] >= "2015-01-01", ["person_id", "offence_date"]]
    first = late.groupby("person_id")["offence_date"].min()
    rounds = (first.dt.to_period("M") + 1).dt.to_timestamp()
    rounds = rounds.where(rounds <= pd.Timestamp("2018-12-01"))
    index = people["person_id"].map(rounds).fillna(pd.Timestamp("2016-01-01"))
    h = pd.util.hash_pandas_object(people["person_id"], index=False).to_numpy()
    treated = np.argsort(h, kind="stable")[:N_TREATED]
    is_t = np.zeros(len(people), bool)
    is_t[treated] = True
    score = 6.5 + (h % 1000) / 100.0
    ep = pd.DataFrame({
        "episode_id": [f"E{i:07d}" for i in range(1, N_TREATED + 1)],
        "person_id": people["person_id"][is_t].to_numpy(), "programme": "iom",
        "eligibility_date": index[is_t].to_numpy(), "start_date": index[is_t].to_numpy(),
        "end_date": pd.NaT, "iom_pillar": "core",
        "iom_selection_score": score[is_t]})
    pool = pd.DataFrame({
        "programme": "iom", "person_id": people["person_id"][~is_t].to_numpy(),
        "index_date": index[~is_t].to_numpy(), "pool_reason": "scored_not_adopted",
        "iom_selection_score": score[~is_t]})
    from evaluation.synth.tables import conform

    tables = {"people": conform(people, "people"), "offences": conform(off, "offences"),
              "programme_episodes": conform(ep, "programme_episodes"),
              "comparison_pool": conform(pool, "comparison_pool")}
    meta = {**meta, "description": meta.get("description", "") + (
        f" National benchmark: the {TOP:,} most active people copied {COPIES} times.")}

    class _World:  # what write_world reads
        pass
    w = _World()
    w.tables, w.metadata, w.truth = tables, meta, {"programmes": {}}
    cache.mkdir(parents=True, exist_ok=True)
    if cache.parent.name == ".cache":  # keep the cache out of git without touching .gitignore
        (cache.parent / ".gitignore").write_text("*\n")
    write_world(w, cache)
    info = {"layout": EXTRACT_LAYOUT, "rows": {k: int(len(v)) for k, v in tables.items()},
            "build_seconds": round(time.perf_counter() - t0, 1)}
    marker.write_text(json.dumps(info, indent=2) + "\n")
    return info


# --------------------------------------------------------------------------- one run
def _instrument(times: dict, peaks: dict, cpu: dict):
    """Wrap the library calls evaluate_programme makes, accumulating time per stage (wall
    clock and this process's CPU time: on a machine shared with other jobs the CPU time is
    what a dedicated machine would show as wall clock, for single-threaded work)."""
    import importlib

    modules = [importlib.import_module(f"evaluation.{m}") for m in (
        "analysis.programme", "analysis.effects", "analysis.derive", "analysis.readouts",
        "analysis.before_during", "analysis.robustness", "design.build", "cohort.build")]
    from evaluation.design.matching import NearestNeighbourMatcher
    from evaluation.design.propensity import PropensityModel
    from evaluation.estimators.kaplan_meier import KaplanMeierByGroup

    def timed(stage, fn):
        def wrapper(*a, **k):
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                times[stage] += time.perf_counter() - t
                cpu[stage] += time.process_time() - c
                peaks[stage] = max(peaks.get(stage, 0.0), _peak_mib())
        return wrapper

    for name, stage in (("build_cohort", "cohort + covariates"), ("derive_outcomes", "outcomes"),
                        ("balance_table", "balance"), ("common_support", "balance"),
                        ("cox_effect", "Cox (clustered SEs)"),
                        ("count_effect", "negative binomial"),
                        ("binary_effect", "binary (risk difference)"), ("rmst_effect", "RMST"),
                        ("mean_difference", "costs"), ("logrank", "log-rank"),
                        ("ph_check", "PH check"), ("adjusted_effect", "doubly robust"),
                        ("before_during", "before/during"), ("merge_sparse_levels", "covariates"),
                        ("robustness_checks",
                         "robustness (Rosenbaum, competing risks, event study)")):
        for module in modules:  # the name wherever the split layout imports it
            if hasattr(module, name):
                setattr(module, name, timed(stage, getattr(module, name)))
    for cls, meth, stage in ((PropensityModel, "fit", "propensity"),
                             (NearestNeighbourMatcher, "fit", "matching"),
                             (NearestNeighbourMatcher, "transform", "matching"),
                             (KaplanMeierByGroup, "fit", "Kaplan-Meier")):
        setattr(cls, meth, timed(stage, getattr(cls, meth)))


def one_run(cache: Path) -> dict:
    import tempfile
    import warnings

    from evaluation.config import load_programme_config
    from evaluation.data.io import load_extract
    from evaluation.design.weighting import IPTWeighter

    times: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    peaks: dict[str, float] = {}
    _instrument(times, peaks, cpu)
    from evaluation.analysis.programme import evaluate_programme
    from evaluation.reporting.programme_report import ProgrammeReport

    config = load_programme_config("iom")
    t_all, c_all = time.perf_counter(), time.process_time()
    t, c = time.perf_counter(), time.process_time()
    extract = load_extract(cache)
    times["load"], cpu["load"] = time.perf_counter() - t, time.process_time() - c
    peaks["load"] = _peak_mib()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, c = time.perf_counter(), time.process_time()
        evaluation = evaluate_programme(config, extract)
        t_eval, c_eval = time.perf_counter() - t, time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        with tempfile.TemporaryDirectory(prefix="national_report_") as tmp:
            report = ProgrammeReport(evaluation, tmp)
            for name in ("banner", "verdict", "summary", "can_and_cannot_say", "headline_chart",
                         "comparison_group", "attrition", "power", "readouts", "robustness",
                         "before_during",
                         "caveats", "appendix"):
                getattr(report, name)()
            report.write_results()
        times["report sections, figures, results.json"] = time.perf_counter() - t
        cpu["report sections, figures, results.json"] = time.process_time() - c
        peaks["report sections, figures, results.json"] = _peak_mib()
        whole, whole_cpu = time.perf_counter() - t_all, time.process_time() - c_all
        t, c = time.perf_counter(), time.process_time()
        IPTWeighter(estimand="ATT", stabilise=True).fit(
            evaluation.design_frame, propensity_col="propensity", treatment_col="treated"
        ).transform(evaluation.design_frame)
        times["IPTW (extra, not in the matching design)"] = time.perf_counter() - t
        cpu["IPTW (extra, not in the matching design)"] = time.process_time() - c
        peaks["IPTW (extra, not in the matching design)"] = _peak_mib()
    skip = ("IPTW", "load", "report")
    other = "other evaluation work (not wrapped)"
    times[other] = max(t_eval - sum(v for k, v in times.items() if not k.startswith(skip)), 0.0)
    cpu[other] = max(c_eval - sum(v for k, v in cpu.items()
                                  if not k.startswith(skip) and k != other), 0.0)
    a = evaluation.analysis
    return {"stages": dict(times), "cpu_stages": dict(cpu), "peak_mib_after": peaks,
            "whole_seconds": whole, "whole_cpu_seconds": whole_cpu,
            "evaluate_programme_seconds": t_eval, "peak_rss_mib": _peak_mib(),
            "n_design": int(len(evaluation.design_frame)),
            "n_treated_analysed": int((a["treated"] == 1).sum()),
            "n_comparison_analysed": int((a["treated"] == 0).sum())}


# --------------------------------------------------------------------------- driver
def _child(cache: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", "--cache", str(cache)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:  # say why, not only that the child failed
        sys.exit(f"national benchmark run failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def markdown(result: dict) -> str:
    st = result["stage_seconds_median"]
    code = f", code {result['code']}" if result.get("code") else ""
    lines = [f"National benchmark ({result['date']}, {result['machine']}{code}): "
             f"{result['rows']['people']:,} people, {result['rows']['offences']:,} offences, "
             f"{N_TREATED:,} IOM episodes against a pool of {1_000_000 - N_TREATED:,} "
             f"({result['n_design']:,} eligible after the age rule, "
             f"{result['n_treated_analysed']:,} treated matched 1:1); medians of "
             f"{result['repeats']} runs "
             f"(each in a fresh process). Whole evaluation "
             f"{result['whole_seconds_median']:.1f} s wall, "
             f"{result['whole_cpu_seconds_median']:.1f} s CPU (target 120 s), peak "
             f"{result['peak_rss_mib_max'] / 1024:.2f} GiB (target 8 GiB). "
             "`benchmarks/bench_national.py`.", "",
             "| stage | CPU seconds (median) | wall seconds (median) | peak RSS after (MiB) |",
             "|---|---:|---:|---:|"]
    cpu = result["stage_cpu_seconds_median"]
    for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {k} | {v:.2f} | {st[k]:.2f} "
                     f"| {result['peak_mib_after_max'].get(k, float('nan')):.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--runs-file", type=Path, default=None,
                    help="append each finished run here (JSON lines) and reuse earlier ones")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--table-only", action="store_true",
                    help="only rewrite the README table from results/national.json")
    args = ap.parse_args()
    if args.table_only:
        _write_table(markdown(json.loads(RESULTS.read_text())))
        return
    if args.child:
        print(json.dumps(one_run(args.cache)))
        return
    info = build_extract(args.cache)
    print(f"extract: {info}", flush=True)
    runs = []
    if args.runs_file and args.runs_file.exists():
        runs = [json.loads(x) for x in args.runs_file.read_text().splitlines() if x.strip()]
    for i in range(len(runs), args.repeats):
        runs.append(_child(args.cache))
        if args.runs_file:
            with args.runs_file.open("a") as fh:
                fh.write(json.dumps(runs[-1]) + "\n")
        print(f"run {i + 1}: whole {runs[-1]['whole_seconds']:.1f} s, peak "
              f"{runs[-1]['peak_rss_mib']:.0f} MiB", flush=True)
    stages = sorted({k for r in runs for k in r["stages"]})
    result = {
        "benchmark": "one whole IOM evaluation at national scale",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load average "
                   f"{os.getloadavg()[0]:.1f} at the end, Python {platform.python_version()}",
        "code": _git_commit(),
        "rows": info["rows"], "extract_build_seconds": info["build_seconds"],
        "repeats": len(runs),
        "whole_seconds_median": statistics.median(r["whole_seconds"] for r in runs),
        "whole_seconds_all": [r["whole_seconds"] for r in runs],
        "peak_rss_mib_max": max(r["peak_rss_mib"] for r in runs),
        "whole_cpu_seconds_median": statistics.median(r["whole_cpu_seconds"] for r in runs),
        "stage_seconds_median": {k: statistics.median(r["stages"].get(k, 0.0) for r in runs)
                                 for k in stages},
        "stage_cpu_seconds_median": {k: statistics.median(r["cpu_stages"].get(k, 0.0)
                                                          for r in runs) for k in stages},
        "peak_mib_after_max": {k: max(r["peak_mib_after"].get(k, 0.0) for r in runs)
                               for k in stages},
        "n_design": runs[0]["n_design"], "n_treated_analysed": runs[0]["n_treated_analysed"],
        "n_comparison_analysed": runs[0]["n_comparison_analysed"],
        "targets": {"whole_seconds": 120, "peak_gib": 8},
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    _write_table(table)
    print(table)


def _git_commit() -> str:
    """The commit measured, ``-dirty`` when ``src/`` or this script has uncommitted changes."""
    import subprocess

    def git(*a):
        return subprocess.run(["git", "-C", str(HERE.parent), *a], capture_output=True,
                              text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD")
    return commit + ("-dirty" if git("status", "--porcelain", "src", "benchmarks/bench_national.py")
                     else "")


def _write_table(table: str) -> None:
    if README.exists() and BEGIN in README.read_text():
        text = README.read_text()
        head, rest = text.split(BEGIN, 1)
        README.write_text(head + BEGIN + "\n" + table + END + rest.split(END, 1)[1])


if __name__ == "__main__":
    main()
