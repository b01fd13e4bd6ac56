"""Chart style for reports: colour-blind-safe, readable in grey, deterministic files, alt text.

Why: readers print in black and white and about 1 in 12 men has a colour-vision deficiency, so
each series differs by colour (Okabe-Ito palette, Okabe & Ito 2008), line style and marker at
once; the first two series (programme, comparison) are also far apart in grey. Figures are
written byte-for-byte reproducibly (no software/date metadata), with an alt-text sidecar that
is built from the plotted numbers, never typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from evaluation.atomic import atomic_path, atomic_write_text
from evaluation.reporting.numbers import format_away, format_percent, horizon_phrase, join_words

# Okabe-Ito colours, ordered so neighbours differ in grey (luminance in the tests).
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish_green": "#009E73",
    "vermillion": "#D55E00",
    "sky_blue": "#56B4E9",
    "reddish_purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
_LINESTYLES = ["-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 3)),
               (0, (3, 1, 3, 1, 1, 1))]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
SERIES_STYLES: list[dict] = [
    {"color": c, "linestyle": ls, "marker": m}
    for c, ls, m in zip(OKABE_ITO.values(), _LINESTYLES, _MARKERS, strict=True)
]
GROUP_STYLES = {"programme": SERIES_STYLES[0], "comparison": SERIES_STYLES[1]}
# The house palette by role: every chart draws the programme and the comparison group in these.
PROGRAMME_COLOUR = OKABE_ITO["blue"]
COMPARISON_COLOUR = OKABE_ITO["orange"]

STYLE_RC: dict = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: same glyphs on every machine
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "lines.linewidth": 2.0,
    "figure.figsize": (7.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": None,  # "tight" can move by a pixel between machines
    "svg.hashsalt": "evaluation",  # deterministic SVG ids
    "svg.fonttype": "path",
    "axes.prop_cycle": cycler(color=[s["color"] for s in SERIES_STYLES],
                              linestyle=[s["linestyle"] for s in SERIES_STYLES]),
}


def series_style(i: int) -> dict:
    """Colour, line style and marker of series ``i`` (cycling after eight)."""
    return dict(SERIES_STYLES[i % len(SERIES_STYLES)])


def apply_style(rc: Mapping | None = None) -> dict:
    """Set the report rcParams globally (no backend change: works under Agg); returns them."""
    params = {**STYLE_RC, **(rc or {})}
    mpl.rcParams.update(params)
    return params


def style_context(rc: Mapping | None = None) -> AbstractContextManager:
    """The report style for a ``with`` block only."""
    return mpl.rc_context({**STYLE_RC, **(rc or {})})


# --------------------------------------------------------------------------- alt text
def _pct(x: float) -> str:
    return format_percent(x, 0)


def _step_value(curve: pd.Series | float, t: float) -> float:
    """A step function (index = time) at time ``t``: the last value at or before ``t``."""
    if not isinstance(curve, pd.Series):
        return float(curve)
    if not curve.index.is_monotonic_increasing:
        raise ValueError("a curve's index (time) must be increasing")
    before = curve[curve.index <= t]
    if before.empty:
        raise ValueError(f"the curve starts after time {t}")
    return float(before.iloc[-1])


def alt_text(chart: str, subject: str, values: Mapping[str, float], at: str | None = None,
             fmt=_pct) -> str:
    """"{chart} of {subject}; at {at} A x% vs B y%." (two series) or a list for more."""
    if not values:
        raise ValueError("alt text needs at least one plotted value")
    shown = {k: fmt(v) for k, v in values.items()}
    names = list(shown)
    where = f" at {at}" if at else ""
    if len(shown) == 2:
        a, b = names
        numbers = f"{a} {shown[a]} vs {b} {shown[b]}"
    else:
        numbers = join_words([f"{k} {v}" for k, v in shown.items()])
    return f"{chart} of {subject}, {join_words(names)};{where} {numbers}."


def km_alt_text(curves: Mapping[str, pd.Series | float] | pd.DataFrame, at_days: float = 365,
                subject: str = "the share of people not yet proven to have reoffended",
                unit: str = "days") -> str:
    """Alt text for Kaplan-Meier curves from the curves themselves: Series indexed by day, or
    a long table with ``group``, ``time``, ``survival`` (the KM estimator's survival table);
    ``unit`` when time is counted in weeks or months (``at_days`` then in that unit)."""
    if isinstance(curves, pd.DataFrame):
        missing = [c for c in ("group", "time", "survival") if c not in curves.columns]
        if missing:
            raise ValueError(f"column(s) {missing} not in the survival table")
        curves = {str(g): part.sort_values("time").set_index("time")["survival"]
                  for g, part in curves.groupby("group", sort=False)}

    at = horizon_phrase(at_days, unit).replace("the first ", "")
    at = {"year": "one year"}.get(at, at)
    values = {name: _step_value(curve, at_days) for name, curve in curves.items()}
    return alt_text("Kaplan-Meier curves", subject, values, at)


def forest_alt_text(estimates: pd.DataFrame, measure: str = "hazard ratios", null: float = 1.0,
                    label_col: str = "label") -> str:
    """Alt text for :func:`forest_plot` listing every row's estimate and interval."""
    parts = []
    for _, r in estimates.iterrows():
        est, lo, hi = format_away([r["estimate"], r["lower"], r["upper"]], null, 2)
        parts.append(f"{r[label_col]} {est} ({lo} to {hi})")
    (n,) = format_away([null], 0.0, 0)
    return (f"Forest plot of {measure} with confidence intervals for {len(parts)} rows: "
            f"{join_words(parts)}; the line of no difference is at {n}.")


# --------------------------------------------------------------------------- files
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def save_figure(fig: Figure, path: str | Path, alt: str) -> tuple[Path, Path]:
    """Write ``fig`` (PNG, SVG or PDF by suffix) with no date/software metadata, so the same
    figure gives the same bytes, and ``<stem>.alt.txt`` beside it. Returns both paths."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in _METADATA:
        raise ValueError(f"save_figure writes .png, .svg or .pdf, not {path.suffix!r} ({path})")
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt text for {path.name} is empty: every figure needs alt text")
    path.parent.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context({"svg.hashsalt": STYLE_RC["svg.hashsalt"]}):
        with atomic_path(path) as tmp:  # all or nothing: no half-written figure
            fig.savefig(tmp, format=kind, metadata=_METADATA[kind])
    alt_path = atomic_write_text(path.with_name(path.stem + ".alt.txt"), alt.strip() + "\n")
    return path, alt_path


# --------------------------------------------------------------------------- forest plot
_RATIO_TICKS = [0.1, 0.2, 0.25, 0.33, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0,
                4.0, 5.0, 10.0]


def _plain_log_ticks(ax: Axes, low: float, high: float) -> None:
    """Ratio ticks as plain numbers (0.8, 1, 1.25), not 8 x 10^-1; at most about eight."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ticks = [t for t in _RATIO_TICKS if low / 1.05 <= t <= high * 1.05]
    while len(ticks) > 8:
        ticks = [t for i, t in enumerate(ticks) if i % 2 == 0 or t == 1.0]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


def forest_plot(
    estimates: pd.DataFrame,
    ax: Axes | None = None,
    null: float = 1.0,
    log: bool = True,
    label_col: str = "label",
    truth_col: str | None = None,
    xlabel: str = "Hazard ratio (95% confidence interval)",
) -> Axes:
    """One row per estimate (first row at the top) with its interval, a dashed line at the
    null, and optionally the planted/true value as a hollow diamond (synthetic-data checks)."""
    import matplotlib.pyplot as plt

    cols = [label_col, "estimate", "lower", "upper"] + ([truth_col] if truth_col else [])
    missing = [c for c in cols if c not in estimates.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the estimates; columns are "
                         f"{list(estimates.columns)}")
    if estimates.empty:
        raise ValueError("no estimates to plot")
    est, lo, hi = (estimates[c].to_numpy(dtype=float) for c in ("estimate", "lower", "upper"))
    bad = ~(np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi) & (lo <= est) & (est <= hi))
    if log:
        bad |= ~(lo > 0)
    if bad.any():
        rows = list(estimates.index[bad])
        rule = "finite with lower <= estimate <= upper" + (" and > 0 (log scale)" if log else "")
        raise ValueError(f"estimates must be {rule}; rows {rows} are not")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 0.5 * len(estimates) + 1.6), layout="constrained")
    y = np.arange(len(estimates))[::-1]
    style = series_style(0)
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt=style["marker"], color=style["color"],
                ecolor=style["color"], capsize=3, linestyle="none", label="estimate")
    ax.axvline(null, color="black", linestyle="--", linewidth=1)
    if truth_col:
        truth = series_style(1)
        ax.plot(estimates[truth_col].to_numpy(dtype=float), y, linestyle="none", marker="D",
                markerfacecolor="none", markeredgecolor=truth["color"], markersize=8,
                label="planted true value")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2, frameon=False)
    if log:
        ax.set_xscale("log")
        _plain_log_ticks(ax, min(lo.min(), null), max(hi.max(), null))
    ax.set_yticks(y, [str(v) for v in estimates[label_col]])
    ax.set_ylim(-0.7, len(estimates) - 0.3)
    ax.set_xlabel(xlabel)
    return ax
