"""Report fixes for the Kaplan-Meier chart drawn by ``KaplanMeier.plot``: month ticks, a y axis
that shows the curves, readable at-risk labels (no collision, full contrast, separators)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from evaluation.reporting.numbers import format_number

DAYS_PER_MONTH = 365.25 / 12


def month_ticks(horizon_days: float) -> tuple[list[float], list[str]]:
    """Tick positions in days and labels in months: every 3 months up to 2 years, else 6; the
    horizon itself is always the last tick (365 days is "12", 182 days "6")."""
    months = round(horizon_days / DAYS_PER_MONTH, 1)
    step = 3 if months <= 24 else 6
    values = [float(m) for m in np.arange(0, months + 1e-9, step)]
    if months - values[-1] > 0.5:
        values.append(months)
    else:
        values[-1] = months
    days = [float(round(m * DAYS_PER_MONTH)) for m in values[:-1]] + [float(horizon_days)]
    return days, [format_number(m, 0 if float(m).is_integer() else 1) for m in values]


def unit_ticks(horizon: float, unit: str = "days") -> tuple[list[float], list[str], str]:
    """Tick positions, their labels and the axis label for a follow-up of ``horizon`` in
    ``unit``: months for days (``month_ticks``); for weeks or months, whole steps of 1, 2, 3,
    4, 6, 13 or 26 (at most 14 ticks), the horizon always the last tick."""
    if unit == "days":
        days, texts = month_ticks(horizon)
        return days, texts, "months since the index date"
    step = next(s for s in (1, 2, 3, 4, 6, 13, 26, 52) if horizon / s <= 13)
    values = [float(v) for v in np.arange(0, horizon + 1e-9, step)]
    if horizon - values[-1] > step / 2:
        values.append(float(horizon))
    else:
        values[-1] = float(horizon)
    return values, [format_number(v, 0 if v.is_integer() else 1) for v in values], \
        f"{unit} since the index date"


def tidy_km_axes(ax: Axes, horizon_days: float, lowest_survival: float,
                 labels_x: float = -0.09, unit: str = "days") -> Axes:
    """Months on the x axis (or ``unit_ticks`` of a file measured in weeks or months), the
    y axis from just below the lowest curve (not from 0), group labels of the at-risk table
    moved clear of the first count and set in black, counts with thousands separators."""
    days, texts, label = unit_ticks(horizon_days, unit)
    ax.set_xticks(days, texts)
    ax.set_xlabel(label)
    bottom = max(0.0, np.floor((lowest_survival - 0.05) * 10) / 10)
    ax.set_ylim(bottom, 1.0)
    ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    for text in ax.texts:
        content = text.get_text()
        if text.get_horizontalalignment() == "right":  # a group label left of the counts
            x, y = text.get_position()
            text.set_position((labels_x, y))
            text.set_color("#1b1b1b")
        elif content.isdigit():
            text.set_text(format_number(int(content)))
    return ax
