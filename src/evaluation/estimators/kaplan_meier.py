"""Kaplan-Meier curves by group with intervals that stay valid under matching weights and clusters.

Why not lifelines alone: with weights, lifelines' intervals are naive Greenwood (it treats a weight
as that many independent people) and its ``add_at_risk_counts`` counts weights, not people
(issue #1286). The curve is lifelines' product-limit estimate, computed here with lifelines'
formula S(t) = exp(sum log((Y - D) / Y)) written as log(Y - D) - log(Y) (the same numbers as
``KaplanMeierFitter``, tested, without its event-table frames); we add the variance and the
people counts. ``fitters_`` still gives lifelines' fitter per group, built on first use.

Variance:
- no weights and no clusters: Greenwood, Var(log S(t)) = sum d/(Y(Y-d)) (lifelines and R agree).
- weights and/or clusters: the robust, infinitesimal-jackknife (IJ) variance of R
  ``survfit(..., weights=, id=, cluster=, robust=TRUE)``. Person i's influence on S(t) is
  w_i dS(t)/dw_i = -w_i S(t) U_i(t), with U_i(t) = sum_{s<=t} (dN_i(s) - Y_i(s) h(s)) / (Y(s) - D(s))
  (weighted Y, D; h = D/Y). Influences are summed within clusters (matched set, or person when no
  cluster is given) and squared: Var S(t) = sum_c (sum_{i in c} w_i dS/dw_i)^2. No small-sample
  factor, as in R. Tested against R survival 3.5.3 (tests/reference/survival_r).
  Weights are treated as fixed (the propensity model's own uncertainty is not propagated; use the
  design bootstrap for that).
Intervals: log-log (lifelines' default, "exponential Greenwood"; R's default is "log") or log, from
Var(log S) = Var S / S^2, with R survfit's formulas.

The sum over clusters is done without a person x time matrix: each cluster's sum is
B_c(t) - A(t) W_c(t), where W_c(t) is the weight still at risk and B_c(t) the weighted influence of
members already out, so sum_c (B_c - A W_c)^2 expands into three totals updated as people leave.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from .common import survival_inputs, z_value

CI_TRANSFORMS = ("log-log", "log")
# Okabe-Ito colours (colour-blind safe) at distinct grey levels, plus distinct line styles, so the
# groups stay apart when printed in grey.
COLOURS = ("#0072B2", "#E69F00", "#000000", "#CC79A7", "#009E73", "#56B4E9")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)))
TABLE_COLUMNS = ["group", "time", "survival", "std_error", "lower", "upper", "n_at_risk",
                 "n_events", "n_censored", "weighted_at_risk", "weighted_events"]


# --------------------------------------------------------------------------- core computations
@dataclass(frozen=True)
class KMCore:
    """Weighted product-limit pieces on the unique observed times of one group."""

    times: np.ndarray     # unique observed times (events and censorings)
    at_risk: np.ndarray   # weighted Y(t)
    events: np.ndarray    # weighted D(t)
    survival: np.ndarray  # S(t), right-continuous
    cum_a: np.ndarray     # A(t) = sum_{s<=t} D/(Y(Y-D)): the (weighted) Greenwood sum
    index: np.ndarray     # per person: position of their own time in ``times``
    u: np.ndarray         # per person: U_i once they have left, event_i/(Y-D)(T_i) - A(T_i)
    #                       (empty when km_core was asked for no influence)


def km_core(t: np.ndarray, e: np.ndarray, w: np.ndarray, influence: bool = True) -> KMCore:
    """Product-limit pieces; ``influence=False`` skips the per-person U_i (Greenwood only)."""
    index, times = pd.factorize(t, sort=True)  # np.unique's output, by hashing (no sort)
    n_t = len(times)
    leaving = np.bincount(index, weights=w, minlength=n_t)
    events = np.bincount(index, weights=w * e, minlength=n_t)
    at_risk = leaving[::-1].cumsum()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
        survival = np.cumprod(1.0 - hazard)
        remaining = at_risk - events
        step = np.where(events > 0, events / (at_risk * remaining), 0.0)
        cum_a = np.cumsum(step)
        if influence:
            own = np.where(e > 0, 1.0 / remaining[index], 0.0)
            u = own - cum_a[index]  # inf/nan only where S has reached 0 (variance undefined)
        else:
            u = np.empty(0)
    return KMCore(times, at_risk, events, survival, cum_a, index, u)


def _robust_var_survival(core: KMCore, w: np.ndarray, codes: np.ndarray | None) -> np.ndarray:
    """IJ variance of S(t) at ``core.times``, summed within clusters (person if codes is None)."""
    n_t = len(core.times)
    if codes is None or np.bincount(codes).max() == 1:
        # every cluster a single person: after leaving, W_c = 0 and B_c = w u, so the three
        # totals change by -w^2, 0 and (w u)^2 (the general branch below, without its sort)
        wu = w * core.u
        with np.errstate(invalid="ignore"):
            sum_ww = (w**2).sum() - np.cumsum(np.bincount(core.index, weights=w**2,
                                                          minlength=n_t))
            sum_bb = np.cumsum(np.bincount(core.index, weights=wu**2, minlength=n_t))
            a = core.cum_a
            var_log = a**2 * sum_ww + sum_bb
            return np.where(core.survival > 0, core.survival**2 * np.maximum(var_log, 0.0),
                            np.nan)
    codes = np.asarray(codes)
    # stable sort by (cluster, time): lexsort's order, from one int64 key (about twice as fast)
    order = np.argsort(codes.astype(np.int64) * len(core.times) + core.index, kind="stable")
    c, j, wi, ui = codes[order], core.index[order], w[order], core.u[order]
    wu = wi * ui
    # within-cluster running totals after each member leaves (vectorised cumulative sums)
    start = np.r_[True, c[1:] != c[:-1]]
    grp = np.cumsum(start) - 1
    w_total = np.bincount(grp, weights=wi)
    w_cum = np.cumsum(wi)
    w_cum -= (w_cum - wi)[start][grp]
    b_cum = np.cumsum(wu)
    b_cum -= (b_cum - wu)[start][grp]
    w_after = w_total[grp] - w_cum
    w_before = w_after + wi
    b_after = b_cum
    b_before = b_after - wu
    with np.errstate(invalid="ignore"):
        d_ww = np.bincount(j, weights=w_after**2 - w_before**2, minlength=n_t)
        d_bw = np.bincount(j, weights=b_after * w_after - b_before * w_before, minlength=n_t)
        d_bb = np.bincount(j, weights=b_after**2 - b_before**2, minlength=n_t)
        sum_ww = (w_total**2).sum() + np.cumsum(d_ww)
        sum_bw = np.cumsum(d_bw)
        sum_bb = np.cumsum(d_bb)
        a = core.cum_a
        var_log = a**2 * sum_ww - 2 * a * sum_bw + sum_bb
        return np.where(core.survival > 0, core.survival**2 * np.maximum(var_log, 0.0), np.nan)


def _interval(s: np.ndarray, se: np.ndarray, z: float, transform: str):
    """Log-log or log interval for S from the standard error of S (R survfit's formulas)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = se / s
        if transform == "log-log":
            log_s = np.log(s)
            lower = np.exp(-np.exp(np.log(-log_s) - z * se_log / log_s))
            upper = np.exp(-np.exp(np.log(-log_s) + z * se_log / log_s))
        else:
            lower = s * np.exp(-z * se_log)
            upper = np.minimum(1.0, s * np.exp(z * se_log))
    lower = np.where(s >= 1, 1.0, np.where(s <= 0, 0.0, lower))
    upper = np.where(s >= 1, 1.0, np.where(s <= 0, 0.0, upper))
    return lower, upper


# --------------------------------------------------------------------------- estimator
class KaplanMeierByGroup:
    """Kaplan-Meier curve per group, weighted or not, with intervals valid under weights.

    ``variance="auto"`` uses Greenwood when there are neither weights nor clusters and the robust
    IJ variance otherwise (module docstring); ``"robust"`` forces the IJ variance. Fitted:
    ``survival_table_`` (tidy: group, time, survival, std_error of S, lower, upper, people at risk /
    with an event / censored at that time, and the weighted at-risk and event totals; people with
    weight 0 are left out of curves and counts), ``groups_``, ``fitters_`` (the lifelines
    KaplanMeierFitter per group, fitted on first access).
    """

    def __init__(self, weights_col: str | None = None, cluster_col: str | None = None,
                 alpha: float = 0.05, ci_transform: str = "log-log", variance: str = "auto"):
        self.weights_col = weights_col
        self.cluster_col = cluster_col
        self.alpha = alpha
        self.ci_transform = ci_transform
        self.variance = variance

    def fit(self, df: pd.DataFrame, *, duration_col: str, event_col: str,
            treatment_col: str = "treated") -> KaplanMeierByGroup:
        """One curve per value of ``treatment_col`` (any number of groups; 1/0 usually)."""
        if self.ci_transform not in CI_TRANSFORMS:
            raise ValueError(f"ci_transform must be one of {CI_TRANSFORMS}, got {self.ci_transform!r}")
        if self.variance not in ("auto", "robust", "greenwood"):
            raise ValueError(f"variance must be 'auto', 'robust' or 'greenwood', got {self.variance!r}")
        if self.variance == "greenwood" and (self.weights_col or self.cluster_col):
            raise ValueError("Greenwood intervals are not valid with weights or clusters; "
                             "use variance='auto' or 'robust'")
        z = z_value(self.alpha)
        t, e, w, codes = survival_inputs(df, duration_col=duration_col, event_col=event_col,
                                         weights_col=self.weights_col,
                                         cluster_col=self.cluster_col, extra=[treatment_col])
        groups = df[treatment_col].to_numpy()
        robust = self.variance == "robust" or (self.variance == "auto" and (
            self.weights_col is not None or self.cluster_col is not None))
        self.groups_ = list(np.sort(pd.unique(groups)))
        self.duration_col, self.event_col, self.treatment_col = duration_col, event_col, treatment_col
        self._data = {}
        self._fitters = None
        tables = []
        for g in self.groups_:
            # weight-0 people (e.g. unmatched) change neither the curve nor its variance, and are
            # not in the analysed sample, so they are not counted at risk either
            m = (groups == g) & (w > 0)
            if not m.any():
                raise ValueError(f"group {g!r} of {treatment_col!r} has zero total weight")
            tg, eg, wg = t[m], e[m], w[m]
            core = km_core(tg, eg, wg, influence=robust)
            with np.errstate(divide="ignore", invalid="ignore"):
                surv = np.exp(np.cumsum(np.log(core.at_risk - core.events)
                                        - np.log(core.at_risk)))
            if robust:
                var = _robust_var_survival(core, wg, None if codes is None else codes[m])
            else:
                var = surv**2 * core.cum_a
            se = np.sqrt(var)
            lower, upper = _interval(surv, se, z, self.ci_transform)
            leaving = np.bincount(core.index, minlength=len(core.times))
            n_events = np.bincount(core.index, weights=eg, minlength=len(core.times))
            tables.append(pd.DataFrame({
                "group": g, "time": core.times, "survival": surv, "std_error": se,
                "lower": lower, "upper": upper,
                "n_at_risk": leaving[::-1].cumsum()[::-1], "n_events": n_events.astype(int),
                "n_censored": (leaving - n_events).astype(int),
                "weighted_at_risk": core.at_risk, "weighted_events": core.events,
            }))
            self._data[g] = (tg, eg, wg)
        self.robust_ = robust
        self.survival_table_ = pd.concat(tables, ignore_index=True)[TABLE_COLUMNS]
        return self

    @property
    def fitters_(self) -> dict:
        """lifelines ``KaplanMeierFitter`` per group (its curve equals ``survival_table_``'s)."""
        if self._fitters is None:
            self._fitters = {}
            for g in self.groups_:
                t, e, w = self._data[g]
                kmf = KaplanMeierFitter(alpha=self.alpha, label=str(g))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # lifelines' naive-variance warning
                    kmf.fit(t, e, weights=w if self.weights_col else None)
                self._fitters[g] = kmf
        return self._fitters

    def at_risk_table(self, times: Sequence[float]) -> pd.DataFrame:
        """People (unweighted counts) per group at each time: still at risk (time >= t), and
        events and censorings before t, so the three add up to the group's size at every t."""
        times = np.asarray(sorted(times), dtype=float)
        rows = []
        for g in self.groups_:
            t, e, _ = self._data[g]
            ts = np.sort(t)
            te, tc = np.sort(t[e > 0]), np.sort(t[e == 0])
            rows.append(pd.DataFrame({
                "group": g, "time": times,
                "n_at_risk": len(t) - np.searchsorted(ts, times, side="left"),
                "n_events": np.searchsorted(te, times, side="left"),
                "n_censored": np.searchsorted(tc, times, side="left"),
            }))
        return pd.concat(rows, ignore_index=True)

    def survival_at(self, times: Sequence[float]) -> pd.DataFrame:
        """Survival and interval per group at chosen times (last value carried forward)."""
        out = []
        for g, tab in self.survival_table_.groupby("group", sort=False):
            pos = np.searchsorted(tab["time"].to_numpy(), np.asarray(times, float), side="right") - 1
            part = tab.iloc[np.maximum(pos, 0)][["survival", "std_error", "lower", "upper"]].copy()
            part.loc[pos < 0, ["survival", "lower", "upper"]] = 1.0
            part.loc[pos < 0, "std_error"] = 0.0
            part.insert(0, "time", list(times))
            part.insert(0, "group", g)
            out.append(part)
        return pd.concat(out, ignore_index=True)

    def plot(self, ax=None, times: Sequence[float] | None = None,
             labels: Mapping | None = None, ci: bool = True,
             ylabel: str = "proportion not yet reoffended", min_count: int | None = None,
             xlabel: str | None = None):
        """Step curves with shaded intervals and a numbers-at-risk table (people) under the axes.

        ``min_count`` applies disclosure control to that table: a number of people at risk from
        1 to ``min_count - 1`` is printed as ``[c]`` (GSS marker for a suppressed count).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        labels = dict(labels or {})
        tmax = max(tab["time"].max() for _, tab in self.survival_table_.groupby("group"))
        if times is None:
            times = np.linspace(0, tmax, 5).round(0)
        for k, (g, tab) in enumerate(self.survival_table_.groupby("group", sort=False)):
            x = np.r_[0.0, tab["time"].to_numpy()]
            colour, style = COLOURS[k % len(COLOURS)], LINESTYLES[k % len(LINESTYLES)]
            name = str(labels.get(g, g))
            ax.step(x, np.r_[1.0, tab["survival"]], where="post", color=colour, linestyle=style,
                    linewidth=2, label=name)
            if ci:
                ax.fill_between(x, np.r_[1.0, tab["lower"]], np.r_[1.0, tab["upper"]], step="post",
                                color=colour, alpha=0.15, linewidth=0)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, tmax)
        ax.set_xlabel(xlabel or self.duration_col)
        ax.set_ylabel(ylabel)
        ax.legend(loc="lower left", frameon=False)
        ax.set_xticks(list(times))
        risk = self.at_risk_table(times)
        trans = ax.get_xaxis_transform()
        ax.text(0, -0.2, "Number at risk (people)", transform=ax.transAxes, fontsize=8,
                fontweight="bold", ha="left", va="top", clip_on=False)
        for k, g in enumerate(self.groups_):
            y = -0.28 - 0.07 * k
            ax.text(-0.02, y, str(labels.get(g, g)), transform=ax.transAxes, ha="right",
                    va="top", fontsize=8, color=COLOURS[k % len(COLOURS)], clip_on=False)
            for time_, n in risk.loc[risk["group"] == g, ["time", "n_at_risk"]].itertuples(
                    index=False):
                shown = "[c]" if min_count and 0 < n < min_count else f"{int(n)}"
                ax.text(time_, y, shown, transform=trans, ha="center", va="top",
                        fontsize=8, clip_on=False)
        return ax
