"""Cox model on counting-process (start, stop] rows: split follow-up, delayed entry, weights.

Why not lifelines: its robust variance with ``entry_col`` is wrong on split rows. Splitting
follow-up into intervals changes neither the partial likelihood nor, clustered on the person,
the sandwich (a person's score residual is the sum over their intervals), yet lifelines 0.30
gives different robust standard errors for the split and the unsplit data (measured in
``tests/reference/cox_counting``; decision 0406).

The fit is ``efron.py``'s (Efron ties) with entry times, Newton steps taken to the maximum
(``polish``); the variance is R's ``coxph(Surv(start, stop, event) ~ ., weights =, cluster =)``:
the per-row weighted dfbeta D_i = w_i r_i V (r_i the Efron score residual over the row's own
risk times, V the model-based variance), summed within clusters, Var = D'D, no small-sample
factor; two-way (person and matched set) as ``cox.dfbeta_variance``. Checked against R in
``tests/unit/test_cox_counting.py``. Weights are treated as known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .common import RESULT_COLUMNS, p_value, result_row, z_value
from .cox import CoxInputs, cox_inputs, dfbeta_variance, variance_text
from .efron import efron_fit


@dataclass(frozen=True)
class CountingCox:
    """A fitted counting-process Cox model: the inputs as used, coefficients, the model-based
    variance (R ``naive.var`` with weights) and the per-row weighted dfbeta (R ``residuals(fit,
    "dfbeta", weighted = TRUE)``) from which every clustered variance is summed."""

    inputs: CoxInputs
    params: np.ndarray
    naive_variance: np.ndarray
    dfbeta: np.ndarray
    log_likelihood: float

    def robust_variance(self, two_way: bool = True) -> tuple[np.ndarray, bool]:
        """D'D clustered on the cluster column (each row alone without one); two-way with the
        set column if one was given, ``two_way`` and it is positive semi-definite."""
        sets = self.inputs.set_codes if two_way else None
        return dfbeta_variance(self.dfbeta, self.inputs.codes, sets)


def fit_counting_cox(
    df: pd.DataFrame,
    *,
    start_col: str,
    stop_col: str,
    event_col: str,
    treatment_col: str = "treated",
    covariates: Sequence[str] = (),
    weights_col: str | None = None,
    cluster_col: str | None = None,
    set_col: str | None = None,
) -> CountingCox:
    """Fit on rows at risk over (``start_col``, ``stop_col``]; the event, if any, at the stop.
    Zero-weight rows are dropped. ValueError if a start is not before its stop or the fit does
    not converge."""
    inputs = cox_inputs(
        df,
        stop_col,
        event_col,
        treatment_col,
        list(covariates),
        weights_col,
        cluster_col,
        entry_col=start_col,
        set_col=set_col,
    )
    fit = efron_fit(
        inputs.t,
        inputs.e,
        inputs.w,
        inputs.X,
        entry=inputs.entry,
        polish=True,
        robust=True,
        dfbeta=True,
    )
    if not fit.converged:
        raise ValueError(
            f"the counting-process Cox model did not converge in {fit.n_iterations} steps"
        )
    return CountingCox(
        inputs=inputs,
        params=fit.params,
        naive_variance=fit.variance,
        dfbeta=fit.dfbeta,
        log_likelihood=fit.log_likelihood,
    )


def cox_counting_effect(
    df: pd.DataFrame,
    *,
    start_col: str,
    stop_col: str,
    event_col: str,
    treatment_col: str = "treated",
    covariates: Sequence[str] = (),
    weights_col: str | None = None,
    cluster_col: str | None = None,
    set_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Hazard ratio rows as ``cox.cox_effect`` (``hazard_ratio``, then one per covariate),
    from (start, stop] rows, with the robust variance clustered on ``cluster_col`` (two-way
    with ``set_col``). Without a cluster column each row is its own cluster, which is right
    only if no person has several rows. ``n`` is the number of rows given."""
    fit = fit_counting_cox(
        df,
        start_col=start_col,
        stop_col=stop_col,
        event_col=event_col,
        treatment_col=treatment_col,
        covariates=covariates,
        weights_col=weights_col,
        cluster_col=cluster_col,
        set_col=set_col,
    )
    vcov, two_way = fit.robust_variance()
    z = z_value(alpha)
    n_rows, n_events = fit.inputs.counts
    label = variance_text(
        fit.inputs, cluster_col, set_col if cluster_col else None, weights_col, two_way
    )
    method = (
        f"Cox PH (counting process (start, stop], Efron ties), {n_events} events; "
        f"{label}; std_error is of log HR"
    )
    rows = []
    for k, name in enumerate(fit.inputs.names):
        b, se = fit.params[k], float(np.sqrt(vcov[k, k]))
        term = "hazard_ratio" if k == 0 else f"hazard_ratio[{name}]"
        rows.append(
            result_row(
                term,
                np.exp(b),
                se,
                np.exp(b - z * se),
                np.exp(b + z * se),
                p_value(b, se),
                method,
                n_rows,
            )
        )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)
