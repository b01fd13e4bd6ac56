"""Baseline covariates as of each person's index date, using only what was known before it.

Definitions (index date d; "before" means strictly before, so the index event itself never
counts as history):

- ``age_at_index``: (d - date_of_birth) in days / 365.25 (float years);
  ``sex``, ``ethnicity_group``, ``area`` from ``people``; ``index_year``: year of d.
- ``prior_proven_1y|2y|5y``: offences with d - 365|730|1826 <= offence_date < d (so an offence
  exactly 365 days before d counts in the 1-year window: the window is the 365 days before d),
  outcome in PROVEN_OUTCOMES and proven_date < d. ``prior_proven_ever``: the same, no window.
- ``prior_convictions_ever``: outcome conviction, offence_date < d and proven_date < d.
- ``prior_recorded_ever``: every offence record with offence_date < d, whatever its outcome
  (the arrest proxy).
- ``prior_violence|acquisitive|other``: proven ever, by ``CATEGORY_GROUPS``.
- ``prior_custody``: 1 if any custody_start < d (whatever the offence date), else 0.
- ``days_since_last_offence``: d - latest offence_date < d (any outcome), capped at 3650;
  3650 when there is none.
- ``index_offence_category|group|band``, ``index_disposal``: the offence that led to the index,
  as known on d (``index_offence.py``, decision 0410).

Computed without a loop over people: each index row is paired with its person's offences by
sorted position (``np.repeat``), and counts are ``np.bincount`` over the pairs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.cohort.index_offence import INDEX_OFFENCE_COVARIATES, index_offence
from evaluation.data.contract import OFFENCE_CATEGORIES, OUTCOMES, PROVEN_OUTCOMES
from evaluation.frames import label_codes

WINDOWS = {"prior_proven_1y": 365, "prior_proven_2y": 730, "prior_proven_5y": 1826}
DAYS_SINCE_CAP = 3650
DAYS_PER_YEAR = 365.25

# Offence groups for the prior_* history counts. Robbery is acquisitive, as in the Home Office
# "neighbourhood / serious acquisitive crime" grouping that the IOM selection matrix scores;
# sexual offences sit with violence as in ONS "violence and sexual offences". Decision 0201.
CATEGORY_GROUPS: dict[str, str] = {
    "homicide": "violence",
    "violence_with_injury": "violence",
    "violence_without_injury": "violence",
    "rape": "violence",
    "other_sexual_offences": "violence",
    "robbery": "acquisitive",
    "domestic_burglary": "acquisitive",
    "commercial_burglary": "acquisitive",
    "theft_of_vehicle": "acquisitive",
    "theft_from_vehicle": "acquisitive",
    "theft_from_person": "acquisitive",
    "shoplifting": "acquisitive",
    "other_theft": "acquisitive",
    "arson": "other",
    "criminal_damage": "other",
    "drug_offences": "other",
    "public_order": "other",
    "breach": "other",
}
assert set(CATEGORY_GROUPS) == set(OFFENCE_CATEGORIES)
_GROUP_CODES_BY_NAME = {"violence": 0, "acquisitive": 1, "other": 2}
_GROUP_CODES = {cat: _GROUP_CODES_BY_NAME[g] for cat, g in CATEGORY_GROUPS.items()}
# group code by category code (label_codes order); the last entry, -1, for an unknown category
_GROUP_CODE_OF_CATEGORY = np.array([_GROUP_CODES[c] for c in OFFENCE_CATEGORIES] + [-1],
                                   dtype=np.int8)
# per outcome code (label_codes order), the last entry for an unknown or empty outcome
_IS_PROVEN = np.array([o in PROVEN_OUTCOMES for o in OUTCOMES] + [False])
_IS_CONVICTION = np.array([o == "conviction" for o in OUTCOMES] + [False])

PEOPLE_COVARIATES = ("age_at_index", "sex", "ethnicity_group", "area", "index_year")
HISTORY_COVARIATES = (
    "prior_proven_1y",
    "prior_proven_2y",
    "prior_proven_5y",
    "prior_proven_ever",
    "prior_convictions_ever",
    "prior_recorded_ever",
    "prior_violence",
    "prior_acquisitive",
    "prior_other",
    "prior_custody",
    "days_since_last_offence",
)
COVARIATE_COLUMNS = PEOPLE_COVARIATES + HISTORY_COVARIATES + INDEX_OFFENCE_COVARIATES

_OFFENCE_COLUMNS = ("person_id", "offence_date", "proven_date", "offence_category", "outcome",
                    "custody_start")
_PEOPLE_COLUMNS = ("person_id", "date_of_birth", "sex", "ethnicity_group", "area")
_NEVER = np.iinfo(np.int64).max  # day number for an empty date: never before any index date


def build_covariates(
    index: pd.DataFrame,
    offences: pd.DataFrame,
    people: pd.DataFrame,
    data_cutoff: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """``index`` (one row per person-index: person_id, index_date, any other columns) with the
    covariates added; same rows, same order, same index, other columns carried through."""
    _require(index, ("person_id", "index_date"), "index")
    _require(offences, _OFFENCE_COLUMNS, "offences")
    _require(people, _PEOPLE_COLUMNS, "people")
    clash = [c for c in COVARIATE_COLUMNS if c in index.columns]
    if clash:
        raise ValueError(
            f"index already has covariate column(s) {clash}; drop them first so they are not "
            "silently replaced"
        )
    index_date = pd.to_datetime(index["index_date"])
    _no_missing(index_date, "index", "index_date", index.index)
    if data_cutoff is not None:
        cutoff = pd.Timestamp(data_cutoff)
        late = (index_date > cutoff).to_numpy()
        if late.any():
            raise ValueError(
                f"index: index_date after the data cut-off {cutoff.date()} in rows "
                f"{_first(index.index[late])}: nothing after the cut-off is known"
            )
    d = _days(index_date)

    # People: one row each, every index person present.
    if people["person_id"].duplicated().any():
        dups = people.loc[people["person_id"].duplicated(), "person_id"]
        raise ValueError(f"people: person_id not unique ({_first(dups)})")
    key = pd.Index(people["person_id"])
    pos = key.get_indexer(index["person_id"])
    if (pos < 0).any():
        missing = index["person_id"].to_numpy()[pos < 0]
        raise ValueError(f"people: no record for index person_id(s) {_first(missing)}")
    dob = pd.to_datetime(people["date_of_birth"])
    age = (d - _days(dob, empty=0)[pos]) / DAYS_PER_YEAR
    age[dob.isna().to_numpy()[pos]] = np.nan  # unknown birth date: unknown age

    history = _history(d, pos, offences, key)

    out = index.copy()
    out["age_at_index"] = age
    for col in ("sex", "ethnicity_group", "area"):
        out[col] = people[col].to_numpy()[pos]
    out["index_year"] = index_date.dt.year.astype("int64").to_numpy()
    for col in HISTORY_COVARIATES + INDEX_OFFENCE_COVARIATES:
        out[col] = history[col]
    return out


def _history(
    d: np.ndarray, pos: np.ndarray, offences: pd.DataFrame, key: pd.Index
) -> dict[str, np.ndarray]:
    """Offence-history counts for index rows with index day ``d`` and person position ``pos``."""
    n = len(d)
    offence_date = _as_dates(offences["offence_date"])
    _no_missing(offence_date, "offences", "offence_date", offences.index)
    off_person = key.get_indexer(offences["person_id"])  # -1: not in people, never paired
    order = np.argsort(off_person, kind="stable")
    sorted_person = off_person[order]
    start = np.searchsorted(sorted_person, pos, side="left")
    count = np.searchsorted(sorted_person, pos, side="right") - start
    # Pair every index row with each of its person's offences (row ascending, and within a
    # row the offences in table order: index_offence relies on both).
    row = np.repeat(np.arange(n), count)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    pair = order[np.repeat(start, count) + offset]

    # Per-offence facts as small integer codes (one hash pass per text column), gathered for
    # the pairs as compact arrays.
    outcome = label_codes(offences["outcome"], OUTCOMES)
    is_proven = _IS_PROVEN[outcome][pair]
    is_conviction = _IS_CONVICTION[outcome][pair]
    category = label_codes(offences["offence_category"], OFFENCE_CATEGORIES)
    group_code = _GROUP_CODE_OF_CATEGORY[category][pair]
    di = d[row]
    offence_day = _days(offence_date)
    od = offence_day[pair]
    proven_day = _days(_as_dates(offences["proven_date"]), empty=_NEVER)[pair]
    custody_day = _days(_as_dates(offences["custody_start"]), empty=_NEVER)[pair]

    before = od < di
    proven_before = proven_day < di
    proven = before & is_proven & proven_before
    back = di - od  # days before the index date (>= 1 when before)

    def per_row(mask: np.ndarray) -> np.ndarray:
        return np.bincount(row[mask], minlength=n).astype(np.int64)

    out = {name: per_row(proven & (back <= days)) for name, days in WINDOWS.items()}
    out["prior_proven_ever"] = per_row(proven)
    out["prior_convictions_ever"] = per_row(before & is_conviction & proven_before)
    out["prior_recorded_ever"] = per_row(before)
    for name, code in _GROUP_CODES_BY_NAME.items():
        out[f"prior_{name}"] = per_row(proven & (group_code == code))
    out["prior_custody"] = (per_row(custody_day < di) > 0).astype(np.int64)
    nearest = np.full(n, DAYS_SINCE_CAP, dtype=np.int64)
    np.minimum.at(nearest, row[before], back[before])
    out["days_since_last_offence"] = nearest
    out.update(index_offence(row, pair, di, offences, offence_day, n, CATEGORY_GROUPS,
                             category_code=category))
    return out


def _as_dates(values: pd.Series) -> pd.Series:
    """``values`` as datetimes; a column already typed as datetimes is used as it is (no copy)."""
    if values.dtype == "datetime64[ns]":
        return values
    return pd.to_datetime(values)


def _days(values: pd.Series, empty: int | None = None) -> np.ndarray:
    """Dates as whole days since 1970-01-01 (int64); empty dates become ``empty``."""
    arr = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    if empty is not None:
        arr = np.where(values.isna().to_numpy(), empty, arr)
    return arr


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing} needed for covariates")


def _no_missing(values: pd.Series, table: str, column: str, labels: pd.Index) -> None:
    empty = values.isna().to_numpy()
    if empty.any():
        raise ValueError(f"{table}: column '{column}' is empty in rows {_first(labels[empty])}")


def _first(values, k: int = 10) -> str:
    values = list(values)
    more = f" and {len(values) - k} more" if len(values) > k else ""
    return ", ".join(map(str, values[:k])) + more
