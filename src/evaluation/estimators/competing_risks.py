"""Competing risks: cumulative incidence of reoffending when death (or long custody) comes first.

Why: a person who dies, or is held in custody for the whole window, cannot reoffend in the
community. Kaplan-Meier treats them as censored, i.e. as if they would go on to reoffend at the
same rate as those still at liberty, so 1 - KM overstates the share who reoffend. The
Aalen-Johansen estimator counts the competing event as a different end point: F_1(t) is the
probability of a reoffence by day t *before* any competing event, and F_1 + F_2 + S = 1.

- ``cumulative_incidence``: Aalen-Johansen CIF for every cause, by group. Unweighted variance is
  Gray's delta-method formula, ported line by line from R cmprsk's ``cinc`` (so the numbers match
  ``cuminc``); with case weights (or on request) the infinitesimal-jackknife variance, summed
  within ``cluster_col`` if given (as R ``survfit(Surv(t, factor(status)) ~ g, weights=, id=)``).
  Intervals: log(-log) transform, kept inside (0, 1). lifelines' ``AalenJohansenFitter`` is not
  used because it jitters tied event times of different causes (changing the estimate).
- ``fine_gray``: subdistribution hazard ratio (Fine & Gray 1999). People who had the competing
  event stay in the risk set with weight G(t-)/G(T_i-), G the Kaplan-Meier of censoring; Breslow
  ties. Standard errors are Fine & Gray's sandwich including the term for estimating G, ported
  from cmprsk's ``crrvv``; so coefficient and SE match R ``crr`` (one censoring group).

Checked against R cmprsk 2.2-11 (``cuminc``, ``timepoints``, ``crr``) and survival 3.5.3
multi-state ``survfit`` on tests/reference/cmprsk.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

RESULT_COLUMNS = ["term", "estimate", "std_error", "lower", "upper", "p_value", "method", "n"]
COMPETING_CODES = {"death": 2, "custody": 3}


def competing_status(outcomes: pd.DataFrame, *, event_col: str = "event",
                     reason_col: str = "censor_reason",
                     competing: dict[str, int] | None = None) -> np.ndarray:
    """Cause codes from a derived-outcomes frame: 0 censored, 1 reoffence, 2 death, 3 custody.

    ``censor_reason`` comes from ``outcomes.derive_outcomes``; "custody" appears only when the
    outcome spec censors at custody (``custody="censor"``), which makes the first custody day a
    competing event here. ``competing`` maps other reasons to codes (default: death 2, custody 3).
    """
    competing = COMPETING_CODES if competing is None else competing
    event = pd.to_numeric(outcomes[event_col]).to_numpy(dtype=int)
    reason = outcomes[reason_col].astype(str).to_numpy()
    status = np.where(event == 1, 1, 0)
    for name, code in competing.items():
        if code in (0, 1):
            raise ValueError("competing codes must differ from 0 (censored) and 1 (reoffence)")
        status = np.where((event == 0) & (reason == name), code, status)
    return status


def _column(df: pd.DataFrame, col: str, role: str) -> np.ndarray:
    if col not in df.columns:
        raise KeyError(f"{role} column {col!r} is not in the frame")
    x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{role} column {col!r} has missing or non-numeric values")
    return x


def _gray_cif(t: np.ndarray, cause: np.ndarray, code: int) -> tuple[np.ndarray, ...]:
    """cmprsk ``cinc``: CIF of ``code`` and Gray's variance at each distinct time (one group)."""
    times = np.unique(t)
    f = np.zeros(len(times))
    v = np.zeros(len(times))
    fk, v1, v2, v3, fcur, vcur = 1.0, 0.0, 0.0, 0.0, 0.0, 0.0
    rs = float(len(t))
    for i, u in enumerate(times):
        here = t == u
        nd1 = float(np.sum(here & (cause == code)))
        nd2 = float(np.sum(here & (cause != 0) & (cause != code)))
        nd = nd1 + nd2
        if nd > 0:
            fkn = fk * (rs - nd) / rs
            if nd1 > 0:
                fcur = fcur + fk * nd1 / rs
            if nd2 > 0 and fkn > 0:
                t5 = 1 - (nd2 - 1) / (rs - 1) if nd2 > 1 else 1.0
                t6 = fk * fk * t5 * nd2 / (rs * rs)
                t3, t4 = 1 / fkn, fcur / fkn
                v1, v2, v3 = v1 + t4 * t4 * t6, v2 + t3 * t4 * t6, v3 + t3 * t3 * t6
            if nd1 > 0:
                t5 = 1 - (nd1 - 1) / (rs - 1) if nd1 > 1 else 1.0
                t6 = fk * fk * t5 * nd1 / (rs * rs)
                t3 = 1 / fkn if fkn > 0 else 0.0
                t4 = 1 + t3 * fcur
                v1, v2, v3 = v1 + t4 * t4 * t6, v2 + t3 * t4 * t6, v3 + t3 * t3 * t6
                vcur = v1 + fcur * fcur * v3 - 2 * fcur * v2
            fk = fkn
        f[i], v[i] = fcur, vcur
        rs -= float(np.sum(here))
    return times, f, v


def _aj_ij(t, cause, w, codes, causes):
    """Weighted Aalen-Johansen CIFs and their infinitesimal-jackknife variances (one group)."""
    times, idx = np.unique(t, return_inverse=True)
    m, n = len(times), len(t)
    at_risk_ind = t[:, None] >= times[None, :]                          # n x m
    leave = np.zeros((n, m))
    leave[np.arange(n), idx] = 1.0
    y = w @ at_risk_ind
    event_ind = leave * (cause != 0)[:, None]
    d_all = w @ event_ind
    h = np.divide(d_all, y, out=np.zeros(m), where=y > 0)
    s = np.cumprod(1 - h)
    s_prev = np.r_[1.0, s[:-1]]
    dh = np.divide(event_ind - at_risk_ind * h, y, out=np.zeros((n, m)), where=y > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dlog = -np.cumsum(np.where(h < 1, dh / (1 - h), 0.0), axis=1)  # d log S_k / d w_i
    dlog_prev = np.c_[np.zeros(n), dlog[:, :-1]]
    ds_prev = s_prev * dlog_prev
    out = {}
    for c in causes:
        ind_c = leave * (cause == c)[:, None]
        h1 = np.divide(w @ ind_c, y, out=np.zeros(m), where=y > 0)
        dh1 = np.divide(ind_c - at_risk_ind * h1, y, out=np.zeros((n, m)), where=y > 0)
        f = np.cumsum(s_prev * h1)
        infl = np.cumsum(ds_prev * h1 + s_prev * dh1, axis=1) * w[:, None]
        summed = np.zeros((int(codes.max()) + 1, m))
        np.add.at(summed, codes, infl)
        out[c] = (f, (summed ** 2).sum(axis=0))
    return times, out


def _loglog_interval(f, se, z):
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * se / np.abs(f * np.log(f))
        lower = f ** np.exp(half)
        upper = f ** np.exp(-half)
    ok = (f > 0) & (f < 1) & np.isfinite(half)
    return np.where(ok, lower, np.nan), np.where(ok, upper, np.nan)


def cumulative_incidence(df: pd.DataFrame, *, duration_col: str, event_col: str,
                         treatment_col: str | None = "treated", weights_col: str | None = None,
                         cluster_col: str | None = None, times: Sequence[float] | None = None,
                         variance: str | None = None, censor_code: int = 0,
                         alpha: float = 0.05) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of every cause in ``event_col``, by group.

    ``event_col`` holds ``censor_code`` (0) for censored and one integer code per cause (e.g.
    1 reoffence, 2 death, 3 long custody). ``variance``: "gray" (cmprsk; unweighted only) or
    "ij" (infinitesimal jackknife); default gray without weights or clusters, else ij.
    Returns one row per group x cause x time (``times``, or every distinct time): the tidy
    columns plus group, cause, time; estimates are step values at the last time <= ``time``.
    """
    t = _column(df, duration_col, "duration")
    cause = _column(df, event_col, "event").astype(int)
    if np.any(t < 0):
        raise ValueError(f"duration column {duration_col!r} has negative values")
    w = np.ones(len(df)) if weights_col is None else _column(df, weights_col, "weights")
    if np.any(w < 0):
        raise ValueError(f"weights column {weights_col!r} has negative values")
    if variance is None:
        variance = "gray" if weights_col is None and cluster_col is None else "ij"
    if variance not in ("gray", "ij"):
        raise ValueError("variance must be 'gray' or 'ij'")
    if variance == "gray" and (weights_col is not None or cluster_col is not None):
        raise ValueError("Gray's variance is unweighted and unclustered: use variance='ij'")
    codes = (np.arange(len(df)) if cluster_col is None
             else pd.factorize(df[cluster_col], sort=True)[0])
    groups = (np.zeros(len(df), dtype=int) if treatment_col is None
              else _column(df, treatment_col, "treatment").astype(int))
    causes = sorted(int(c) for c in np.unique(cause) if c != censor_code)
    cause = np.where(cause == censor_code, 0, cause)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for g in sorted(np.unique(groups), reverse=True):
        sel = groups == g
        label = "all" if treatment_col is None else ("programme" if g == 1 else "comparison")
        if variance == "gray":
            per = {c: _gray_cif(t[sel], cause[sel], c) for c in causes}
            grid = per[causes[0]][0]
            per = {c: (per[c][1], per[c][2]) for c in causes}
        else:
            _, local = np.unique(codes[sel], return_inverse=True)
            grid, per = _aj_ij(t[sel], cause[sel], w[sel], local, causes)
        at = grid if times is None else np.asarray(times, dtype=float)
        pos = np.searchsorted(grid, at, side="right") - 1
        for c in causes:
            f_all, v_all = per[c]
            f = np.where(pos >= 0, f_all[np.maximum(pos, 0)], 0.0)
            se = np.sqrt(np.where(pos >= 0, v_all[np.maximum(pos, 0)], 0.0))
            lower, upper = _loglog_interval(f, se, z)
            rows.append(pd.DataFrame({
                "term": f"CIF cause {c}, {label}", "group": label, "cause": c, "time": at,
                "estimate": f, "std_error": se, "lower": lower, "upper": upper,
                "p_value": np.nan, "method": f"Aalen-Johansen, {variance} variance, log-log CI",
                "n": int(sel.sum())}))
    out = pd.concat(rows, ignore_index=True)
    return out[["group", "cause", "time", *RESULT_COLUMNS]]


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
        self.omega = ((self.t[None, :] >= self.u[:, None]).astype(float)
                      + (self.t[None, :] < self.u[:, None]) * self.comp[None, :]
                      * g_u[:, None] / g_i[None, :])                      # m x n
        self.fail_pos = np.searchsorted(self.u, self.t)                   # valid where fail
        self.cens_times, self.n_cens = np.unique(self.t[self.cens], return_counts=True)
        self.y_cens = np.array([np.sum(self.t >= c) for c in self.cens_times], dtype=float)

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
    x, n = data.x, len(data.t)
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
    del n
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
    t = _column(df, duration_col, "duration")
    status = _column(df, event_col, "event").astype(int)
    status = np.where(status == censor_code, 0, status)
    if not np.any(status == failcode):
        raise ValueError(f"no event with code {failcode} in {event_col!r}")
    x = np.column_stack([_column(df, c, "covariate") for c in cols])
    data = _FGData(t, status, x, failcode)
    beta = np.zeros(len(cols))
    loglik, score, info, *_ = data.pieces(beta)
    converged = False
    for _ in range(max_iter):
        step = np.linalg.solve(info, score)
        for _halving in range(30):
            new = beta + step
            new_ll, new_score, new_info, *_ = data.pieces(new)
            if np.isfinite(new_ll) and new_ll >= loglik - 1e-12:
                break
            step = step / 2
        beta, loglik, score, info = new, new_ll, new_score, new_info
        if np.max(np.abs(score)) < tol:
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
