"""The index offence: what the person was dealt with for, as known on the index date (decision 0410).

Why: the Justice Data Lab matches on the index offence (its type, seriousness and disposal);
the history counts describe the past, not the offence that brought the person in.

Definition (index date d):

- the index offence is the person's latest offence record with ``offence_date <= d`` (the index
  day counts: a New Chance index is the offence day, a caution index the disposal day), breaches
  left out (a breach of an order is not an offence in the MoJ sense); ties on one day go to the
  higher seriousness band, then the category listed first in the contract, then row order;
- ``index_offence_category``: its ``offence_category`` ("none" when there is no offence);
  ``index_offence_group``: violence / acquisitive / other (``covariates.CATEGORY_GROUPS``);
- ``index_offence_band``: seriousness 3 (high), 2 (middle), 1 (low), 0 (no offence), from the
  Home Office unit cost of the category (>= £8,000: 3; >= £1,000: 2; else 1) and, for the
  categories without a published cost, by analogy (``SERIOUSNESS_BAND``);
- ``index_disposal``: as known on d, never later: "custody" when a custodial sentence for it
  started on or before d, else its outcome when disposed on or before d ("conviction",
  "caution" for simple, conditional or youth cautions, "community_resolution"), else
  "not_disposed" (pending, no further action, or disposed after d), "none" with no offence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.data.contract import OFFENCE_CATEGORIES
from evaluation.frames import label_codes

# Seriousness band per category. Costed categories follow data/reference/unit_costs.csv
# (Heeks et al. 2018) with cut points £8,000 and £1,000 (a test keeps them in step); the
# uncosted ones (cost 0 there, tag [U]) are placed by analogy, as noted.
SERIOUSNESS_BAND: dict[str, int] = {
    "homicide": 3, "rape": 3, "violence_with_injury": 3, "robbery": 3, "theft_of_vehicle": 3,
    "arson": 3,
    "other_sexual_offences": 2, "violence_without_injury": 2, "domestic_burglary": 2,
    "theft_from_person": 2, "criminal_damage": 2,
    "commercial_burglary": 2,  # uncosted: as domestic burglary
    "drug_offences": 2,  # uncosted: supply and possession together; middle by analogy
    "theft_from_vehicle": 1,
    "shoplifting": 1, "other_theft": 1, "public_order": 1,  # uncosted: low-harm volume crime
    "breach": 0,  # never an index offence (left out above)
}
assert set(SERIOUSNESS_BAND) == set(OFFENCE_CATEGORIES)
BAND_CUTS = (1000.0, 8000.0)  # unit cost (£) at which band 2, band 3 start
DISPOSAL_LEVELS = ("custody", "conviction", "caution", "community_resolution", "not_disposed",
                   "none")
_DISPOSAL_OF_OUTCOME = {"conviction": "conviction", "simple_caution": "caution",
                        "conditional_caution": "caution", "youth_caution": "caution",
                        "community_resolution": "community_resolution"}
INDEX_OFFENCE_COVARIATES = ("index_offence_category", "index_offence_group",
                            "index_offence_band", "index_disposal")
INDEX_OFFENCE_CATEGORICAL = ("index_offence_category", "index_offence_group", "index_disposal")


def band_from_cost(cost: float) -> int:
    """The band a published unit cost gives (the rule behind ``SERIOUSNESS_BAND``)."""
    return 1 + int(cost >= BAND_CUTS[0]) + int(cost >= BAND_CUTS[1])


# per category code (label_codes order over OFFENCE_CATEGORIES), the last entry for an
# unknown or empty category
_BAND_OF_CODE = np.array([SERIOUSNESS_BAND[c] for c in OFFENCE_CATEGORIES] + [0], dtype=np.int64)
_RANK_OF_CODE = np.arange(len(OFFENCE_CATEGORIES) + 1, dtype=np.int64)
_BREACH_CODE = OFFENCE_CATEGORIES.index("breach")
# _first_by_rank packs (day, band, category rank) into one int64: band < 8 and rank < 32 fit
assert max(SERIOUSNESS_BAND.values()) < 8 and len(OFFENCE_CATEGORIES) < 32


def index_offence(row: np.ndarray, pair: np.ndarray, d_row: np.ndarray, offences: pd.DataFrame,
                  offence_day: np.ndarray, n: int, groups: dict[str, str],
                  category_code: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Index-offence covariates for ``n`` index rows, given every (row, offence position) pair
    of an index row with one of its person's offences and the index day of each pair.
    ``category_code``: ``label_codes`` of the offences' categories, when the caller has them."""
    if category_code is None:
        category_code = label_codes(offences["offence_category"], OFFENCE_CATEGORIES)
    code = category_code[pair]
    od = offence_day[pair]
    ok = (od <= d_row) & (code != _BREACH_CODE)
    r, p, od, code = row[ok], pair[ok], od[ok], code[ok]
    # latest day first, then higher band, then earlier-listed category, then row order
    pick = _first_by_rank(r, p, od, _BAND_OF_CODE[code], _RANK_OF_CODE[code])
    rows, chosen, d_chosen = r[pick], p[pick], d_row[ok][pick]

    category = offences["offence_category"].to_numpy()[chosen].astype(object)
    band = _BAND_OF_CODE[category_code[chosen]]
    out_cat = np.full(n, "none", dtype=object)
    out_cat[rows] = category
    out_band = np.zeros(n, dtype=np.int64)
    out_band[rows] = band
    group = np.full(n, "none", dtype=object)
    group[rows] = pd.Series(category).map(groups).to_numpy(dtype=object)

    disposal = np.full(n, "none", dtype=object)
    outcome = offences["outcome"].to_numpy()[chosen].astype(object)
    proven = _day(offences["proven_date"].iloc[chosen])
    custody = _day(offences["custody_start"].iloc[chosen])
    known = pd.Series(outcome).map(_DISPOSAL_OF_OUTCOME).to_numpy(dtype=object)
    known = np.where(pd.isna(known) | ~(proven <= d_chosen), "not_disposed", known)
    disposal[rows] = np.where(custody <= d_chosen, "custody", known)
    return {"index_offence_category": out_cat, "index_offence_group": group,
            "index_offence_band": out_band, "index_disposal": disposal}


def _first_by_rank(r, p, od, band, rank):
    """Per row of ``r``: the pair that sorts first by (latest day, higher band, earlier-listed
    category, earlier offence row): its position in the arrays, rows ascending.

    When ``r`` is ascending and ``p`` ascending within each row (as ``covariates._history``
    builds the pairs) this is a per-row maximum of one packed key, no sort: the day, band and
    category rank pack into an int64 (band < 4 and rank < 32 fit below the day), and the first
    maximum in a row is the earliest offence row among the ties. Otherwise the full lexsort."""
    if len(r) and (rank.max() < 32) and _grouped(r, p):
        key = od.astype(np.int64) * 256 + band * 32 + (31 - rank)
        starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        best = np.maximum.reduceat(key, starts)
        lengths = np.diff(np.r_[starts, len(r)])
        hit = np.flatnonzero(key == np.repeat(best, lengths))
        return hit[np.r_[True, r[hit[1:]] != r[hit[:-1]]]]
    order = np.lexsort((p, rank, -band, -od, r))
    first = np.ones(len(order), dtype=bool)
    first[1:] = r[order][1:] != r[order][:-1]
    return order[first]


def _grouped(r: np.ndarray, p: np.ndarray) -> bool:
    """``r`` ascending, and ``p`` ascending within each value of ``r``."""
    step_r, step_p = np.diff(r), np.diff(p)
    return bool((step_r >= 0).all() and ((step_r > 0) | (step_p > 0)).all())


def _day(values: pd.Series) -> np.ndarray:
    """Whole days since 1970 as floats; an empty date is +inf (never on or before any day)."""
    dates = pd.to_datetime(values)
    arr = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    return np.where(dates.isna().to_numpy(), np.inf, arr.astype(float))
