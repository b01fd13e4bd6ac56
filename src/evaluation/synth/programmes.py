"""Selection into the four programmes and their comparison pools.

Selection uses only what an analyst can compute from the event tables before the index date
(the covariate list in ``evaluation.cohort.covariates``) plus programme fields recorded for both the
participants and the pool (``iom_selection_score``, ``pt_risk_factors``). So adjusting for
those covariates is sufficient, while the naive comparisons are confounded. Participants'
index dates are fixed here from the no-programme world: before its index date a person's
history is the same with or without the programme.

Selection logits are linear in the covariates as the analysis computes them (no caps or
indicator thresholds), so a main-effects propensity model is correctly specified: with the
earlier capped/indicator forms the matched estimates for the planted Prince's Trust null came
out near HR 1.2, although every covariate balanced on its mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd

from evaluation.data.contract import AREAS

from . import rng
from .history import ACQUISITIVE, VIOLENT, History
from .scenarios import Scenario
from .world import CUTOFF_DAY, NEVER, OUT, START, Population

THETA = {"iom": 0.90, "new_chance": 0.75, "princes_trust": 1.00, "conditional_caution": 0.80}


def day_of(date: str) -> int:
    return int((pd.Timestamp(date) - START).days)


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Selection:
    """Rows of one programme: participants (episodes) and pool, as arrays."""

    programme: str
    episodes: dict[str, np.ndarray]
    pool: dict[str, np.ndarray]
    treated_theta: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per episode


def _first_per_person(pid: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Positions of each person's earliest row (ties: first in input order)."""
    order = np.lexsort((np.arange(pid.size), day, pid))
    _, first = np.unique(pid[order], return_index=True)
    return order[first]


# --- IOM -----------------------------------------------------------------------------------
IOM_THRESHOLD = 6.5
IOM_ROUNDS = [day_of(f"{y}-{m:02d}-01") for y in range(2014, 2019) for m in range(1, 13)][11:]
IOM_ADOPT = dict(intercept=-2.6, score=0.15, female=-0.2, age=-0.02, custody=0.3)


def iom_window(hist: History) -> SimpleNamespace:
    """The offences some scoring round counts (proven, in a year before a round, proven before
    the last one), as ``iom_scores`` reads them: the scores are those over ``hist`` (the same
    offences, in the same order), each round filtering a fraction of the events."""
    o, first, last = hist.o, IOM_ROUNDS[0] - 365, IOM_ROUNDS[-1]
    m = hist.proven & (o["day"] >= first) & (o["day"] < last) & (o["proven"] < last)
    return SimpleNamespace(o={k: o[k][m] for k in ("day", "proven", "category", "pid")},
                           proven=np.ones(int(m.sum()), dtype=bool))


def iom_scores(hist: History | SimpleNamespace, n: int, day: int) -> np.ndarray:
    """Selection-matrix score at ``day``: proven offences of the last 365 days known by then,
    weighted 2 (acquisitive), 1.5 (violence), 1 (other), doubled if in the last 91 days."""
    o = hist.o
    m = hist.proven & (o["day"] >= day - 365) & (o["day"] < day) & (o["proven"] < day)
    cat = o["category"][m]
    w = np.where(ACQUISITIVE[cat], 2.0, np.where(VIOLENT[cat], 1.5, 1.0))
    w = w * (1.0 + (o["day"][m] >= day - 91))
    return np.bincount(o["pid"][m], weights=w, minlength=n)


def confounding(pop: Population, idx: np.ndarray, scenario: Scenario | None) -> np.ndarray | float:
    """The unmeasured trait's contribution to a selection logit (0 outside that scenario)."""
    if scenario is None or not scenario.confounder_selection or pop.confounder is None:
        return 0.0
    return scenario.confounder_selection * pop.confounder[idx]


def select_iom(seed: int, pop: Population, hist: History, used_day: np.ndarray,
               scenario: Scenario | None = None) -> Selection:
    if scenario is not None and scenario.changes_iom:
        from .rolling import select_iom_scenario
        return select_iom_scenario(seed, pop, hist, used_day, scenario)
    used = used_day < NEVER
    n = len(pop)
    cand_day = np.full(n, -1, dtype=np.int64)
    cand_score = np.zeros(n)
    window = iom_window(hist)
    prev = iom_scores(window, n, IOM_ROUNDS[0])
    for r in IOM_ROUNDS[1:]:
        s = iom_scores(window, n, r)
        up = np.flatnonzero(s >= IOM_THRESHOLD)  # then the other conditions, on those only
        up = up[(prev[up] < IOM_THRESHOLD) & (cand_day[up] < 0)
                & ((r - pop.dob[up]) / 365.25 >= 18) & (pop.death[up] > r) & ~used[up]]
        cand_day[up], cand_score[up] = r, s[up]
        prev = s
    c = np.flatnonzero(cand_day >= 0)
    d = cand_day[c]
    f = hist.features(pop.pid[c], d)
    age = (d - pop.dob[c]) / 365.25
    a = IOM_ADOPT
    logit = (a["intercept"] + a["score"] * cand_score[c] + a["female"] * ~pop.male[c]
             + a["age"] * (age - 30) + a["custody"] * f["prior_custody"]
             + 0.15 * (pop.area[c] == AREAS.index("birmingham")))
    adopted = rng.uniform(seed, 201, pop.pid[c]) < expit(logit)
    t, p = c[adopted], c[~adopted]
    u = rng.uniform(seed, 202, pop.pid[t])
    violent = f["prior_violence"][adopted] > f["prior_acquisitive"][adopted]
    pillar = np.where(~pop.male[t] & (u < 0.7), "vulnerable",
                      np.where(violent & (u < 0.6), "risk",
                               np.where(u < 0.1, "vulnerable", "core")))
    end = cand_day[t] + 180 + np.floor(rng.uniform(seed, 203, pop.pid[t]) * 720).astype(int)
    episodes = dict(person=t, start=cand_day[t], end=np.where(end <= CUTOFF_DAY, end, NEVER),
                    iom_pillar=pillar, iom_selection_score=cand_score[t])
    pool = dict(person=p, index=cand_day[p], reason=np.full(p.size, "scored_not_adopted"),
                iom_selection_score=cand_score[p])
    theta = THETA["iom"] if scenario is None else scenario.theta_for("iom", THETA["iom"])
    return Selection("iom", episodes, pool, np.full(t.size, theta))


# --- conditional cautions ------------------------------------------------------------------
SCHEME_AREAS = (AREAS.index("dudley"), AREAS.index("solihull"))
SCHEME_START = day_of("2015-09-01")


def select_cc(seed: int, pop: Population, hist: History, used_day: np.ndarray,
              scenario: Scenario | None = None) -> Selection:
    used = used_day < NEVER
    o = hist.o
    ok = (o["proven"] >= SCHEME_START) & (o["proven"] <= CUTOFF_DAY) & ~used[o["pid"]]
    in_scheme = np.isin(pop.area[o["pid"]], SCHEME_AREAS)
    scheme = ok & in_scheme & np.isin(o["outcome"], [OUT["conditional_caution"],
                                                     OUT["community_resolution"]])
    idx = np.flatnonzero(scheme)
    idx = idx[_first_per_person(o["pid"][idx], o["proven"][idx])]
    t = o["pid"][idx]
    start = o["proven"][idx]
    is_cc = o["outcome"][idx] == OUT["conditional_caution"]
    end = np.where(is_cc, start + 112, start)  # conditions to be met within 16 weeks
    disposal = np.where(is_cc, "conditional_caution", "community_resolution")
    episodes = dict(person=t, start=start, end=np.where(end <= CUTOFF_DAY, end, NEVER),
                    disposal_type=disposal)
    # The pool mirrors the treated rule: each person's first adult out-of-court disposal
    # (simple or conditional caution, community resolution) outside the scheme areas, kept
    # when it was a simple caution. Taking the first simple caution instead would keep people
    # whose earlier disposal was a community resolution, whom the treated rule leaves out:
    # mostly low-risk people, and the history shows only that they had some record.
    other = ok & ~in_scheme & np.isin(o["outcome"], [OUT["simple_caution"],
                                                     OUT["conditional_caution"],
                                                     OUT["community_resolution"]])
    pidx = np.flatnonzero(other)
    pidx = pidx[_first_per_person(o["pid"][pidx], o["proven"][pidx])]
    pidx = pidx[o["outcome"][pidx] == OUT["simple_caution"]]
    p = o["pid"][pidx]
    pool = dict(person=p, index=o["proven"][pidx], reason=np.full(p.size, "other_disposal"),
                disposal_type=np.full(p.size, "simple_caution"))
    theta = np.where(is_cc, THETA["conditional_caution"], 1.0)
    return Selection("conditional_caution", episodes, pool, theta)


# --- New Chance ----------------------------------------------------------------------------
NC_AREAS = (AREAS.index("birmingham"), AREAS.index("sandwell"))
NC_POOL_AREAS = tuple(AREAS.index(a) for a in ("coventry", "solihull", "walsall",
                                               "wolverhampton"))
NC_START, NC_END = day_of("2016-04-01"), day_of("2018-03-31")
NC_PERIOD0 = day_of("2015-04-01")
NC_REFER = dict(intercept=-2.32, records=0.35, age=-0.05, proven=0.3)
NC_NEEDS = dict(nc_need_attitudes=0.60, nc_need_accommodation=0.40, nc_need_education=0.40,
                nc_need_mental_health=0.40, nc_domestic_abuse_victim=0.50)


def _nc_eligible(pop: Population, hist: History, used_day: np.ndarray, areas, first: int,
                 last: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Each eligible woman's first eligible offence in [first, last] in ``areas``."""
    o = hist.o
    pid = o["pid"]
    age = (o["day"] - pop.dob[pid]) / 365.25
    m = (~pop.male[pid] & np.isin(pop.area[pid], areas) & (o["day"] >= first)
         & (o["day"] <= last) & (age >= 18) & (age < 41) & (used_day[pid] > o["day"]))
    idx = np.flatnonzero(m)
    f = hist.features(pid[idx], o["day"][idx])
    ok = (f["prior_convictions_ever"] == 0) & (f["prior_recorded_ever"] <= 5)
    idx = idx[ok]
    idx = idx[_first_per_person(pid[idx], o["day"][idx])]
    f = hist.features(pid[idx], o["day"][idx])
    return pid[idx], o["day"][idx], f


def select_new_chance(seed: int, pop: Population, hist: History,
                      used_day: np.ndarray, scenario: Scenario | None = None) -> Selection:
    """Women are excluded for an earlier programme only if it started before their index
    offence: excluding later participants would drop comparison women in the conditional
    caution areas who reoffended (and so got a caution), which the referred women in
    Birmingham and Sandwell never are."""
    who, d, f = _nc_eligible(pop, hist, used_day, NC_AREAS, NC_START, NC_END)
    age = (d - pop.dob[who]) / 365.25
    r = NC_REFER
    # linear in the covariates as recorded, so a main-effects propensity model is right
    logit = (r["intercept"] + r["records"] * f["prior_recorded_ever"]
             + r["age"] * (age - 28) + r["proven"] * f["prior_proven_ever"])
    logit = logit + confounding(pop, who, scenario)
    # a referred woman who joins another programme later would carry two planted effects;
    # IOM adoption after a first, minor offence is very rare, so she is simply not referred
    referred = (rng.uniform(seed, 301, pop.pid[who]) < expit(logit)) & (used_day[who] == NEVER)
    t = who[referred]
    episodes = dict(person=t, start=d[referred])
    end = d[referred] + 90 + np.floor(rng.uniform(seed, 302, pop.pid[t]) * 180).astype(int)
    episodes["end"] = np.where(end <= CUTOFF_DAY, end, NEVER)
    for i, (name, share) in enumerate(NC_NEEDS.items()):
        episodes[name] = rng.uniform(seed, 310 + i, pop.pid[t]) < share
    used2 = used_day.copy()
    used2[t] = np.minimum(used2[t], d[referred])
    a_who, a_d, _ = _nc_eligible(pop, hist, used2, NC_POOL_AREAS, NC_START, NC_END)
    p_who, p_d, _ = _nc_eligible(pop, hist, used2, NC_AREAS, NC_PERIOD0, NC_START - 1)
    pool = dict(person=np.concatenate([a_who, p_who]), index=np.concatenate([a_d, p_d]),
                reason=np.array(["area_without_programme"] * a_who.size
                                + ["period_without_programme"] * p_who.size, dtype=object))
    return Selection("new_chance", episodes, pool, np.full(t.size, THETA["new_chance"]))


# --- Prince's Trust ------------------------------------------------------------------------
PT_START, PT_END = day_of("2015-04-01"), day_of("2018-03-31")
PT_ASSESSED = 0.053
PT_MAX_RECORDS = 25
PT_REFER = dict(intercept=-2.05, risk=0.30, age=-0.12, records=0.08)
PT_PROGRESSION = (("employment", 0.27), ("education", 0.20), ("training", 0.19),
                  ("volunteering", 0.13), ("none", 0.21))


def risk_factors(seed: int, pop: Population) -> np.ndarray:
    """Recorded risk factors (0-10): more for people with a higher offending level."""
    p = expit(-1.05 + 0.6 * pop.frailty_z + 0.5 * rng.normal(seed, 401, pop.pid))
    hits = [rng.uniform(seed, 410 + j, pop.pid) < p for j in range(10)]
    return np.sum(hits, axis=0).astype(np.int64)


def select_princes_trust(seed: int, pop: Population, hist: History,
                         used_day: np.ndarray, scenario: Scenario | None = None) -> Selection:
    used = used_day < NEVER
    d_all = PT_START + np.floor(rng.uniform(seed, 402, pop.pid)
                                * (PT_END - PT_START + 1)).astype(np.int64)
    age_all = (d_all - pop.dob) / 365.25
    assessed = ((age_all >= 16) & (age_all < 26) & (pop.death > d_all) & ~used
                & (rng.uniform(seed, 403, pop.pid) < PT_ASSESSED))
    who = np.flatnonzero(assessed)
    d = d_all[who]
    f = hist.features(pop.pid[who], d)
    # very prolific young offenders go to youth offending teams, not to the programme (and
    # would make referral all but certain, leaving no comparable pool)
    keep = f["prior_recorded_ever"] <= PT_MAX_RECORDS
    who, d = who[keep], d[keep]
    f = {k: v[keep] for k, v in f.items()}
    age = age_all[who]
    rf = risk_factors(seed, pop)[who]
    r = PT_REFER
    logit = (r["intercept"] + r["risk"] * (rf - 4) + r["age"] * (age - 20)
             + r["records"] * f["prior_recorded_ever"])  # linear: see select_new_chance
    logit = logit + confounding(pop, who, scenario)
    referred = rng.uniform(seed, 404, pop.pid[who]) < expit(logit)
    t = who[referred]
    completed = rng.uniform(seed, 405, pop.pid[t]) < expit(1.6 - 0.1 * (rf[referred] - 4))
    length = np.where(completed, 84,
                      7 + np.floor(rng.uniform(seed, 406, pop.pid[t]) * 70).astype(int))
    cum = np.cumsum([s for _, s in PT_PROGRESSION])
    # Progression is a share reported for completers: allot it by the rank of each
    # completer's uniform, so the shares hold exactly (up to rounding) in every cohort.
    u = rng.uniform(seed, 407, pop.pid[t])
    rank = np.zeros(t.size)
    done = np.flatnonzero(completed)
    rank[done] = (np.argsort(np.argsort(u[done], kind="stable"), kind="stable") + 0.5) / max(
        done.size, 1)
    prog_i = np.minimum(np.searchsorted(cum, rank * cum[-1]), len(cum) - 1)
    progression = np.array([name for name, _ in PT_PROGRESSION], dtype=object)[prog_i]
    progression = np.where(completed, progression, None)
    end = d[referred] + length
    episodes = dict(person=t, start=d[referred], end=np.where(end <= CUTOFF_DAY, end, NEVER),
                    pt_risk_factors=rf[referred], pt_completed=completed,
                    pt_progression=progression)
    p = who[~referred]
    pool = dict(person=p, index=d[~referred], reason=np.full(p.size, "eligible_not_referred"),
                pt_risk_factors=rf[~referred])
    return Selection("princes_trust", episodes, pool, np.full(t.size, THETA["princes_trust"]))


SELECTORS = (select_iom, select_cc, select_new_chance, select_princes_trust)


def select_all(seed: int, pop: Population, hist: History,
               scenario: Scenario | None = None) -> list[Selection]:
    """Programmes in turn. A participant of one programme is not selected by a later one
    (each person carries at most one planted effect); New Chance, whose comparison areas
    include a conditional-caution area, excludes only earlier participation (see there)."""
    used_day = np.full(len(pop), NEVER, dtype=np.int64)  # start of an earlier programme
    out = []
    for select in SELECTORS:
        sel = select(seed, pop, hist, used_day, scenario)
        ep = sel.episodes
        np.minimum.at(used_day, ep["person"], ep["start"])
        out.append(sel)
    return out
