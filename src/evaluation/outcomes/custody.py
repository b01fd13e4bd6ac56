"""Days in custody inside each person-index window, from the offences' custody dates.

Day convention (docs/decisions/0005-custody.md): a day ``d`` is in custody when
``custody_start <= d < custody_release`` (release day counts as at liberty); a spell still open
at the cut-off (no release) runs through the cut-off day. Spells of one person may overlap
(concurrent sentences on several offences): days are counted once, as the union of spells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import SortedEvents, days, expand, first_per_row, isnat_days


class CustodySpells:
    """All custody spells, sorted by (person code, start day), ready for per-row windows."""

    def __init__(self, offences: pd.DataFrame, off_code: np.ndarray, cut_day: int):
        start = days(offences["custody_start"])
        has = ~isnat_days(start)
        release = days(offences["custody_release"])[has]
        # open spell: in custody through the cut-off day, so exclusive end = cut-off + 1
        release = np.where(isnat_days(release), cut_day + 1, release)
        code, start = off_code[has], start[has]
        bad = release < start
        if bad.any():
            rows = offences.index[np.flatnonzero(has)[bad]][:10].tolist()
            raise ValueError(f"offences: custody_release before custody_start (rows {rows})")
        self.events = SortedEvents(code, start)
        self.start = start[self.events.order]
        self.end = release[self.events.order] - 1  # inclusive last day in custody

    def days_in(self, code: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Custody days within [first, last] (inclusive) for each row (union of spells)."""
        n = len(code)
        # every spell of the person that starts on or before `last`; clip to the window
        lo = np.full(n, -(1 << 19) + 1, dtype=np.int64)
        s, e = self.events.ranges(code, lo, last)
        row, pos = expand(s, e)
        if len(row) == 0:
            return np.zeros(n)
        a = np.maximum(self.start[pos], first[row])
        b = np.minimum(self.end[pos], last[row])
        keep = a <= b
        row, a, b = row[keep], a[keep], b[keep]
        if len(row) == 0:
            return np.zeros(n)
        # spells sorted by raw start within a row, so clipped starts are sorted too; a spell
        # adds only the days after the latest end seen so far in its row (union length).
        # Running max within rows without groupby: rows ascend, so offsetting each row's ends
        # by row * 2**21 makes one global running max restart at every row.
        shift = row * (1 << 21)
        run_max = np.maximum.accumulate(b + (1 << 20) + shift) - shift - (1 << 20)
        prev = np.empty_like(run_max)
        prev[1:] = run_max[:-1]
        prev[first_per_row(row)] = np.iinfo(np.int64).min // 2
        added = np.maximum(0, b - np.maximum(a, prev + 1) + 1)
        return np.bincount(row, weights=added, minlength=n)

    def first_day_from(self, code: np.ndarray, from_day: np.ndarray) -> np.ndarray:
        """First day >= from_day spent in custody (a spell running at from_day gives from_day).

        Rows never in custody from that day get a far-future day.
        """
        n = len(code)
        out = np.full(n, np.iinfo(np.int32).max, dtype=np.int64)
        lo = np.full(n, -(1 << 19) + 1, dtype=np.int64)
        hi = np.full(n, (1 << 19) - 1, dtype=np.int64)
        s, e = self.events.ranges(code, lo, hi)
        row, pos = expand(s, e)
        live = self.end[pos] >= from_day[row]
        row, pos = row[live], pos[live]
        # spells ascend by start within a row, so the first live spell gives the first day
        firsts = first_per_row(row)
        out[row[firsts]] = np.maximum(self.start[pos[firsts]], from_day[row[firsts]])
        return out

