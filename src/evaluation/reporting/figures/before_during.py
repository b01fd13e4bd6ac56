"""IOM: offences per person per year before and during, programme vs matched comparison."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from evaluation.reporting.style import PROGRAMME_COLOUR


def before_during_bars(ax: Axes, programme: Sequence[float], comparison: Sequence[float],
                       labels: Sequence[str] = ("year before", "year during"),
                       ylabel: str = "proven offences per person per year") -> Axes:
    """Paired bars (filled programme, hatched comparison: distinct in grey) for each period."""
    x = np.arange(len(labels))
    ax.bar(x - 0.2, list(programme), width=0.4, color=PROGRAMME_COLOUR, edgecolor="black",
           label="programme")
    ax.bar(x + 0.2, list(comparison), width=0.4, color="white", edgecolor="black", hatch="///",
           label="matched comparison")
    ax.set_xticks(x, list(labels))
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    return ax
