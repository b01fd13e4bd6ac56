"""Balance and overlap plots; readable in grey scale (shape and fill, not colour alone, differ).

Colours from the Okabe-Ito colour-blind-safe palette.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from evaluation.design.propensity import check_columns, treatment_array

_BEFORE = {"marker": "o", "color": "#E69F00", "markerfacecolor": "white", "label": "before"}
_AFTER = {"marker": "s", "color": "#0072B2", "markerfacecolor": "#0072B2", "label": "after"}


def _labels(table: pd.DataFrame) -> pd.Series:
    return table["covariate"] + np.where(table["level"] != "", "[" + table["level"] + "]", "")


def love_plot(balance_before: pd.DataFrame, balance_after: pd.DataFrame | None = None,
              ax: plt.Axes | None = None, thresholds: tuple[float, ...] = (0.10, 0.20),
              absolute: bool = True) -> plt.Axes:
    """Dot plot of SMD per covariate before (open circles) and after (filled squares)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.3 * len(balance_before) + 1.5))
    labels = _labels(balance_before)
    y = np.arange(len(labels))[::-1]

    def val(t: pd.DataFrame) -> np.ndarray:
        s = t["smd"].to_numpy(dtype=float)
        return np.abs(s) if absolute else s

    ax.plot(val(balance_before), y, linestyle="none", **_BEFORE)
    if balance_after is not None:
        after = balance_after.set_index(_labels(balance_after))["smd"].reindex(labels)
        ax.plot(np.abs(after.to_numpy()) if absolute else after.to_numpy(), y,
                linestyle="none", **_AFTER)
    for i, th in enumerate(thresholds):
        style = "--" if i == 0 else ":"
        ax.axvline(th, color="0.3", linestyle=style, linewidth=0.8)
        if not absolute:
            ax.axvline(-th, color="0.3", linestyle=style, linewidth=0.8)
    ax.axvline(0, color="0.6", linewidth=0.6)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xlabel("|standardised mean difference|" if absolute else "standardised mean difference")
    ax.legend(loc="best", frameon=False)
    return ax


def overlap_plot(df: pd.DataFrame, propensity_col: str = "propensity",
                 treatment_col: str = "treated", ax: plt.Axes | None = None,
                 bins: int = 30, weights: str | None = None) -> plt.Axes:
    """Mirrored histograms of the propensity score: programme above the axis, comparison below."""
    check_columns(df, [propensity_col])
    t = treatment_array(df, treatment_col)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    e = df[propensity_col].to_numpy(dtype=float)
    w = np.ones(len(df)) if weights is None else df[weights].to_numpy(dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    h1, _ = np.histogram(e[t == 1], bins=edges, weights=w[t == 1], density=True)
    h0, _ = np.histogram(e[t == 0], bins=edges, weights=w[t == 0], density=True)
    width = np.diff(edges)
    ax.bar(edges[:-1], h1, width=width, align="edge", color="#0072B2", edgecolor="black",
           linewidth=0.4, label="programme")
    ax.bar(edges[:-1], -h0, width=width, align="edge", color="white", edgecolor="black",
           hatch="///", linewidth=0.4, label="comparison")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("propensity score")
    ax.set_ylabel("density (comparison below the axis)")
    ax.legend(loc="best", frameon=False)
    return ax
