"""Criminal-history features of (person, index day) pairs from the simulated offence arrays.

Selection into programmes may only use what the event tables show before the index date, so
the same definitions as ``evaluation.cohort.covariates`` are used here (on day numbers, not frames).
"""

from __future__ import annotations

import numpy as np

from evaluation.data.contract import OFFENCE_CATEGORIES, PROVEN_OUTCOMES

from .sorting import lexsort_ints
from .world import NEVER, OUT

PROVEN_CODES = np.array([OUT[o] for o in PROVEN_OUTCOMES])
_ACQ = ("robbery", "domestic_burglary", "commercial_burglary", "theft_of_vehicle",
        "theft_from_vehicle", "theft_from_person", "shoplifting", "other_theft")
_VIO = ("homicide", "violence_with_injury", "violence_without_injury", "rape",
        "other_sexual_offences")
ACQUISITIVE = np.array([c in _ACQ for c in OFFENCE_CATEGORIES])
VIOLENT = np.array([c in _VIO for c in OFFENCE_CATEGORIES])
BREACH = OFFENCE_CATEGORIES.index("breach")


class History:
    """Offences sorted by (person, day) for pairing with index rows."""

    def __init__(self, off: dict[str, np.ndarray]):
        order = lexsort_ints((off["day"], off["pid"]))
        self.o = {k: v[order] for k, v in off.items()}
        self.proven = np.isin(self.o["outcome"], PROVEN_CODES) & (self.o["proven"] < NEVER)

    def pairs(self, pid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query row, offence position) for every offence of each queried person."""
        lo = np.searchsorted(self.o["pid"], pid, "left")
        hi = np.searchsorted(self.o["pid"], pid, "right")
        n = hi - lo
        q = np.repeat(np.arange(pid.size), n)
        pos = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(n.sum())
        return q, pos

    def features(self, pid: np.ndarray, d: np.ndarray) -> dict[str, np.ndarray]:
        """The covariate-list history features at index day ``d`` (strictly before ``d``)."""
        q, pos = self.pairs(pid)
        o = self.o
        day, prov = o["day"][pos], o["proven"][pos]
        dq = d[q]
        before = day < dq
        known = before & self.proven[pos] & (prov < dq)
        m = pid.size

        def count(mask):
            return np.bincount(q[mask], minlength=m)

        f = {
            "prior_recorded_ever": count(before),
            "prior_proven_ever": count(known),
            "prior_proven_1y": count(known & (day >= dq - 365)),
            "prior_proven_2y": count(known & (day >= dq - 730)),
            "prior_convictions_ever": count(before & (o["outcome"][pos] == OUT["conviction"])
                                            & (prov < dq)),
            "prior_acquisitive": count(known & ACQUISITIVE[o["category"][pos]]),
            "prior_violence": count(known & VIOLENT[o["category"][pos]]),
            "prior_custody": (count(o["custody_start"][pos] < dq) > 0).astype(np.int64),
        }
        last = np.full(m, -NEVER, dtype=np.int64)
        np.maximum.at(last, q[before], day[before])
        f["days_since_last_offence"] = np.minimum(d - last, 3650)
        return f

    def window_counts(self, pid: np.ndarray, first: np.ndarray, last: np.ndarray,
                      proven_by: np.ndarray | None = None) -> np.ndarray:
        """Proven non-breach offences committed on days first..last (proven at the cut-off,
        or by ``proven_by`` if given)."""
        q, pos = self.pairs(pid)
        o = self.o
        day = o["day"][pos]
        ok = (self.proven[pos] & (o["category"][pos] != BREACH)
              & (day >= first[q]) & (day <= last[q]))
        if proven_by is not None:
            ok &= o["proven"][pos] <= proven_by[q]
        return np.bincount(q[ok], minlength=pid.size)
