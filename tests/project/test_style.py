"""Chart style: colour-blind-safe and grey-readable series, deterministic files, alt text."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from evaluation.reporting.style import (
    GROUP_STYLES,
    SERIES_STYLES,
    alt_text,
    apply_style,
    forest_alt_text,
    forest_plot,
    km_alt_text,
    save_figure,
    series_style,
    style_context,
)


def _grey(hex_colour: str) -> float:
    """Rec. 601 luma on 0-255, as a greyscale printer or converter computes it."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b


def test_okabe_ito_colours_are_the_published_ones():
    # Okabe & Ito (2008), "Color Universal Design": the eight colours in RGB
    published = {(0, 114, 178), (230, 159, 0), (0, 158, 115), (213, 94, 0), (86, 180, 233),
                 (204, 121, 167), (240, 228, 66), (0, 0, 0)}
    ours = {tuple(int(s["color"][i:i + 2], 16) for i in (1, 3, 5)) for s in SERIES_STYLES}
    assert ours == published


def test_series_read_in_grey():
    colours = [s["color"] for s in SERIES_STYLES]
    markers = [s["marker"] for s in SERIES_STYLES]
    styles = [str(s["linestyle"]) for s in SERIES_STYLES]
    assert len(set(colours)) == len(set(markers)) == len(set(styles)) == 8
    # programme vs comparison: blue 0.587*114 + 0.114*178 = 87.2; orange 0.299*230 + 0.587*159
    # = 162.1: 75 grey levels apart, so the two headline curves differ even without styles
    assert _grey(GROUP_STYLES["programme"]["color"]) == pytest.approx(87.2, abs=0.1)
    assert _grey(GROUP_STYLES["comparison"]["color"]) == pytest.approx(162.1, abs=0.1)
    # orange (162.1) and sky blue (0.299*86 + 0.587*180 + 0.114*233 = 158.0) look alike in grey:
    # any such pair must differ in marker and line style (all do, checked above and here)
    for i in range(8):
        for j in range(i + 1, 8):
            if abs(_grey(colours[i]) - _grey(colours[j])) < 25:
                assert markers[i] != markers[j] and styles[i] != styles[j]
    assert series_style(9) == series_style(1)  # cycles


def test_apply_style_sets_cycle_and_context_restores():
    before = matplotlib.rcParams["font.size"]
    with style_context():
        assert matplotlib.rcParams["font.size"] == 11
        cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()
        assert cycle["color"][:2] == ["#0072B2", "#E69F00"]
    assert matplotlib.rcParams["font.size"] == before
    with matplotlib.rc_context():  # restores the global settings afterwards
        params = apply_style({"font.size": 13})
        assert params["font.size"] == 13 and matplotlib.rcParams["font.size"] == 13
        assert matplotlib.rcParams["axes.spines.top"] is False
    assert matplotlib.rcParams["font.size"] == before


def _forest_frame() -> pd.DataFrame:
    return pd.DataFrame({"label": ["IOM", "New Chance", "Prince's Trust", "Cautions"],
                         "estimate": [0.8, 0.9, 1.1, 1.0], "lower": [0.7, 0.6, 0.9, 0.8],
                         "upper": [0.91, 1.3, 1.35, 1.25], "true": [0.8, 1.0, 1.0, 1.0]})


def test_forest_plot_draws_one_row_per_estimate():
    df = _forest_frame()
    fig, ax = plt.subplots()
    out = forest_plot(df, ax=ax, truth_col="true")
    assert out is ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    ticks = list(ax.get_yticks())
    # first row at the top: y = 3, 2, 1, 0
    assert dict(zip(labels, ticks, strict=True)) == {"IOM": 3, "New Chance": 2,
                                                     "Prince's Trust": 1, "Cautions": 0}
    points = ax.lines[0]  # the errorbar's markers
    assert list(points.get_xdata()) == [0.8, 0.9, 1.1, 1.0]
    truth = [ln for ln in ax.lines if ln.get_label() == "planted true value"]
    assert len(truth) == 1 and list(truth[0].get_xdata()) == [0.8, 1.0, 1.0, 1.0]
    assert ax.get_xscale() == "log"
    plt.close(fig)


def test_forest_plot_rejects_bad_rows():
    df = _forest_frame()
    df.loc[2, "lower"] = 1.2  # above its estimate 1.1
    with pytest.raises(ValueError, match=r"rows \[2\]"):
        forest_plot(df)
    with pytest.raises(ValueError, match="not in the estimates"):
        forest_plot(df.drop(columns="upper"))
    neg = _forest_frame().assign(lower=[-0.1, 0.6, 0.9, 0.8], estimate=[0.0, 0.9, 1.1, 1.0])
    with pytest.raises(ValueError, match="log scale"):
        forest_plot(neg)
    ax = forest_plot(neg, log=False, null=0.0)
    assert ax.get_xscale() == "linear"
    plt.close(ax.figure)


def test_same_figure_gives_identical_bytes(tmp_path):
    def draw() -> plt.Figure:
        with style_context():
            fig, ax = plt.subplots()
            t = np.arange(0, 366, 30)
            ax.step(t, np.exp(-t / 900), where="post", **series_style(0))
            ax.step(t, np.exp(-t / 700), where="post", **series_style(1))
            ax.set_title("Kaplan-Meier")
        return fig

    a_png, a_alt = save_figure(draw(), tmp_path / "a.png", "alt a")
    b_png, _ = save_figure(draw(), tmp_path / "b.png", "alt b")
    assert a_png.read_bytes() == b_png.read_bytes()
    assert b"matplotlib" not in a_png.read_bytes()  # no Software chunk
    assert a_alt.name == "a.alt.txt" and a_alt.read_text() == "alt a\n"
    fig = forest_plot(_forest_frame()).figure
    s1, _ = save_figure(fig, tmp_path / "f1.svg", "x")
    s2, _ = save_figure(fig, tmp_path / "f2.svg", "x")
    assert s1.read_bytes() == s2.read_bytes()
    with pytest.raises(ValueError, match="needs alt text"):
        save_figure(fig, tmp_path / "c.png", "  ")
    with pytest.raises(ValueError, match="not '.jpg'"):
        save_figure(fig, tmp_path / "c.jpg", "x")
    plt.close("all")


def test_alt_text_from_data():
    # the programme curve is a step function: at day 365 it still holds its day-300 value 0.72
    curve = pd.Series([1.0, 0.9, 0.72, 0.70], index=[0, 100, 300, 400])
    assert km_alt_text({"programme": curve, "comparison": 0.64}) == (
        "Kaplan-Meier curves of the share of people not yet proven to have reoffended, "
        "programme and comparison; at one year programme 72% vs comparison 64%.")
    assert km_alt_text({"a": 0.5}, at_days=730).endswith("at two years a 50%.")
    assert alt_text("Bar chart", "reoffending", {"a": 0.1, "b": 0.2, "c": 0.3}) == (
        "Bar chart of reoffending, a, b and c; a 10%, b 20% and c 30%.")
    assert forest_alt_text(_forest_frame().head(2)) == (
        "Forest plot of hazard ratios with confidence intervals for 2 rows: IOM 0.80 "
        "(0.70 to 0.91) and New Chance 0.90 (0.60 to 1.30); the line of no difference is at 1.")
    with pytest.raises(ValueError, match="starts after"):
        km_alt_text({"a": pd.Series([1.0], index=[400])})


def test_km_alt_text_from_a_survival_table():
    table = pd.DataFrame({"group": ["programme"] * 3 + ["comparison"] * 3,
                          "time": [0, 200, 400, 0, 150, 380],
                          "survival": [1.0, 0.81, 0.7, 1.0, 0.7, 0.6]})
    # day 365: programme holds its day-200 value 0.81, comparison its day-150 value 0.70
    assert km_alt_text(table).endswith("at one year programme 81% vs comparison 70%.")
