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
- ``cif_difference``: programme minus comparison CIF with the IJ variance of the difference,
  clustered (a matched set spanning both groups adds its covariance).
- ``gray_test``: Gray's K-sample test of equal cumulative incidence (cmprsk ``crstm``).
- ``competing_status``: cause codes from the derived outcomes' ``censor_reason``.
The regression model (Fine-Gray) is in fine_gray.py.

Checked against R cmprsk 2.2-11 (``cuminc`` and its Tests, ``timepoints``) and survival 3.5.3 multi-state
``survfit`` (std.err and influence arrays) on tests/reference/cmprsk.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .common import finite_column

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


def _aj_influence(t, cause, w, causes, at=None):
    """Weighted Aalen-Johansen CIFs on the distinct times, and each person's IJ influence
    w_i dF/dw_i at the times ``at`` (default: every distinct time), one group.

    The influence is computed in closed form from per-time cumulative sums, O(n) per time
    asked, instead of the person x time matrices of its definition (n x m floats, gigabytes on
    a national extract; that definition is kept in tests/unit/test_competing_risks_ij.py and
    this agrees with it to 1e-12). Person i is at risk at the distinct times up to its own,
    e_i (any cause) and c_i (cause c) mark its end, and with y, h the weighted at-risk total and
    all-cause hazard, S the Aalen-Johansen survival, h_c the cause-c hazard:
      d log S(j) / d w_i = A(j) before i's time, A(i) - e_i / (y (1 - h)) at and after it,
      A = cumsum(h / (y (1 - h)));
      dF_c(k) / d w_i = sum_{j <= k} S(j-1) h_c(j) dlogS(j-1)/dw_i + S(j-1) dh_c(j)/dw_i,
      dh_c(j) / d w_i = (c_i [j = i's time] - [j <= i's time] h_c(j)) / y(j),
    which splits into prefix sums at min(k, i's time) and one tail term."""
    times, idx = np.unique(t, return_inverse=True)
    m = len(times)
    y = np.bincount(idx, weights=w, minlength=m)[::-1].cumsum()[::-1]   # weight at risk
    ended = cause != 0
    d_all = np.bincount(idx, weights=w * ended, minlength=m)
    live = y > 0
    h = np.divide(d_all, y, out=np.zeros(m), where=live)
    s_prev = np.r_[1.0, np.cumprod(1 - h)[:-1]]
    ok = live & (h < 1)
    a = np.divide(h, y * (1 - h), out=np.zeros(m), where=ok)
    b = np.divide(1.0, y * (1 - h), out=np.zeros(m), where=ok)
    inv_y = np.divide(1.0, y, out=np.zeros(m), where=live)
    cum_a = np.cumsum(a)
    a_prev = np.r_[0.0, cum_a[:-1]]
    d_own = cum_a[idx] - ended * b[idx]             # d log S / d w_i from i's time on
    at_pos = (np.arange(m) if at is None
              else np.searchsorted(times, np.asarray(at, dtype=float), side="right") - 1)
    out = {}
    for c in causes:
        h_c = np.bincount(idx, weights=w * (cause == c), minlength=m) * inv_y
        q = s_prev * h_c
        f = np.cumsum(q)                             # F_c on the distinct times
        pre_q = np.cumsum(q * a_prev)                # sum q(j) A(j-1), j up to a position
        pre_r = np.cumsum(s_prev * h_c * inv_y)      # sum S(j-1) h_c(j) / y(j)
        own = (cause == c) * s_prev[idx] * inv_y[idx]
        infl = np.zeros((len(t), len(at_pos)))
        for col, k in enumerate(at_pos):
            if k < 0:                                # before the first time: F = 0
                continue
            upto = np.minimum(idx, k)
            after = idx < k
            term = pre_q[upto] - pre_r[upto] + np.where(idx <= k, own, 0.0)
            term += np.where(after, d_own * (f[k] - f[np.minimum(idx, k)]), 0.0)
            infl[:, col] = term * w
        out[c] = (f, infl)
    return times, out


def _cluster_var(infl: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sum influences within clusters, then square and add (the IJ / robust variance)."""
    _, local = np.unique(codes, return_inverse=True)
    summed = np.zeros((int(local.max()) + 1, infl.shape[1]))
    np.add.at(summed, local, infl)
    return (summed ** 2).sum(axis=0)


def _at(grid: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Right-continuous step function (last grid time <= at; 0 before the first) on the last axis."""
    pos = np.searchsorted(grid, at, side="right") - 1
    picked = values[..., np.maximum(pos, 0)]
    return np.where(pos >= 0, picked, 0.0)


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
    t = finite_column(df, duration_col, "duration")
    cause = finite_column(df, event_col, "event").astype(int)
    if np.any(t < 0):
        raise ValueError(f"duration column {duration_col!r} has negative values")
    w = np.ones(len(df)) if weights_col is None else finite_column(df, weights_col, "weights")
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
              else finite_column(df, treatment_col, "treatment").astype(int))
    causes = sorted(int(c) for c in np.unique(cause) if c != censor_code)
    cause = np.where(cause == censor_code, 0, cause)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for g in sorted(np.unique(groups), reverse=True):
        sel = groups == g
        label = "all" if treatment_col is None else ("programme" if g == 1 else "comparison")
        at_given = None if times is None else np.asarray(times, dtype=float)
        if variance == "gray":
            per = {c: _gray_cif(t[sel], cause[sel], c) for c in causes}
            grid = per[causes[0]][0]
            per = {c: (per[c][1], per[c][2]) for c in causes}
        else:
            grid, infl = _aj_influence(t[sel], cause[sel], w[sel], causes, at=at_given)
            per = {c: (f, _cluster_var(i, codes[sel])) for c, (f, i) in infl.items()}
        at = grid if at_given is None else at_given
        for c in causes:
            f_all, v_all = per[c]
            f = _at(grid, f_all, at)
            se = np.sqrt(v_all if variance == "ij" else _at(grid, v_all, at))
            lower, upper = _loglog_interval(f, se, z)
            rows.append(pd.DataFrame({
                "term": f"CIF cause {c}, {label}", "group": label, "cause": c, "time": at,
                "estimate": f, "std_error": se, "lower": lower, "upper": upper,
                "p_value": np.nan, "method": f"Aalen-Johansen, {variance} variance, log-log CI",
                "n": int(sel.sum())}))
    out = pd.concat(rows, ignore_index=True)
    return out[["group", "cause", "time", *RESULT_COLUMNS]]


def cif_difference(df: pd.DataFrame, *, duration_col: str, event_col: str, times: Sequence[float],
                   treatment_col: str = "treated", weights_col: str | None = None,
                   cluster_col: str | None = None, cause: int = 1, censor_code: int = 0,
                   alpha: float = 0.05) -> pd.DataFrame:
    """Programme minus comparison cumulative incidence of ``cause`` at ``times``, Wald interval.

    IJ variance: each person's influence on the difference (+ for programme, - for comparison),
    summed within ``cluster_col`` before squaring, so a matched set that spans both groups
    contributes its covariance (as R survfit's influence arrays summed by cluster).
    """
    t = finite_column(df, duration_col, "duration")
    status = finite_column(df, event_col, "event").astype(int)
    status = np.where(status == censor_code, 0, status)
    w = np.ones(len(df)) if weights_col is None else finite_column(df, weights_col, "weights")
    g = finite_column(df, treatment_col, "treatment").astype(int)
    codes = (np.arange(len(df)) if cluster_col is None
             else pd.factorize(df[cluster_col], sort=True)[0])
    at = np.asarray(times, dtype=float)
    est = np.zeros(len(at))
    infl = np.zeros((len(df), len(at)))
    for value, sign in ((1, 1.0), (0, -1.0)):
        sel = g == value
        grid, per = _aj_influence(t[sel], status[sel], w[sel], [cause], at=at)
        f, i = per[cause]
        est += sign * _at(grid, f, at)
        infl[sel] = sign * i
    se = np.sqrt(_cluster_var(infl, codes))
    z = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame({
        "term": [f"CIF difference (programme - comparison), cause {cause}, day {d:g}" for d in at],
        "time": at, "estimate": est, "std_error": se, "lower": est - z * se,
        "upper": est + z * se, "p_value": 2 * stats.norm.sf(np.abs(est / se)),
        "method": "Aalen-Johansen difference, infinitesimal-jackknife variance"
                  + (f" clustered on {cluster_col!r}" if cluster_col else ""),
        "n": len(df)})


def _gray_scores(y, m, ig, ng, rho):
    """cmprsk ``crst``: Gray's score vector and variance (one stratum; y sorted; groups 0..ng-1)."""
    ng1 = ng - 1
    rs = np.bincount(ig, minlength=ng).astype(float)
    s = np.zeros(ng1)
    v = np.zeros((ng1, ng1))
    f1m, f1, skmm, skm = np.zeros(ng), np.zeros(ng), np.ones(ng), np.ones(ng)
    v3, v2, c = np.zeros(ng), np.zeros((ng1, ng)), np.zeros((ng, ng))
    fm = 0.0
    for u in np.unique(y):
        here = y == u
        d = np.zeros((3, ng))
        np.add.at(d, (m[here], ig[here]), 1.0)
        nd1, nd2 = d[1].sum(), d[2].sum()
        if nd1 > 0 or nd2 > 0:
            tr = tq = 0.0
            for i in range(ng):
                if rs[i] > 0:
                    skm[i] = skmm[i] * (rs[i] - d[1, i] - d[2, i]) / rs[i]
                    f1[i] = f1m[i] + skmm[i] * d[1, i] / rs[i]
                    tr += rs[i] / skmm[i]
                    tq += rs[i] * (1 - f1m[i]) / skmm[i]
            f = fm + nd1 / tr
            fb = (1 - fm) ** rho
            a = np.zeros((ng, ng))
            for i in range(ng):
                if rs[i] <= 0:
                    continue
                t1 = rs[i] / skmm[i]
                a[i, i] = fb * t1 * (1 - t1 / tr)
                if a[i, i] != 0:
                    c[i, i] += a[i, i] * nd1 / (tr * (1 - fm))
                for j in range(i + 1, ng):
                    if rs[j] > 0:
                        a[i, j] = -fb * t1 * rs[j] / (skmm[j] * tr)
                        if a[i, j] != 0:
                            c[i, j] += a[i, j] * nd1 / (tr * (1 - fm))
            a = np.triu(a) + np.triu(a, 1).T
            c = np.triu(c) + np.triu(c, 1).T
            for i in range(ng1):
                if rs[i] > 0:
                    s[i] += fb * (d[1, i] - nd1 * rs[i] * (1 - f1m[i]) / (skmm[i] * tq))
            if nd1 > 0:
                for k in range(ng):
                    if rs[k] <= 0:
                        continue
                    t4 = 1 - (1 - f) / skm[k] if skm[k] > 0 else 1.0
                    t5 = 1 - (nd1 - 1) / (tr * skmm[k] - 1) if nd1 > 1 else 1.0
                    t3 = t5 * skmm[k] * nd1 / (tr * rs[k])
                    v3[k] += t4 * t4 * t3
                    t1 = a[:ng1, k] - t4 * c[:ng1, k]
                    v2[:, k] += t1 * t4 * t3
                    v += np.outer(t1, t1) * t3
            if nd2 > 0:
                for k in range(ng):
                    if skm[k] <= 0 or d[2, k] <= 0:
                        continue
                    t4 = (1 - f) / skm[k]
                    t5 = 1 - (d[2, k] - 1) / (rs[k] - 1) if d[2, k] > 1 else 1.0
                    t3 = t5 * skmm[k] ** 2 * d[2, k] / rs[k] ** 2
                    v3[k] += t4 * t4 * t3
                    t1 = t4 * c[:ng1, k]
                    v2[:, k] -= t1 * t4 * t3
                    v += np.outer(t1, t1) * t3
            fm = f
        rs -= np.bincount(ig[here], minlength=ng)
        f1m, skmm = f1.copy(), skm.copy()
    cc = c[:ng1]
    v += (cc * v3) @ cc.T + cc @ v2.T + v2 @ cc.T
    return s, v


def gray_test(df: pd.DataFrame, *, duration_col: str, event_col: str,
              treatment_col: str = "treated", cause: int = 1, censor_code: int = 0,
              rho: float = 0.0) -> pd.DataFrame:
    """Gray's (1988) K-sample test that the groups share the cumulative incidence of ``cause``.

    Ported from cmprsk ``crstm`` (unstratified), so the statistic equals ``cuminc``'s "Tests".
    """
    t = finite_column(df, duration_col, "duration")
    status = finite_column(df, event_col, "event").astype(int)
    m = np.where(status == censor_code, 0, np.where(status == cause, 1, 2))
    levels, ig = np.unique(finite_column(df, treatment_col, "treatment"), return_inverse=True)
    order = np.argsort(t, kind="stable")
    sc, v = _gray_scores(t[order], m[order], ig[order], len(levels), rho)
    stat = float(sc @ np.linalg.solve(v, sc))
    df_ = len(levels) - 1
    return pd.DataFrame([{
        "term": f"Gray test, cause {cause}", "estimate": stat, "std_error": np.nan,
        "lower": np.nan, "upper": np.nan, "p_value": float(stats.chi2.sf(stat, df_)),
        "method": f"Gray's K-sample test (rho {rho:g}), chi-square {df_} df", "n": len(df)}])
