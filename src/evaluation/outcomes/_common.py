"""Shared plumbing for outcome derivation: checks, day numbers, person codes, range expansion.

Everything works on whole-day integers (days since 1970-01-01) so windows are exact integer
comparisons, and on integer person codes so each person's offences are one contiguous, sorted
slice that ``np.searchsorted`` can cut per index row: no Python loop over people, and no
person x offence cross product (only offences inside a window are ever expanded).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import Attrition

STAGE = "outcomes"
NAT_DAY = np.iinfo(np.int64).min  # what NaT becomes as int64 days
_DAY_OFFSET = 1 << 19  # keys: person_code * 2**20 + (day + 2**19); days within +-1,435 years
_KEY_BASE = 1 << 20

REASON_NO_INDEX_DATE = "index date missing"
REASON_UNKNOWN_PERSON = "person id not in people table"
REASON_NO_DOB = "date of birth missing"
REASON_DEAD = "died before the index date"
REASON_AFTER_CUTOFF = "index date after the data cut-off"


def readout_reason(window_days: int) -> str:
    return f"index date too late for the {window_days}-day read-out"


def require_columns(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame is missing column(s) {missing}; it has {list(frame.columns)}")


def require_dates(frame: pd.DataFrame, name: str, columns: list[str]) -> None:
    """Dates must already be datetime64 (the loader types them); we never guess formats."""
    for c in columns:
        if not pd.api.types.is_datetime64_any_dtype(frame[c]):
            raise ValueError(
                f"{name}.{c} must be datetime64 (got {frame[c].dtype}); read the extract with "
                "evaluation.data.io or convert with pd.to_datetime first"
            )


def days(values: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """Whole days since 1970-01-01 as int64; NaT becomes NAT_DAY (check with ``isnat_days``)."""
    arr = np.asarray(values, dtype="datetime64[ns]").astype("datetime64[D]")
    return arr.astype(np.int64)


def isnat_days(d: np.ndarray) -> np.ndarray:
    return d == NAT_DAY


def cutoff_day(data_cutoff) -> int:
    ts = pd.Timestamp(data_cutoff)
    if pd.isna(ts):
        raise ValueError("data_cutoff is missing (NaT)")
    return int(days(np.array([ts.to_datetime64()]))[0])


def people_index(people: pd.DataFrame) -> pd.Index:
    """``people.person_id`` as an index, checked unique (built once, looked up many times)."""
    pid = pd.Index(people["person_id"])
    if not pid.is_unique:
        dup = pid[pid.duplicated()].unique()[:5].tolist()
        raise ValueError(f"people.person_id must be unique; duplicated ids include {dup}")
    return pid


def person_codes(people: pd.DataFrame, ids: pd.Series, index: pd.Index | None = None
                 ) -> np.ndarray:
    """Position of each id in ``people`` (-1 where unknown); ``index``: ``people_index(people)``
    already built (its hash table is reused)."""
    return (people_index(people) if index is None else index).get_indexer(ids)


def base_exclusions(
    frame: pd.DataFrame,
    people: pd.DataFrame,
    cut_day: int,
    attrition: Attrition,
    index: pd.Index | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Exclude rows that cannot be analysed at all, each with a named reason.

    Order matters for the ledger (each row is counted once, at the first rule it fails): missing
    index date, unknown person, missing date of birth, died before the index date, index date
    after the cut-off. Returns the kept rows and their person codes. ``index``:
    ``people_index(people)`` when the caller has it.
    """
    idx_day = days(frame["index_date"])
    code = person_codes(people, frame["person_id"], index)
    known = np.where(code >= 0, code, 0)  # rows of unknown people fail before any look-up
    dob = days(people["date_of_birth"])[known]
    death = days(people["date_of_death"])[known]
    kept = attrition.exclude_in_order(frame, [
        (isnat_days(idx_day), REASON_NO_INDEX_DATE),
        (code < 0, REASON_UNKNOWN_PERSON),
        (isnat_days(dob), REASON_NO_DOB),
        (~isnat_days(death) & (death < idx_day), REASON_DEAD),
        (idx_day > cut_day, REASON_AFTER_CUTOFF),
    ], STAGE)
    return frame.loc[kept], code[kept]


def start_ledger(index: pd.DataFrame, attrition: Attrition | None) -> Attrition:
    """Use the caller's ledger (starting it if it has no steps yet) or a fresh one."""
    if attrition is None:
        attrition = Attrition()
    if not attrition.steps:
        attrition.start(index)
    return attrition


def death_days(people: pd.DataFrame, code: np.ndarray) -> np.ndarray:
    """Death day per row; no death becomes a far-future day so ``np.minimum`` ignores it."""
    d = days(people["date_of_death"])[code]
    return np.where(isnat_days(d), np.iinfo(np.int32).max, d)


class SortedEvents:
    """Events (offences or custody spells) sorted by (person code, day) for range look-ups."""

    def __init__(self, code: np.ndarray, day: np.ndarray):
        key = code.astype(np.int64) * _KEY_BASE + (day + _DAY_OFFSET)
        self.order = np.argsort(key, kind="stable")
        self.key = key[self.order]

    def ranges(self, code: np.ndarray, lo_day: np.ndarray, hi_day: np.ndarray):
        """[start, stop) positions of each row's events with lo_day <= day <= hi_day."""
        base = code.astype(np.int64) * _KEY_BASE + _DAY_OFFSET
        lo_day = np.clip(lo_day, -_DAY_OFFSET, _DAY_OFFSET - 1)
        hi_day = np.clip(hi_day, -_DAY_OFFSET, _DAY_OFFSET - 1)
        start = np.searchsorted(self.key, base + lo_day, side="left")
        stop = np.searchsorted(self.key, base + hi_day, side="right")
        return start, np.maximum(stop, start)


def expand(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flatten per-row [start, stop) ranges: (row number, position) for every element.

    Rows come out in order and, within a row, positions ascend (so by day when sorted by day).
    """
    counts = stop - start
    total = int(counts.sum())
    row = np.repeat(np.arange(len(start), dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    pos = np.arange(total, dtype=np.int64) - np.repeat(first - start, counts)
    return row, pos


def first_per_row(row: np.ndarray) -> np.ndarray:
    """Positions (into ``row``) of the first element of each run of equal, sorted row numbers."""
    if len(row) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
