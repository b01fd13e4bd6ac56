"""Proven reoffending (MoJ rules): every rule on tiny hand-built cases, expected values by hand.

Calendar used throughout: index date 2020-01-01 (2020 is a leap year), so "day k" is
2020-01-01 + k days: day 1 = 2020-01-02, day 31 = 2020-02-01, day 60 = 2020-03-01,
day 100 = 2020-04-10, day 152 = 2020-06-01, day 365 = 2020-12-31 (end of the 365-day window).
Waiting limit = index + 365 + 182 = 2020-12-31 + 182 days = 2021-07-01
(Jan 31 + Feb 28 + Mar 31 + Apr 30 + May 31 + Jun 30 = 181 days to 2021-06-30, +1 = 2021-07-01).
"""

import numpy as np
import pandas as pd
import pytest
from outcome_builders import index, offences, people, row

from evaluation.outcomes import (
    OutcomeSpec,
    PreparedOffences,
    derive_outcomes,
    restrict_to_readout,
)

one = row
T = pd.Timestamp
CUTOFF = T("2023-01-01")


V, R, S = "violence_with_injury", "robbery", "shoplifting"
CONV = "conviction"


def test_index_day_offence_is_not_a_reoffence():
    # offence on 2020-01-01 = day 0, the index offence itself: not counted (MoJ, from the day after)
    off = offences([("a", "2020-01-01", "2020-02-01", V, CONV)])
    r = one(derive_outcomes(index(["a"]), off, people(["a"]), CUTOFF), "a")
    assert r.reoffended == 0 and r.n_reoffences == 0 and r.event == 0
    assert r.duration_days == 365 and r.censor_reason == "end_of_window"


def test_day_after_index_counts():
    # day 1 = 2020-01-02, proven 2020-02-01: a reoffence, duration 1 day
    off = offences([("a", "2020-01-02", "2020-02-01", V, CONV)])
    r = one(derive_outcomes(index(["a"]), off, people(["a"]), CUTOFF), "a")
    assert (r.reoffended, r.n_reoffences, r.event, r.duration_days) == (1, 1, 1, 1.0)
    assert r.censor_reason == "reoffended"


def test_proven_exactly_on_and_one_day_after_waiting_limit():
    # limit 2021-07-01 (see module docstring): a proven on the limit counts, b one day later not
    off = offences([
        ("a", "2020-03-01", "2021-07-01", V, CONV),
        ("b", "2020-03-01", "2021-07-02", V, CONV),
    ])
    out = derive_outcomes(index(["a", "b"]), off, people(["a", "b"]), CUTOFF)
    a, b = one(out, "a"), one(out, "b")
    assert (a.reoffended, a.event, a.duration_days) == (1, 1, 60.0)  # 2020-03-01 = day 60
    assert (b.reoffended, b.n_reoffences, b.event) == (0, 0, 0)
    assert b.censor_reason == "end_of_window" and b.duration_days == 365


def test_window_edges():
    # 2020-12-31 = day 365, last day in the window: counts; 2021-01-01 = day 366: does not
    off = offences([
        ("a", "2020-12-31", "2021-01-15", V, CONV),
        ("b", "2021-01-01", "2021-01-15", V, CONV),
    ])
    out = derive_outcomes(index(["a", "b"]), off, people(["a", "b"]), CUTOFF)
    assert (one(out, "a").reoffended, one(out, "a").duration_days) == (1, 365.0)
    assert one(out, "b").reoffended == 0


def test_several_offences_on_one_day_each_count_and_cost():
    # three offences on 2020-06-01 (day 152): n = 3; cost 14,050 + 11,320 + 0 = 25,370
    off = offences([
        ("a", "2020-06-01", "2020-07-01", V, CONV),
        ("a", "2020-06-01", "2020-07-01", R, "simple_caution"),
        ("a", "2020-06-01", "2020-07-01", S, "youth_caution"),
    ])
    r = one(derive_outcomes(index(["a"]), off, people(["a"]), CUTOFF), "a")
    assert (r.reoffended, r.n_reoffences, r.duration_days) == (1, 3, 152.0)
    assert r.cost == pytest.approx(25370.0)


def test_breach_nfa_community_resolution_pending_not_counted():
    off = offences([
        ("a", "2020-02-01", "2020-03-01", "breach", CONV),       # breach: never a reoffence
        ("a", "2020-02-01", None, V, "no_further_action"),       # not proven
        ("a", "2020-02-02", "2020-03-01", V, "community_resolution"),  # not a caution (MoJ)
        ("a", "2020-02-03", None, V, "pending"),                 # not (yet) proven
        ("a", "2020-02-04", "2020-03-01", R, "conditional_caution"),  # proven: day 34
    ])
    r = one(derive_outcomes(index(["a"]), off, people(["a"]), CUTOFF), "a")
    # only the conditional caution: 2020-02-04 = day 31 + 3 = 34; cost robbery 11,320
    assert (r.n_reoffences, r.duration_days, r.cost) == (1, 34.0, 11320.0)


def test_death_inside_window():
    # died 2020-04-10 = day 100; offence on day 100 itself counts (event wins ties);
    # b died day 100 with no offence: censored at 100 for death, still in the rate (0)
    off = offences([("a", "2020-04-10", "2020-04-10", V, CONV)])
    death = {"a": "2020-04-10", "b": "2020-04-10"}
    out = derive_outcomes(index(["a", "b"]), off, people(["a", "b"], death), CUTOFF)
    a, b = one(out, "a"), one(out, "b")
    assert (a.event, a.duration_days, a.reoffended) == (1, 100.0, 1)
    assert (b.event, b.duration_days, b.censor_reason, b.reoffended) == (0, 100.0, "death", 0)
    assert b.days_observed == 100 and b.days_at_risk == 100


def test_censoring_at_cutoff_less_waiting_period():
    # cut-off 2020-12-01; effective cut-off = 2020-12-01 - 182 days = 2020-06-02
    # (back 30 -> 11-01, 31 -> 10-01, 30 -> 09-01, 31 -> 08-01, 31 -> 07-01, 30 -> 06-01 is 183)
    # 2020-06-02 = day 153. a: offence on day 153 proven 2020-11-30 -> event at 153;
    # b: offence 2020-06-03 (after the effective cut-off) -> censored at 153, data_cutoff
    off = offences([
        ("a", "2020-06-02", "2020-11-30", V, CONV),
        ("b", "2020-06-03", "2020-07-01", V, CONV),
    ])
    out = derive_outcomes(index(["a", "b"]), off, people(["a", "b"]), T("2020-12-01"))
    a, b = one(out, "a"), one(out, "b")
    assert (a.event, a.duration_days) == (1, 153.0)
    assert (b.event, b.duration_days, b.censor_reason) == (0, 153.0, "data_cutoff")
    # read-out incomplete (2021-07-01 > 2020-12-01): no rate or frequency, flagged
    assert not a.eligible_for_readout and np.isnan(a.reoffended) and np.isnan(b.n_reoffences)
    assert b.days_observed == 153


def test_readout_eligibility_boundary_and_exclusion_reason():
    # index + 365 + 182 = 2021-07-01: a cut-off of 2021-07-01 is complete, 2021-06-30 is not
    idx, ppl = index(["a"]), people(["a"])
    assert one(derive_outcomes(idx, offences([]), ppl, T("2021-07-01")), "a").eligible_for_readout
    out = derive_outcomes(idx, offences([]), ppl, T("2021-06-30"))
    assert not one(out, "a").eligible_for_readout
    ledger = out.attrs["attrition"]
    kept = restrict_to_readout(out, ledger)
    assert len(kept) == 0
    reasons = ledger.excluded_by_reason()
    assert reasons["reason"].tolist() == ["index date too late for the 365-day read-out"]


def test_six_month_readout_is_one_parameter():
    # window 182: offence on day 183 (2020-07-02: Jan..Jun = 182 days to 2020-07-01) not counted;
    # day 182 (2020-07-01) counted; waiting limit = 2020-07-01 + 182 = 2020-12-30
    spec = OutcomeSpec.for_months(6)
    assert spec.window_days == 182
    assert [OutcomeSpec.for_months(m).window_days for m in (3, 12, 24)] == [91, 365, 730]
    off = offences([
        ("a", "2020-07-01", "2020-12-30", V, CONV),
        ("b", "2020-07-02", "2020-08-01", V, CONV),
        ("c", "2020-07-01", "2020-12-31", V, CONV),
    ])
    out = derive_outcomes(index(["a", "b", "c"]), off, people(["a", "b", "c"]), CUTOFF,
                          **spec.as_kwargs())
    assert out.set_index("person_id")["reoffended"].to_dict() == {"a": 1, "b": 0, "c": 0}
    assert one(out, "b").duration_days == 182


def test_extra_columns_carried_and_dtypes():
    off = offences([("a", "2020-01-05", "2020-02-01", V, CONV)])
    out = derive_outcomes(index(["a", "b"], treated=[1, 0]), off, people(["a", "b"]), CUTOFF)
    assert out["treated"].tolist() == [1, 0]
    assert out["reoffended"].dtype == np.int64 and out["n_reoffences"].dtype == np.int64
    assert out["duration_days"].dtype == float and out["event"].tolist() == [1, 0]


def test_bad_inputs_raise_clear_errors():
    idx, ppl = index(["a"]), people(["a"])
    with pytest.raises(ValueError, match="window_days"):
        derive_outcomes(idx, offences([]), ppl, CUTOFF, window_days=0)
    with pytest.raises(ValueError, match="custody"):
        derive_outcomes(idx, offences([]), ppl, CUTOFF, custody="ignore")
    bad = idx.assign(index_date=["2020-01-01"])
    with pytest.raises(ValueError, match="index.index_date must be datetime64"):
        derive_outcomes(bad, offences([]), ppl, CUTOFF)
    with pytest.raises(ValueError, match="offences.person_id not in people"):
        derive_outcomes(idx, offences([("zz", "2020-02-01", "2020-03-01", V, CONV)]), ppl, CUTOFF)


def _brute_force(idx, off, ppl, cutoff, window=365, waiting=182):
    """Row-by-row restatement of the rules (no custody), to check the vectorised code."""
    res = []
    for _, r in idx.iterrows():
        d = r.index_date
        death = ppl.set_index("person_id").date_of_death[r.person_id]
        mine = off[(off.person_id == r.person_id) & off.outcome.isin(
            ["conviction", "simple_caution", "conditional_caution", "youth_caution"])
            & (off.offence_category != "breach")]
        win = mine[(mine.offence_date > d) & (mine.offence_date <= d + pd.Timedelta(days=window))
                   & (mine.proven_date <= d + pd.Timedelta(days=window + waiting))]
        ends = [d + pd.Timedelta(days=window), cutoff - pd.Timedelta(days=waiting)]
        if pd.notna(death):
            ends.append(death)
        end = min(ends)
        ev = win[win.offence_date <= end]
        dur = (ev.offence_date.min() - d).days if len(ev) else max((end - d).days, 0)
        res.append((len(win), int(len(ev) > 0), float(dur)))
    return res


def test_vectorised_matches_row_by_row_rules():
    rng = np.random.default_rng(7)
    n_people, n_off = 60, 400
    ids = [f"p{i}" for i in range(n_people)]
    death = {p: str((T("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 900)))).date())
             for p in ids[:10]}
    ppl = people(ids, death)
    idx = pd.DataFrame({
        "person_id": rng.choice(ids, 80),
        "index_date": T("2019-06-01") + pd.to_timedelta(rng.integers(0, 400, 80), unit="D"),
    })
    idx = idx.merge(ppl, on="person_id")
    idx = idx[idx.date_of_death.isna() | (idx.date_of_death >= idx.index_date)]
    idx = idx[["person_id", "index_date"]].reset_index(drop=True)
    od = T("2019-01-01") + pd.to_timedelta(rng.integers(0, 900, n_off), unit="D")
    pdays = pd.to_timedelta(rng.integers(0, 400, n_off), unit="D")
    outcome = rng.choice(["conviction", "simple_caution", "no_further_action",
                          "community_resolution"], n_off)
    off = offences([
        (p, o, (o + g) if oc != "no_further_action" else None, c, oc)
        for p, o, g, c, oc in zip(rng.choice(ids, n_off), od, pdays,
                                  rng.choice([V, R, "breach"], n_off), outcome, strict=True)
    ])
    cutoff = T("2021-09-01")
    out = derive_outcomes(idx, off, ppl, cutoff)
    want = _brute_force(idx, off, ppl, cutoff)
    got_n = np.where(out.eligible_for_readout, out.n_reoffences, -1)
    want_n = np.where(out.eligible_for_readout, [w[0] for w in want], -1)
    assert (got_n == want_n).all()
    assert out["event"].tolist() == [w[1] for w in want]
    assert out["duration_days"].tolist() == [w[2] for w in want]


def test_prepared_offences_give_the_same_outcomes_and_refuse_other_tables():
    off = offences([("a", "2020-01-10", "2020-02-01", V, CONV),
                    ("a", "2020-03-01", "2020-04-01", R, CONV, "2020-04-01", "2020-06-01"),
                    ("b", "2020-05-01", "2020-05-20", S, "simple_caution")])
    ppl = people(["a", "b"])
    idx = index(["a", "b"])
    prepared = PreparedOffences(off, ppl, CUTOFF)
    for custody in ("exclude_time", "censor"):
        for window in (91, 365):
            plain = derive_outcomes(idx, off, ppl, CUTOFF, window_days=window, custody=custody)
            reused = derive_outcomes(idx, off, ppl, CUTOFF, window_days=window, custody=custody,
                                     prepared=prepared)
            pd.testing.assert_frame_equal(plain, reused)
    with pytest.raises(ValueError, match="other offences/people tables"):
        derive_outcomes(idx, off.copy(), ppl, CUTOFF, prepared=prepared)
    with pytest.raises(ValueError, match="another data cut-off"):
        derive_outcomes(idx, off, ppl, T("2022-06-01"), prepared=prepared)
