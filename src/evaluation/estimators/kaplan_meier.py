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

The sums are computed for all groups in one pass, and the sum over clusters without a person x
time matrix (``product_limit``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from .common import survival_inputs, z_value
from .product_limit import km_grid, robust_var_survival, sorted_codes

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
    """Product-limit pieces of one group; ``influence=False`` skips the per-person U_i."""
    grid = km_grid(t, e, w, influence=influence)
    return KMCore(grid.times, grid.at_risk[0], grid.events[0], grid.survival[0], grid.cum_a[0],
                  grid.key, grid.u)


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
        t, e, w, _ = survival_inputs(df, duration_col=duration_col, event_col=event_col,
                                     weights_col=self.weights_col, cluster_col=None,
                                     extra=[treatment_col, self.cluster_col])
        group, values = sorted_codes(df[treatment_col].to_numpy())
        cluster = None if self.cluster_col is None else sorted_codes(
            df[self.cluster_col].to_numpy())[0]
        robust = self.variance == "robust" or (self.variance == "auto" and (
            self.weights_col is not None or self.cluster_col is not None))
        self.groups_ = list(values)
        self.duration_col, self.event_col, self.treatment_col = duration_col, event_col, treatment_col
        # weight-0 people (e.g. unmatched) change neither the curves nor their variance, and are
        # not in the analysed sample, so they are not counted at risk either
        kept = w > 0
        if not kept.all():
            t, e, w, group = t[kept], e[kept], w[kept], group[kept]
            cluster = None if cluster is None else cluster[kept]
        empty = np.flatnonzero(np.bincount(group, minlength=len(values)) == 0)
        if len(empty):
            raise ValueError(f"group {values[empty[0]]!r} of {treatment_col!r} has zero total weight")
        grid = km_grid(t, e, w, group, len(values), influence=False)
        var = robust_var_survival(grid, e, w, cluster) if robust else None
        tables = []
        for k, g in enumerate(self.groups_):
            on = grid.people[k] > 0  # the group's own times
            with np.errstate(divide="ignore", invalid="ignore"):
                surv = np.exp(np.cumsum(np.log(grid.at_risk[k][on] - grid.events[k][on])
                                        - np.log(grid.at_risk[k][on])))
            se = np.sqrt(var[k][on] if robust else surv**2 * grid.cum_a[k][on])
            lower, upper = _interval(surv, se, z, self.ci_transform)
            leaving, n_events = grid.people[k][on], grid.n_events[k][on]
            tables.append(pd.DataFrame({
                "group": g, "time": grid.times[on], "survival": surv, "std_error": se,
                "lower": lower, "upper": upper,
                "n_at_risk": leaving[::-1].cumsum()[::-1], "n_events": n_events.astype(int),
                "n_censored": (leaving - n_events).astype(int),
                "weighted_at_risk": grid.at_risk[k][on], "weighted_events": grid.events[k][on],
            }))
        self._data = (t, e, w, group)
        self._fitters = None
        self.robust_ = robust
        self.survival_table_ = pd.concat(tables, ignore_index=True)[TABLE_COLUMNS]
        return self

    def _group_data(self, g) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Times, events and weights of one group's people with a positive weight."""
        t, e, w, group = self._data
        m = group == self.groups_.index(g)
        return t[m], e[m], w[m]

    @property
    def fitters_(self) -> dict:
        """lifelines ``KaplanMeierFitter`` per group (its curve equals ``survival_table_``'s)."""
        if self._fitters is None:
            self._fitters = {}
            for g in self.groups_:
                t, e, w = self._group_data(g)
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
            t, e, _ = self._group_data(g)
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
