"""The before/after comparison table (``analysis.before_during.before_after_comparison``) on
the hand-worked 2 x 2 example of tests/unit/test_did.py: every row by hand."""

import math

import pandas as pd
import pytest

from evaluation.analysis.before_during import before_after_comparison
from evaluation.estimators.did import did_before_during


def _did() -> pd.DataFrame:
    # programme before 10, 8, 6 (mean 8), during 4, 4, 4 (mean 4): change -4 (-50%);
    # comparison before 6, 4, 2 (mean 4), during 4, 2, 3 (mean 3): change -1 (-25%)
    hand = pd.DataFrame({"iom": [1, 1, 1, 0, 0, 0], "before": [10.0, 8, 6, 6, 4, 2],
                         "during": [4.0, 4, 4, 4, 2, 3]})
    return did_before_during(hand, before_col="before", during_col="during",
                             treatment_col="iom")


def test_before_after_comparison_rows_by_hand():
    # every eligible participant (5 people, say): 9.0 before, 4.5 during per person, -50%
    idiom = pd.DataFrame({"people": [5], "offences_pre_per_person": [9.0],
                          "offences_during_per_person": [4.5], "offences_change_pct": [-50.0]})
    t = before_after_comparison(idiom, _did()).set_index("figure")
    assert list(t.index) == ["rebuilt", "matched_programme", "matched_comparison", "did",
                             "comparison_share"]
    assert t.loc["rebuilt", ["people", "before", "during", "change", "change_pct"]].tolist() \
        == [5, 9.0, 4.5, -4.5, -50.0]
    assert math.isnan(t.loc["rebuilt", "lower"])  # a one-group change has no interval here
    prog, comp = t.loc["matched_programme"], t.loc["matched_comparison"]
    assert [prog["people"], prog["before"], prog["during"]] == [3, 8.0, 4.0]
    assert prog["change"] == pytest.approx(-4.0) and prog["change_pct"] == pytest.approx(-50.0)
    # SE of the programme's change 1.154701 (test_did): -4 -/+ 1.959964 x 1.154701
    assert prog["lower"] == pytest.approx(-4 - 1.959964 * 1.154701, abs=1e-5)
    assert [comp["people"], comp["before"], comp["during"]] == [3, 4.0, 3.0]
    assert comp["change"] == pytest.approx(-1.0) and comp["change_pct"] == pytest.approx(-25.0)
    # the difference -4 - (-1) = -3, -37.5% of the programme's before rate; CI -3 -/+ 2.993895
    assert t.loc["did", "change"] == pytest.approx(-3.0)
    assert t.loc["did", "change_pct"] == pytest.approx(-37.5)
    assert t.loc["did", "upper"] == pytest.approx(-3 + 2.993895, abs=1e-5)
    # the comparison group shows a quarter of the programme's drop: -1 / -4
    assert t.loc["comparison_share", "change"] == pytest.approx(0.25)
    assert math.isnan(t.loc["comparison_share", "people"])
