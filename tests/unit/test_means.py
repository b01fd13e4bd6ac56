"""mean_difference against hand-computed values."""

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.means import mean_difference


def test_unweighted_difference_and_robust_se_by_hand():
    # treated y = 2, 4, 6 (mean 4, MLE variance 8/3); comparison y = 1, 3 (mean 2, MLE var 1)
    # HC0 SE of the difference = sqrt(var1/n1 + var0/n0) = sqrt(8/9 + 1/2) = sqrt(25/18)
    df = pd.DataFrame({"y": [2, 4, 6, 1, 3], "t": [1, 1, 1, 0, 0]})
    out = mean_difference(df, outcome_col="y", treatment_col="t").set_index("term")
    assert out.loc["mean_difference", "estimate"] == pytest.approx(2.0)
    assert out.loc["mean_treated", "estimate"] == pytest.approx(4.0)
    assert out.loc["mean_comparison", "estimate"] == pytest.approx(2.0)
    assert out.loc["mean_difference", "std_error"] == pytest.approx(np.sqrt(25 / 18))


def test_weights_give_weighted_means():
    # comparison weights 3 and 1 on y = 1 and 5: weighted mean (3 + 5) / 4 = 2
    df = pd.DataFrame({"y": [4, 4, 1, 5], "t": [1, 1, 0, 0], "w": [1, 1, 3, 1]})
    out = mean_difference(df, outcome_col="y", treatment_col="t", weights_col="w").set_index("term")
    assert out.loc["mean_comparison", "estimate"] == pytest.approx(2.0)
    assert out.loc["mean_difference", "estimate"] == pytest.approx(2.0)


def test_bad_input_names_rows():
    df = pd.DataFrame({"y": [1, np.nan, 3], "t": [1, 0, 0]})
    with pytest.raises(ValueError, match="'y' has 1 missing value"):
        mean_difference(df, outcome_col="y", treatment_col="t")
