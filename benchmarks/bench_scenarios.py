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
``--designs`` analyses IOM only, the old design (time zero at the start, one pool) beside the
sequential trials (intention to treat and per protocol), each against its own estimand: the
planted effect over the treated it matched, from its own time zero (``truth``; the effect over
every treated episode is kept as ``truth_all_treated``). Results in ``scenarios_designs.json``
and the DESIGNS table of the README.
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
    one_code_version,
    read_progress,
    summarise,
)

RESULTS = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- BEGIN SCENARIOS -->", "<!-- END SCENARIOS -->"
DESIGNS_BEGIN, DESIGNS_END = "<!-- BEGIN DESIGNS -->", "<!-- END DESIGNS -->"


# The IOM design before decisions 0405-0407: time zero at the start, one pool with the first
# index date per person, contamination only by a Core episode.
OLD_IOM = {"design.time_zero": "start", "design.emulation": "single",
           "comparison.index_dates": "first_eligible", "comparison.contamination": "as_treated"}


def _estimand(truth: dict[str, Any], analysis: str) -> dict[str, Any]:
    """The truth each design estimates: the old one follows from the start; the new one from
    time zero (the scoring round), which differs only where adoption lags it."""
    if analysis == "old":
        return truth
    return truth.get("from_eligibility", truth)


def _matched_truth(seed: int, scale: float, scenario: str):
    """The planted effect over the treated an analysis kept (its matched treated, from its
    own time zero): both potential-outcome histories of the same world, re-simulated."""
    from dataclasses import replace

    import numpy as np

    from evaluation.synth import WorldParams, potential_worlds
    from evaluation.synth.effects import att_truth
    from evaluation.synth.world import START

    params = WorldParams()
    params = replace(params, n_people=int(round(params.n_people * scale)))
    pop, _, hist1, hist0, _ = potential_worlds(seed, params, scenario)

    def truth(treated, theta: float) -> dict[str, Any]:
        pid = treated["person_id"].str[1:].astype(np.int64).to_numpy() - 1
        day = (treated["index_date"] - START).dt.days.to_numpy(dtype=np.int64)
        return att_truth(pop, hist1, hist0, pid, day, theta)
    return truth


def analyse_designs(seed: int, scale: float, scenario: str) -> list[dict[str, Any]]:
    """IOM in one world: the old design, and the sequential trials (ITT and per protocol)."""
    import warnings

    import numpy as np
    from bench_coverage import MEASURES, _effects, _estimate_row, _record

    from evaluation.analysis.derive import derive_analysis_outcomes
    from evaluation.analysis.trials import per_protocol_effects
    from evaluation.config import load_programme_config
    from evaluation.data.io import load_extract
    from evaluation.design.build import build_design
    from evaluation.synth import generate, write_world

    t0 = time.perf_counter()
    world = generate(seed, scale=scale, scenario=scenario)
    matched_truth = _matched_truth(seed, scale, scenario)
    with tempfile.TemporaryDirectory(prefix=f"designs_{seed}_") as tmp:
        write_world(world, tmp)
        extract = load_extract(tmp)
    new = load_programme_config("iom")
    old = new.with_overrides(OLD_IOM)
    truth = world.truth["programmes"]["iom"]
    records: list[dict[str, Any]] = []
    results: dict[str, tuple[dict, Any, Any]] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, config in (("old", old), ("itt", new)):
                design = build_design(config, extract)
                frame = derive_analysis_outcomes(design.analysis_set, extract, config,
                                                 config.outcomes.window_days, attrition=None)
                results[name] = (_effects(frame, "weight", "cluster"), frame, design)
            frame = results["itt"][1]
            pp, _ = per_protocol_effects(frame, new, "weight", "cluster")
            results["per_protocol"] = ({"hazard_ratio": _estimate_row(pp, "hazard_ratio"),
                                        "risk_difference": _estimate_row(pp, "risk_difference")},
                                       frame, results["itt"][2])
    except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
        return [{"seed": seed, "programme": "iom", "analysis": "failed", "measure": None,
                 "error": f"{type(exc).__name__}: {exc}"[:500], "theta": float(truth["theta"]),
                 "scenario": scenario, "dataset_seconds": time.perf_counter() - t0,
                 "code_version": code_version()}]
    for analysis, (effects, frame, design) in results.items():
        everyone = _estimand(truth, analysis)
        target = matched_truth(frame.loc[frame["treated"] == 1], float(truth["theta"]))
        extra = {"truth_all_treated": {m: float(everyone[k]) for m, _, k, _ in MEASURES},
                 "n_truth_matched": int(target["n_treated"]),"n_treated": int((frame["treated"] == 1).sum()),
                 "n_comparison": int((frame["treated"] == 0).sum()),
                 "n_events": int(frame["event"].sum()), "n_treated_truth": int(truth["n_treated"]),
                 "theta": float(truth["theta"]),
                 "n_treated_unmatched": int(design.summary["n_treated_unmatched"]),
                 "truth_from_start": {m: float(truth[k]) for m, _, k, _ in MEASURES}}
        for measure, term, key, _ in MEASURES:
            null = 1.0 if measure == "hazard_ratio" else 0.0
            records.append(_record(seed, "iom", analysis, measure, effects[term],
                                   float(target[key]), null, extra))
    seconds = time.perf_counter() - t0
    version = code_version()
    for r in records:
        r.update(dataset_seconds=seconds, code_version=version, scenario=scenario)
    return records


def _task(scenario: str, seed: int, scale: float, programmes: tuple[str, ...]
          ) -> tuple[str, int, list[dict[str, Any]]]:
    if programmes == ("designs",):
        return scenario, seed, analyse_designs(seed, scale, scenario)
    return scenario, seed, analyse_dataset(seed, scale, programmes, scenario=scenario)


def run(scenarios: list[str], seeds: list[int], scale: float, workers: int,
        progress: Path, programmes: tuple[str, ...] = PROGRAMMES) -> None:
    version = code_version()  # never resume from records of another code version
    done = {(r["scenario"], r["seed"]) for r in read_progress(progress)
            if r.get("scale") == scale and r.get("code_version") == version}
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


def designs_markdown(summary: pd.DataFrame, meta: dict[str, Any]) -> str:
    """The design comparison: bias with its Monte Carlo SE, coverage and SE/SD per measure."""
    lines = [
        f"IOM design study ({meta['date']}, {meta['machine']}; scale {meta['scale']:g}, seeds "
        f"{meta['seeds'][0]}-{meta['seeds'][1]}; worlds per scenario: "
        + ", ".join(f"{k} {v}" for k, v in meta["worlds_per_scenario"].items())
        + f"; code {meta['code_versions'][0]}; wall {meta['wall_seconds_this_run']} s). "
        "old = time zero at the start, one pool (first index date); itt / "
        "per_protocol = sequential trials from the scoring round (decisions 0405-0407), each "
        "against the planted effect over the treated it matched, from its own time zero. "
        "Bias of the log HR and of the risk difference (Monte Carlo SE), coverage of the "
        "truth by the 95% interval, mean SE / empirical SD. `benchmarks/bench_scenarios.py`.",
        "",
        "| scenario | analysis | n | log HR bias (SE) | HR coverage | HR SE/SD "
        "| RD bias (SE) | RD coverage | RD SE/SD |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    idx = summary.set_index(["scenario", "programme", "analysis", "measure"])
    for (sc, prog, an), _ in summary.groupby(["scenario", "programme", "analysis"], sort=False):
        hr = idx.loc[(sc, prog, an, "hazard_ratio")]
        rd = idx.loc[(sc, prog, an, "risk_difference")]
        lines.append(
            f"| {sc} | {an} | {int(hr['n_datasets'])} | {hr['bias']:+.3f} ({hr['bias_se']:.3f}) "
            f"| {hr['coverage']:.0%} | {hr['se_sd_ratio']:.2f} "
            f"| {rd['bias']:+.4f} ({rd['bias_se']:.4f}) | {rd['coverage']:.0%} "
            f"| {rd['se_sd_ratio']:.2f} |")
    return "\n".join(lines) + "\n"


def write_outputs(progress: Path, scale: float, seeds: list[int], out: Path,
                  wall: float | None, designs: bool = False, label: str = "") -> dict[str, Any]:
    records = [r for r in read_progress(progress) if r.get("scale") == scale
               and seeds[0] <= r["seed"] <= seeds[-1]]
    one_code_version(records)
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
    suffix = f"_{label}" if label else ""
    name = f"scenarios_designs{suffix}.json" if designs else f"scenarios{suffix}.json"
    (out / name).write_text(json.dumps(result, separators=(",", ":")) + "\n")
    table = designs_markdown(summary, meta) if designs else markdown(summary, meta)
    begin, end = (DESIGNS_BEGIN, DESIGNS_END) if designs else (BEGIN, END)
    if label:
        begin, end = (m.replace(" -->", f" {label.upper()} -->") for m in (begin, end))
    if README.exists():
        text = README.read_text()
        if begin in text:
            head, rest = text.split(begin, 1)
            text = head + begin + "\n" + table + end + rest.split(end, 1)[1]
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
    ap.add_argument("--designs", action="store_true",
                    help="IOM only: the old design beside the sequential trials (ITT and per "
                         "protocol); results in scenarios_designs.json, README DESIGNS table")
    ap.add_argument("--progress", type=Path,
                    default=Path(tempfile.gettempdir()) / "bench_scenarios_progress.jsonl")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--label", default="",
                    help="results in scenarios_designs_LABEL.json (or scenarios_LABEL.json) and "
                         "the README table between the BEGIN/END ... LABEL markers")
    ap.add_argument("--report-only", action="store_true",
                    help="only rebuild scenarios.json and the README table from the progress file")
    args = ap.parse_args()
    seeds = list(range(1, args.n + 1))
    print(f"code {code_version()}", flush=True)
    programmes = ("designs",) if args.designs else tuple(args.programmes)
    wall = None
    if not args.report_only:
        t0 = time.perf_counter()
        run(args.scenarios, seeds, args.scale, args.workers, args.progress, programmes)
        wall = round(time.perf_counter() - t0, 1)
    write_outputs(args.progress, args.scale, seeds, args.out, wall, designs=args.designs,
                  label=args.label)


if __name__ == "__main__":
    main()
