"""IOM selection in the harder scenarios: adoption lag, later adoption of the pool, re-scoring.

The default rule (``programmes.select_iom``) scores everyone each month, takes each person's
first upward crossing of the threshold as their one scoring round, and adopts there or never.
Here the same scores and adoption model are kept, with the scenario's departures:

- ``iom_rescoring``: every upward crossing is a scoring round until the person is adopted, so a
  person can have several pool rows and be adopted in a later round (rolling entry);
- ``iom_adoption_lag_days``: adoption (the episode start, when the effect starts) follows the
  scoring round by a few weeks; the episode's eligibility date (time zero) is the scoring
  date, as is the comparison's index date, and a person who dies
  before the adoption date was scored but never adopted (a pool member);
- ``iom_crossover_share``: some of the not adopted are adopted later, outside any scoring round,
  and keep their pool row;
- ``confounder_selection``: the unmeasured trait enters the adoption logit.
"""

from __future__ import annotations

import numpy as np

from evaluation.data.contract import AREAS

from . import rng
from .history import History
from .programmes import (
    IOM_ADOPT,
    IOM_ROUNDS,
    IOM_THRESHOLD,
    THETA,
    Selection,
    confounding,
    expit,
    iom_scores,
    iom_window,
)
from .scenarios import Scenario
from .world import CUTOFF_DAY, NEVER, Population


def _crossings(pop: Population, hist: History, used: np.ndarray, every: bool):
    """(person, day, score) of each upward crossing of the threshold (only the first if not
    ``every``) by an adult alive on the round day."""
    n = len(pop)
    person, day, score = [], [], []
    seen = np.zeros(n, dtype=bool)
    window = iom_window(hist)
    prev = iom_scores(window, n, IOM_ROUNDS[0])
    for r in IOM_ROUNDS[1:]:
        s = iom_scores(window, n, r)
        up = ((s >= IOM_THRESHOLD) & (prev < IOM_THRESHOLD) & ((r - pop.dob) / 365.25 >= 18)
              & (pop.death > r) & ~used)
        if not every:
            up &= ~seen
        idx = np.flatnonzero(up)
        seen[idx] = True
        person.append(idx)
        day.append(np.full(idx.size, r, dtype=np.int64))
        score.append(s[idx])
        prev = s
    person, day, score = (np.concatenate(x) for x in (person, day, score))
    order = np.lexsort((day, person))
    return person[order], day[order], score[order]


def select_iom_scenario(seed: int, pop: Population, hist: History, used_day: np.ndarray,
                        scenario: Scenario) -> Selection:
    c, d, score = _crossings(pop, hist, used_day < NEVER, scenario.iom_rescoring)
    f = hist.features(pop.pid[c], d)
    age = (d - pop.dob[c]) / 365.25
    a = IOM_ADOPT
    logit = (a["intercept"] + a["score"] * score + a["female"] * ~pop.male[c]
             + a["age"] * (age - 30) + a["custody"] * f["prior_custody"]
             + 0.15 * (pop.area[c] == AREAS.index("birmingham")) + confounding(pop, c, scenario))
    u = rng.uniform(seed, 201, pop.pid[c], d) if scenario.iom_rescoring else \
        rng.uniform(seed, 201, pop.pid[c])
    adopted = u < expit(logit)
    start = d.copy()
    if scenario.iom_adoption_lag_days:
        lo, hi = scenario.iom_adoption_lag_days
        start = d + lo + np.floor(rng.uniform(seed, 205, pop.pid[c], d) * (hi - lo + 1)
                                  ).astype(np.int64)
        adopted &= (pop.death[c] > start) & (start <= CUTOFF_DAY)
    # a person's first adoption ends their scoring rounds: earlier rounds are pool rows
    first = np.full(len(pop), NEVER, dtype=np.int64)
    np.minimum.at(first, c[adopted], d[adopted])
    treated = adopted & (d == first[c])
    in_pool = ~adopted & (d < first[c])
    t = np.flatnonzero(treated)
    late = np.zeros(0, dtype=np.int64)
    late_start = np.zeros(0, dtype=np.int64)
    if scenario.iom_crossover_share:
        p = np.flatnonzero(in_pool)
        lo, hi = scenario.iom_crossover_days
        when = d[p] + lo + np.floor(rng.uniform(seed, 206, pop.pid[c[p]]) * (hi - lo + 1)
                                    ).astype(np.int64)
        cross = ((rng.uniform(seed, 207, pop.pid[c[p]]) < scenario.iom_crossover_share)
                 & (when <= CUTOFF_DAY) & (pop.death[c[p]] > when)
                 & (first[c[p]] == NEVER))
        # one later adoption per person, after their last pool row
        p, when = p[cross], when[cross]
        keep = np.r_[c[p][1:] != c[p][:-1], True] if p.size else np.zeros(0, bool)
        late, late_start = p[keep], when[keep]
    rows = np.concatenate([t, late])
    person = c[rows]
    ep_start = np.concatenate([start[t], late_start])
    # time zero: the scoring round of the adoption; a later adoption outside any round has
    # no separate decision recorded, so its eligibility date is its start
    ep_elig = np.concatenate([d[t], late_start])
    order = np.lexsort((person, ep_start))
    rows, person, ep_start, ep_elig = rows[order], person[order], ep_start[order], ep_elig[order]
    uu = rng.uniform(seed, 202, pop.pid[person])
    violent = f["prior_violence"][rows] > f["prior_acquisitive"][rows]
    pillar = np.where(~pop.male[person] & (uu < 0.7), "vulnerable",
                      np.where(violent & (uu < 0.6), "risk",
                               np.where(uu < 0.1, "vulnerable", "core")))
    end = ep_start + 180 + np.floor(rng.uniform(seed, 203, pop.pid[person]) * 720).astype(int)
    episodes = dict(person=person, start=ep_start, eligibility=ep_elig,
                    end=np.where(end <= CUTOFF_DAY, end, NEVER),
                    iom_pillar=pillar, iom_selection_score=score[rows])
    pidx = np.flatnonzero(in_pool)
    pool = dict(person=c[pidx], index=d[pidx], reason=np.full(pidx.size, "scored_not_adopted"),
                iom_selection_score=score[pidx])
    return Selection("iom", episodes, pool,
                     np.full(person.size, scenario.theta_for("iom", THETA["iom"])))
