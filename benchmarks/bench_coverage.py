"""Monte Carlo calibration of uncertainty: does the matched 95% interval cover the planted truth?

Over seeded synthetic worlds (``evaluation.synth.generate``), each of the four programmes is
analysed exactly as the report does (``evaluate.build_design`` with the reviewed default
configuration, outcomes by ``analysis.derive.derive_analysis_outcomes``, the hazard ratio by ``cox_effect`` with the
matched weights and matched-set clusters, the risk difference by ``binary_effect`` on rows with a
complete read-out). Each interval is compared with the planted truth the generator computed from
the potential outcomes of the treated (``world.truth["programmes"][p]``). A well-calibrated 95%
interval covers it in about 95% of worlds; Prince's Trust has no effect (theta 1.0), so its test
should reject in about 5%. The naive (unmatched) comparison of the whole eligible pool is recorded
beside it, to show the bias that matching removes.

Run: .venv/bin/python benchmarks/bench_coverage.py [--n 200] [--scale 0.3] [--workers 2]
  -> benchmarks/results/coverage.json and coverage.md. Each finished dataset is appended to a
  progress file (JSON lines; ``--progress``, in the temporary directory), and a re-run skips
  seeds already there, so a long run can be resumed (delete it after changing the library). A dataset is computed whole by one worker from its seed alone, so the
  results do not depend on the number of workers or their order.
Timing: wall clock (time.perf_counter) of the whole run, and per dataset inside the worker.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

PROGRAMMES = ("iom", "new_chance", "princes_trust", "conditional_caution")
NULL_PROGRAMMES = ("princes_trust",)  # planted theta 1.0: the interval must not exclude 1
RESULTS = Path(__file__).resolve().parent / "results"
LEVEL = 0.95
ALPHA = 0.05

# (measure, estimator term, truth key, scale on which bias and SD are measured)
MEASURES = (("hazard_ratio", "hazard_ratio", "hazard_ratio", "log"),
            ("risk_difference", "risk_difference", "risk_difference", "identity"))


# --------------------------------------------------------------------------- one dataset
def _estimate_row(table: pd.DataFrame, term: str) -> dict[str, float]:
    row = table.loc[table["term"] == term].iloc[0]
    return {k: float(row[k]) for k in ("estimate", "std_error", "lower", "upper", "p_value")}


def _effects(frame: pd.DataFrame, weights: str | None, cluster: str | None
             ) -> dict[str, dict[str, float]]:
    """Hazard ratio (all rows, censored) and risk difference (complete read-outs), as reported."""
    from evaluation.estimators.binary import binary_effect
    from evaluation.estimators.cox import cox_effect

    cox = cox_effect(frame, duration_col="duration_days", event_col="event", treatment_col="treated",
                     weights_col=weights,
                     cluster_col=cluster)
    complete = frame.loc[frame["eligible_for_readout"].astype(bool)].copy()
    complete["reoffended"] = complete["reoffended"].astype(int)
    binary = binary_effect(complete, outcome_col="reoffended", treatment_col="treated",
                           weights_col=weights, cluster_col=cluster)
    return {"hazard_ratio": _estimate_row(cox, "hazard_ratio"),
            "risk_difference": _estimate_row(binary, "risk_difference")}


def _record(seed: int, programme: str, analysis: str, measure: str, est: dict[str, float],
            truth: float, null: float, extra: dict[str, Any]) -> dict[str, Any]:
    return {"seed": seed, "programme": programme, "analysis": analysis, "measure": measure,
            "truth": truth, **est,
            "covered": bool(est["lower"] <= truth <= est["upper"]),
            "rejected": bool(est["p_value"] < ALPHA),
            "null": null, **extra}


def code_version() -> str:
    """The last commit that changed the code under test (the library and the benchmark
    scripts; + "-dirty" with uncommitted changes to them), so records from two code versions
    are never pooled unknowingly, while committing results or prose mid-run changes nothing."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    code = ["src", "benchmarks/*.py"]
    try:
        head = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h", "--", *code],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", *code],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return (head or "unknown") + ("-dirty" if dirty else "")


def one_code_version(records: Iterable[dict[str, Any]]) -> str:
    """The code version all records share; refuses to pool records from two versions."""
    versions = sorted({r.get("code_version", "unknown") for r in records})
    if len(versions) != 1:
        raise SystemExit(f"records from {len(versions)} code versions {versions}: rerun with a "
                         "fresh --progress file on one version rather than pool them")
    return versions[0]


def analyse_dataset(seed: int, scale: float, programmes: Sequence[str] = PROGRAMMES,
                    scenario: str | None = None) -> list[dict[str, Any]]:
    """Generate one world, write and read it back as users do, analyse every programme."""
    from evaluation.analysis.derive import derive_analysis_outcomes as _outcomes
    from evaluation.config import load_programme_config
    from evaluation.data.io import load_extract
    from evaluation.design.build import build_design
    from evaluation.synth import generate, write_world

    t0 = time.perf_counter()
    world = generate(seed, scale=scale, scenario=scenario)
    with tempfile.TemporaryDirectory(prefix=f"coverage_{seed}_") as tmp:
        write_world(world, tmp)
        extract = load_extract(tmp)
    records: list[dict[str, Any]] = []
    for programme in programmes:
        config = load_programme_config(programme)
        truth = world.truth["programmes"][config.programme]
        window = config.outcomes.window_days
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter; results checked below
                design = build_design(config, extract)
                matched = _outcomes(design.analysis_set, extract, config, window,
                                    attrition=None)
                everyone = _outcomes(design.frame, extract, config, window, attrition=None)
                results = {"matched": _effects(matched, "weight", "cluster"),
                           "naive": _effects(everyone, None, None)}
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            # the report would stop here too: count it as a failed analysis, never skip it
            records.append({"seed": seed, "programme": programme, "analysis": "failed",
                            "measure": None, "error": f"{type(exc).__name__}: {exc}"[:500],
                            "theta": float(truth["theta"])})
            continue
        counts = {"matched": matched, "naive": everyone}
        for analysis, effects in results.items():
            frame = counts[analysis]
            extra = {"n_treated": int((frame["treated"] == 1).sum()),
                     "n_comparison": int((frame["treated"] == 0).sum()),
                     "n_events": int(frame["event"].sum()),
                     "n_treated_truth": int(truth["n_treated"]),
                     "theta": float(truth["theta"])}
            if analysis == "matched":
                extra["n_treated_unmatched"] = int(design.summary["n_treated_unmatched"])
            for measure, term, key, _ in MEASURES:
                null = 1.0 if measure == "hazard_ratio" else 0.0
                records.append(_record(seed, programme, analysis, measure, effects[term],
                                       float(truth[key]), null, extra))
    seconds = time.perf_counter() - t0
    version = code_version()
    for r in records:
        r["dataset_seconds"] = seconds
        r["code_version"] = version
        r["scenario"] = scenario or "default"
    return records


# --------------------------------------------------------------------------- estimand check
def _potential_worlds(seed: int, scale: float):
    """Both potential-outcome histories of the world ``generate(seed, scale=scale)`` makes."""
    from dataclasses import replace

    from evaluation.synth import WorldParams, potential_worlds

    params = WorldParams()
    params = replace(params, n_people=int(round(params.n_people * scale)))
    pop, _, hist1, hist0, selections = potential_worlds(seed, params)
    return pop, hist1, hist0, selections


def analysed_truth(seed: int, scale: float, programmes: Sequence[str] = PROGRAMMES
                   ) -> list[dict[str, Any]]:
    """The planted effect over the people each analysis actually estimates it for.

    The generator's truth is over every treated episode (all IOM pillars; every participant);
    the analysis estimates the effect on the treated it kept (IOM: Core pillar only; matched
    treated only). Here the same potential-outcome calculation (``synth.effects.att_truth``) is
    repeated for (a) the treated the configuration selects and (b) the matched treated.
    """
    from evaluation.config import load_programme_config
    from evaluation.data.io import load_extract
    from evaluation.design.build import build_design
    from evaluation.synth import generate, write_world
    from evaluation.synth.effects import att_truth
    from evaluation.synth.world import START

    world = generate(seed, scale=scale)
    pop, hist1, hist0, selections = _potential_worlds(seed, scale)
    by_name = {s.programme: s for s in selections}
    with tempfile.TemporaryDirectory(prefix=f"coverage_truth_{seed}_") as tmp:
        write_world(world, tmp)
        extract = load_extract(tmp)
    out = []
    for programme in programmes:
        config = load_programme_config(programme)
        theta = float(world.truth["programmes"][programme]["theta"])
        ep = by_name[programme].episodes
        mask = (by_name[programme].treated_theta != 1.0
                if programme == "conditional_caution" else np.ones(ep["person"].size, bool))
        recomputed = att_truth(pop, hist1, hist0, ep["person"][mask], ep["start"][mask], theta)
        reproduced = math.isclose(recomputed["hazard_ratio"],
                                  world.truth["programmes"][programme]["hazard_ratio"],
                                  rel_tol=1e-9)
        row = {"seed": seed, "programme": programme, "recomputed_truth_matches": reproduced,
               "truth_all_hr": world.truth["programmes"][programme]["hazard_ratio"],
               "truth_all_rd": world.truth["programmes"][programme]["risk_difference"]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                design = build_design(config, extract)
            except (ValueError, RuntimeError) as exc:
                row["error"] = str(exc)[:200]
                out.append(row)
                continue
        frame = design.frame
        for label, who in (("selected", frame["treated"] == 1),
                           ("matched", (frame["treated"] == 1) & (frame["weight"] > 0))):
            sub = frame.loc[who]
            pid = sub["person_id"].str[1:].astype(np.int64).to_numpy() - 1
            day = ((sub["index_date"] - START).dt.days).to_numpy(dtype=np.int64)
            t = att_truth(pop, hist1, hist0, pid, day, theta)
            row[f"truth_{label}_hr"] = t["hazard_ratio"]
            row[f"truth_{label}_rd"] = t["risk_difference"]
            row[f"n_{label}"] = int(who.sum())
        out.append(row)
    return out


# --------------------------------------------------------------------------- summaries
def clopper_pearson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact binomial interval for a proportion k/n (beta quantiles)."""
    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def summarise(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Coverage, rejection, bias and SE calibration per programme, analysis and measure.

    Bias and spread are of the error (estimate - truth) on the log scale for the hazard ratio:
    the truth is the treated cohort's own effect, so it varies a little between worlds.
    ``se_sd_ratio`` near 1 means the reported standard errors match the real spread.
    """
    df = pd.DataFrame(list(records))
    failed = df.loc[df["analysis"] == "failed"].groupby("programme")["seed"].nunique()
    df = df.loc[df["analysis"] != "failed"]
    rows = []
    scale = {m: s for m, _, _, s in MEASURES}
    for (programme, analysis, measure), g in df.groupby(["programme", "analysis", "measure"],
                                                         sort=False):
        ok = np.isfinite(g["estimate"]) & np.isfinite(g["std_error"])
        g = g.loc[ok]
        n, k = len(g), int(g["covered"].sum())
        lo, hi = clopper_pearson(k, n)
        if scale[measure] == "log":
            err = np.log(g["estimate"]) - np.log(g["truth"])
        else:
            err = g["estimate"] - g["truth"]
        sd = float(err.std(ddof=1)) if n > 1 else float("nan")
        rows.append({
            "programme": programme, "analysis": analysis, "measure": measure, "n_datasets": n,
            "n_not_finite": int((~ok).sum()), "n_failed_analyses": int(failed.get(programme, 0)),
            "theta": float(g["theta"].iloc[0]),
            "mean_truth": float(g["truth"].mean()), "n_covered": k, "coverage": k / n,
            # misses by side: truth below the interval (estimate too high) or above it
            "n_truth_below": int((g["truth"] < g["lower"]).sum()),
            "n_truth_above": int((g["truth"] > g["upper"]).sum()),
            "coverage_lower": lo, "coverage_upper": hi,
            "rejection_rate": float(g["rejected"].mean()),
            "bias": float(err.mean()), "bias_se": sd / math.sqrt(n) if n > 1 else float("nan"),
            "mean_se": float(g["std_error"].mean()), "empirical_sd": sd,
            "se_sd_ratio": float(g["std_error"].mean() / sd) if sd > 0 else float("nan"),
            "mean_n_treated": float(g["n_treated"].mean()),
            "mean_n_treated_truth": float(g["n_treated_truth"].mean()),
            "bias_scale": scale[measure],
        })
    return pd.DataFrame(rows)


def verdicts(summary: pd.DataFrame, lo: float = 0.92, hi: float = 0.98,
             max_null_rejection: float = 0.08) -> pd.DataFrame:
    """The issue's acceptance rule, for the matched hazard ratio of every programme."""
    m = summary.loc[(summary["analysis"] == "matched") & (summary["measure"] == "hazard_ratio")]
    out = m[["programme", "n_datasets", "coverage", "rejection_rate"]].copy()
    out["coverage_ok"] = out["coverage"].between(lo, hi)
    null = out["programme"].isin(NULL_PROGRAMMES)
    out["null_ok"] = np.where(null, out["rejection_rate"] <= max_null_rejection, np.nan)
    return out


def markdown_table(summary: pd.DataFrame) -> str:
    """Short table: one row per programme, analysis and measure."""
    head = ("| programme | analysis | measure | n | coverage (95% CI) | rejection | bias "
            "| mean SE / SD |\n|---|---|---|---:|---|---:|---:|---|")
    lines = [head]
    for r in summary.itertuples():
        unit = "log HR" if r.bias_scale == "log" else "abs"
        lines.append(
            f"| {r.programme} | {r.analysis} | {r.measure} | {r.n_datasets} "
            f"| {r.coverage:.1%} ({r.coverage_lower:.1%}-{r.coverage_upper:.1%}) "
            f"| {r.rejection_rate:.1%} | {r.bias:+.3f} {unit} "
            f"| {r.mean_se:.3f} / {r.empirical_sd:.3f} = {r.se_sd_ratio:.2f} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- running
def read_progress(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run(seeds: Sequence[int], scale: float, workers: int, progress: Path | None = None,
        programmes: Sequence[str] = PROGRAMMES) -> list[dict[str, Any]]:
    """Analyse every seed (whole datasets per worker); returns records sorted by seed."""
    done = read_progress(progress) if progress else []
    version = code_version()  # never resume from records of another code version
    done = [r for r in done if r.get("scale") == scale and r.get("code_version") == version]
    have = {r["seed"] for r in done}
    todo = [s for s in seeds if s not in have]
    records = [r for r in done if r["seed"] in set(seeds)]
    if workers <= 1:
        results = ((s, analyse_dataset(s, scale, programmes)) for s in todo)
        _collect(results, records, progress, scale, len(todo))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(analyse_dataset, s, scale, programmes): s for s in todo}
            results = ((futures[f], f.result()) for f in as_completed(futures))
            _collect(results, records, progress, scale, len(todo))
    order = {p: i for i, p in enumerate(programmes)}
    records.sort(key=lambda r: (r["seed"], order[r["programme"]], r["analysis"], r["measure"] or ""))
    return records


def _collect(results, records: list, progress: Path | None, scale: float, total: int) -> None:
    for i, (seed, recs) in enumerate(results, 1):
        for r in recs:
            r["scale"] = scale
        records.extend(recs)
        if progress:
            with progress.open("a") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in recs)
            print(f"[{time.strftime('%H:%M:%S')}] seed {seed} done ({i}/{total}, "
                  f"{recs[0]['dataset_seconds']:.1f} s)", flush=True)


def estimand_check(seeds: Sequence[int], scale: float, workers: int, progress: Path,
                   records: list[dict[str, Any]]) -> dict[str, Any]:
    """Matched-HR coverage against the truth over all / selected / matched treated."""
    done = read_progress(progress)
    done = [r for r in done if r.get("scale") == scale and r["seed"] in set(seeds)]
    todo = [s for s in seeds if s not in {r["seed"] for r in done}]
    with ProcessPoolExecutor(max_workers=max(workers, 1)) as pool:
        futures = {pool.submit(analysed_truth, s, scale): s for s in todo}
        for f in as_completed(futures):
            rows = f.result()
            for r in rows:
                r["scale"] = scale
            done.extend(rows)
            with progress.open("a") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in rows)
            print(f"[{time.strftime('%H:%M:%S')}] estimand check seed {futures[f]} done",
                  flush=True)
    truth = pd.DataFrame(done)
    est = pd.DataFrame([r for r in records if r["analysis"] == "matched"
                        and r["measure"] == "hazard_ratio" and r["seed"] in set(seeds)])
    m = est.merge(truth, on=["seed", "programme"], how="inner")
    rows = []
    for programme, g in m.groupby("programme", sort=False):
        row = {"programme": programme, "n_datasets": len(g),
               "recomputed_truth_matches": bool(g["recomputed_truth_matches"].all())}
        for label in ("all", "selected", "matched"):
            t = g[f"truth_{label}_hr"]
            covered = (g["lower"] <= t) & (t <= g["upper"])
            err = np.log(g["estimate"]) - np.log(t)
            row[f"coverage_{label}"] = float(covered.mean())
            row[f"bias_{label}"] = float(err.mean())
            row[f"mean_truth_{label}"] = float(t.mean())
        rows.append(row)
    return {"summary": rows, "rows": json.loads(truth.to_json(orient="records"))}


def _check_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| programme | n | truth all / selected / matched (mean HR) | coverage all / "
             "selected / matched | bias (log HR) all / selected / matched |",
             "|---|---:|---|---|---|"]
    for r in rows:
        labels = ("all", "selected", "matched")
        lines.append(
            f"| {r['programme']} | {r['n_datasets']} | "
            + " / ".join(f"{r[f'mean_truth_{x}']:.3f}" for x in labels) + " | "
            + " / ".join(f"{r[f'coverage_{x}']:.1%}" for x in labels) + " | "
            + " / ".join(f"{r[f'bias_{x}']:+.3f}" for x in labels) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="number of datasets (seeds 1..n)")
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=0.3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--progress", type=Path,
                    default=Path(tempfile.gettempdir()) / "bench_coverage_progress.jsonl",
                    help="JSON lines, one per finished dataset; a re-run resumes from it")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--estimand-check", type=int, default=0, metavar="K",
                    help="also recompute the truth over the analysed treated for seeds 1..K")
    args = ap.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.n))
    t0 = time.perf_counter()
    records = run(seeds, args.scale, args.workers, args.progress)
    wall = time.perf_counter() - t0
    summary = summarise(records)
    verdict = verdicts(summary)
    check = estimand_check(seeds[:args.estimand_check], args.scale, args.workers,
                           args.progress.with_name("coverage_estimand_progress.jsonl"),
                           records) if args.estimand_check else None
    import evaluation

    per_dataset = sorted({r["seed"]: r["dataset_seconds"] for r in records}.items())
    secs = np.array([s for _, s in per_dataset])
    out = {
        "description": "Coverage of the planted truth by 95% intervals over seeded synthetic "
                       "worlds; default programme configurations; see benchmarks/bench_coverage.py",
        "seeds": [seeds[0], seeds[-1]], "n_datasets": len(per_dataset), "scale": args.scale,
        "workers": args.workers, "wall_seconds_this_run": round(wall, 1),
        "dataset_seconds": {"mean": float(secs.mean()), "median": float(np.median(secs)),
                            "max": float(secs.max()), "total_cpu_like": float(secs.sum())},
        "evaluation_version": evaluation.__version__,
        "code_version": one_code_version(records), "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "acceptance": "matched hazard ratio: coverage in [0.92, 0.98] for every programme; "
                      "Prince's Trust (theta 1.0) rejected in at most 8%",
        "verdicts": json.loads(verdict.to_json(orient="records")),
        "summary": json.loads(summary.to_json(orient="records")),
        "estimand_check": check,
        "records": records,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "coverage.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")
    md = (f"# Coverage of the planted truth ({len(per_dataset)} synthetic worlds, scale "
          f"{args.scale:g}, seeds {seeds[0]}-{seeds[-1]}, code {out['code_version']})\n\n"
          "Default configuration of each programme; 95% intervals; coverage with a "
          "Clopper-Pearson 95% interval; rejection = p < 0.05 (for Prince's Trust, theta 1.0, "
          "a false positive); bias and SD of the error on the log scale for hazard ratios. "
          "Generated by benchmarks/bench_coverage.py.\n\n" + markdown_table(summary))
    (args.out / "coverage.md").write_text(md)
    print(markdown_table(summary))
    print(verdict.to_string(index=False))
    if check:
        md += ("\n## Estimand check (seeds 1-" + str(args.estimand_check) + ")\n\n"
               "Coverage of the matched hazard ratio against the truth over (a) every treated "
               "episode (the generator's truth), (b) the treated the configuration selects, "
               "(c) the matched treated.\n\n" + _check_table(check["summary"]))
        (args.out / "coverage.md").write_text(md)
        print(_check_table(check["summary"]))
    print(f"wall {wall:.0f} s; dataset mean {secs.mean():.1f} s")


if __name__ == "__main__":
    main()
