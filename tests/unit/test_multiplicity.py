"""Holm adjustment (Holm 1979) by hand, with statsmodels multipletests as a second opinion."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from evaluation.estimators.multiplicity import adjust_secondaries, holm_adjust


def test_holm_hand_example():
    # p = [0.01, 0.04, 0.03, 0.005], m = 4; sorted 0.005, 0.01, 0.03, 0.04
    # steps 4*0.005 = 0.02, 3*0.01 = 0.03, 2*0.03 = 0.06, 1*0.04 = 0.04
    # running max 0.02, 0.03, 0.06, 0.06 -> input order [0.03, 0.06, 0.06, 0.02]
    np.testing.assert_allclose(holm_adjust([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_series_index():
    # [0.5, 0.6]: 2*0.5 = 1.0, 0.6 -> running max 1.0, 1.0
    out = holm_adjust(pd.Series([0.6, 0.5], index=["custody", "frequency"]))
    assert list(out.index) == ["custody", "frequency"]
    np.testing.assert_allclose(out.to_numpy(), [1.0, 1.0])


def test_holm_agrees_with_statsmodels():
    p = np.random.default_rng(3).uniform(0, 0.2, 12)
    np.testing.assert_allclose(holm_adjust(p), multipletests(p, method="holm")[1])


def test_headline_unadjusted_secondaries_holm():
    table = pd.DataFrame({
        "outcome": ["proven_reoffence_1y", "frequency", "time_to_reoffence", "custody"],
        "p_value": [0.04, 0.01, 0.04, 0.03],
    })
    out = adjust_secondaries(table, headline="proven_reoffence_1y")
    # secondaries [0.01, 0.04, 0.03], m = 3: 3*0.01 = 0.03, 2*0.03 = 0.06, 1*0.04 = 0.04
    #   running max 0.03, 0.06, 0.06 -> frequency 0.03, time 0.06, custody 0.06
    assert list(out["role"]) == ["headline", "secondary", "secondary", "secondary"]
    np.testing.assert_allclose(out["p_adjusted"], [0.04, 0.03, 0.06, 0.06])
    assert list(out["significant"]) == [True, True, False, False]
    assert list(table.columns) == ["outcome", "p_value"]  # input untouched


@pytest.mark.parametrize(
    ("table", "headline", "match"),
    [
        (pd.DataFrame({"outcome": ["a", "b"], "p_value": [0.1, 0.2]}), "c", "not found"),
        (pd.DataFrame({"outcome": ["a", "a"], "p_value": [0.1, 0.2]}), "a", "more than once"),
        (pd.DataFrame({"outcome": ["a", "b"], "p_value": [0.1, 1.2]}), "a", r"\[0, 1\]"),
        (pd.DataFrame({"outcome": ["a", "b"]}), "a", "p_value"),
    ],
)
def test_adjust_secondaries_bad_input(table, headline, match):
    with pytest.raises(ValueError, match=match):
        adjust_secondaries(table, headline=headline)


def test_holm_rejects_nan():
    with pytest.raises(ValueError, match="positions \\[1\\]"):
        holm_adjust([0.1, np.nan])
