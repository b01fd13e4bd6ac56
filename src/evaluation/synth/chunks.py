"""The monthly loop over chunks of people, merged back into the order of one run.

``world.simulate_months`` returns each month's offences sorted by row (the person's position),
so running it for contiguous chunks of people and ordering the concatenation by month (stably)
gives exactly the arrays of a single run: the output does not depend on the number of
processes (``parallel.py``). The cut-off and deaths are applied to the merged arrays.
"""

from __future__ import annotations

import numpy as np

from .parallel import map_chunks, use_processes
from .world import CUTOFF_DAY, NEVER, OUT, Population, WorldParams, simulate_months


def simulate_offending(seed: int, pop: Population, params: WorldParams,
                       effect_start: np.ndarray | None = None,
                       theta: np.ndarray | None = None,
                       area_nfa: np.ndarray | None = None,
                       area_delay: np.ndarray | None = None,
                       workers: int | None = None) -> dict[str, np.ndarray]:
    """Offence arrays of ``pop`` (one entry per offence; see ``world.simulate_months``), the
    loop split over ``workers`` processes for a large population."""
    n = len(pop)
    if effect_start is None:
        effect_start = np.full(n, NEVER, dtype=np.int64)
    if theta is None:
        theta = np.ones(n)

    def chunk(lo: int, hi: int) -> dict[str, np.ndarray]:
        part = pop if (lo, hi) == (0, n) else pop.subset(slice(lo, hi))
        res = simulate_months(seed, part, params, effect_start[lo:hi], theta[lo:hi],
                              area_nfa, area_delay)
        res["row"] += lo
        return res

    parts = map_chunks(chunk, n, use_processes(workers, n))
    month = np.concatenate([p.pop("month") for p in parts])
    res = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    if len(parts) > 1:  # (month, row, ...) order; rows are increasing across the chunks
        order = np.argsort(month, kind="stable")
        res = {k: v[order] for k, v in res.items()}
    res["pid"] = pop.pid[res["row"]]
    return finish(res, pop)


def finish(res: dict[str, np.ndarray], pop: Population) -> dict[str, np.ndarray]:
    """Apply the cut-off and death to disposals: not yet disposed at the cut-off is pending;
    proceedings end at death; custody dates after the cut-off are empty."""
    death = pop.death[res["row"]]
    proven = res["proven"].copy()
    outcome = res["outcome"].copy()
    disposed = proven < NEVER
    late = disposed & (proven > CUTOFF_DAY)
    outcome[late] = OUT["pending"]
    dead = disposed & ~late & (proven > death)
    outcome[dead] = OUT["no_further_action"]
    proven[late | dead] = NEVER
    res["proven"], res["outcome"] = proven, outcome
    cst = res["custody_start"]
    res["custody_start"] = np.where(cst <= CUTOFF_DAY, cst, NEVER)
    rel = res["custody_release"]
    res["custody_release"] = np.where((rel <= CUTOFF_DAY) & (cst <= CUTOFF_DAY), rel, NEVER)
    return res
