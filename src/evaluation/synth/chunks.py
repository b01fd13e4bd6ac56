"""The monthly loop over chunks of people, merged back into the order of one run.

``world.simulate_months`` returns each month's offences sorted by row (the person's position),
so running it for contiguous chunks of people and ordering the concatenation by month (stably)
gives exactly the arrays of a single run: the output does not depend on the number of
processes (``parallel.py``). The cut-off and deaths are applied to the merged arrays.
"""

from __future__ import annotations

import numpy as np

from .parallel import map_chunks, use_processes
from .world import (
    CUTOFF_DAY,
    MONTH_STARTS,
    NEVER,
    OUT,
    Population,
    WorldParams,
    simulate_months,
)


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

    res = _by_month(map_chunks(chunk, n, use_processes(workers, n)))
    res["pid"] = pop.pid[res["row"]]
    return finish(res, pop)


def _by_month(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The chunks' arrays in (month, row, ...) order: month by month, the chunks in turn (their
    rows are increasing), i.e. the order of one run over everyone."""
    cuts = [np.searchsorted(p.pop("month"), np.arange(len(MONTH_STARTS) + 1)) for p in parts]
    if len(parts) == 1:
        return parts[0]
    pieces = [(c[m], c[m + 1], p) for m in range(len(MONTH_STARTS))
              for c, p in zip(cuts, parts, strict=True) if c[m + 1] > c[m]]
    return {k: np.concatenate([p[k][lo:hi] for lo, hi, p in pieces] or [parts[0][k][:0]])
            for k in parts[0]}


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
