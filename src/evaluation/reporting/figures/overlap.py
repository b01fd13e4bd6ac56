"""Overlap plot of the propensity score: programme above the axis, comparison below."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from evaluation.frames import check_columns, treatment_array
from evaluation.reporting.style import PROGRAMME_COLOUR


def overlap_plot(df: pd.DataFrame, propensity_col: str = "propensity",
                 treatment_col: str = "treated", ax: Axes | None = None,
                 bins: int = 30, weights: str | None = None) -> Axes:
    """Mirrored histograms of the propensity score (hatched comparison: readable in grey)."""
    check_columns(df, [propensity_col])
    t = treatment_array(df, treatment_col)
    if ax is None:
        ax = Figure(figsize=(6, 4)).subplots()
    e = df[propensity_col].to_numpy(dtype=float)
    w = np.ones(len(df)) if weights is None else df[weights].to_numpy(dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    h1, _ = np.histogram(e[t == 1], bins=edges, weights=w[t == 1], density=True)
    h0, _ = np.histogram(e[t == 0], bins=edges, weights=w[t == 0], density=True)
    width = np.diff(edges)
    ax.bar(edges[:-1], h1, width=width, align="edge", color=PROGRAMME_COLOUR, edgecolor="black",
           linewidth=0.4, label="programme")
    ax.bar(edges[:-1], -h0, width=width, align="edge", color="white", edgecolor="black",
           hatch="///", linewidth=0.4, label="comparison")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("propensity score")
    ax.set_ylabel("density (comparison below the axis)")
    ax.legend(loc="best", frameon=False)
    return ax
