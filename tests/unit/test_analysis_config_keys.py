"""Configuration keys the analysis reads: changing each one changes the result (issue 11)."""

from __future__ import annotations

import pandas as pd
import pytest
from extract_factory import tiny_tables, write_extract

from evaluation.analysis.derive import derive_analysis_outcomes
from evaluation.config import load_programme_config
from evaluation.data.io import load_extract
from evaluation.design.build import cluster_column
from evaluation.estimators.cox import cox_effect


@pytest.fixture(scope="module")
def tiny_extract(tmp_path_factory):
    return load_extract(write_extract(tmp_path_factory.mktemp("tiny"), tiny_tables()))


def test_too_late_exclude_drops_rows_whose_read_out_is_incomplete(tiny_extract):
    # cut-off 2019-09-30; follow-up 365 + 182 days. P1 indexed 2016-06-01 has a complete
    # read-out; P2 indexed 2019-01-01 does not (2019-01-01 + 547 days > cut-off).
    index = pd.DataFrame({"person_id": ["P1", "P2"],
                          "index_date": pd.to_datetime(["2016-06-01", "2019-01-01"]),
                          "treated": [1, 0]})
    config = load_programme_config("iom")
    kept = derive_analysis_outcomes(index, tiny_extract, config, 365, attrition=None)
    assert kept["person_id"].tolist() == ["P1", "P2"]
    assert kept["eligible_for_readout"].tolist() == [True, False]
    strict = config.with_overrides({"outcomes.too_late": "exclude"})
    dropped = derive_analysis_outcomes(index, tiny_extract, strict, 365, attrition=None)
    assert dropped["person_id"].tolist() == ["P1"]


def _matched(person_ids: list[str]) -> pd.DataFrame:
    # four matched pairs; the comparison person "c" appears in two sets (two index dates)
    return pd.DataFrame({"person_id": person_ids, "match_set": [0, 0, 1, 1, 2, 2, 3, 3]})


def test_index_dates_all_clusters_on_person_when_a_person_recurs():
    config = load_programme_config("new_chance")
    repeated = _matched(["t1", "c", "t2", "c", "t3", "d", "t4", "e"])
    everyone_once = _matched(["t1", "a", "t2", "b", "t3", "d", "t4", "e"])
    assert cluster_column(repeated, config).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    all_dates = config.with_overrides({"comparison.index_dates": "all"})
    assert cluster_column(repeated, all_dates).tolist() == repeated["person_id"].tolist()
    # nobody recurs: the matched set stays the cluster
    assert cluster_column(everyone_once, all_dates).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_clustering_on_the_person_changes_the_standard_error():
    # the cluster the design chooses feeds the robust variance of every estimate
    frame = _matched(["t1", "c", "t2", "c", "t3", "d", "t4", "e"]).assign(
        treated=[1, 0] * 4, duration_days=[30, 200, 90, 150, 365, 40, 120, 365],
        event=[1, 1, 1, 1, 0, 1, 1, 0], weight=1.0)
    by_set = cox_effect(frame, duration_col="duration_days", event_col="event", treatment_col="treated",
                        weights_col="weight",
                        cluster_col="match_set").iloc[0]
    by_person = cox_effect(frame, duration_col="duration_days", event_col="event", treatment_col="treated",
                        weights_col="weight",
                           cluster_col="person_id").iloc[0]
    assert by_set["estimate"] == pytest.approx(by_person["estimate"], rel=1e-12)
    assert by_set["std_error"] != pytest.approx(by_person["std_error"], rel=1e-6)


def test_a_window_nobody_can_complete_is_a_clear_error_not_an_empty_table():
    from evaluation.analysis.effects import estimate_effects
    from evaluation.config import load_programme_config

    config = load_programme_config("princes_trust").with_overrides({"outcomes.window_days": 3000})
    frame = pd.DataFrame({"treated": [1, 1, 0, 0], "eligible_for_readout": [False] * 4})
    with pytest.raises(ValueError, match="nobody in the programme group has a complete "
                                         "3000-day read-out.*all 2 of them"):
        estimate_effects(frame, config, weights=None, cluster=None)


def test_window_over_ten_years_is_refused_by_the_configuration():
    from evaluation.config import ConfigError, load_programme_config

    with pytest.raises(ConfigError, match="window_days.*less than or equal to 3653"):
        load_programme_config("iom").with_overrides({"outcomes.window_days": 100000})


def test_evaluate_programme_on_a_folder_validates_it_first(tmp_path):
    from evaluation.analysis.programme import evaluate_programme
    from evaluation.data.gate import ExtractInvalid

    tables = tiny_tables()
    people = tables["people"].copy()
    people.loc[people.index[0], "date_of_birth"] = pd.Timestamp("2030-01-01")  # born after cut-off
    folder = write_extract(tmp_path / "bad", {**tables, "people": people})
    with pytest.raises(ExtractInvalid, match="people"):
        evaluate_programme(load_programme_config("iom"), folder)
