"""The validator names file, column, rows and rule for every kind of bad input."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from extract_factory import tiny_tables, write_extract
from paths import REPO

from evaluation.data.io import ExtractError
from evaluation.data.validate import validate_directory, violations_frame


def _set(table: str, row: int, column: str, value):
    def mutate(tables):
        frame = tables[table]
        if value is None:
            frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    return mutate


def _ts(value: str) -> pd.Timestamp:
    return pd.Timestamp(value)


# (mutation, file, column, 1-based row(s), words the rule must contain)
CASES = {
    "sex not allowed": (_set("people", 1, "sex", "X"), "people", "sex", 2, "one of"),
    "area not allowed": (_set("people", 0, "area", "london"), "people", "area", 1, "one of"),
    "duplicate person": (_set("people", 2, "person_id", "P1"), "people", "person_id", (1, 3),
                         "unique"),
    "death before birth": (_set("people", 2, "date_of_death", _ts("1970-01-01")), "people",
                           "date_of_death", 3, "before date_of_birth"),
    "birth after cut-off": (_set("people", 0, "date_of_birth", _ts("2020-01-01")), "people",
                            "date_of_birth", 1, "after the data cut-off"),
    "proven before offence": (_set("offences", 0, "proven_date", _ts("2016-01-01")),
                              "offences", "proven_date", 1, "before offence_date"),
    "disposal without date": (_set("offences", 2, "proven_date", None), "offences",
                              "proven_date", 3, "present exactly when"),
    "custody without conviction": (_set("offences", 2, "custody_start", _ts("2017-03-01")),
                                   "offences", "custody_start", 3, "follow a conviction"),
    "release before custody": (_set("offences", 3, "custody_release", _ts("2018-02-01")),
                               "offences", "custody_release", 4, "before custody_start"),
    "unknown category": (_set("offences", 1, "offence_category", "fraud"), "offences",
                         "offence_category", 2, "one of"),
    "unknown person": (_set("offences", 1, "person_id", "P9"), "offences", "person_id", 2,
                       "does not exist in people"),
    "offence by a child": (_set("offences", 0, "offence_date", _ts("1999-01-01")), "offences",
                           "offence_date", 1, "under 10"),
    "offence after death": (_set("offences", 3, "offence_date", _ts("2019-02-01")),
                            "offences", "offence_date", 4, "after the person's date_of_death"),
    "start before time zero": (_set("programme_episodes", 0, "eligibility_date",
                                    _ts("2016-07-01")), "programme_episodes", "start_date", 1,
                               "before eligibility_date"),
    "time zero missing": (_set("programme_episodes", 1, "eligibility_date", None),
                          "programme_episodes", "eligibility_date", 2, "required"),
    "episode ends before start": (_set("programme_episodes", 0, "end_date",
                                       _ts("2016-01-01")), "programme_episodes", "end_date", 1,
                                  "before start_date"),
    "index after cut-off": (_set("programme_episodes", 1, "start_date", _ts("2019-10-01")),
                            "programme_episodes", "start_date", 2, "after the data cut-off"),
    "iom without pillar": (_set("programme_episodes", 0, "iom_pillar", None),
                           "programme_episodes", "iom_pillar", 1, "required for an iom"),
    "field of another programme": (_set("programme_episodes", 1, "iom_selection_score", 3.0),
                                   "programme_episodes", "iom_selection_score", 2,
                                   "empty unless programme is 'iom'"),
    "negative score": (_set("comparison_pool", 0, "iom_selection_score", -1.0),
                       "comparison_pool", "iom_selection_score", 1, "below 0"),
    "pool person unknown": (_set("comparison_pool", 1, "person_id", "P7"), "comparison_pool",
                            "person_id", 2, "does not exist in people"),
    "pool reason not allowed": (_set("comparison_pool", 0, "pool_reason", "random"),
                                "comparison_pool", "pool_reason", 1, "one of"),
}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tiny_valid_extract_passes(tmp_path, fmt):
    assert validate_directory(write_extract(tmp_path, tiny_tables(), fmt)) == []


@pytest.mark.parametrize("name", list(CASES))
def test_each_rule_names_file_column_row_and_rule(tmp_path, name):
    mutate, table, column, row, words = CASES[name]
    tables = tiny_tables()
    mutate(tables)
    violations = validate_directory(write_extract(tmp_path, tables, "csv"))
    hits = [v for v in violations
            if v.file == f"{table}.csv" and v.column == column and words in v.rule]
    assert hits, f"expected {table}.csv/{column}/{words!r}; got {[v.describe() for v in violations]}"
    expected = set(row) if isinstance(row, tuple) else {row}
    assert set(hits[0].rows) == expected


def test_duplicate_pool_row_violates_uniqueness(tmp_path):
    tables = tiny_tables()
    pool = tables["comparison_pool"]
    tables["comparison_pool"] = pd.concat([pool, pool.iloc[[0]]], ignore_index=True)
    violations = validate_directory(write_extract(tmp_path, tables, "csv"))
    hits = [v for v in violations if "unique" in v.rule and v.file == "comparison_pool.csv"]
    assert hits and set(hits[0].rows) == {1, 3}
    assert hits[0].column == "programme, person_id, index_date"


def test_unreadable_values_are_reported_not_dropped(tmp_path):
    write_extract(tmp_path, tiny_tables(), "csv")
    path = tmp_path / "offences.csv"
    text = path.read_text().replace("2017-06-01", "1st June", 1)
    path.write_text(text)
    violations = validate_directory(tmp_path)
    hits = [v for v in violations if v.column == "offence_date" and "not a date" in v.rule]
    assert hits and hits[0].rows == (2,)


def test_missing_and_extra_columns(tmp_path):
    tables = tiny_tables()
    tables["people"] = tables["people"].drop(columns=["area"]).assign(nhs_number="x")
    violations = validate_directory(write_extract(tmp_path, tables, "csv"))
    described = [v.describe() for v in violations]
    assert any("'area'" in d and "missing" in d for d in described), described
    assert any("nhs_number" in d and "not in the data contract" in d for d in described)


def test_missing_table_and_metadata_are_clear_errors(tmp_path):
    write_extract(tmp_path, tiny_tables(), "csv")
    (tmp_path / "offences.csv").unlink()
    with pytest.raises(ExtractError, match="offences"):
        validate_directory(tmp_path)
    (tmp_path / "extract.json").unlink()
    with pytest.raises(ExtractError, match="extract.json"):
        validate_directory(tmp_path)


def test_violations_frame_has_one_row_per_bad_row(tmp_path):
    tables = tiny_tables()
    tables["people"].loc[[0, 1], "sex"] = "X"
    frame = violations_frame(validate_directory(write_extract(tmp_path, tables, "csv")))
    assert list(frame.columns) == ["file", "column", "rule", "row"]
    assert sorted(frame.loc[frame["column"] == "sex", "row"]) == [1, 2]


def test_cli_validate_exits_non_zero_and_changes_nothing(tmp_path):
    tables = tiny_tables()
    tables["people"].loc[1, "sex"] = "X"
    write_extract(tmp_path, tables, "csv")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = subprocess.run([sys.executable, "-m", "evaluation", "validate", "--data",
                             str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "people.csv" in result.stdout and "sex" in result.stdout and "row 2" in result.stdout
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_cli_validate_passes_clean_extract(tmp_path):
    write_extract(tmp_path, tiny_tables(), "parquet")
    result = subprocess.run([sys.executable, "-m", "evaluation", "validate", "--data",
                             str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no violations" in result.stdout.lower()


def test_cli_analyse_runs_every_estimator_on_an_analysis_file(tmp_path):
    import numpy as np

    rng = np.random.default_rng(4)
    n = 400
    treated = np.repeat([1, 0], n // 2)
    days = rng.exponential(300 / np.where(treated == 1, 0.8, 1.0)).clip(1, 365).round()
    frame = pd.DataFrame({"treated": treated, "duration_days": days,
                          "event": (days < 365).astype(int),
                          "reoffended": (days < 365).astype(int),
                          "n_reoffences": rng.poisson(1, n), "days_at_risk": 365.0,
                          "weight": 1.0, "match_set": np.tile(np.arange(n // 2), 2)})
    path = tmp_path / "analysis.csv"
    frame.to_csv(path, index=False)
    spec = REPO / "docs" / "examples" / "analysis_file_spec.yaml"
    out = tmp_path / "estimates.csv"
    result = subprocess.run([sys.executable, "-m", "evaluation", "analyse", "--file", str(path),
                             "--spec", str(spec), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    terms = set(pd.read_csv(out)["term"])
    assert {"hazard_ratio", "risk_difference", "rate_ratio", "rmst_difference"} <= terms
    typo = tmp_path / "typo.yaml"
    typo.write_text(spec.read_text().replace("outcome_col:", "outcome_coll:"))
    bad = subprocess.run([sys.executable, "-m", "evaluation", "analyse", "--file", str(path),
                          "--spec", str(typo)], capture_output=True, text=True)
    assert bad.returncode == 2 and "outcome_coll" in bad.stderr
