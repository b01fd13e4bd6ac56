"""Disclosure control: primary and secondary suppression sets worked out by hand.

Each table below is small enough to check on paper; the comments give the reasoning. A second,
independent check: for every suppressed cell, scipy's linear programme finds the smallest and
largest value consistent with the published cells and totals; they must differ (not recoverable).
"""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from evaluation.reporting.disclosure import (
    DisclosureRules,
    apply_to_estimates,
    suppress_counts,
    suppression_pattern,
)


def _cells(pattern: pd.DataFrame, kind: str) -> set[tuple[str, str]]:
    return {(r, c) for r in pattern.index for c in pattern.columns if pattern.loc[r, c] == kind}


def _range_of(table: pd.DataFrame, cols: list[str], pattern: pd.DataFrame, cell) -> tuple:
    """Min and max of a suppressed cell given shown cells, all row/column sums, values >= 0."""
    hidden = [(r, c) for r in table.index for c in cols if pattern.loc[r, c] != ""]
    k = hidden.index(cell)
    body_rows = [r for r in table.index if r != "Total"]
    body_cols = [c for c in cols if c != "Total"]
    A, b = [], []
    for r in table.index:  # row r: body cells - total = 0
        row = np.zeros(len(hidden))
        rhs = 0.0
        for c in cols:
            sign = -1.0 if c == "Total" else 1.0
            if (r, c) in hidden:
                row[hidden.index((r, c))] += sign
            else:
                rhs -= sign * table.loc[r, c]
        A.append(row)
        b.append(rhs)
    for c in cols:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for r in table.index:
            sign = -1.0 if r == "Total" else 1.0
            if (r, c) in hidden:
                row[hidden.index((r, c))] += sign
            else:
                rhs -= sign * table.loc[r, c]
        A.append(row)
        b.append(rhs)
    assert body_rows and body_cols
    obj = np.zeros(len(hidden))
    obj[k] = 1.0
    lo = linprog(obj, A_eq=np.array(A), b_eq=np.array(b), bounds=(0, None)).fun
    hi = -linprog(-obj, A_eq=np.array(A), b_eq=np.array(b), bounds=(0, None)).fun
    return lo, hi


# --------------------------------------------------------------------------- primary only
def test_primary_only_without_totals_and_zero_is_shown():
    t = pd.DataFrame({"a": [5, 0, 10], "b": [20, 9, 1]}, index=["x", "y", "z"])
    pattern = suppression_pattern(t, ["a", "b"])
    # under 10 and above 0: (x,a)=5, (y,b)=9, (z,b)=1; 0 and 10 are shown; no totals, no secondary
    assert _cells(pattern, "primary") == {("x", "a"), ("y", "b"), ("z", "b")}
    assert _cells(pattern, "secondary") == set()
    shown = suppress_counts(t, ["a", "b"])
    assert shown.loc["x", "a"] == "[c]" and shown.loc["y", "a"] == 0 and shown.loc["z", "a"] == 10


def test_suppress_zero_option():
    t = pd.DataFrame({"a": [5, 0], "b": [20, 30]}, index=["x", "y"])
    pattern = suppression_pattern(t, ["a", "b"], rules=DisclosureRules(suppress_zero=True))
    assert _cells(pattern, "primary") == {("x", "a"), ("y", "a")}


def test_threshold_is_configurable():
    t = pd.DataFrame({"a": [5, 12, 15]})
    # threshold 15: 5 and 12 suppressed, 15 shown
    assert list(suppress_counts(t, ["a"], threshold=15)["a"]) == ["[c]", "[c]", 15]


# --------------------------------------------------------------------------- secondary
def test_row_total_forces_secondary_next_smallest():
    t = pd.DataFrame({"x": [3, 0], "y": [40, 25], "z": [12, 30], "Total": [55, 55]},
                     index=["A", "B"])
    pattern = suppression_pattern(t, ["x", "y", "z"], total_col="Total")
    # Row A: 3 is primary; alone it is 55 - 40 - 12 = 3, so the next smallest cell, 12, goes too.
    # Row B: the zero is a true zero, shown; nothing suppressed.
    assert _cells(pattern, "primary") == {("A", "x")}
    assert _cells(pattern, "secondary") == {("A", "z")}
    shown = suppress_counts(t, ["x", "y", "z"], total_col="Total")
    assert list(shown.loc["A"]) == ["[c]", 40, "[c]", 55]


def test_secondary_prefers_non_zero_body_cell_over_zero_and_total():
    t = pd.DataFrame({"x": [5], "y": [0], "z": [20], "Total": [25]}, index=["A"])
    pattern = suppression_pattern(t, ["x", "y", "z"], total_col="Total")
    # Suppressing the 0 would leave x + y = 5 with y >= 0: x within 0..5, nearly disclosed.
    # The next smallest non-zero body cell is 20.
    assert _cells(pattern, "secondary") == {("A", "z")}


def test_both_margins_back_calculation():
    t = pd.DataFrame(
        {"X": [4, 15, 12, 31], "Y": [20, 25, 8, 53], "Z": [30, 35, 40, 105],
         "Total": [54, 75, 60, 189]},
        index=["A", "B", "C", "Total"],
    )
    cols = ["X", "Y", "Z"]
    pattern = suppression_pattern(t, cols, total_row="Total", total_col="Total")
    # Primary: (A,X)=4, (C,Y)=8.
    # Row A has one suppressed cell (4 = 54 - 20 - 30): next smallest in row A is (A,Y)=20.
    # Row C has one (8 = 60 - 12 - 40): next smallest in row C is (C,X)=12.
    # Now columns X and Y each hold two suppressed cells: a 2x2 rectangle with one free
    # parameter (A,X)=t, (A,Y)=24-t, (C,X)=16-t, (C,Y)=4+t: nothing is recoverable.
    assert _cells(pattern, "primary") == {("A", "X"), ("C", "Y")}
    assert _cells(pattern, "secondary") == {("A", "Y"), ("C", "X")}
    for cell in _cells(pattern, "primary") | _cells(pattern, "secondary"):
        lo, hi = _range_of(t, [*cols, "Total"], pattern, cell)
        assert hi - lo > 1, cell


def test_primary_only_would_be_back_calculable():
    # The same table with primary suppression only: (A,X) = 54 - 20 - 30 = 4 exactly.
    t = pd.DataFrame(
        {"X": [4, 15, 12, 31], "Y": [20, 25, 8, 53], "Z": [30, 35, 40, 105],
         "Total": [54, 75, 60, 189]},
        index=["A", "B", "C", "Total"],
    )
    primary_only = pd.DataFrame("", index=t.index, columns=["X", "Y", "Z", "Total"])
    primary_only.loc["A", "X"] = primary_only.loc["C", "Y"] = "primary"
    lo, hi = _range_of(t, ["X", "Y", "Z", "Total"], primary_only, ("A", "X"))
    assert lo == pytest.approx(4) and hi == pytest.approx(4)


def test_bridge_cell_recoverable_by_chain_is_protected():
    # Two 2x2 blocks of small counts joined by one small cell (r2,c3)=6. Every row and column
    # has 0 or >= 2 suppressed cells, so the "exactly one" rule is satisfied, yet
    # rows r1+r2: 200 - (50 + 60 + 70) = 20 = block A + bridge; columns c1+c2:
    # 219 - (40 + 45 + 55 + 65) = 14 = block A; so the bridge = 20 - 14 = 6.
    # Fix: the smallest free body cell in the bridge's row r2 {70} or column c3 {50} is 50.
    t = pd.DataFrame(
        {"c1": [2, 4, 40, 55, 101], "c2": [3, 5, 45, 65, 118], "c3": [50, 6, 7, 9, 72],
         "c4": [60, 70, 8, 1, 139], "Total": [115, 85, 100, 130, 430]},
        index=["r1", "r2", "r3", "r4", "Total"],
    )
    cols = ["c1", "c2", "c3", "c4"]
    pattern = suppression_pattern(t, cols, total_row="Total", total_col="Total")
    assert _cells(pattern, "primary") == {
        ("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2"), ("r2", "c3"),
        ("r3", "c3"), ("r3", "c4"), ("r4", "c3"), ("r4", "c4")}
    assert _cells(pattern, "secondary") == {("r1", "c3")}
    primary_only = pattern.where(pattern != "secondary", "")
    lo, hi = _range_of(t, [*cols, "Total"], primary_only, ("r2", "c3"))
    assert lo == pytest.approx(6) and hi == pytest.approx(6)
    for cell in _cells(pattern, "primary") | _cells(pattern, "secondary"):
        lo, hi = _range_of(t, [*cols, "Total"], pattern, cell)
        assert hi - lo > 0.5, cell


def test_small_total_is_itself_suppressed():
    t = pd.DataFrame({"x": [3, 30], "y": [4, 40], "Total": [7, 70]}, index=["A", "B"])
    pattern = suppression_pattern(t, ["x", "y"], total_col="Total")
    # Row A: 3, 4 and the total 7 are all under 10: three primary cells, nothing recoverable.
    assert _cells(pattern, "primary") == {("A", "x"), ("A", "y"), ("A", "Total")}
    assert _cells(pattern, "secondary") == set()


# --------------------------------------------------------------------------- errors
def test_non_additive_totals_raise():
    t = pd.DataFrame({"x": [3], "y": [40], "Total": [50]}, index=["A"])
    with pytest.raises(ValueError, match="row 'A'.*add up to 43.*says 50"):
        suppress_counts(t, ["x", "y"], total_col="Total")


def test_bad_counts_raise():
    with pytest.raises(ValueError, match="'a' must hold whole numbers"):
        suppress_counts(pd.DataFrame({"a": [1.5, 20]}), ["a"])
    with pytest.raises(ValueError, match="'a' must hold whole numbers"):
        suppress_counts(pd.DataFrame({"a": [-1, 20]}), ["a"])
    with pytest.raises(ValueError, match=r"column\(s\) \['b'\] not in the table"):
        suppress_counts(pd.DataFrame({"a": [1]}), ["b"])
    with pytest.raises(ValueError, match="no NaN"):
        suppress_counts(pd.DataFrame({"a": [np.nan], "T": [3]}), ["a"], total_col="T")
    with pytest.raises(ValueError, match="conflicts"):
        suppress_counts(pd.DataFrame({"a": [1]}), ["a"], threshold=5,
                        rules=DisclosureRules(threshold=10))
    with pytest.raises(ValueError, match="threshold must be a whole number"):
        DisclosureRules(threshold=0)


def test_missing_count_without_totals_is_x():
    shown = suppress_counts(pd.DataFrame({"a": [np.nan, 12.0]}), ["a"])
    assert list(shown["a"]) == ["[x]", 12]


# --------------------------------------------------------------------------- estimates
def _results() -> pd.DataFrame:
    return pd.DataFrame({
        "term": ["tiny", "few_events", "unreliable", "fine", "no_events", "missing"],
        "estimate": [0.5, 0.1, 0.4, 0.3, 0.0, np.nan],
        "lower": [0.2, 0.0, 0.2, 0.25, 0.0, np.nan],
        "upper": [0.8, 0.2, 0.6, 0.35, 0.07, np.nan],
        "p_value": [0.01, 0.2, np.nan, 0.001, np.nan, np.nan],
        "n": [8, 50, 50, 200, 50, 100],
        "events": [4, 5, 20, 60, 0, 40],
    })


def test_apply_to_estimates_rules_row_by_row():
    out = apply_to_estimates(_results()).set_index("term")
    # tiny: n=8 < 10, so no rate from it; n and events (4) suppressed too
    assert list(out.loc["tiny", ["estimate", "lower", "upper", "p_value", "n", "events"]]) == [
        "[c]"] * 6
    # few_events: n=50 but 5 events: 0.1 x 50 gives 5 back, so values and events suppressed
    assert list(out.loc["few_events", ["estimate", "lower", "upper", "events"]]) == ["[c]"] * 4
    assert out.loc["few_events", "n"] == 50 and out.loc["few_events", "marker"] == ""
    # unreliable: 20 events < 30: shown with [u]; its missing p-value is not applicable
    assert out.loc["unreliable", "estimate"] == 0.4 and out.loc["unreliable", "marker"] == "[u]"
    assert out.loc["unreliable", "p_value"] == "[z]"
    # fine: 60 events: shown, no marker
    assert out.loc["fine", "estimate"] == 0.3 and out.loc["fine", "marker"] == ""
    # no_events: a true zero is shown, but 0 events is below 30: [u]
    assert out.loc["no_events", "estimate"] == 0.0 and out.loc["no_events", "marker"] == "[u]"
    # missing: no estimate at all is [x], and so are its interval limits
    assert list(out.loc["missing", ["estimate", "lower", "upper"]]) == ["[x]"] * 3


def test_apply_to_estimates_numerator_rule_can_be_turned_off():
    rules = DisclosureRules(protect_numerators=False)
    out = apply_to_estimates(_results(), rules).set_index("term")
    assert out.loc["few_events", "estimate"] == 0.1
    assert out.loc["few_events", "events"] == "[c]"  # the count itself is still a small count
    assert out.loc["few_events", "marker"] == "[u]"


def test_apply_to_estimates_needs_events_or_explicit_none():
    r = _results().drop(columns="events")
    with pytest.raises(ValueError, match="events_col=None"):
        apply_to_estimates(r)
    out = apply_to_estimates(r, events_col=None)
    assert "marker" not in out.columns
    assert out.loc[0, "estimate"] == "[c]" and out.loc[1, "estimate"] == 0.1


def test_random_tables_never_leave_a_cell_recoverable():
    # Independent check of the whole algorithm: on seeded random 3x4 tables with both margins,
    # every suppressed cell's feasible range (LP, values >= 0) has positive width.
    rng = np.random.default_rng(20261122)
    n_secondary = 0
    for _ in range(15):
        body = rng.integers(1, 40, size=(3, 4))
        body[rng.random((3, 4)) < 0.3] = rng.integers(1, 10)  # plenty of small cells
        t = pd.DataFrame(body, index=["A", "B", "C"], columns=["w", "x", "y", "z"])
        t["Total"] = t.sum(axis=1)
        t.loc["Total"] = t.sum(axis=0)
        cols = ["w", "x", "y", "z", "Total"]
        pattern = suppression_pattern(t, cols[:-1], total_row="Total", total_col="Total")
        primary = (t[cols] > 0) & (t[cols] < 10)
        assert ((pattern == "primary") == primary).all().all()
        n_secondary += len(_cells(pattern, "secondary"))
        for cell in _cells(pattern, "primary") | _cells(pattern, "secondary"):
            lo, hi = _range_of(t, cols, pattern, cell)
            assert hi - lo > 0.5, (t, pattern, cell)
    assert n_secondary > 0  # the check above was not vacuous
