"""Balance (Love) plot: readable in grey scale (shape and fill, not colour alone, differ)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from evaluation.reporting.labels import characteristic_labels
from evaluation.reporting.style import COMPARISON_COLOUR, PROGRAMME_COLOUR

BEFORE_STYLE = {"marker": "o", "color": COMPARISON_COLOUR, "markerfacecolor": "white",
                "label": "before"}
AFTER_STYLE = {"marker": "s", "color": PROGRAMME_COLOUR, "markerfacecolor": PROGRAMME_COLOUR,
               "label": "after"}


def covariate_labels(table: pd.DataFrame) -> pd.Series:
    """"age", "area[b]": a balance table's covariate with its level, one label per row."""
    return table["covariate"] + np.where(table["level"] != "", "[" + table["level"] + "]", "")


def love_plot(balance_before: pd.DataFrame, balance_after: pd.DataFrame | None = None,
              ax: Axes | None = None, thresholds: tuple[float, ...] = (0.10, 0.20),
              absolute: bool = True) -> Axes:
    """Dot plot of SMD per covariate before (open circles) and after (filled squares)."""
    if ax is None:
        ax = Figure(figsize=(6, 0.3 * len(balance_before) + 1.5)).subplots()
    labels = covariate_labels(balance_before)
    y = np.arange(len(labels))[::-1]

    def val(t: pd.DataFrame) -> np.ndarray:
        s = t["smd"].to_numpy(dtype=float)
        return np.abs(s) if absolute else s

    ax.plot(val(balance_before), y, linestyle="none", **BEFORE_STYLE)
    if balance_after is not None:
        after = balance_after.set_index(covariate_labels(balance_after))["smd"].reindex(labels)
        ax.plot(np.abs(after.to_numpy()) if absolute else after.to_numpy(), y,
                linestyle="none", **AFTER_STYLE)
    names = ("good balance", "limit")
    for i, th in enumerate(thresholds):
        style = "--" if i == 0 else ":"
        ax.axvline(th, color="0.3", linestyle=style, linewidth=0.8)
        # the lines are labelled where they are drawn, not only in the caption
        ax.annotate(f"{th:g}: {names[min(i, 1)]}", xy=(th, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(2, 2), textcoords="offset points", fontsize=8, color="0.25",
                    rotation=0, va="bottom", ha="left" if i else "right")
        if not absolute:
            ax.axvline(-th, color="0.3", linestyle=style, linewidth=0.8)
    ax.axvline(0, color="0.6", linewidth=0.6)
    ax.set_yticks(y)
    ax.set_yticklabels(characteristic_labels(balance_before).to_list())
    ax.set_xlabel("|standardised mean difference|" if absolute else "standardised mean difference")
    ax.legend(loc="lower right", frameon=True, framealpha=0.9, title="adjustment")
    return ax
