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


def index_offence(row: np.ndarray, pair: np.ndarray, d_row: np.ndarray, offences: pd.DataFrame,
                  offence_day: np.ndarray, n: int, groups: dict[str, str]) -> dict[str, np.ndarray]:
    """Index-offence covariates for ``n`` index rows, given every (row, offence position) pair
    of an index row with one of its person's offences and the index day of each pair."""
    category = offences["offence_category"].astype(object).to_numpy()
    band = pd.Series(category).map(SERIOUSNESS_BAND).fillna(0).to_numpy(dtype=np.int64)
    cat_rank = pd.Series(category).map({c: i for i, c in enumerate(OFFENCE_CATEGORIES)})
    cat_rank = cat_rank.fillna(len(OFFENCE_CATEGORIES)).to_numpy(dtype=np.int64)
    od = offence_day[pair]
    ok = (od <= d_row) & (category[pair] != "breach")
    r, p, od = row[ok], pair[ok], od[ok]
    # latest day first, then higher band, then earlier-listed category, then row order
    order = np.lexsort((p, cat_rank[p], -band[p], -od, r))
    r, p = r[order], p[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = r[1:] != r[:-1]
    rows, chosen = r[first], p[first]

    out_cat = np.full(n, "none", dtype=object)
    out_cat[rows] = category[chosen]
    out_band = np.zeros(n, dtype=np.int64)
    out_band[rows] = band[chosen]
    group = np.full(n, "none", dtype=object)
    group[rows] = pd.Series(category[chosen]).map(groups).to_numpy(dtype=object)

    disposal = np.full(n, "none", dtype=object)
    d_chosen = d_row[ok][order][first]
    outcome = offences["outcome"].astype(object).to_numpy()[chosen]
    proven = _day(offences["proven_date"])[chosen]
    custody = _day(offences["custody_start"])[chosen]
    known = pd.Series(outcome).map(_DISPOSAL_OF_OUTCOME).to_numpy(dtype=object)
    known = np.where(pd.isna(known) | ~(proven <= d_chosen), "not_disposed", known)
    disposal[rows] = np.where(custody <= d_chosen, "custody", known)
    return {"index_offence_category": out_cat, "index_offence_group": group,
            "index_offence_band": out_band, "index_disposal": disposal}


def _day(values: pd.Series) -> np.ndarray:
    """Whole days since 1970 as floats; an empty date is +inf (never on or before any day)."""
    dates = pd.to_datetime(values)
    arr = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    return np.where(dates.isna().to_numpy(), np.inf, arr.astype(float))
