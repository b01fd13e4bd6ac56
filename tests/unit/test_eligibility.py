"""Eligibility rules: equal for both groups, boundaries by hand, every exclusion in the ledger."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.cohort.attrition import Attrition
from evaluation.cohort.eligibility import apply_eligibility, completed_years, eligibility_rules
from evaluation.config import EligibilityConfig

CONFIG = EligibilityConfig(
    age_min=18, age_max=40, sexes=["F"], areas=["birmingham", "sandwell"],
    max_prior_convictions=0, max_prior_recorded=5,
    index_date_from="2016-04-01", index_date_to="2018-03-31",
)

# Each row fails at most one rule (the one named in `why`); both groups get the same rows.
ROWS = [
    # why,                           dob,          sex, area,        index,        conv, rec
    ("ok: 18 on the index date",     "1999-01-01", "F", "birmingham", "2017-01-01", 0, 0),
    ("aged under 18 at index",       "1999-01-02", "F", "birmingham", "2017-01-01", 0, 0),
    ("ok: 40, birthday tomorrow",    "1976-01-02", "F", "sandwell",   "2017-01-01", 0, 5),
    ("aged over 40 at index",        "1976-01-01", "F", "sandwell",   "2017-01-01", 0, 0),
    ("sex not F",                    "1990-05-05", "M", "sandwell",   "2017-01-01", 0, 0),
    ("sex not F",                    "1990-05-05", None, "sandwell",  "2017-01-01", 0, 0),
    ("lives outside birmingham, sandwell", "1990-05-05", "F", "dudley", "2017-01-01", 0, 0),
    ("ok: first day",                "1990-05-05", "F", "sandwell",   "2016-04-01", 0, 0),
    ("index date before 2016-04-01", "1990-05-05", "F", "sandwell",   "2016-03-31", 0, 0),
    ("ok: last day",                 "1990-05-05", "F", "sandwell",   "2018-03-31", 0, 0),
    ("index date after 2018-03-31",  "1990-05-05", "F", "sandwell",   "2018-04-01", 0, 0),
    ("has a previous conviction",    "1990-05-05", "F", "sandwell",   "2017-01-01", 1, 1),
    ("more than 5 recorded offences before index",
                                     "1990-05-05", "F", "sandwell",   "2017-01-01", 0, 6),
]


def _frame() -> pd.DataFrame:
    rows = []
    for group in ("treated", "comparison"):
        for i, (why, dob, sex, area, index, conv, rec) in enumerate(ROWS):
            rows.append({"person_id": f"{group[0]}{i}", "group": group, "why": why,
                         "date_of_birth": pd.Timestamp(dob), "sex": sex, "area": area,
                         "index_date": pd.Timestamp(index), "prior_convictions_ever": conv,
                         "prior_recorded_ever": rec})
    return pd.DataFrame(rows)


def test_rules_applied_equally_with_named_reasons():
    frame = _frame()
    ledger = Attrition(group_col="group")
    ledger.start(frame)
    kept = apply_eligibility(frame, CONFIG, ledger)

    assert sorted(kept["why"].unique()) == sorted(
        w for w, *_ in ROWS if w.startswith("ok")
    )
    assert (kept.groupby("group").size() == 4).all()
    assert "age_years" not in kept.columns  # the helper column does not leak
    excluded = ledger.excluded_by_reason()
    expected = pd.Series([w for w, *_ in ROWS if not w.startswith("ok")]).value_counts()
    for group in ("treated", "comparison"):
        got = excluded[excluded["group"] == group].set_index("reason")["n_excluded"]
        assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    ledger.check_reconciles(kept)


def test_rule_names_and_order():
    reasons = [r.reason for r in eligibility_rules(CONFIG)]
    assert reasons == [
        "aged under 18 at index", "aged over 40 at index", "sex not F",
        "lives outside birmingham, sandwell", "index date before 2016-04-01",
        "index date after 2018-03-31", "has a previous conviction",
        "more than 5 recorded offences before index",
    ]
    assert [r.reason for r in eligibility_rules(EligibilityConfig(max_prior_convictions=2))] == [
        "more than 2 previous convictions"
    ]
    assert eligibility_rules(EligibilityConfig()) == []


def test_first_failing_rule_takes_the_row():
    # Male and convicted: counted once, under the earlier rule (sex).
    frame = _frame().iloc[[4]].assign(prior_convictions_ever=3)
    ledger = Attrition(group_col="group")
    ledger.start(frame)
    assert apply_eligibility(frame, CONFIG, ledger).empty
    excluded = ledger.excluded_by_reason()
    assert excluded["reason"].tolist() == ["sex not F"]


def test_missing_date_of_birth_fails_age_rule():
    frame = _frame().iloc[[0]].assign(date_of_birth=pd.NaT)
    ledger = Attrition(group_col="group")
    ledger.start(frame)
    assert apply_eligibility(frame, CONFIG, ledger).empty
    assert ledger.excluded_by_reason()["reason"].tolist() == ["aged under 18 at index"]


def test_completed_years_by_hand():
    birth = pd.Series(pd.to_datetime(["2000-02-29", "2000-02-29", "2000-02-29", "1990-06-15"]))
    on = pd.Series(pd.to_datetime(["2018-02-28", "2018-03-01", "2020-02-29", "2020-06-14"]))
    # Leap-day birthday: 17 on 28 Feb 2018, 18 on 1 Mar 2018, 20 on 29 Feb 2020;
    # 1990-06-15 on 2020-06-14 is the day before the 30th birthday: 29.
    assert completed_years(birth, on).tolist() == [17.0, 18.0, 20.0, 29.0]


def test_missing_column_is_named():
    frame = _frame().drop(columns="prior_recorded_ever")
    with pytest.raises(ValueError, match="prior_recorded_ever"):
        apply_eligibility(frame, CONFIG, Attrition(group_col="group"))
    with pytest.raises(ValueError, match="date_of_birth"):
        apply_eligibility(_frame().drop(columns="date_of_birth"), CONFIG, Attrition())
