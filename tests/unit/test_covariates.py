"""Covariates on hand-built histories; every expected value is worked out by hand in a comment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.cohort.covariates import COVARIATE_COLUMNS, build_covariates

T = pd.Timestamp


def _offences(rows: list[tuple]) -> pd.DataFrame:
    cols = ["offence_id", "person_id", "offence_date", "proven_date", "offence_category",
            "outcome", "custody_start", "custody_release"]
    frame = pd.DataFrame(rows, columns=cols)
    for c in ("offence_date", "proven_date", "custody_start", "custody_release"):
        frame[c] = pd.to_datetime(frame[c])
    return frame


PEOPLE = pd.DataFrame({
    "person_id": ["A", "B", "C", "D"],
    "sex": ["F", "M", "M", "F"],
    "date_of_birth": pd.to_datetime(["1990-01-01", "2000-07-01", "1985-03-03", "1970-01-01"]),
    "ethnicity_group": ["white", "black", "asian", "mixed"],
    "area": ["birmingham", "dudley", "coventry", "walsall"],
    "date_of_death": pd.to_datetime([None, None, None, None]),
})

# Person A, index 2020-01-01. Days before the index date, by hand:
# 2019-01-01: 365 (2019 has 365 days); 2018-12-31: 366; 2015-01-01: 365*4 + 366 (2016) = 1826;
# 2014-12-31: 1827; 2019-12-20: 12 (11 days left in December + 1).
OFFENCES = _offences([
    # o1: 365 days before -> inside the 1-year window (boundary included); conviction.
    ("o1", "A", "2019-01-01", "2019-02-01", "shoplifting", "conviction", None, None),
    # o2: 366 days before -> outside 1y, inside 2y; a caution is proven but not a conviction.
    ("o2", "A", "2018-12-31", "2019-01-10", "violence_with_injury", "simple_caution", None, None),
    # o3: exactly 1826 days -> inside 5y; custody started before the index date.
    ("o3", "A", "2015-01-01", "2015-03-01", "drug_offences", "conviction", "2015-03-01",
     "2015-09-01"),
    # o4: 1827 days -> outside 5y, still "ever"; robbery is acquisitive.
    ("o4", "A", "2014-12-31", "2015-01-05", "robbery", "conditional_caution", None, None),
    # o5: committed before but proven ON the index date -> not proven before it; custody after.
    ("o5", "A", "2019-12-01", "2020-01-01", "public_order", "conviction", "2020-02-01", None),
    # o6: community resolution -> recorded, never proven.
    ("o6", "A", "2019-11-01", "2019-11-02", "criminal_damage", "community_resolution", None,
     None),
    # o7: no further action -> recorded only; the latest offence before the index date.
    ("o7", "A", "2019-12-20", None, "other_theft", "no_further_action", None, None),
    # o8: on the index date -> not before it: counts nowhere.
    ("o8", "A", "2020-01-01", "2020-03-01", "shoplifting", "conviction", None, None),
    # o9: after the index date -> counts nowhere.
    ("o9", "A", "2020-06-01", "2020-07-01", "shoplifting", "conviction", None, None),
    # o10: pending -> recorded only.
    ("o10", "A", "2019-06-01", None, "breach", "pending", None, None),
    # C: committed before index 2020-01-01, proven after it -> recorded, not proven; 31 days.
    ("c1", "C", "2019-12-01", "2020-02-01", "theft_of_vehicle", "conviction", None, None),
    # D: one old offence, 2005-01-01 -> 5478 days before 2020-01-01 -> capped at 3650.
    ("d1", "D", "2005-01-01", "2005-02-01", "arson", "youth_caution", None, None),
])


def _index() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["A", "B", "A", "C", "D"],
            "index_date": pd.to_datetime(
                ["2020-01-01", "2019-05-05", "2016-01-01", "2020-01-01", "2020-01-01"]
            ),
            "treated": [1, 0, 0, 1, 0],
            "note": ["first", "second", "third", "fourth", "fifth"],
        },
        index=[10, 11, 12, 13, 14],
    )


@pytest.fixture(scope="module")
def cov() -> pd.DataFrame:
    return build_covariates(_index(), OFFENCES, PEOPLE, data_cutoff="2020-12-31")


def test_shape_order_and_carried_columns(cov):
    assert list(cov.index) == [10, 11, 12, 13, 14]
    assert list(cov["note"]) == ["first", "second", "third", "fourth", "fifth"]
    assert list(cov["treated"]) == [1, 0, 0, 1, 0]
    assert set(COVARIATE_COLUMNS) <= set(cov.columns)


def test_person_a_at_2020(cov):
    a = cov.loc[10]
    assert a["prior_proven_1y"] == 1  # o1 (365 days: boundary day counts)
    assert a["prior_proven_2y"] == 2  # o1, o2
    assert a["prior_proven_5y"] == 3  # o1, o2, o3 (1826 days: boundary day counts)
    assert a["prior_proven_ever"] == 4  # o1-o4; o5 proven on the index date is not prior
    assert a["prior_convictions_ever"] == 2  # o1, o3
    assert a["prior_recorded_ever"] == 8  # o1-o7 and o10; not o8 (on index) nor o9 (after)
    assert a["prior_violence"] == 1  # o2
    assert a["prior_acquisitive"] == 2  # o1 shoplifting, o4 robbery
    assert a["prior_other"] == 1  # o3 drugs (o5 public order not proven before the index date)
    assert a["prior_custody"] == 1  # o3 custody 2015-03-01; o5 custody is after the index
    assert a["days_since_last_offence"] == 12  # o7, 2019-12-20
    # 1990-01-01 -> 2020-01-01: 30 * 365 + 7 leap days (1992 ... 2016) = 10957 days.
    assert a["age_at_index"] == pytest.approx(10957 / 365.25)
    assert a["index_year"] == 2020
    assert (a["sex"], a["ethnicity_group"], a["area"]) == ("F", "white", "birmingham")


def test_person_a_at_2016_uses_only_history_before_that_date(cov):
    a = cov.loc[12]
    # Before 2016-01-01: o3 (2015-01-01, 365 days, proven 2015-03-01) and o4 (2014-12-31, 366).
    assert a["prior_proven_1y"] == 1
    assert a["prior_proven_2y"] == 2
    assert a["prior_proven_5y"] == 2
    assert a["prior_proven_ever"] == 2
    assert a["prior_convictions_ever"] == 1
    assert a["prior_recorded_ever"] == 2
    assert (a["prior_violence"], a["prior_acquisitive"], a["prior_other"]) == (0, 1, 1)
    assert a["prior_custody"] == 1
    assert a["days_since_last_offence"] == 365
    assert a["index_year"] == 2016


def test_person_without_offences(cov):
    b = cov.loc[11]
    for col in ("prior_proven_1y", "prior_proven_ever", "prior_convictions_ever",
                "prior_recorded_ever", "prior_violence", "prior_custody"):
        assert b[col] == 0
    assert b["days_since_last_offence"] == 3650
    # 2000-07-01 -> 2019-07-01: 19 * 365 + 4 leap days (2004, 08, 12, 16) = 6939;
    # 2019-05-05 is 57 days earlier (26 in May + 30 in June + 1) -> 6882 days.
    assert b["age_at_index"] == pytest.approx(6882 / 365.25)


def test_proven_after_index_is_not_prior(cov):
    c = cov.loc[13]
    assert c["prior_proven_ever"] == 0
    assert c["prior_convictions_ever"] == 0
    assert c["prior_recorded_ever"] == 1
    assert c["days_since_last_offence"] == 31  # 2019-12-01 -> 2020-01-01


def test_days_since_capped(cov):
    d = cov.loc[14]
    assert d["days_since_last_offence"] == 3650
    assert d["prior_proven_ever"] == 1 and d["prior_other"] == 1  # youth caution, arson
    assert d["prior_proven_5y"] == 0


def test_counts_are_integers(cov):
    assert cov["prior_proven_1y"].dtype == np.int64
    assert cov["age_at_index"].dtype == np.float64


def test_empty_offences_table():
    out = build_covariates(_index(), OFFENCES.iloc[:0], PEOPLE)
    assert (out["prior_recorded_ever"] == 0).all()
    assert (out["days_since_last_offence"] == 3650).all()


def test_errors_name_the_problem():
    index = _index()
    with pytest.raises(ValueError, match="no record for index person_id.*Z"):
        build_covariates(pd.concat([index, pd.DataFrame(
            {"person_id": ["Z"], "index_date": [T("2020-01-01")]})]), OFFENCES, PEOPLE)
    with pytest.raises(ValueError, match="after the data cut-off 2019-12-31"):
        build_covariates(index, OFFENCES, PEOPLE, data_cutoff="2019-12-31")
    with pytest.raises(ValueError, match=r"already has covariate column\(s\) \['sex'\]"):
        build_covariates(index.assign(sex="F"), OFFENCES, PEOPLE)
    with pytest.raises(ValueError, match="offences: missing column"):
        build_covariates(index, OFFENCES.drop(columns="outcome"), PEOPLE)


def _naive(index: pd.DataFrame, offences: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Row-by-row restatement of the definitions (a loop is fine for a test oracle)."""
    proven_set = {"conviction", "simple_caution", "conditional_caution", "youth_caution"}
    groups = {"violence": {"violence_with_injury", "rape"},
              "acquisitive": {"robbery", "shoplifting"}, "other": {"arson", "breach"}}
    rows = []
    for pid, d in zip(index["person_id"], index["index_date"], strict=True):
        own = offences[offences["person_id"] == pid]
        before = own[own["offence_date"] < d]
        proven = before[before["outcome"].isin(proven_set) & (before["proven_date"] < d)]
        back = (d - proven["offence_date"]).dt.days
        row = {f"prior_proven_{k}": int((back <= n).sum())
               for k, n in (("1y", 365), ("2y", 730), ("5y", 1826))}
        row["prior_proven_ever"] = len(proven)
        row["prior_convictions_ever"] = int((proven["outcome"] == "conviction").sum())
        row["prior_recorded_ever"] = len(before)
        for g, cats in groups.items():
            row[f"prior_{g}"] = int(proven["offence_category"].isin(cats).sum())
        row["prior_custody"] = int((own["custody_start"] < d).any())
        last = (d - before["offence_date"]).dt.days.min() if len(before) else 3650
        row["days_since_last_offence"] = min(int(last), 3650)
        rows.append(row)
    return pd.DataFrame(rows)


def test_vectorised_matches_row_by_row_oracle():
    rng = np.random.default_rng(20240101)
    n_people, n_off, n_index = 40, 400, 120
    ids = [f"X{i}" for i in range(n_people)]
    people = pd.DataFrame({"person_id": ids, "sex": "M",
                           "date_of_birth": pd.Timestamp("1980-01-01"),
                           "ethnicity_group": "white", "area": "dudley", "date_of_death": pd.NaT})
    offence_date = T("2008-01-01") + pd.to_timedelta(rng.integers(0, 4000, n_off), "D")
    outcome = rng.choice(["conviction", "simple_caution", "youth_caution", "pending",
                          "community_resolution", "no_further_action"], n_off)
    lag = pd.to_timedelta(rng.integers(0, 300, n_off), "D")
    disposed = ~np.isin(outcome, ["pending", "no_further_action"])
    custody = (outcome == "conviction") & (rng.random(n_off) < 0.3)
    offences = pd.DataFrame({
        "offence_id": range(n_off), "person_id": rng.choice(ids, n_off),
        "offence_date": offence_date,
        "proven_date": pd.Series(offence_date + lag).where(disposed),
        "offence_category": rng.choice(["violence_with_injury", "rape", "robbery", "shoplifting",
                                        "arson", "breach"], n_off),
        "outcome": outcome,
        "custody_start": pd.Series(offence_date + lag).where(custody),
        "custody_release": pd.NaT,
    })
    # Index dates land on offence dates, and 365/730/1826 days after them, to hit every boundary.
    base = offences.sample(n_index, random_state=1, replace=True)
    shift = pd.to_timedelta(rng.choice([0, 1, 365, 366, 730, 1826, 1827], n_index), "D")
    index = pd.DataFrame({"person_id": base["person_id"].to_numpy(),
                          "index_date": (base["offence_date"] + shift).to_numpy()})
    got = build_covariates(index, offences, people)
    want = _naive(index, offences, people)
    pd.testing.assert_frame_equal(got[want.columns].reset_index(drop=True), want,
                                  check_dtype=False)
