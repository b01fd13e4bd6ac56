"""Custody inside the follow-up window: days in custody, days at risk, censoring at custody.

Index 2020-01-01; day k = 2020-01-01 + k days (day 10 = 2020-01-11, day 60 = 2020-03-01,
day 74 = 2020-03-15, day 90 = 2020-03-31, day 100 = 2020-04-10, day 121 = 2020-05-01,
day 335 = 2020-12-01, day 365 = 2020-12-31). A day d is in custody when start <= d < release.
"""

import pandas as pd
from outcome_builders import index, offences, people, row

from evaluation.outcomes import derive_outcomes

T = pd.Timestamp
CUTOFF = T("2023-01-01")
V = "violence_with_injury"


def test_custody_days_union_of_overlapping_spells_and_spell_running_at_index():
    # spell 1: 2019-12-20 to release 2020-01-11 (day 10, at liberty) -> window days 1..9 = 9
    # spell 2: 2020-03-01 to 2020-03-31 -> days 60..89 = 30 days
    # spell 3 (concurrent): 2020-03-15 to 2020-04-10 -> days 74..99; union with 2 = 60..99 = 40
    # total 9 + 40 = 49; observed 365; at risk 365 - 49 = 316
    off = offences([
        ("a", "2019-06-01", "2019-12-20", V, "conviction", "2019-12-20", "2020-01-11"),
        ("a", "2019-07-01", "2020-03-01", V, "conviction", "2020-03-01", "2020-03-31"),
        ("a", "2019-08-01", "2020-03-15", V, "conviction", "2020-03-15", "2020-04-10"),
    ])
    r = row(derive_outcomes(index(["a"]), off, people(["a"]), CUTOFF), "a")
    assert (r.days_observed, r.days_in_custody, r.days_at_risk) == (365, 49, 316)
    # pre-index offences are not reoffences: survival runs through custody (exclude_time)
    assert (r.event, r.duration_days, r.censor_reason) == (0, 365, "end_of_window")


def test_custody_censor_mode_vs_exclude_time():
    # custody 2020-03-01 (day 60) to 2020-04-01 -> days 60..90 = 31 days (release day free)
    # reoffence 2020-05-01 = day 121, proven 2020-06-01
    off = offences([
        ("a", "2019-11-01", "2020-03-01", V, "conviction", "2020-03-01", "2020-04-01"),
        ("a", "2020-05-01", "2020-06-01", V, "conviction"),
    ])
    ex = row(derive_outcomes(index(["a"]), off, people(["a"]), CUTOFF), "a")
    assert (ex.event, ex.duration_days, ex.days_in_custody, ex.days_at_risk) == (1, 121, 31, 334)
    ce = row(derive_outcomes(index(["a"]), off, people(["a"]), CUTOFF, custody="censor"), "a")
    # censored at the custody start (day 60); the binary rate still counts the reoffence
    assert (ce.event, ce.duration_days, ce.censor_reason) == (0, 60, "custody")
    assert (ce.reoffended, ce.n_reoffences, ce.days_at_risk) == (1, 1, 334)


def test_custody_censor_when_in_custody_at_index():
    # spell running on the index date -> censored at duration 0
    off = offences([("a", "2019-06-01", "2019-12-20", V, "conviction", "2019-12-20",
                     "2020-01-11")])
    r = row(derive_outcomes(index(["a"]), off, people(["a"]), CUTOFF, custody="censor"), "a")
    assert (r.duration_days, r.censor_reason) == (0, "custody")


def test_open_custody_runs_to_cutoff():
    # start 2020-12-01 = day 335, no release -> in custody days 335..365 = 31 days
    off = offences([("a", "2019-11-01", "2020-12-01", V, "conviction", "2020-12-01", None)])
    r = row(derive_outcomes(index(["a"]), off, people(["a"]), CUTOFF), "a")
    assert (r.days_in_custody, r.days_at_risk) == (31, 334)


def test_custody_truncated_by_effective_cutoff():
    # cut-off 2020-12-01 -> effective cut-off 2020-06-02 = day 153 (see reoffending tests);
    # open spell from day 100 (2020-04-10): custody days 100..153 = 54; observed 153; risk 99
    off = offences([("a", "2019-11-01", "2020-04-10", V, "conviction", "2020-04-10", None)])
    r = row(derive_outcomes(index(["a"]), off, people(["a"]), T("2020-12-01")), "a")
    assert (r.days_observed, r.days_in_custody, r.days_at_risk) == (153, 54, 99)


def test_vectorised_custody_days_match_day_by_day_count():
    # random overlapping spells; count custody days one calendar day at a time as the reference
    import numpy as np

    rng = np.random.default_rng(3)
    ids = [f"p{i}" for i in range(15)]
    rows = []
    for _ in range(60):
        s = T("2019-06-01") + pd.Timedelta(days=int(rng.integers(0, 500)))
        rel = None if rng.random() < 0.2 else s + pd.Timedelta(days=int(rng.integers(0, 120)))
        rows.append((rng.choice(ids), s - pd.Timedelta(days=30), s, V, "conviction", s, rel))
    off = offences(rows)
    cut = T("2021-06-01")
    out = derive_outcomes(index(ids), off, people(ids), cut)
    eff = cut - pd.Timedelta(days=182)
    for pid, r in out.set_index("person_id").iterrows():
        d0 = T("2020-01-01")
        last = min(d0 + pd.Timedelta(days=365), eff)
        want = 0
        mine = off[off.person_id == pid]
        for k in range(1, (last - d0).days + 1):
            day = d0 + pd.Timedelta(days=k)
            rel = mine.custody_release.fillna(cut + pd.Timedelta(days=1))
            want += bool(((mine.custody_start <= day) & (day < rel)).any())
        assert r.days_in_custody == want, pid
    assert out["days_in_custody"].sum() > 0
