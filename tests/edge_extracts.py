"""Small extracts that push the models to their edges, each a change to one small synthetic
extract: separation in the propensity model, a covariate constant in one group, no reoffences
in the programme group, nobody matched (a caliper nobody meets), everyone matched."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from evaluation.data.io import load_extract

PROGRAMME = "princes_trust"


def copy_with(source: Path, target: Path,
              change: Callable[[dict[str, pd.DataFrame]], None] | None = None) -> Path:
    """``source`` rewritten as Parquet into ``target`` after ``change(tables)``."""
    tables = {k: v.copy() for k, v in load_extract(source).tables.items()}
    if change is not None:
        change(tables)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "extract.json", target / "extract.json")
    for name, frame in tables.items():
        frame.to_parquet(target / f"{name}.parquet", index=False)
    json.loads((target / "extract.json").read_text())  # still readable
    return target


def _mine(frame: pd.DataFrame) -> pd.Series:
    return frame["programme"] == PROGRAMME


def separation(tables: dict[str, pd.DataFrame]) -> None:
    """Every participant at the top of the 0-10 risk scale, everyone in the pool at 0."""
    episodes, pool = tables["programme_episodes"], tables["comparison_pool"]
    episodes.loc[_mine(episodes), "pt_risk_factors"] = 10
    pool.loc[_mine(pool), "pt_risk_factors"] = 0


def constant_in_programme(tables: dict[str, pd.DataFrame]) -> None:
    """Every participant has 3 risk factors; the pool varies."""
    episodes = tables["programme_episodes"]
    episodes.loc[_mine(episodes), "pt_risk_factors"] = 3


def no_reoffences_in_programme(tables: dict[str, pd.DataFrame]) -> None:
    """No participant has any offence on or after their first programme start."""
    episodes = tables["programme_episodes"]
    start = episodes.loc[_mine(episodes)].groupby("person_id")["start_date"].min()
    offences = tables["offences"]
    since = offences["person_id"].map(start)
    tables["offences"] = offences.loc[~(since.notna() & (offences["offence_date"] >= since))]


# name: (change to the extract, --set overrides, flag expected in results.json, fatal?)
CASES: dict[str, tuple] = {
    "separation": (separation, [], "separation", True),
    "covariate constant in one group": (constant_in_programme, [], "constant_covariate", False),
    "no reoffences in the programme group": (no_reoffences_in_programme, [], "zero_events",
                                             True),
    "nobody matched": (None, ["design.caliper=0.00001"], "no_match", True),
    "everyone matched": (None, ["design.caliper=5"], "all_matched", False),
}
