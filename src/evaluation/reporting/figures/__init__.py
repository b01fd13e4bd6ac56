"""Report charts: each draws on given axes (or a new Figure), in the house palette of ``style``.

Why the object API (``matplotlib.figure.Figure``) and not pyplot: a library must not change
the backend of a user's Jupyter session, and a Figure renders to a file without any backend.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from evaluation.reporting.figures.balance import love_plot
from evaluation.reporting.figures.before_during import before_during_bars
from evaluation.reporting.figures.overlap import overlap_plot


def new_figure(figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """A Figure with one Axes, independent of pyplot's state and backend."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


__all__ = ["before_during_bars", "love_plot", "new_figure", "overlap_plot"]
