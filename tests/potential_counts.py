"""Planted JDL frequencies from the generator's own potential worlds (with and without each
programme), counted over the treated with a complete read-out exactly as ``att_truth`` counts
the reoffences behind truth.json's ``rate_ratio``: the independent check of the planted
frequency per 100 people."""

import numpy as np

from evaluation.synth import WorldParams, potential_worlds
from evaluation.synth.effects import WAITING, WINDOW
from evaluation.synth.world import CUTOFF_DAY


def potential_window_counts(seed: int, params: WorldParams | None = None) -> dict:
    """Programme -> (reoffences with, reoffences without) per treated person with a complete
    read-out; conditional caution counts only the disposals that carry an effect."""
    _, _, with_programme, without, selections = potential_worlds(seed, params or WorldParams())
    counts = {}
    for s in selections:
        ep = s.episodes
        keep = (s.treated_theta != 1.0 if s.programme == "conditional_caution"
                else np.ones(ep["person"].size, dtype=bool))
        pid, day = ep["person"][keep], ep["start"][keep]
        full = day + WINDOW + WAITING <= CUTOFF_DAY
        counts[s.programme] = tuple(
            h.window_counts(pid[full], day[full] + 1, day[full] + WINDOW,
                            proven_by=day[full] + WINDOW + WAITING)
            for h in (with_programme, without))
    return counts
