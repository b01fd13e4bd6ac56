"""The attrition ledger: exclusions in one pass record what one exclude after another does."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import Attrition


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame({"group": rng.choice(["treated", "comparison"], n),
                         "x": rng.integers(0, 10, n)}, index=rng.permutation(n) + 1000)


def test_exclude_in_order_records_what_successive_excludes_record():
    frame = _frame()
    rules = [((frame["x"] == 1).to_numpy(), "one"),
             ((frame["x"] <= 2).to_numpy(), "two or less"),  # overlaps the first rule
             (((frame["x"] == 9) & (frame["group"] == "treated")).to_numpy(), "nine, treated"),
             (np.zeros(len(frame), dtype=bool), "nobody")]
    one_by_one = Attrition(group_col="group")
    one_by_one.start(frame)
    left = frame
    for mask, reason in rules:
        left = one_by_one.exclude(left, pd.Series(mask, index=frame.index).loc[left.index],
                                  reason, "stage")
    in_order = Attrition(group_col="group")
    in_order.start(frame)
    kept = in_order.exclude_in_order(frame, rules, "stage")
    pd.testing.assert_frame_equal(in_order.table(), one_by_one.table())
    pd.testing.assert_frame_equal(frame.loc[kept], left)
    in_order.check_reconciles(frame.loc[kept])
    # by hand: x == 1 goes at "one", x == 2 at "two or less", x == 0 too
    t = in_order.table().groupby("reason")["n_excluded"].sum()
    assert t["one"] == (frame["x"] == 1).sum()
    assert t["two or less"] == frame["x"].isin([0, 2]).sum()


def test_a_group_with_nobody_left_is_not_listed_after_it_empties():
    frame = pd.DataFrame({"group": ["treated", "treated", "comparison"]})
    ledger = Attrition(group_col="group")
    ledger.start(frame)
    kept = ledger.exclude_in_order(frame, [
        (np.array([True, True, False]), "all treated"),
        (np.array([False, False, False]), "later rule")], "stage")
    later = ledger.table().query("reason == 'later rule'")
    assert later["group"].tolist() == ["comparison"]
    assert kept.tolist() == [False, False, True]
