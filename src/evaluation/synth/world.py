"""People and their offending: frailty, age-crime curve, AR(1) fluctuations, outcomes, custody.

Each person offends as a Poisson process whose monthly log-intensity is
``mu_i + age_curve(age) + x_it`` with ``x_it`` an AR(1) around 0: a person picked when ``x`` is
high drifts back to their own level afterwards, so regression to the mean *emerges* from
selecting at a peak. A low-risk group (``low_share``) has a narrow, low level, a weak
fluctuation and desists after a first police contact: they receive most out-of-court
disposals and seldom reoffend (the published 5% / 10% / 15% after community resolutions,
conditional and simple cautions). Disposals use only what the police knew on the offence day.
No offence is committed in custody, after death or after the cut-off.
A programme multiplies the intensity by ``theta`` for ``EFFECT_DAYS`` after the index date, by
thinning: each latent offence has its own uniform and survives if it is below ``theta``.

Every draw is a hash of (seed, stream, person, month, k) (``rng.py``): re-running the loop for
some people without their programme gives untreated potential outcomes (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.data.contract import AREAS, ETHNICITY_GROUPS, OFFENCE_CATEGORIES, OUTCOMES

from . import rng

START = pd.Timestamp("2010-01-01")
CUTOFF = pd.Timestamp("2019-09-30")
CUTOFF_DAY = int((CUTOFF - START).days)
NEVER = 10**7  # day number for "no such date"
EFFECT_DAYS = 730  # the planted effect lasts two years from the index date

MONTH_STARTS = np.array(
    [(d - START).days for d in pd.date_range(START, CUTOFF, freq="MS")], dtype=np.int64
)
MONTH_ENDS = np.append(MONTH_STARTS[1:], CUTOFF_DAY + 1)

# West Midlands: resident population shares of the seven local authorities (ONS mid-2018,
# rounded), and a West Midlands-like ethnicity mix for people known to the police [I].
AREA_SHARES = np.array([0.392, 0.127, 0.110, 0.113, 0.072, 0.096, 0.090])
ETHNICITY_SHARES = np.array([0.17, 0.07, 0.04, 0.69, 0.02, 0.01])
assert len(AREA_SHARES) == len(AREAS) and len(ETHNICITY_SHARES) == len(ETHNICITY_GROUPS)

# Offence mix of recorded offences with a suspect [I: plausible, not published].
CATEGORY_SHARES = np.array([
    0.0004,  # homicide
    0.10,    # violence_with_injury
    0.18,    # violence_without_injury
    0.004,   # rape
    0.012,   # other_sexual_offences
    0.015,   # robbery
    0.025,   # domestic_burglary
    0.015,   # commercial_burglary
    0.015,   # theft_of_vehicle
    0.025,   # theft_from_vehicle
    0.01,    # theft_from_person
    0.14,    # shoplifting
    0.09,    # other_theft
    0.005,   # arson
    0.10,    # criminal_damage
    0.09,    # drug_offences
    0.08,    # public_order
    0.05,    # breach
])
CATEGORY_SHARES = CATEGORY_SHARES / CATEGORY_SHARES.sum()
assert len(CATEGORY_SHARES) == len(OFFENCE_CATEGORIES)
_CAT = {c: i for i, c in enumerate(OFFENCE_CATEGORIES)}
SERIOUS = np.isin(np.arange(len(OFFENCE_CATEGORIES)), [
    _CAT[c] for c in ("homicide", "violence_with_injury", "rape", "other_sexual_offences",
                      "robbery", "domestic_burglary", "commercial_burglary",
                      "theft_of_vehicle", "arson")])
NO_OOCD = np.isin(np.arange(len(OFFENCE_CATEGORIES)),
                  [_CAT[c] for c in ("homicide", "rape", "robbery")])
OUT = {o: i for i, o in enumerate(OUTCOMES)}
SCHEME_AREAS = (AREAS.index("dudley"), AREAS.index("solihull"))
SCHEME_START = int((pd.Timestamp("2015-09-01") - START).days)

# Hash streams (never reuse a number for a different purpose).
S_AR, S_COUNT, S_DAY, S_CAT, S_OUT1, S_OUT2, S_OUT3, S_LAG, S_CUST, S_SERVE, S_THIN = range(1, 12)


@dataclass(frozen=True)
class WorldParams:
    """Offending-process parameters (tuned to the calibration targets at seed 20190930)."""

    n_people: int = 780_000
    base_rate_per_year: float = 0.30   # recorded offences/yr at the age peak, median person
    frailty_sd: float = 1.60           # sd of the log level between people
    female_shift: float = -1.1         # log-intensity shift for women
    ar_rho: float = 0.90               # monthly persistence of the fluctuation
    ar_sd: float = 1.00                # stationary sd of the fluctuation
    age_curve_scale: float = 1.5
    low_share: float = 0.60            # low-risk people (mostly one-off offenders)
    low_shift: float = -0.5            # their log-level shift before a police contact
    low_sd: float = 0.5                # sd of the log level within the low-risk group
    low_ar: float = 0.15               # their fluctuation, as a share of ``ar_sd``
    low_desist: float = -3.0           # their log-level shift after a first police contact


def age_curve(age: np.ndarray, scale: float) -> np.ndarray:
    """Log-multiplier of the age-crime curve: 0 at the peak (age 19), falling either side."""
    t = np.maximum(age - 9.0, 1e-3) / 10.0
    return scale * (np.log(t) - (t - 1.0))


@dataclass
class Population:
    """One row per simulated person (most never offend and never reach the extract)."""

    pid: np.ndarray          # internal integer id (also the hash key)
    male: np.ndarray         # bool
    dob: np.ndarray          # day number (days since 2010-01-01, negative before)
    area: np.ndarray         # index into AREAS
    ethnicity: np.ndarray    # index into ETHNICITY_GROUPS
    death: np.ndarray        # day of death, NEVER if alive at the cut-off
    mu: np.ndarray           # log daily offending level (frailty + sex)
    frailty_z: np.ndarray    # standardised frailty (drives recorded risk factors)
    ar_scale: np.ndarray     # multiplier of the AR(1) fluctuation (small for the low-risk group)
    desist: np.ndarray       # log-level shift once the person has a police record
    confounder: np.ndarray | None = None  # unmeasured trait (scenario only; never in the extract)

    def subset(self, idx: np.ndarray) -> Population:
        return Population(**{k: (None if v is None else v[idx])
                             for k, v in self.__dict__.items()})

    def __len__(self) -> int:
        return len(self.pid)


def make_population(seed: int, n: int, params: WorldParams) -> Population:
    pid = np.arange(n, dtype=np.int64)
    u = lambda s: rng.uniform(seed, 100 + s, pid)  # noqa: E731
    male = u(1) < 0.78
    age_2010 = 45.0 * u(2)
    dob = np.floor(-age_2010 * 365.25).astype(np.int64)
    area = np.searchsorted(np.cumsum(AREA_SHARES), u(3) * AREA_SHARES.sum())
    ethnicity = np.searchsorted(np.cumsum(ETHNICITY_SHARES), u(4) * ETHNICITY_SHARES.sum())
    frailty_z = rng.normal(seed, 105, pid)
    # Many people who ever meet the police are low-risk: a steady low level with little
    # fluctuation, and they mostly desist after a first police contact (the low reoffending
    # after out-of-court disposals, which mostly go to first-time offenders). The rest carry
    # the heavy-tailed frailty and bursts.
    low = u(8) < params.low_share
    mu = (np.log(params.base_rate_per_year / 365.25) + np.where(male, 0.0, params.female_shift)
          + np.where(low, params.low_shift + params.low_sd * frailty_z,
                     params.frailty_sd * frailty_z))
    ar_scale = np.where(low, params.low_ar, 1.0)
    desist = np.where(low, params.low_desist, 0.0)
    # deaths: more likely for older and more prolific people; uniform date in the window
    p_death = 0.012 + 0.0006 * age_2010 + 0.01 * (frailty_z > 1.5)
    dies = u(6) < p_death
    death = np.where(dies, np.floor(u(7) * CUTOFF_DAY).astype(np.int64), NEVER)
    death = np.maximum(death, dob + 1)
    return Population(pid, male, dob, area.astype(np.int64), ethnicity.astype(np.int64),
                      death, mu, frailty_z, ar_scale, desist)


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def _lognormal_days(u: np.ndarray, median: float, sd: float) -> np.ndarray:
    from scipy.special import ndtri
    return np.exp(np.log(median) + sd * ndtri(u))


def simulate_months(seed: int, pop: Population, params: WorldParams,
                    effect_start: np.ndarray, theta: np.ndarray,
                    area_nfa: np.ndarray | None = None,
                    area_delay: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Run the monthly loop for ``pop``; returns offence arrays (one entry per offence) in
    (month, row, day, k) order, with their ``month``, before the cut-off (``chunks.finish``).

    ``effect_start``/``theta`` (per person; NEVER/1.0 for none) thin offences committed on days
    ``effect_start + 1 .. effect_start + EFFECT_DAYS``. ``area_nfa``/``area_delay`` (per area,
    scenario only) shift the no-further-action probability and scale the proof delay.
    Everything is per person: a split of the people gives the same rows (``chunks.py``).
    """
    n = len(pop)
    s_x = params.ar_sd
    innov_sd = s_x * np.sqrt(1.0 - params.ar_rho**2)
    # the person part of the monthly hashes, hashed once (rng.extend adds the month)
    h_ar = rng.hash64(seed, S_AR, pop.pid)
    h_count = rng.hash64(seed, S_COUNT, pop.pid)
    x = s_x * rng.to_normal(rng.extend(h_ar, 0))
    day10 = pop.dob + int(np.ceil(10 * 365.25)) + 1
    end_alive = np.minimum(pop.death + 1, CUTOFF_DAY + 1)
    # age_curve at every age a month's midpoint can give (half days): a lookup, same arithmetic
    twice_lo = int(MONTH_STARTS[0] + MONTH_ENDS[0]) - 2 * int(pop.dob.max()) if n else 0
    twice_hi = int(MONTH_STARTS[-1] + MONTH_ENDS[-1]) - 2 * int(pop.dob.min()) if n else 0
    curve = age_curve((np.arange(twice_lo, twice_hi + 1, dtype=np.int64) * 0.5) / 365.25,
                      params.age_curve_scale)
    dob2 = 2 * pop.dob + twice_lo  # index into ``curve``: ms + me - dob2
    rec = np.zeros(n, dtype=np.int64)    # records before the current month
    desist_now = np.zeros(n)              # pop.desist once the person has a record, else 0
    conv = np.zeros(n, dtype=np.int64)   # convictions proven before the current month
    pend_row = np.zeros(0, dtype=np.int64)  # convictions not yet proven: person, proven day
    pend_day = np.zeros(0, dtype=np.int64)
    cs = np.full(n, -1, dtype=np.int64)   # current/pending custody spell [cs, cr)
    cr = np.full(n, -1, dtype=np.int64)
    jail = np.zeros(0, dtype=np.int64)  # people whose custody spell may not be over yet
    out: dict[str, list[np.ndarray]] = {k: [] for k in (
        "row", "day", "proven", "category", "outcome", "custody_start", "custody_release",
        "month")}
    for m, (ms, me) in enumerate(zip(MONTH_STARTS, MONTH_ENDS, strict=True)):
        if m > 0:
            x = params.ar_rho * x + innov_sd * rng.to_normal(rng.extend(h_ar, m))
        mid = 0.5 * (ms + me)
        a = np.maximum(ms, day10)
        b = np.minimum(me, end_alive)
        span = np.maximum(b - a, 0)
        # custody days in the month, [max(a, cs), min(b, cr)): only spells not yet over count
        jail = jail[cr[jail] > ms]
        blen = np.zeros(n, dtype=np.int64)
        blen[jail] = (np.minimum(b[jail], cr[jail]) - np.maximum(a[jail], cs[jail])).clip(0)
        free = span
        free[jail] -= blen[jail]
        release = pend_day < ms
        np.add.at(conv, pend_row[release], 1)
        pend_row, pend_day = pend_row[~release], pend_day[~release]
        # exp(mu + ar_scale * x + desist + age_curve) * free, in that order (0 where free is 0)
        lam = pop.ar_scale * x
        lam += pop.mu
        lam += desist_now
        lam += curve[(ms + me) - dob2]
        np.exp(lam, out=lam)
        lam *= free
        who = np.flatnonzero(lam > 1e-6)
        counts = rng.poisson_inverse(rng.to_uniform(rng.extend(h_count[who], m)), lam[who])
        nz = np.flatnonzero(counts)
        if nz.size == 0:
            continue
        who, counts = who[nz], counts[nz]
        row = np.repeat(who, counts)
        k = np.arange(row.size) - np.repeat(np.cumsum(counts) - counts, counts)
        key = (pop.pid[row], m, k)
        day = a[row] + np.floor(rng.uniform(seed, S_DAY, *key) * free[row]).astype(np.int64)
        day = np.where((blen[row] > 0) & (day >= np.maximum(a[row], cs[row])), day + blen[row],
                       day)
        # programme effect: thinning of latent offences
        es = effect_start[row]
        in_effect = (day > es) & (day <= es + EFFECT_DAYS)
        keep = ~in_effect | (rng.uniform(seed, S_THIN, *key) < theta[row])
        row, day, k = row[keep], day[keep], k[keep]
        key = (pop.pid[row], m, k)
        order = np.lexsort((k, day, row))
        row, day, k = row[order], day[order], k[order]
        key = (pop.pid[row], m, k)
        cat = np.searchsorted(np.cumsum(CATEGORY_SHARES), rng.uniform(seed, S_CAT, *key))
        cat = np.minimum(cat, len(CATEGORY_SHARES) - 1)
        # what the police knew on the offence day: records before that day, convictions
        # proven before it (the same definitions as the covariates)
        rec_now = rec[row] + _earlier_same_person(row, day, row, day)
        conv_now = conv[row] + _earlier_same_person(pend_row, pend_day, row, day)
        age_row = (mid - pop.dob[row]) / 365.25
        outcome, lag = _outcomes(seed, key, cat, rec_now, conv_now, age_row,
                                 pop.area[row], day, area_nfa, area_delay)
        proven = np.where(lag >= 0, day + lag, NEVER)
        # custody after some convictions: one spell at a time, starting at sentence
        is_conv = outcome == OUT["conviction"]
        p_cust = expit(-3.0 + 0.22 * np.minimum(conv[row], 12) + 1.0 * SERIOUS[cat])
        cust = (is_conv & (lag >= 31) & (cr[row] <= day) & (proven <= CUTOFF_DAY)
                & (proven < pop.death[row]) & (rng.uniform(seed, S_CUST, *key) < p_cust))
        first = np.zeros(row.size, dtype=bool)
        idx = np.flatnonzero(cust)
        if idx.size:
            first[idx[np.flatnonzero(np.diff(row[idx], prepend=-1))]] = True  # rows sorted
        serve = 30 + np.floor(_lognormal_days(rng.uniform(seed, S_SERVE, *key), 90, 0.9))
        c_start = np.where(first, proven, NEVER)
        c_rel = np.where(first, c_start + serve.astype(np.int64), NEVER)
        c_rel = np.where(first, np.minimum(c_rel, pop.death[row]), NEVER)
        cs[row[first]] = c_start[first]
        cr[row[first]] = c_rel[first]
        jail = np.sort(np.concatenate([jail, row[first]]))
        jail = jail[np.diff(jail, prepend=-1) != 0]  # np.union1d, without its slow hashing
        np.add.at(rec, row, 1)
        desist_now[row] = pop.desist[row]
        new = is_conv & (proven < NEVER)
        pend_row = np.concatenate([pend_row, row[new]])
        pend_day = np.concatenate([pend_day, proven[new]])
        for name, val in (("row", row), ("day", day), ("proven", proven), ("category", cat),
                          ("outcome", outcome), ("custody_start", c_start),
                          ("custody_release", c_rel), ("month", np.full(row.size, m))):
            out[name].append(val)
    return {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for k, v in out.items()}


def _earlier_same_person(e_row: np.ndarray, e_day: np.ndarray, row: np.ndarray,
                         day: np.ndarray) -> np.ndarray:
    """For each (row, day): how many events (e_row, e_day) have the same row and an earlier day."""
    if e_row.size == 0:
        return np.zeros(row.size, dtype=np.int64)
    shift = np.int64(1 << 24)
    keys = np.sort(e_row * shift + e_day)
    return (np.searchsorted(keys, row * shift + day, "left")
            - np.searchsorted(keys, row * shift, "left"))


def _outcomes(seed, key, cat, rec, conv, age, area, day, area_nfa=None, area_delay=None):
    """Outcome and proof lag (days; -1 when not disposed) of each offence, from what the police
    knew: prior records and convictions, age, offence category, area and date (the scheme)."""
    u1, u2, u3 = (rng.uniform(seed, s, *key) for s in (S_OUT1, S_OUT2, S_OUT3))
    n = cat.size
    outcome = np.full(n, OUT["no_further_action"], dtype=np.int64)
    p_nfa = np.where(SERIOUS[cat], 0.33, 0.40)
    if area_nfa is not None:
        p_nfa = np.clip(p_nfa + area_nfa[area], 0.02, 0.95)
    disposed = u1 >= p_nfa
    # out-of-court disposal for low-level offences, mostly for people new to the police
    p_oocd = np.where(NO_OOCD[cat], 0.0,
                      expit(1.0 - 1.2 * np.minimum(conv, 6) - 0.8 * np.minimum(rec, 10)
                             - 0.8 * SERIOUS[cat]))
    v = (u1 - p_nfa) / (1.0 - p_nfa)  # reuse the uniform inside the disposed branch
    oocd = disposed & (v < p_oocd)
    outcome[disposed & ~oocd] = OUT["conviction"]
    p_cr = expit(0.6 - 2.5 * np.minimum(rec, 10) - 1.5 * (age < 18) + 0.10 * (age - 25))
    cr = oocd & (u2 < p_cr)
    outcome[cr] = OUT["community_resolution"]
    caution = oocd & ~cr
    youth = age < 18
    scheme = np.isin(area, SCHEME_AREAS) & (day >= SCHEME_START)
    outcome[caution & youth] = OUT["youth_caution"]
    adult = caution & ~youth
    # the Dudley/Solihull scheme: a conditional caution if judged suitable, else prosecution
    suitable = u3 < expit(1.4 - 1.2 * np.minimum(rec, 10) - 1.2 * np.minimum(conv, 5)
                           + 0.04 * (age - 25))
    outcome[adult & scheme & suitable] = OUT["conditional_caution"]
    outcome[adult & scheme & ~suitable] = OUT["conviction"]
    outcome[adult & ~scheme & (u3 < 0.08)] = OUT["conditional_caution"]
    outcome[adult & ~scheme & (u3 >= 0.08)] = OUT["simple_caution"]
    ul = rng.uniform(seed, S_LAG, *key)
    lag = np.full(n, -1, dtype=np.int64)
    o = outcome
    is_c = o == OUT["conviction"]
    is_caut = np.isin(o, [OUT["simple_caution"], OUT["conditional_caution"],
                          OUT["youth_caution"]])
    is_cr = o == OUT["community_resolution"]
    if area_delay is None:
        lag[is_c] = 14 + np.floor(_lognormal_days(ul[is_c], 70, 0.8)).astype(np.int64)
        lag[is_caut] = 1 + np.floor(_lognormal_days(ul[is_caut], 18, 0.9)).astype(np.int64)
        lag[is_cr] = np.floor(_lognormal_days(ul[is_cr], 3, 1.0)).astype(np.int64)
    else:
        f = area_delay[area]
        lag[is_c] = 14 + np.floor(_lognormal_days(ul[is_c], 70 * f[is_c], 0.8)).astype(np.int64)
        lag[is_caut] = 1 + np.floor(_lognormal_days(ul[is_caut], 18 * f[is_caut], 0.9)
                                    ).astype(np.int64)
        lag[is_cr] = np.floor(_lognormal_days(ul[is_cr], 3 * f[is_cr], 1.0)).astype(np.int64)
    return outcome, lag
