"""Time zero, contamination by any IOM episode and prior exposure, on a hand-built extract.

R1 is scored on 1 March and adopted (Core) on 15 April; R2 was managed under the Risk pillar
before their pool date; R3 was managed under the Vulnerable pillar before their Core episode;
R4 is a clean comparison; R5 is a comparison adopted later (Risk pillar) on 1 September.
"""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.cohort.build import REASON_PRIOR_EXPOSURE, build_cohort
from evaluation.config import ConfigError, load_programme_config
from evaluation.data.contract import CONTRACT

CUTOFF = pd.Timestamp("2019-12-31")
CONTAMINATED = "received the programme on or before this index date"


def _table(name: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=CONTRACT[name].column_names)
    for col in CONTRACT[name].columns:
        if col.kind == "date":
            frame[col.name] = pd.to_datetime(frame[col.name])
    return frame


def _episode(eid, pid, pillar, eligible, start):
    return {"episode_id": eid, "person_id": pid, "programme": "iom", "iom_pillar": pillar,
            "eligibility_date": eligible, "start_date": start, "iom_selection_score": 8.0}


def _pool(pid, index):
    return {"programme": "iom", "person_id": pid, "index_date": index,
            "pool_reason": "scored_not_adopted", "iom_selection_score": 7.0}


def _extract() -> dict[str, pd.DataFrame]:
    people = _table("people", [{"person_id": f"R{i}", "sex": "M", "date_of_birth": "1985-01-01",
                                "ethnicity_group": "white", "area": "dudley"}
                               for i in range(1, 6)])
    episodes = _table("programme_episodes", [
        _episode("E1", "R1", "core", "2016-03-01", "2016-04-15"),
        _episode("E2", "R2", "risk", "2016-01-01", "2016-01-01"),
        _episode("E3", "R3", "vulnerable", "2015-06-01", "2015-06-01"),
        _episode("E4", "R3", "core", "2016-05-01", "2016-05-01"),
        _episode("E5", "R5", "risk", "2016-09-01", "2016-09-01"),
    ])
    pool = _table("comparison_pool", [_pool("R2", "2016-06-01"), _pool("R4", "2016-03-01"),
                                      _pool("R5", "2016-03-01")])
    return {"people": people, "offences": _table("offences", []),
            "programme_episodes": episodes, "comparison_pool": pool}


def _cohort(**overrides):
    return build_cohort(_extract(), CUTOFF, load_programme_config("iom").with_overrides(overrides))


def _excluded(cohort) -> dict[tuple[str, str], int]:
    table = cohort.attrition.excluded_by_reason()
    return {(r.reason, r.group): r.n_excluded for r in table.itertuples()}


def test_time_zero_is_the_eligibility_date_by_default_and_the_start_if_configured():
    eligibility = _cohort().treated.set_index("person_id")["index_date"]
    start = _cohort(**{"design.time_zero": "start"}).treated.set_index("person_id")["index_date"]
    assert eligibility["R1"] == pd.Timestamp("2016-03-01")
    assert start["R1"] == pd.Timestamp("2016-04-15")


def test_any_iom_episode_contaminates_a_comparison_and_makes_a_prior_user():
    cohort = _cohort()  # the IOM configuration: comparison.contamination any_episode
    assert sorted(cohort.frame["person_id"]) == ["R1", "R4", "R5"]
    excluded = _excluded(cohort)
    assert excluded[(CONTAMINATED, "comparison")] == 1  # R2, managed under Risk first
    assert excluded[(REASON_PRIOR_EXPOSURE, "treated")] == 1  # R3, Vulnerable before Core


def test_only_treated_episodes_count_when_configured():
    cohort = _cohort(**{"comparison.contamination": "as_treated"})
    assert sorted(cohort.frame["person_id"]) == ["R1", "R2", "R3", "R4", "R5"]
    assert REASON_PRIOR_EXPOSURE not in {reason for reason, _ in _excluded(cohort)}


def test_the_later_adoption_of_a_comparison_is_carried_for_per_protocol_censoring():
    frame = _cohort().frame.set_index("person_id")["adopted_date"]
    assert frame["R5"] == pd.Timestamp("2016-09-01")  # adopted under the Risk pillar later
    assert frame["R1"] == pd.Timestamp("2016-04-15")  # the treated's own adoption
    assert pd.isna(frame["R4"])


def test_sequential_trials_need_every_pool_index_date():
    with pytest.raises(ConfigError, match="index_dates: all"):
        load_programme_config("iom").with_overrides({"comparison.index_dates": "first_eligible"})
