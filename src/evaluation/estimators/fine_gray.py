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
    """Sorted Fine-Gray pieces that do not depend on beta (one censoring group, as crr).

    Person i's weight in the risk set at failure time u_j is omega_ji = 1 while T_i >= u_j,
    else G(u_j-)/G(T_i-) if i had the competing event (0 if censored). With the times sorted,
    every sum over a risk set is a suffix sum (T_i >= u_j) plus G(u_j-) times a prefix sum of
    the competing events' x / G(T_i-) (T_i < u_j): O(n) per Newton step, no m x n matrix (at
    national scale that matrix was 365 x 155,000 and most of the time). The m x n definition
    is kept in tests/unit/test_fine_gray_sums.py, which checks these sums against it."""

    def __init__(self, t, status, x, failcode):
        order = np.argsort(t, kind="stable")
        self.t, self.x = t[order], x[order]
        st = status[order]
        self.fail = st == failcode
        self.comp = (st != 0) & ~self.fail
        self.cens = st == 0
        # censoring Kaplan-Meier, evaluated just before each person's own time: G(T_i-)
        ut, idx = np.unique(self.t, return_inverse=True)
        self.distinct = ut
        n_c = np.bincount(idx, weights=self.cens.astype(float))
        y = np.bincount(idx)[::-1].cumsum()[::-1].astype(float)
        g_after = np.cumprod(1 - n_c / y)
        g_before = np.r_[1.0, g_after[:-1]]
        self.u, self.d = np.unique(self.t[self.fail], return_counts=True)
        self.g_u = g_before[np.searchsorted(ut, self.u)]
        self.comp_w = np.where(self.comp, 1.0, 0.0) / g_before[idx]  # competing: 1 / G(T_i-)
        # sums run over the distinct times (per-time totals first: fewer rounding steps than
        # a running sum over every person, which at national scale upset the step control)
        self.time_start = np.flatnonzero(np.r_[True, self.t[1:] != self.t[:-1]])
        self.at_u = np.searchsorted(ut, self.u)  # the distinct time of each failure time
        self.n_u_upto = np.searchsorted(self.u, self.t, side="right")  # u_j <= T_i
        self.fail_pos = np.searchsorted(self.u, self.t)                   # valid where fail
        self.cens_times, self.n_cens = np.unique(self.t[self.cens], return_counts=True)
        # at risk at each censoring time (t is sorted): those with T >= c
        self.y_cens = (len(self.t) - np.searchsorted(self.t, self.cens_times, side="left")
                       ).astype(float)

    def per_time(self, f: np.ndarray) -> np.ndarray:
        """Totals of ``f`` (n, or n x ...) per distinct time, with a zero row after the last."""
        totals = np.add.reduceat(f, self.time_start, axis=0)
        return np.concatenate([totals, np.zeros((1, *f.shape[1:]))])

    def before(self, f: np.ndarray, times_at: np.ndarray) -> np.ndarray:
        """sum of ``f`` over everyone with T_i before the distinct times ``times_at``."""
        return np.cumsum(np.concatenate([np.zeros((1, *f.shape[1:])), self.per_time(f)[:-1]]),
                         axis=0)[times_at]

    def risk_sum(self, f: np.ndarray) -> np.ndarray:
        """sum_i omega_ji f_i for every failure time j (f: n, or n x ...)."""
        from_u = np.cumsum(self.per_time(f)[::-1], axis=0)[::-1][self.at_u]  # T_i >= u_j
        w = self.comp_w.reshape(-1, *([1] * (f.ndim - 1)))
        g = self.g_u.reshape(-1, *([1] * (f.ndim - 1)))
        return from_u + g * self.before(f * w, self.at_u)

    def pieces(self, beta):
        eta = self.x @ beta
        ex = np.exp(eta)
        s0 = self.risk_sum(ex)
        s1 = self.risk_sum(ex[:, None] * self.x)
        ebar = s1 / s0[:, None]
        loglik = float(eta[self.fail].sum() - np.sum(self.d * np.log(s0)))
        score = self.x[self.fail].sum(axis=0) - (self.d[:, None] * ebar).sum(axis=0)
        s2 = self.risk_sum(ex[:, None, None] * self.x[:, :, None] * self.x[:, None, :])
        info = np.einsum("m,mpq->pq", self.d / s0, s2) - np.einsum("m,mp,mq->pq", self.d,
                                                                   ebar, ebar)
        return loglik, score, info, ex, s0, ebar

    def person_sum(self, b: np.ndarray, ex: np.ndarray) -> np.ndarray:
        """sum_j omega_ji ex_i b_j for every person i (b: m, or m x p)."""
        zero = np.zeros((1, *b.shape[1:]))
        upto = np.concatenate([zero, np.cumsum(b, axis=0)])                  # u_j <= T_i
        g = self.g_u.reshape(-1, *([1] * (b.ndim - 1)))
        later = np.concatenate([np.cumsum((g * b)[::-1], axis=0)[::-1], zero])  # u_j > T_i
        w = self.comp_w.reshape(-1, *([1] * (b.ndim - 1)))
        e = ex.reshape(-1, *([1] * (b.ndim - 1)))
        return e * (upto[self.n_u_upto] + w * later[self.n_u_upto])


def _fine_gray_sandwich(data: _FGData, beta: np.ndarray) -> np.ndarray:
    """Fine & Gray's robust variance with the censoring-estimation term (cmprsk ``crrvv``)."""
    _, _, info, ex, s0, ebar = data.pieces(beta)
    x = data.x
    a = data.d / s0
    own = np.zeros_like(x)
    own[data.fail] = x[data.fail] - ebar[data.fail_pos[data.fail]]
    eta_res = own - x * data.person_sum(a, ex)[:, None] + data.person_sum(a[:, None] * ebar, ex)
    psi = np.zeros_like(x)
    if len(data.cens_times):
        # competing events before a censoring time c, each weighted ex / G(T_i-): their risk
        # weight at any failure time u_j >= c is G(u_j-) times that
        at_c = np.searchsorted(data.distinct, data.cens_times)  # distinct time of each c
        cw = ex * data.comp_w
        b0 = data.before(cw, at_c)
        b1 = data.before(cw[:, None] * x, at_c)
        ag = a * data.g_u
        from_c = np.searchsorted(data.u, data.cens_times, side="left")  # u_j >= c
        sum_ag = np.r_[np.cumsum(ag[::-1])[::-1], 0.0][from_c]
        sum_age = np.concatenate([np.cumsum((ag[:, None] * ebar)[::-1], axis=0)[::-1],
                                  np.zeros((1, x.shape[1]))])[from_c]
        q = b1 * sum_ag[:, None] - b0[:, None] * sum_age                  # C x p
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
