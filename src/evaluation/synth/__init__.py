"""Calibrated synthetic West Midlands extract: people, offences, programmes and pools.

``generate`` simulates a population's offending (``world.py``), selects programme participants
and comparison pools on observable history (``programmes.py``), re-simulates the participants
with their planted effect (common random numbers) and records the truth (``effects.py``).
``write_world`` writes the extract; ``calibration_table`` checks it against published figures.
Nothing here describes real people.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from evaluation import __version__

from .calibration import calibration_table
from .chunks import simulate_offending
from .effects import HOW, att_truth
from .history import History
from .parallel import background, use_processes
from .programmes import THETA, select_all
from .scenarios import SCENARIOS, Scenario, confounder, get_scenario
from .tables import build_tables
from .world import CUTOFF, NEVER, WorldParams, make_population
from .writer import write_world

__all__ = ["SCENARIOS", "Scenario", "SyntheticWorld", "WorldParams", "calibration_table",
           "generate", "potential_worlds", "write_and_calibrate", "write_world"]

GENERATOR = "evaluation.synth"


@dataclass
class SyntheticWorld:
    tables: dict[str, pd.DataFrame]
    metadata: dict
    truth: dict
    scale: float = 1.0
    extras: dict = field(default_factory=dict, repr=False)


def potential_worlds(seed: int, params: WorldParams, scenario: str | Scenario | None = None,
                     workers: int | None = None):
    """Population, factual events, both potential-outcome histories and the selections.

    The world without any programme is simulated first (``hist0``); everyone selected into a
    programme with a planted effect other than 1 is then re-simulated from their start date
    with that effect, which gives the factual events and ``hist1``. The truth is the contrast
    of the two histories for the same people (``effects.att_truth``). ``scenario`` names a
    harder world (``scenarios.SCENARIOS``); the default changes nothing. ``workers``: processes
    for the monthly loop (``parallel.py``; the results never depend on it).
    """
    pop, factual, hist0, selections = _worlds(seed, params, get_scenario(scenario), workers)
    return pop, factual, History(factual), hist0, selections


def _worlds(seed: int, params: WorldParams, sc: Scenario, workers: int | None):
    """``potential_worlds`` without the factual history (only the truth needs it)."""
    pop = make_population(seed, params.n_people, params)
    if sc.confounder_offending or sc.confounder_selection:
        pop.confounder = confounder(seed, pop.pid)
        pop.mu = pop.mu + sc.confounder_offending * pop.confounder
    area = {}
    if sc.area_nfa_shift is not None:
        area["area_nfa"] = np.asarray(sc.area_nfa_shift, dtype=float)
    if sc.area_proof_delay is not None:
        area["area_delay"] = np.asarray(sc.area_proof_delay, dtype=float)
    world0 = simulate_offending(seed, pop, params, **area, workers=workers)
    hist0 = History(world0)
    selections = select_all(seed, pop, hist0, None if sc.is_default else sc)
    person = np.concatenate([s.episodes["person"] for s in selections])
    start = np.concatenate([s.episodes["start"] for s in selections])
    theta = np.concatenate([s.treated_theta for s in selections])
    eff = theta != 1.0
    treated_world = simulate_offending(seed, pop.subset(person[eff]), params,
                                       effect_start=start[eff], theta=theta[eff], **area,
                                       workers=workers)
    keep = ~np.isin(world0["pid"], person[eff])
    factual = {k: np.concatenate([world0[k][keep], treated_world[k]])
               for k in world0 if k != "row"}
    return pop, factual, hist0, selections


def _truth(sc: Scenario, pop, factual: dict, hist0: History, selections) -> dict:
    """The planted truth of every programme: its treated with and without the programme."""
    hist1 = History(factual)
    truth = {"how_computed": HOW, "programmes": {}}
    for s in selections:
        ep = s.episodes
        mask = s.treated_theta != 1.0 if s.programme == "conditional_caution" else \
            np.ones(ep["person"].size, dtype=bool)
        theta = sc.theta_for(s.programme, THETA[s.programme])
        entry = att_truth(pop, hist1, hist0, ep["person"][mask], ep["start"][mask], theta)
        elig = ep.get("eligibility")
        if elig is not None and np.any(elig != ep["start"]):
            # adoption lags the decision: the effect of the decision, followed from time zero
            # (what a design with time zero at eligibility estimates, intention to treat)
            entry["from_eligibility"] = att_truth(pop, hist1, hist0, ep["person"][mask],
                                                  elig[mask], theta)
        if s.programme == "conditional_caution":
            entry["treated_definition"] = ("episodes with disposal_type conditional_caution; "
                                           "community_resolution episodes carry no effect")
        truth["programmes"][s.programme] = entry
    return truth


def generate(seed: int = 20190930, n_people: int | None = None, scale: float = 1.0,
             params: WorldParams | None = None,
             scenario: str | Scenario | None = None,
             workers: int | None = None) -> SyntheticWorld:
    """Simulate the synthetic West Midlands world.

    ``scale`` shrinks the population, and so every programme cohort, proportionally;
    ``n_people`` sets the simulated population directly (e.g. 1,000,000 for a benchmark);
    ``scenario`` picks a harder world (``SCENARIOS``; recorded in extract.json and truth.json);
    ``workers`` caps the processes used (``parallel.resolve_workers``: default the
    ``EVALUATION_SYNTH_WORKERS`` environment variable, else up to 2 cores). The output is the
    same, byte for byte, whatever the number of workers.
    """
    sc = get_scenario(scenario)
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    params = params or WorldParams()
    n = int(n_people) if n_people is not None else int(round(params.n_people * scale))
    if n < 1000:
        raise ValueError(f"the population must have at least 1000 people, got {n}")
    params = replace(params, n_people=n)
    pop, factual, hist0, selections = _worlds(seed, params, sc, workers)
    # the truth (both histories, lifelines) in a child process while the tables are built
    with background(lambda: _truth(sc, pop, factual, hist0, selections),
                    use_processes(workers, n)) as truth_job:
        tables = build_tables(pop, factual, selections)
        truth = truth_job.result()
    metadata = {
        "data_cutoff": str(CUTOFF.date()),
        "synthetic": True,
        "generator": GENERATOR,
        "generator_version": __version__,
        "seed": int(seed),
        "scale": float(scale),
        "n_people_simulated": n,
        "description": ("SYNTHETIC data: a simulated West Midlands-like population with planted "
                        "programme effects (see truth.json). No real person is described."),
    }
    truth.update(seed=int(seed), generator=GENERATOR, generator_version=__version__,
                 scale=float(scale), synthetic=True)
    if not sc.is_default:  # the default world's files stay as they were before scenarios
        metadata["scenario"] = sc.name
        metadata["description"] += f" Scenario {sc.name}: {sc.description}."
        truth["scenario"] = sc.record()
    return SyntheticWorld(tables, metadata, truth, scale=float(scale))


def write_and_calibrate(world: SyntheticWorld, out_dir, fmt: str = "parquet",
                        workers: int | None = None):
    """``write_world`` and ``calibration_table``: (paths written, table). For a large world the
    table is computed in a child process while this one writes the files."""
    processes = use_processes(workers, world.metadata["n_people_simulated"])
    with background(lambda: calibration_table(world), processes) as table:
        return write_world(world, out_dir, fmt=fmt), table.result()


_ = NEVER  # re-exported for callers that read day numbers
