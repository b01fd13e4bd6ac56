"""Unit costs of crime: the Home Office table (Heeks et al. 2018) kept as data, replaceable.

Costs live in ``data/reference/unit_costs.csv`` with a source and a confidence tag per row, not
in code, so a reader can see where each number came from and a user can pass their own table
(another price year, another source). Unit costs are averages: they cost a cohort's offending,
never one incident (Brand & Price 2000). Categories without a retrieved cost are 0 (tag [U]), so
totals are a lower bound; see docs/decisions/0007-unit-costs.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.data.contract import OFFENCE_CATEGORIES
from evaluation.frames import label_codes

UNIT_COST_COLUMNS = ("offence_category", "unit_cost_gbp", "source", "tag", "note")
DEFAULT_UNIT_COSTS = Path(__file__).resolve().parents[3] / "data" / "reference" / "unit_costs.csv"


def load_unit_costs(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check a unit-cost table: one row per contract offence category, costs >= 0.

    ``path=None`` reads the project's table. A user table must cover every category of
    ``contract.OFFENCE_CATEGORIES`` (a missing one is an error, never a silent 0).
    """
    path = Path(path) if path is not None else DEFAULT_UNIT_COSTS
    if not path.exists():
        raise ValueError(f"unit cost table not found: {path}")
    table = pd.read_csv(path, dtype={"offence_category": str, "source": str, "tag": str,
                                     "note": str}, keep_default_na=False)
    return check_unit_costs(table, str(path))


def check_unit_costs(table: pd.DataFrame, where: str = "unit cost table") -> pd.DataFrame:
    """Validate a unit-cost frame (columns, coverage, duplicates, numeric non-negative costs)."""
    missing_cols = [c for c in ("offence_category", "unit_cost_gbp") if c not in table.columns]
    if missing_cols:
        raise ValueError(f"{where}: missing column(s) {missing_cols}; need {list(UNIT_COST_COLUMNS)}")
    table = table.copy()
    cats = table["offence_category"].astype(str).str.strip()
    table["offence_category"] = cats
    dup = cats[cats.duplicated()].unique().tolist()
    if dup:
        raise ValueError(f"{where}: offence_category listed more than once: {dup}")
    missing = [c for c in OFFENCE_CATEGORIES if c not in set(cats)]
    if missing:
        raise ValueError(
            f"{where}: no unit cost for offence categor{'y' if len(missing) == 1 else 'ies'} "
            f"{missing}; add a row for each (use 0 with a note if there is no published cost)"
        )
    unknown = sorted(set(cats) - set(OFFENCE_CATEGORIES))
    if unknown:
        raise ValueError(f"{where}: categories not in the contract: {unknown}")
    cost = pd.to_numeric(table["unit_cost_gbp"], errors="coerce")
    bad = table.loc[cost.isna() | (cost < 0), "offence_category"].tolist()
    if bad:
        raise ValueError(f"{where}: unit_cost_gbp must be a number >= 0; bad for {bad}")
    table["unit_cost_gbp"] = cost.astype(float)
    for c in UNIT_COST_COLUMNS[2:]:
        if c not in table.columns:
            table[c] = ""
    return table.reset_index(drop=True)


def resolve_unit_costs(unit_costs: str | Path | pd.DataFrame | None) -> pd.DataFrame:
    if isinstance(unit_costs, pd.DataFrame):
        return check_unit_costs(unit_costs)
    return load_unit_costs(unit_costs)


def cost_vector(table: pd.DataFrame) -> np.ndarray:
    """Unit cost per category code, in the order of ``OFFENCE_CATEGORIES``."""
    lookup = table.set_index("offence_category")["unit_cost_gbp"]
    return lookup.reindex(list(OFFENCE_CATEGORIES)).to_numpy(dtype=float)


def category_codes(categories: pd.Series) -> np.ndarray:
    """Code of each offence's category in ``OFFENCE_CATEGORIES``; unknown values are an error."""
    codes = label_codes(pd.Series(categories), OFFENCE_CATEGORIES)
    if (codes < 0).any():
        bad = pd.Series(categories)[codes < 0]
        raise ValueError(
            f"offences.offence_category has values not in the contract: "
            f"{sorted(map(str, bad.unique()))[:10]} (rows {bad.index[:10].tolist()})"
        )
    return codes.astype(np.int64)
