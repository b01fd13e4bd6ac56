"""Before/during (IDIOM-style) offending: windows, annualisation, cohort table.

Index 2020-01-01: before window [2019-01-01, 2019-12-31] (365 days, 2019 not a leap year);
during window [2020-01-01, 2020-12-30] (d + 364; 2020 is a leap year).
"""

import numpy as np
import pandas as pd
import pytest
from outcome_builders import index, offences, people, row

from evaluation.cohort.attrition import Attrition
from evaluation.outcomes import before_during, before_during_table

T = pd.Timestamp
CUTOFF = T("2023-01-01")


def test_windows_edges_and_costs():
    off = offences([
        ("a", "2018-12-31", "2019-02-01", "robbery", "conviction"),    # before the window
        ("a", "2019-01-01", "2019-02-01", "robbery", "conviction"),    # first before day
        ("a", "2019-12-31", "2020-02-01", "rape", "simple_caution"),   # last before day
        ("a", "2019-06-01", "2019-07-01", "breach", "conviction"),     # breach: not counted
        ("a", "2019-06-01", None, "robbery", "no_further_action"),     # not proven
        ("a", "2020-01-01", "2020-02-01", "criminal_damage", "conviction"),  # index day: during
        ("a", "2020-12-30", "2021-01-05", "criminal_damage", "conviction"),  # last during day
        ("a", "2020-12-31", "2021-01-05", "criminal_damage", "conviction"),  # after
    ])
    r = row(before_during(index(["a"]), off, people(["a"]), CUTOFF), "a")
    # before: 2 offences, 11,320 + 39,360 = 50,680, over 365 days -> 2 a year
    assert (r.offences_before, r.cost_before, r.days_before) == (2, 50680, 365)
    assert r.offences_before_pa == pytest.approx(2.0)
    # during: 2 offences, 2 x 1,350 = 2,700, 365 days
    assert (r.offences_during, r.cost_during, r.days_during) == (2, 2700, 365)
    assert r.cost_during_pa == pytest.approx(2700.0)


def test_annualisation_with_partial_observation():
    # b: index 2020-07-01, cut-off 2020-12-31 -> during 2020-07-01..2020-12-31 = 184 days
    #    (Jul 31 + Aug 31 + Sep 30 + Oct 31 + Nov 30 + Dec 31 = 184); 2 offences -> 2*365/184
    # c: index 2020-07-01, died 2020-08-01 -> 32 days (Jul 1..Aug 1); 1 offence -> 365/32
    off = offences([
        ("b", "2020-08-01", "2020-09-01", "robbery", "conviction"),
        ("b", "2020-12-31", "2020-12-31", "robbery", "conviction"),
        ("c", "2020-07-15", "2020-07-20", "robbery", "conviction"),
    ])
    idx = index(["b", "c"], ["2020-07-01", "2020-07-01"])
    out = before_during(idx, off, people(["b", "c"], {"c": "2020-08-01"}), T("2020-12-31"))
    b, c = row(out, "b"), row(out, "c")
    assert b.days_during == 184 and b.offences_during_pa == pytest.approx(730 / 184)
    assert b.cost_during_pa == pytest.approx(2 * 11320 * 365 / 184)
    assert c.days_during == 32 and c.offences_during_pa == pytest.approx(365 / 32)


def test_episode_end_and_custody_exclusion():
    # episode ends 2020-01-31 -> during 31 days; custody 2020-01-11..(release 2020-01-21) -> days
    # Jan 11..Jan 20 = 10 in custody; 1 offence: calendar 365/31, at liberty 365/21
    off = offences([
        ("a", "2019-10-01", "2020-01-11", "robbery", "conviction", "2020-01-11", "2020-01-21"),
        ("a", "2020-01-25", "2020-01-28", "robbery", "conviction"),
    ])
    idx = index(["a"], end=pd.to_datetime(["2020-01-31"]))
    cal = row(before_during(idx, off, people(["a"]), CUTOFF, end_col="end"), "a")
    assert (cal.days_during, cal.custody_days_during) == (31, 10)
    assert cal.offences_during_pa == pytest.approx(365 / 31)
    lib = row(before_during(idx, off, people(["a"]), CUTOFF, end_col="end",
                            exclude_custody=True), "a")
    assert lib.offences_during_pa == pytest.approx(365 / 21)


def test_no_day_at_liberty_is_excluded_with_a_reason():
    # in custody the whole during window (open spell from 2019-06-01) -> excluded, not NaN
    off = offences([("a", "2019-01-01", "2019-06-01", "robbery", "conviction", "2019-06-01")])
    ledger = Attrition()
    out = before_during(index(["a", "b"]), off, people(["a", "b"]), CUTOFF,
                        exclude_custody=True, attrition=ledger)
    assert out["person_id"].tolist() == ["b"]
    ex = ledger.excluded_by_reason()
    assert ex["reason"].tolist() == ["no day at liberty in the before or during window"]
    ledger.check_reconciles(out)


def test_cohort_table_arithmetic():
    # pre 2 and 4 a year, during 1 and 1: total 6 -> 2, per person 3 -> 1, change -66.67%
    pp = pd.DataFrame({"offences_before_pa": [2.0, 4.0], "offences_during_pa": [1.0, 1.0],
                       "cost_before_pa": [100.0, 300.0], "cost_during_pa": [50.0, 50.0]})
    t = before_during_table(pp).iloc[0]
    assert t.people == 2 and t.offences_pre_pa == 6 and t.offences_pre_per_person == 3
    assert t.offences_during_per_person == 1
    assert t.offences_change_pct == pytest.approx(-200 / 3)
    # cost 400 -> 100: -300, -75%
    assert (t.cost_change_gbp, t.cost_change_pct) == (-300, -75)


def test_cohort_table_reproduces_seed_ratios():
    # IOM July 2018, managed since TS1: 3,286 people, 18,142 -> 8,414 projected annual offences
    # printed as 5.52 and 2.56 per person and -53.6%; cost £84,092,722 -> £34,849,724,
    # £25,591 and £10,606 per person, -58.6%
    n = 3286
    pre = np.full(n, 18142 / n)
    dur = np.full(n, 8414 / n)
    pp = pd.DataFrame({"offences_before_pa": pre, "offences_during_pa": dur,
                       "cost_before_pa": np.full(n, 84092722 / n),
                       "cost_during_pa": np.full(n, 34849724 / n),
                       "group": "ts1"})
    t = before_during_table(pp, by="group").iloc[0]
    assert t.group == "ts1"
    assert round(t.offences_pre_per_person, 2) == 5.52
    assert round(t.offences_during_per_person, 2) == 2.56
    assert round(t.offences_change_pct, 1) == -53.6
    assert round(t.cost_pre_per_person) == 25591 and round(t.cost_during_per_person) == 10606
    assert round(t.cost_change_pct, 1) == -58.6
