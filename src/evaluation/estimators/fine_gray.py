"""Fine-Gray subdistribution hazard regression for a reoffence with death as a competing event.

Why: the cumulative incidence (competing_risks.py) describes; a regression gives one number for
the programme's effect on the *incidence* of reoffending, counting people who died as no longer
able to reoffend rather than as censored. Fine & Gray (1999, JASA 94:496): people who had the
competing event stay in the risk set with weight G(t-)/G(T_i-), G the Kaplan-Meier of censoring;
Breslow ties; Newton-Raphson with step halving. Standard errors are Fine & Gray's sandwich
including the term for estimating G, ported from R cmprsk's ``crrvv`` (Fortran), so coefficients
and SEs match ``crr`` (one censoring group, no time-varying terms). lifelines has no Fine-Gray
(its FineGrayFitter is an unmerged PR) and statsmodels' PHReg does not do it.

The subdistribution HR is not a hazard ratio among people still at risk: read it as the effect on
the cumulative incidence. Unweighted (as ``crr``); checked in tests/integration/test_competing_risks_r.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .common import finite_column

# a full Newton step this small, relative to the coefficients, leaves nothing to improve
STEP_PRECISION = 1e-10


class _FGData:
    """Sorted Fine-Gray pieces that do not depend on beta (one censoring group, as crr)."""

    def __init__(self, t, status, x, failcode):
        order = np.argsort(t, kind="stable")
        self.t, self.x = t[order], x[order]
        st = status[order]
        self.fail = st == failcode
        self.comp = (st != 0) & ~self.fail
        self.cens = st == 0
        # censoring Kaplan-Meier, evaluated just before each person's own time: G(T_i-)
        ut, idx = np.unique(self.t, return_inverse=True)
        n_c = np.bincount(idx, weights=self.cens.astype(float))
        y = np.bincount(idx)[::-1].cumsum()[::-1].astype(float)
        g_after = np.cumprod(1 - n_c / y)
        g_before = np.r_[1.0, g_after[:-1]]
        self.u, self.d = np.unique(self.t[self.fail], return_counts=True)
        g_u = g_before[np.searchsorted(ut, self.u)]
        g_i = g_before[idx]
        # weight of person i in the risk set at failure time u_j: 1 while T_i >= u_j, else
        # G(u_j-)/G(T_i-) for a competing event (0 for the censored); one m x n pass
        self.omega = np.where(self.t[None, :] >= self.u[:, None], 1.0,
                              self.comp[None, :] * g_u[:, None] / g_i[None, :])  # m x n
        self.fail_pos = np.searchsorted(self.u, self.t)                   # valid where fail
        self.cens_times, self.n_cens = np.unique(self.t[self.cens], return_counts=True)
        # at risk at each censoring time (t is sorted): those with T >= c
        self.y_cens = (len(self.t) - np.searchsorted(self.t, self.cens_times, side="left")
                       ).astype(float)

    def pieces(self, beta):
        eta = self.x @ beta
        r = self.omega * np.exp(eta)[None, :]
        s0 = r.sum(axis=1)
        s1 = r @ self.x
        ebar = s1 / s0[:, None]
        loglik = float(eta[self.fail].sum() - np.sum(self.d * np.log(s0)))
        score = self.x[self.fail].sum(axis=0) - (self.d[:, None] * ebar).sum(axis=0)
        s2 = np.einsum("mn,np,nq->mpq", r, self.x, self.x)
        info = np.einsum("m,mpq->pq", self.d / s0, s2) - np.einsum("m,mp,mq->pq", self.d,
                                                                   ebar, ebar)
        return loglik, score, info, r, s0, ebar


def _fine_gray_sandwich(data: _FGData, beta: np.ndarray) -> np.ndarray:
    """Fine & Gray's robust variance with the censoring-estimation term (cmprsk ``crrvv``)."""
    _, _, info, r, s0, ebar = data.pieces(beta)
    x = data.x
    a = data.d / s0
    own = np.zeros_like(x)
    own[data.fail] = x[data.fail] - ebar[data.fail_pos[data.fail]]
    eta_res = own - x * (r.T @ a)[:, None] + r.T @ (a[:, None] * ebar)
    psi = np.zeros_like(x)
    if len(data.cens_times):
        comp_idx = np.flatnonzero(data.comp)                 # already in time order
        rc = r[:, comp_idx]
        p0 = np.c_[np.zeros(len(a)), np.cumsum(rc, axis=1)]
        p1 = np.concatenate([np.zeros((len(a), 1, x.shape[1])),
                             np.cumsum(rc[:, :, None] * x[comp_idx][None, :, :], axis=1)], axis=1)
        rpos = np.searchsorted(data.t[comp_idx], data.cens_times, side="left")
        mask = data.u[:, None] >= data.cens_times[None, :]                # m x C
        inner = p1[:, rpos, :] - ebar[:, None, :] * p0[:, rpos][:, :, None]
        q = np.einsum("mc,m,mcp->cp", mask.astype(float), a, inner)       # C x p
        jump = -np.cumsum(data.n_cens[:, None] * q / data.y_cens[:, None] ** 2, axis=0)
        k = np.searchsorted(data.cens_times, data.t, side="right") - 1
        psi[k >= 0] = jump[k[k >= 0]]
        cpos = np.searchsorted(data.cens_times, data.t[data.cens])
        psi[data.cens] += q[cpos] / data.y_cens[cpos][:, None]
    total = eta_res + psi
    bread = np.linalg.inv(info)
    return bread @ (total.T @ total) @ bread


def fine_gray(df: pd.DataFrame, *, duration_col: str, event_col: str,
              treatment_col: str = "treated", covariates: Sequence[str] = (),
              failcode: int = 1, censor_code: int = 0, alpha: float = 0.05,
              tol: float = 1e-10, max_iter: int = 50) -> pd.DataFrame:
    """Fine-Gray subdistribution hazard ratio for ``treatment_col`` (and ``covariates``).

    ``event_col``: ``censor_code`` censored, ``failcode`` the event of interest, any other
    code competing. Unweighted (as R ``crr``); Breslow ties; Newton-Raphson with step halving.
    Returns tidy rows on the log scale (estimate = log sHR) with ``hazard_ratio`` columns.
    """
    cols = [treatment_col, *covariates]
    t = finite_column(df, duration_col, "duration")
    status = finite_column(df, event_col, "event").astype(int)
    status = np.where(status == censor_code, 0, status)
    if not np.any(status == failcode):
        raise ValueError(f"no event with code {failcode} in {event_col!r}")
    x = np.column_stack([finite_column(df, c, "covariate") for c in cols])
    data = _FGData(t, status, x, failcode)
    beta = np.zeros(len(cols))
    loglik, score, info, *_ = data.pieces(beta)
    converged = False
    for _ in range(max_iter):
        step = np.linalg.solve(info, score)
        full_step = True
        for _halving in range(30):
            new = beta + step
            new_ll, new_score, new_info, *_ = data.pieces(new)
            if np.isfinite(new_ll) and new_ll >= loglik - 1e-12:
                break
            step, full_step = step / 2, False
        beta, loglik, score, info = new, new_ll, new_score, new_info
        # The score is a sum over every row, so at national scale its rounding noise alone
        # exceeds an absolute tol: a full Newton step below working precision is convergence
        # too (the error left after it is of the order of its square).
        at_precision = full_step and np.max(np.abs(step)) <= STEP_PRECISION * max(
            1.0, float(np.max(np.abs(beta))))
        if np.max(np.abs(score)) < tol or at_precision:
            converged = True
            break
    if not converged:
        raise RuntimeError("Fine-Gray Newton-Raphson did not converge")
    cov = _fine_gray_sandwich(data, beta)
    se = np.sqrt(np.diag(cov))
    z = stats.norm.ppf(1 - alpha / 2)
    out = pd.DataFrame({
        "term": cols, "estimate": beta, "std_error": se, "lower": beta - z * se,
        "upper": beta + z * se, "p_value": 2 * stats.norm.sf(np.abs(beta / se)),
        "method": f"Fine-Gray subdistribution hazard (cause {failcode}), Breslow ties, "
                  "Fine-Gray sandwich SE (as R cmprsk::crr)",
        "n": len(df)})
    out["hazard_ratio"] = np.exp(out["estimate"])
    out["hr_lower"], out["hr_upper"] = np.exp(out["lower"]), np.exp(out["upper"])
    out.attrs["loglik"] = loglik
    return out
