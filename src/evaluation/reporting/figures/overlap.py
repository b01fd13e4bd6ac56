"""Overlap plot of the propensity score: programme above the axis, comparison below."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from evaluation.frames import check_columns, treatment_array
from evaluation.reporting.style import PROGRAMME_COLOUR


def overlap_plot(df: pd.DataFrame, propensity_col: str = "propensity",
                 treatment_col: str = "treated", ax: Axes | None = None,
                 bins: int = 30, weights: str | None = None) -> Axes:
    """Mirrored histograms of the propensity score (hatched comparison: readable in grey), each
    group's bars as percentages of that group."""
    check_columns(df, [propensity_col])
    t = treatment_array(df, treatment_col)
    if ax is None:
        ax = Figure(figsize=(6, 4)).subplots()
    e = df[propensity_col].to_numpy(dtype=float)
    w = np.ones(len(df)) if weights is None else df[weights].to_numpy(dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    # each bar: the percentage of its own group with a score in that band (comparable across
    # groups of very different sizes, and a number a reader can say aloud)
    h1, _ = np.histogram(e[t == 1], bins=edges, weights=w[t == 1])
    h0, _ = np.histogram(e[t == 0], bins=edges, weights=w[t == 0])
    h1 = 100 * h1 / max(h1.sum(), 1e-300)
    h0 = 100 * h0 / max(h0.sum(), 1e-300)
    width = np.diff(edges)
    ax.bar(edges[:-1], h1, width=width, align="edge", color=PROGRAMME_COLOUR, edgecolor="black",
           linewidth=0.4, label="programme")
    ax.bar(edges[:-1], -h0, width=width, align="edge", color="white", edgecolor="black",
           hatch="///", linewidth=0.4, label="comparison")
    ax.axhline(0, color="black", linewidth=0.6)
    # heights below the axis are the comparison's shares: labelled as positive numbers
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v):g}%"))
    ax.set_xlabel("propensity score (estimated chance of being on the programme)")
    ax.set_ylabel("% of group: programme above, comparison below")
    ax.legend(loc="upper right", frameon=True, framealpha=0.9)
    return ax
