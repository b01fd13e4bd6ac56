"""Hazard ratio and reoffending rates at each configured read-out (91, 182, 365, 730 days)."""

from __future__ import annotations

import pandas as pd

from evaluation.analysis.derive import derive_analysis_outcomes
from evaluation.config import ProgrammeConfig
from evaluation.data.io import Extract
from evaluation.estimators.binary import binary_effect
from evaluation.estimators.cox import cox_effect


def readouts(frame: pd.DataFrame, extract: Extract, config: ProgrammeConfig,
             weights: str | None, cluster: str | None) -> pd.DataFrame:
    """Hazard ratio and reoffending rates at each read-out: earlier answers, valid under censoring."""
    rows = []
    for window in config.outcomes.readouts:
        out = derive_analysis_outcomes(frame, extract, config, window, attrition=None)
        events = out.groupby("treated")["event"].sum().reindex([0, 1], fill_value=0)
        if (events > 0).all():
            hr = cox_effect(out, duration_col="duration_days", event_col="event",
                            treatment_col="treated", weights_col=weights,
                            cluster_col=cluster).iloc[0]
        else:  # no reoffence yet in a group: the ratio would be 0 or infinite (a flag says so)
            hr = dict.fromkeys(("estimate", "lower", "upper", "p_value"), float("nan"))
        complete = out.loc[out["eligible_for_readout"].astype(bool)]
        row = {"window_days": window, "hazard_ratio": hr["estimate"], "hr_lower": hr["lower"],
               "hr_upper": hr["upper"], "hr_p_value": hr["p_value"],
               "n_events": int(out["event"].sum()), "n_complete": int(len(complete))}
        if complete["treated"].nunique() == 2 and complete["reoffended"].sum() > 0:
            b = binary_effect(complete.assign(reoffended=complete["reoffended"].astype(int)),
                              outcome_col="reoffended", treatment_col="treated",
                              weights_col=weights, cluster_col=cluster).set_index("term")
            row.update(risk_treated=b.loc["risk_treated", "estimate"],
                       risk_comparison=b.loc["risk_comparison", "estimate"],
                       risk_difference=b.loc["risk_difference", "estimate"],
                       rd_lower=b.loc["risk_difference", "lower"],
                       rd_upper=b.loc["risk_difference", "upper"])
        rows.append(row)
    return pd.DataFrame(rows)
