"""Write the counting-process datasets that reference.R analyses (run once; committed).

rossi_split.csv: the Rossi recidivism data (Fox & Weisberg; 432 released prisoners, weeks to
arrest, many tied weeks), each person's follow-up split at weeks 13, 26 and 39 into
(start, stop] rows, the arrest on the last row; ``treated`` is ``fin`` (financial aid), weights
1, 1.5, 2 by person. Unsplit, it is the Rossi data itself.

stacked.csv: Rossi as sequential trials: trial 0 is everyone from week 0; in trial 1 every third
person re-enters at week 8 (if still followed) with the other arm, so a person recurs; within each
trial rows are paired into matched sets of two different people; row weights 1, 1.5, 2; then split
as above. The cluster is ``person``, the second clustering ``match_set``.

Run from the repository root: .venv/bin/python tests/reference/cox_counting/make_data.py
"""

from pathlib import Path

import numpy as np
import pandas as pd
from lifelines.datasets import load_rossi

HERE = Path(__file__).parent
CUTS = (13, 26, 39)


def split(rows: pd.DataFrame) -> pd.DataFrame:
    """(start, stop] rows cut at CUTS; the event stays on the last piece."""
    pieces = []
    for cut_lo, cut_hi in zip((0, *CUTS), (*CUTS, np.inf), strict=True):
        lo = np.maximum(rows["start"], cut_lo)
        hi = np.minimum(rows["stop"], cut_hi)
        keep = hi > lo
        piece = rows.loc[keep].copy()
        piece["start"], piece["stop"] = lo[keep], hi[keep]
        piece["event"] = np.where(piece["stop"] == rows.loc[keep, "stop"], piece["event"], 0)
        pieces.append(piece)
    return pd.concat(pieces).sort_values(["row", "start"]).reset_index(drop=True)


def main() -> None:
    rossi = load_rossi()
    person = np.arange(1, len(rossi) + 1)
    base = pd.DataFrame(
        {
            "person": person,
            "start": 0.0,
            "stop": rossi["week"].astype(float),
            "event": rossi["arrest"],
            "treated": rossi["fin"],
            "age": rossi["age"],
            "prio": rossi["prio"],
            "w": 1 + (person % 3) / 2,
        }
    )
    split(base.assign(row=person)).drop(columns="row").to_csv(HERE / "rossi_split.csv", index=False)
    again = base.loc[(base["person"] % 3 == 0) & (base["stop"] > 8)].copy()
    again["start"], again["treated"] = 8.0, 1 - again["treated"]
    stacked = pd.concat([base.assign(trial=0), again.assign(trial=1)], ignore_index=True)
    stacked["row"] = np.arange(len(stacked))
    stacked["w"] = 1 + (stacked["row"] % 3) / 2
    rng = np.random.default_rng(20261203)
    stacked["match_set"] = -1
    first = 0
    for trial in (0, 1):
        idx = rng.permutation(np.flatnonzero(stacked["trial"] == trial))
        stacked.loc[idx, "match_set"] = first + np.arange(len(idx)) // 2
        first += (len(idx) + 1) // 2
    split(stacked).to_csv(HERE / "stacked.csv", index=False)


if __name__ == "__main__":
    main()
