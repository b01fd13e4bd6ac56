"""Percentile bootstrap of the whole design: propensity model and matching refitted each time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from evaluation.analysis.derive import derive_analysis_outcomes
from evaluation.analysis.executors import joblib_on, scheduler_address
from evaluation.cohort.attrition import Attrition
from evaluation.config import ProgrammeConfig
from evaluation.data.io import Extract
from evaluation.design.build import Design, apply_design, fit_propensity, merge_sparse_levels
from evaluation.estimators.bootstrap import bootstrap
from evaluation.estimators.cox import cox_effect


class DesignReplicate:
    """Re-run the whole design (propensity model and matching) on one bootstrap sample and
    return the matched hazard ratio and risk difference. A class, so worker processes can
    pickle it."""

    def __init__(self, config: ProgrammeConfig) -> None:
        self.config = config

    def __call__(self, sample: pd.DataFrame) -> dict[str, float]:
        # one BLAS thread, as in the report kernels and the pool's workers: the replicate's
        # matrices are small (threads only contend for the cores), and a thread-count-
        # dependent sum would make the answer depend on where the replicate ran
        with threadpool_limits(limits=1):
            return self._replicate(sample)

    def _replicate(self, sample: pd.DataFrame) -> dict[str, float]:
        sample, _ = merge_sparse_levels(sample.reset_index(drop=True),
                                        list(self.config.covariates.categorical))
        model = fit_propensity(sample, self.config)
        sample["propensity"] = model.propensity_.to_numpy()
        out, _ = apply_design(sample, self.config, Attrition(group_col="group"))
        matched = out.loc[out["weight"] > 0]
        hr = cox_effect(matched, duration_col="duration_days", event_col="event",
                        treatment_col="treated", weights_col="weight",
                        cluster_col="cluster").iloc[0]["estimate"]
        complete = matched.loc[matched["eligible_for_readout"].astype(bool)]
        w = complete["weight"].to_numpy(dtype=float)
        y = complete["reoffended"].to_numpy(dtype=float)
        t = complete["treated"].to_numpy() == 1
        rd = np.average(y[t], weights=w[t]) - np.average(y[~t], weights=w[~t])
        return {"hazard_ratio": float(hr), "risk_difference": float(rd)}


def bootstrap_design(design: Design, extract: Extract, config: ProgrammeConfig,
                     n_resamples: int | None = None, n_jobs: int = 2,
                     scheduler: str | None = None):
    """Percentile bootstrap of the whole design, matching included, resampling people.

    Outcomes do not depend on the design, so they are derived once for every eligible person;
    each replicate refits the propensity model and re-matches. Seeded by the configuration.
    """
    design_cols = ["propensity", "weight", "match_set", "matched", "cluster"]
    frame = design.frame.drop(columns=[c for c in design_cols if c in design.frame.columns])
    frame = derive_analysis_outcomes(frame, extract, config, config.outcomes.window_days,
                                     attrition=None)
    with joblib_on(scheduler):  # a Dask cluster if one is named; seeds are per replicate
        return bootstrap(DesignReplicate(config), frame,
                         n_resamples or config.bootstrap.n_resamples, seed=config.seed,
                         cluster_col="person_id", n_jobs=-1 if scheduler_address(scheduler)
                         else n_jobs, on_error="nan")
