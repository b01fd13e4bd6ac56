"""A tiny, hand-written valid extract, and a writer, for tests that need contract tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

CUTOFF = "2019-09-30"


def _d(value: str | None):
    return pd.NaT if value is None else pd.Timestamp(value)


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Three people, four offences, two episodes, two pool rows: every rule satisfied."""
    people = pd.DataFrame({
        "person_id": ["P1", "P2", "P3"],
        "sex": ["M", "F", "M"],
        "date_of_birth": [_d("1990-05-01"), _d("1995-01-01"), _d("1980-07-15")],
        "ethnicity_group": ["white", "black", "asian"],
        "area": ["birmingham", "sandwell", "dudley"],
        "date_of_death": [_d(None), _d(None), _d("2019-01-10")],
    })
    offences = pd.DataFrame({
        "offence_id": ["O1", "O2", "O3", "O4"],
        "person_id": ["P1", "P1", "P2", "P3"],
        "offence_date": [_d("2016-03-01"), _d("2017-06-01"), _d("2017-02-02"), _d("2018-01-01")],
        "proven_date": [_d("2016-05-01"), _d(None), _d("2017-02-03"), _d("2018-03-01")],
        "offence_category": ["shoplifting", "criminal_damage", "other_theft", "robbery"],
        "outcome": ["conviction", "no_further_action", "conditional_caution", "conviction"],
        "custody_start": [_d(None), _d(None), _d(None), _d("2018-03-01")],
        "custody_release": [_d(None), _d(None), _d(None), _d("2018-09-01")],
    })
    episodes = pd.DataFrame({
        "episode_id": ["E1", "E2"],
        "person_id": ["P1", "P2"],
        "programme": ["iom", "conditional_caution"],
        "eligibility_date": [_d("2016-05-01"), _d("2017-02-03")],
        "start_date": [_d("2016-06-01"), _d("2017-02-03")],
        "end_date": [_d("2017-06-01"), _d(None)],
    })
    pool = pd.DataFrame({
        "programme": ["iom", "conditional_caution"],
        "person_id": ["P3", "P3"],
        "index_date": [_d("2016-07-01"), _d("2018-03-01")],
        "pool_reason": ["scored_not_adopted", "other_disposal"],
    })
    from evaluation.data.contract import PROGRAMME_FIELDS

    for frame in (episodes, pool):
        for col in PROGRAMME_FIELDS:
            dtype = {"bool": "boolean", "int": "Int64", "float": "float64"}.get(col.kind, object)
            frame[col.name] = pd.Series([None] * len(frame), dtype=dtype)
    episodes.loc[0, "iom_pillar"] = "core"
    episodes.loc[0, "iom_selection_score"] = 42.0
    episodes.loc[1, "disposal_type"] = "conditional_caution"
    pool.loc[0, "iom_selection_score"] = 30.0
    pool.loc[1, "disposal_type"] = "simple_caution"
    return {"people": people, "offences": offences, "programme_episodes": episodes,
            "comparison_pool": pool}


def write_extract(directory: Path, tables: dict[str, pd.DataFrame], fmt: str = "csv",
                  metadata: dict | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"data_cutoff": CUTOFF, "synthetic": True} if metadata is None else metadata
    (directory / "extract.json").write_text(json.dumps(meta))
    for name, frame in tables.items():
        if fmt == "csv":
            out = frame.copy()
            for col in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[col]):
                    out[col] = out[col].dt.strftime("%Y-%m-%d")
            out.to_csv(directory / f"{name}.csv", index=False)
        else:
            frame.to_parquet(directory / f"{name}.parquet", index=False)
    return directory
