"""The multiverse: the headline hazard ratio under every combination of defensible choices.

A reader who doubts one analytic choice (a six-month window, a tighter caliper, 2:1 matching,
weighting instead of matching, no waiting period, fewer covariates) can see whether the answer
depends on it. The grid is declared in the programme's configuration (``multiverse:``) before
outcomes are seen; every combination is run as its own analysis (design refitted, outcomes
re-derived) and the estimates are shown sorted as a specification curve, the pre-declared
choice marked. Tasks are independent and deterministic, so the table does not depend on the
executor (local pool or Dask) or the number of workers; finished tasks are written to a
checkpoint as they complete, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evaluation.analysis.derive import derive_analysis_outcomes
from evaluation.analysis.executors import run_tasks
from evaluation.config import ProgrammeConfig
from evaluation.design.build import build_design
from evaluation.estimators.cox import cox_effect

# configuration key of each multiverse dimension (waiting_period and covariate_sets map below)
DIMENSIONS = {"window_days": "outcomes.window_days", "caliper": "design.caliper",
              "ratio": "design.ratio", "method": "design.method",
              "waiting_period": "outcomes.waiting_days", "covariate_sets": "covariates.include"}
PRESPECIFIED_SET = "pre-declared"


@dataclass(frozen=True)
class Specification:
    """One combination of choices: what it is called and the overrides that make it."""

    choices: tuple[tuple[str, Any], ...]
    overrides: tuple[tuple[str, Any], ...]
    prespecified: bool

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.choices)


def _options(config: ProgrammeConfig) -> dict[str, list[tuple[Any, Any]]]:
    """(shown value, configuration value) per dimension, the pre-declared one first."""
    m, o, d = config.multiverse, config.outcomes, config.design
    declared = {"window_days": o.window_days, "caliper": d.caliper, "ratio": d.ratio,
                "method": d.method, "waiting_period": o.waiting_days > 0}
    options: dict[str, list[tuple[Any, Any]]] = {}
    for key in ("window_days", "caliper", "ratio", "method"):
        values = [declared[key], *[v for v in getattr(m, key) if v != declared[key]]]
        options[key] = [(v, v) for v in values]
    waits = [declared["waiting_period"],
             *[w for w in m.waiting_period if w != declared["waiting_period"]]]
    options["waiting_period"] = [(w, o.waiting_days if w == declared["waiting_period"] else
                                  (182 if w else 0)) for w in waits]
    options["covariate_sets"] = [(PRESPECIFIED_SET, list(config.covariates.include)),
                                 *[(name, list(cov)) for name, cov in
                                   m.covariate_sets.items()]]
    return options


def specifications(config: ProgrammeConfig) -> list[Specification]:
    """Every combination of the declared options; the pre-declared analysis first.

    Combinations the configuration itself forbids (e.g. a ratio with weighting) are left out
    by keeping only the dimensions that apply: weighting ignores caliper and ratio."""
    options = _options(config)
    keys = list(options)
    seen, specs = set(), []
    for combo in itertools.product(*(range(len(options[k])) for k in keys)):
        chosen = {k: options[k][i] for k, i in zip(keys, combo, strict=True)}
        if chosen["method"][1] == "weighting":
            if combo[keys.index("caliper")] or combo[keys.index("ratio")]:
                continue
            chosen = {k: v for k, v in chosen.items() if k not in ("caliper", "ratio")}
        shown = tuple((k, v[0]) for k, v in chosen.items())
        if shown in seen:
            continue
        seen.add(shown)
        overrides = tuple((DIMENSIONS[k], v[1]) for k, v in chosen.items())
        specs.append(Specification(shown, overrides, prespecified=not any(combo)))
    return specs


_EXTRACTS: dict[str, Any] = {}


def _extract(data_dir: str):
    """The extract, read once per worker process (workers read the data folder themselves)."""
    from evaluation.data.gate import open_validated_extract

    key = str(Path(data_dir).resolve())
    if key not in _EXTRACTS:
        _EXTRACTS[key] = open_validated_extract(data_dir)
    return _EXTRACTS[key]


def run_specification(task: tuple[ProgrammeConfig, str, Specification]) -> dict[str, Any]:
    """The matched (or weighted) hazard ratio for one specification."""
    config, data_dir, spec = task
    extract = _extract(data_dir)
    cfg = config.with_overrides(dict(spec.overrides))
    design = build_design(cfg, extract)
    analysis = derive_analysis_outcomes(design.analysis_set, extract, cfg,
                                        cfg.outcomes.window_days, attrition=None)
    hr = cox_effect(analysis, duration_col="duration_days", event_col="event",
                    treatment_col="treated", weights_col="weight",
                    cluster_col="cluster").iloc[0]
    treated = analysis["treated"] == 1
    return {"specification": spec.label, "prespecified": spec.prespecified,
            **{k: v for k, v in spec.choices},
            "hazard_ratio": float(hr["estimate"]), "lower": float(hr["lower"]),
            "upper": float(hr["upper"]), "p_value": float(hr["p_value"]),
            "n_treated": int(treated.sum()), "n_comparison": int((~treated).sum()),
            "events": int(analysis["event"].sum())}


def fingerprint(config: ProgrammeConfig, data_dir: str | Path) -> str:
    """Identifies what a checkpoint was computed from: configuration and extract bytes."""
    from evaluation.data.gate import input_digest

    text = json.dumps(config.to_dict(), sort_keys=True, default=str) + input_digest(data_dir)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_multiverse(config: ProgrammeConfig, data_dir: str | Path, *, workers: int = 1,
                   scheduler: str | None = None, checkpoint: str | Path | None = None,
                   progress: bool = False) -> pd.DataFrame:
    """Every specification's hazard ratio, sorted, with its rank (the specification curve).

    ``checkpoint``: a JSON-lines file; finished specifications are appended as they complete
    and skipped on a rerun with the same configuration and extract (resume after Ctrl-C)."""
    specs = specifications(config)
    stamp = fingerprint(config, data_dir)
    done = _read_checkpoint(checkpoint, stamp)
    todo = [s for s in specs if s.label not in done]
    bar = _progress(len(specs), len(specs) - len(todo), progress)
    try:
        tasks = [(config, str(data_dir), s) for s in todo]
        for _, row in run_tasks(run_specification, tasks, workers=workers, scheduler=scheduler):
            done[row["specification"]] = row
            _append_checkpoint(checkpoint, stamp, row)
            bar.update(1)
    finally:
        bar.close()
    table = pd.DataFrame([done[s.label] for s in specs])
    table = table.sort_values(["hazard_ratio", "specification"], kind="mergesort")
    return table.reset_index(drop=True).assign(rank=lambda t: range(1, len(t) + 1))


def _read_checkpoint(path, stamp: str) -> dict[str, dict]:
    if path is None or not Path(path).exists():
        return {}
    rows = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.pop("fingerprint", None) == stamp:
            rows[record["specification"]] = record
    return rows


def _append_checkpoint(path, stamp: str, row: dict) -> None:
    if path is None:
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"fingerprint": stamp, **row}) + "\n")


def _progress(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, unit="analysis",
                desc="multiverse")
