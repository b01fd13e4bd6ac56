"""Cohort assembly on tiny hand-built extracts: who is in, who is out and why, counts reconcile."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.cohort.build import build_cohort
from evaluation.config import load_programme_config
from evaluation.data.contract import CONTRACT

CUTOFF = pd.Timestamp("2019-12-31")


def _table(name: str, rows: list[dict]) -> pd.DataFrame:
    """A contract table: every contract column present (empty where not given), dates typed."""
    spec = CONTRACT[name]
    frame = pd.DataFrame(rows, columns=spec.column_names)
    if name == "programme_episodes":  # time zero on the start date unless a case sets it
        frame["eligibility_date"] = frame["eligibility_date"].fillna(frame["start_date"])
    for col in spec.columns:
        if col.kind == "date":
            frame[col.name] = pd.to_datetime(frame[col.name])
    return frame


def _person(pid, sex="F", dob="1990-01-01", area="birmingham", dod=None):
    return {"person_id": pid, "sex": sex, "date_of_birth": dob, "ethnicity_group": "white",
            "area": area, "date_of_death": dod}


def _offence(oid, pid, date, outcome="conviction", proven=None):
    if proven is None and outcome != "pending":
        proven = date
    return {"offence_id": oid, "person_id": pid, "offence_date": date, "proven_date": proven,
            "offence_category": "shoplifting", "outcome": outcome}


def _new_chance_extract() -> dict[str, pd.DataFrame]:
    people = _table("people", [
        _person("P1"),                                # treated twice; also in the pool
        _person("P2"),                                # treated, has a previous conviction
        _person("P3"),                                # treated after the referral period
        _person("P4"),                                # IOM only: not part of this evaluation
        _person("P5", area="walsall"),                # pool twice: first date kept
        _person("P6", area="walsall"),                # pool with a reason not used
        _person("P7", sex="M", area="walsall"),       # pool, male
        _person("P8", dob="1970-01-01", area="walsall"),  # pool, aged over 40
        _person("P9", area="walsall"),                # pool, index after the cut-off
        _person("P10", area="walsall", dod="2014-01-01"),  # pool, died before the index date
        _person("P11", area="walsall"),               # pool, 6 recorded offences (not proven)
        _person("P12", area="walsall"),               # pool, first date ineligible, second kept
    ])
    offences = _table("offences", [
        _offence("o1", "P2", "2015-01-01"),           # a conviction before P2's referral
        *[_offence(f"r{i}", "P11", f"2014-0{i}-01", outcome="pending") for i in range(1, 7)],
        _offence("c12", "P12", "2014-06-01"),         # conviction after P12's first date only
    ])
    episodes = _table("programme_episodes", [
        {"episode_id": "E1", "person_id": "P1", "programme": "new_chance",
         "start_date": "2017-05-01", "nc_need_attitudes": True},
        {"episode_id": "E2", "person_id": "P1", "programme": "new_chance",
         "start_date": "2017-09-01", "nc_need_attitudes": False},
        {"episode_id": "E3", "person_id": "P2", "programme": "new_chance",
         "start_date": "2017-06-01"},
        {"episode_id": "E4", "person_id": "P3", "programme": "new_chance",
         "start_date": "2018-06-01"},
        {"episode_id": "E5", "person_id": "P4", "programme": "iom", "start_date": "2017-01-01",
         "iom_pillar": "core"},
    ])
    pool = _table("comparison_pool", [
        {"programme": "new_chance", "person_id": "P1", "index_date": "2015-01-01",
         "pool_reason": "period_without_programme"},
        {"programme": "new_chance", "person_id": "P5", "index_date": "2015-06-01",
         "pool_reason": "area_without_programme", "nc_need_education": True},
        {"programme": "new_chance", "person_id": "P5", "index_date": "2015-01-01",
         "pool_reason": "period_without_programme"},
        {"programme": "new_chance", "person_id": "P6", "index_date": "2016-01-01",
         "pool_reason": "eligible_not_referred"},
        {"programme": "new_chance", "person_id": "P7", "index_date": "2016-01-01",
         "pool_reason": "area_without_programme"},
        {"programme": "new_chance", "person_id": "P8", "index_date": "2016-01-01",
         "pool_reason": "area_without_programme"},
        {"programme": "new_chance", "person_id": "P9", "index_date": "2020-02-01",
         "pool_reason": "area_without_programme"},
        {"programme": "new_chance", "person_id": "P10", "index_date": "2016-01-01",
         "pool_reason": "area_without_programme"},
        {"programme": "new_chance", "person_id": "P11", "index_date": "2016-01-01",
         "pool_reason": "area_without_programme"},
        {"programme": "new_chance", "person_id": "P12", "index_date": "2014-01-01",
         "pool_reason": "period_without_programme"},
        {"programme": "new_chance", "person_id": "P12", "index_date": "2015-01-01",
         "pool_reason": "period_without_programme"},
        {"programme": "iom", "person_id": "P7", "index_date": "2016-01-01",
         "pool_reason": "scored_not_adopted", "iom_selection_score": 3.0},
    ])
    return {"people": people, "offences": offences, "programme_episodes": episodes,
            "comparison_pool": pool}


@pytest.fixture(scope="module")
def nc_cohort():
    return build_cohort(_new_chance_extract(), CUTOFF, _nc_with_period_pool())


def _nc_with_period_pool():
    """New Chance with the period comparison switched back on (the sensitivity analysis of
    decision 0202), so these hand-built cases exercise both pool reasons."""
    return load_programme_config("new_chance").with_overrides({
        "comparison.pool_reasons": ["area_without_programme", "period_without_programme"],
        "eligibility.index_date_from": None})


def test_new_chance_rows_kept(nc_cohort):
    frame = nc_cohort.frame
    # Treated: P1's first episode. Comparison: P5's earlier date (2015-01-01, not the row
    # listed first), P12's 2014-01-01 (before the conviction of 2014-06-01) and P1's own
    # 2015-01-01 pool date: P1 was not yet referred then (referred 2017-05-01), so that row is
    # a valid comparison (dropping it would select on P1's future).
    assert frame[["person_id", "treated", "index_date"]].values.tolist() == [
        ["P1", 1, pd.Timestamp("2017-05-01")],
        ["P12", 0, pd.Timestamp("2014-01-01")],
        ["P1", 0, pd.Timestamp("2015-01-01")],
        ["P5", 0, pd.Timestamp("2015-01-01")],
    ]
    assert frame.loc[0, "episode_id"] == "E1" and frame.loc[0, "nc_need_attitudes"]
    assert frame.loc[3, "pool_reason"] == "period_without_programme"
    assert {"prior_proven_ever", "age_at_index", "nc_need_education"} <= set(frame.columns)
    assert "iom_selection_score" not in frame.columns  # other programmes' fields left out
    assert "date_of_birth" not in frame.columns


def test_new_chance_every_exclusion_named(nc_cohort):
    excluded = nc_cohort.attrition.excluded_by_reason()
    got = {(r.stage, r.reason, r.group): r.n_excluded for r in excluded.itertuples()}
    assert got == {
        ("definition", "pool reason eligible_not_referred not used", "comparison"): 1,
        ("data", "index date after the data cut-off", "comparison"): 1,  # P9
        ("data", "died before the index date", "comparison"): 1,  # P10
        ("eligibility", "aged over 40 at index", "comparison"): 1,  # P8: 46
        ("eligibility", "sex not F", "comparison"): 1,  # P7
        ("eligibility", "index date after 2018-03-31", "treated"): 1,  # P3
        ("eligibility", "has a previous conviction", "treated"): 1,  # P2
        ("eligibility", "more than 5 recorded offences before index", "comparison"): 1,  # P11
        # P12 2015-01-01 has a conviction (2014-06-01) and fails before deduplication.
        ("eligibility", "has a previous conviction", "comparison"): 1,
        ("one index date per person", "later programme episode of the same person",
         "treated"): 1,  # P1 E2
        ("one index date per person", "later pool index date of the same person",
         "comparison"): 1,  # P5 2015-06-01
    }
    # Received: 4 new_chance episodes, 11 new_chance pool rows (the IOM rows are not received).
    received = nc_cohort.attrition.table().query("stage == 'received'")
    assert received.set_index("group")["n_before"].to_dict() == {"comparison": 11, "treated": 4}
    nc_cohort.attrition.check_reconciles(nc_cohort.frame)
    assert nc_cohort.counts().set_index("group")["people"].to_dict() == {
        "comparison": 3, "treated": 1}


def test_all_pool_dates_kept_when_configured():
    config = _nc_with_period_pool().with_overrides({"comparison.index_dates": "all"})
    cohort = build_cohort(_new_chance_extract(), CUTOFF, config)
    pool = cohort.comparison
    assert sorted(pool["person_id"]) == ["P1", "P12", "P5", "P5"]


def _cc_extract() -> dict[str, pd.DataFrame]:
    people = _table("people", [_person(p, area="dudley") for p in ("Q1", "Q2", "Q3", "Q4")])
    offences = _table("offences", [])
    episodes = _table("programme_episodes", [
        {"episode_id": "C1", "person_id": "Q1", "programme": "conditional_caution",
         "start_date": "2016-01-01", "disposal_type": "conditional_caution"},
        {"episode_id": "C2", "person_id": "Q2", "programme": "conditional_caution",
         "start_date": "2016-02-01", "disposal_type": "community_resolution"},
    ])
    pool = _table("comparison_pool", [
        # Q2 had a community resolution, not the programme: stays a comparison.
        {"programme": "conditional_caution", "person_id": "Q2", "index_date": "2016-02-01",
         "pool_reason": "other_disposal"},
        # Q1 received a conditional caution (2016-01-01) before this pool date: removed.
        {"programme": "conditional_caution", "person_id": "Q1", "index_date": "2017-01-01",
         "pool_reason": "other_disposal"},
        {"programme": "conditional_caution", "person_id": "Q3", "index_date": "2015-08-01",
         "pool_reason": "other_disposal"},  # before the scheme started
        {"programme": "conditional_caution", "person_id": "Q4", "index_date": "2016-03-01",
         "pool_reason": "other_disposal"},
    ])
    return {"people": people, "offences": offences, "programme_episodes": episodes,
            "comparison_pool": pool}


def test_conditional_caution_treated_filter_and_contamination():
    cohort = build_cohort(_cc_extract(), CUTOFF, load_programme_config("conditional_caution"))
    assert cohort.frame[["person_id", "treated"]].values.tolist() == [
        ["Q1", 1], ["Q2", 0], ["Q4", 0]]
    excluded = cohort.attrition.excluded_by_reason()
    got = {(r.reason, r.group): r.n_excluded for r in excluded.itertuples()}
    assert got == {
        ("episode disposal_type not conditional_caution", "treated"): 1,  # C2
        ("received the programme on or before this index date", "comparison"): 1,  # Q1
        ("index date before 2015-09-01", "comparison"): 1,  # Q3
    }
    assert cohort.frame["treated"].dtype == "int64"


def test_non_completers_excluded_when_asked():
    people = _table("people", [_person(p, dob="2000-01-01") for p in ("Y1", "Y2", "Y3")])
    episodes = _table("programme_episodes", [
        {"episode_id": f"T{i}", "person_id": p, "programme": "princes_trust",
         "start_date": "2018-01-01", "pt_risk_factors": 4, "pt_completed": done}
        for i, (p, done) in enumerate([("Y1", True), ("Y2", False), ("Y3", None)])
    ])
    tables = {"people": people, "offences": _table("offences", []),
              "programme_episodes": episodes, "comparison_pool": _table("comparison_pool", [])}
    itt = build_cohort(tables, CUTOFF, load_programme_config("princes_trust"))
    assert sorted(itt.frame["person_id"]) == ["Y1", "Y2", "Y3"]
    config = load_programme_config("princes_trust").with_overrides(
        ["treated.include_non_completers=false"])
    pp = build_cohort(tables, CUTOFF, config)
    assert pp.frame["person_id"].tolist() == ["Y1"]
    reasons = pp.attrition.excluded_by_reason()["reason"].tolist()
    assert reasons == ["programme completion not recorded", "did not complete the programme"]


def test_unknown_person_and_missing_table_raise():
    tables = _cc_extract()
    tables["people"] = tables["people"].iloc[1:]  # Q1 has no people record
    with pytest.raises(ValueError, match=r"no record for person_id\(s\) \['Q1'\]"):
        build_cohort(tables, CUTOFF, load_programme_config("conditional_caution"))
    with pytest.raises(ValueError, match="offences"):
        build_cohort({k: v for k, v in _cc_extract().items() if k != "offences"}, CUTOFF,
                     load_programme_config("conditional_caution"))
