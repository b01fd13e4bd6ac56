"""The planted truth: potential outcomes of the treated with and without their programme.

The untreated world is the no-programme simulation; the treated world re-runs the same people
with the same random numbers (``rng.py``) and the programme's thinning from the index date. So
every difference between the two is caused by the programme, and the marginal effects below
are exact for this synthetic population (up to Monte Carlo noise of the finite cohort).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .history import BREACH, History
from .world import CUTOFF_DAY, EFFECT_DAYS, Population

WINDOW, WAITING = 365, 182

HOW = {
    "theta": "planted multiplicative factor on the offending intensity for days 1.."
             f"{EFFECT_DAYS} after the index date (thinning of latent offences)",
    "hazard_ratio": "unadjusted lifelines CoxPHFitter (Efron ties) on the treated stacked twice:"
                    " with the programme (1) and without it (0, same random numbers); time to "
                    f"first proven non-breach offence on days 1..{WINDOW} after the index date,"
                    f" proven by index+{WINDOW + WAITING} days; censored at the end of the "
                    f"window, death, or the cut-off less {WAITING} days; people with no follow-up"
                    " left out",
    "risk_with/risk_without": f"share with a proven reoffence (days 1..{WINDOW}, proven within "
                              f"{WINDOW}+{WAITING} days), among treated whose read-out is "
                              f"complete (index + {WINDOW + WAITING} <= cut-off)",
    "risk_difference": "risk_with - risk_without",
    "risk_ratio": "risk_with / risk_without",
    "rate_ratio": "total proven reoffences with / without, same people and window",
    "reoffences_per_100_diff": "the JDL frequency: 100 x (mean proven reoffences with - "
                               "without) per treated person whose read-out is complete, same "
                               "window as risk_with",
    "n_treated": "episodes whose potential outcomes define the ATT",
}


def _first_event(hist: History, pid: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Day (after index) of the first proven reoffence, or a large number if none."""
    q, pos = hist.pairs(pid)
    o = hist.o
    day = o["day"][pos]
    ok = (hist.proven[pos] & (o["category"][pos] != BREACH) & (day > d[q])
          & (day <= d[q] + WINDOW) & (o["proven"][pos] <= d[q] + WINDOW + WAITING))
    first = np.full(pid.size, 10**6, dtype=np.int64)
    np.minimum.at(first, q[ok], day[ok] - d[q][ok])
    return first


def att_truth(pop: Population, hist_with: History, hist_without: History, pid: np.ndarray,
              d: np.ndarray, theta: float) -> dict:
    from lifelines import CoxPHFitter

    death = pop.death[pid]
    end = np.minimum.reduce([d + WINDOW, death, np.full(pid.size, CUTOFF_DAY - WAITING)])
    follow = end - d
    has = follow > 0
    res: dict = {"theta": theta, "n_treated": int(pid.size)}
    rows = []
    for arm, h in ((1, hist_with), (0, hist_without)):
        first = _first_event(h, pid[has], d[has])
        event = first <= follow[has]
        rows.append(pd.DataFrame({"duration": np.where(event, first, follow[has]).astype(float),
                                  "event": event.astype(int), "with_programme": arm}))
    frame = pd.concat(rows, ignore_index=True)
    res["n_survival"] = int(has.sum())
    if frame["event"].sum() > 0 and theta != 1.0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph = CoxPHFitter().fit(frame, "duration", "event")
        res["hazard_ratio"] = float(np.exp(cph.params_["with_programme"]))
    else:  # identical worlds: the ratio is 1 by construction
        res["hazard_ratio"] = 1.0
    full = d + WINDOW + WAITING <= CUTOFF_DAY
    counts = {}
    for arm, h in (("with", hist_with), ("without", hist_without)):
        counts[arm] = h.window_counts(pid[full], d[full] + 1, d[full] + WINDOW,
                                      proven_by=d[full] + WINDOW + WAITING)
    n_full = int(full.sum())
    res["n_readout"] = n_full
    r1 = float((counts["with"] > 0).mean()) if n_full else float("nan")
    r0 = float((counts["without"] > 0).mean()) if n_full else float("nan")
    res.update(risk_with=r1, risk_without=r0, risk_difference=r1 - r0,
               risk_ratio=r1 / r0 if r0 > 0 else float("nan"))
    tot0 = counts["without"].sum()
    res["rate_ratio"] = float(counts["with"].sum() / tot0) if tot0 else float("nan")
    res["reoffences_per_100_diff"] = (
        float(100 * (counts["with"].mean() - counts["without"].mean())) if n_full
        else float("nan"))
    return res
