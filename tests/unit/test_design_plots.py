"""Plots draw on the given axes, return them, and differ by marker/fill, not colour alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evaluation.design import balance_table
from evaluation.reporting.figures import love_plot, overlap_plot


def _data():
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"treated": np.r_[np.ones(50), np.zeros(80)].astype(int),
                      "x": rng.normal(0, 1, 130), "area": rng.choice(["a", "b"], 130)})
    d["propensity"] = rng.uniform(0.05, 0.95, 130)
    d["w"] = rng.uniform(0, 2, 130)
    return d


def test_love_plot_markers_differ():
    d = _data()
    before, after = balance_table(d, ["x", "area"]), balance_table(d, ["x", "area"], weights_col="w")
    fig = Figure()
    ax = fig.subplots()
    out = love_plot(before, after, ax=ax)
    assert out is ax
    lines = [ln for ln in ax.get_lines() if ln.get_marker() not in ("None", None, "")]
    assert [ln.get_marker() for ln in lines] == ["o", "s"]
    assert lines[0].get_markerfacecolor() != lines[1].get_markerfacecolor()
    assert np.allclose(lines[0].get_xdata(), before["smd"].abs())
    # readers see words, not column names (issue 14); the threshold lines are labelled
    assert [t.get_text() for t in ax.get_yticklabels()] == ["X", "Home area: A", "Home area: B"]
    assert {t.get_text() for t in ax.texts} == {"0.1: good balance", "0.2: limit"}


def test_overlap_plot_mirrored():
    d = _data()
    fig = Figure()
    ax = fig.subplots()
    assert overlap_plot(d, ax=ax) is ax
    heights = np.array([p.get_height() for p in ax.patches])
    assert max(heights) > 0 and min(heights) < 0  # programme above, comparison below
    # each group's bars are percentages of that group: 100 above, 100 below
    assert np.isclose(heights[heights > 0].sum(), 100) and np.isclose(heights[heights < 0].sum(), -100)
    # tick labels below the axis are shown as positive shares, never "negative densities"
    formatter = ax.yaxis.get_major_formatter()
    assert formatter(-5.0, 0) == "5%" and formatter(5.0, 0) == "5%"
    ax2 = overlap_plot(d, weights="w")
    assert ax2.get_xlabel().startswith("propensity score")
