"""Binary reoffending: risks, risk difference, relative risk; the Justice Data Lab per-100 numbers.

Expected values are worked out by hand in the comments (textbook Wald formulas for a 2x2 table,
the weighted influence-function sandwich written out person by person); statsmodels GLM is a
second opinion only.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evaluation.estimators.binary import binary_effect, per_hundred

Z = 1.959963984540054  # standard normal 97.5% quantile


def _table(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("term")


def two_by_two(a: int, n1: int, c: int, n0: int) -> pd.DataFrame:
    """a of n1 programme people reoffend, c of n0 comparison people."""
    return pd.DataFrame({
        "group": [1] * n1 + [0] * n0,
        "reoffended": [1] * a + [0] * (n1 - a) + [1] * c + [0] * (n0 - c),
    })


def test_two_by_two_matches_textbook_wald():
    # Programme 30/100 reoffend, comparison 45/100.
    # p1 = 0.30, p0 = 0.45, RD = -0.15
    # Var(RD) = 0.3*0.7/100 + 0.45*0.55/100 = 0.0021 + 0.002475 = 0.004575, SE = 0.067639
    # CI = -0.15 -/+ 1.96*0.067639 = (-0.28257, -0.01743); z = -2.2177, p = 0.02658
    # RR = 0.30/0.45 = 0.666667; SE(log RR) = sqrt(1/30 - 1/100 + 1/45 - 1/100) = sqrt(0.035556)
    #   = 0.188562; CI = exp(-0.405465 -/+ 0.369575) = exp(-0.775040), exp(-0.035890)
    #   = (0.496585*0.927706, 0.96475) = (0.46069, 0.96475)
    res = _table(binary_effect(two_by_two(30, 100, 45, 100), outcome_col="reoffended", treatment_col="group"))
    assert res.loc["risk_treated", "estimate"] == pytest.approx(0.30)
    assert res.loc["risk_comparison", "estimate"] == pytest.approx(0.45)
    rd = res.loc["risk_difference"]
    assert rd["estimate"] == pytest.approx(-0.15)
    assert rd["std_error"] == pytest.approx(math.sqrt(0.3 * 0.7 / 100 + 0.45 * 0.55 / 100))
    assert rd["std_error"] == pytest.approx(0.067639, abs=1e-6)
    assert rd["lower"] == pytest.approx(-0.28257, abs=1e-5)
    assert rd["upper"] == pytest.approx(-0.01743, abs=1e-5)
    assert rd["p_value"] == pytest.approx(0.02658, abs=1e-5)
    assert rd["n"] == 200
    rr = res.loc["relative_risk"]
    assert rr["estimate"] == pytest.approx(2 / 3)
    assert rr["std_error"] == pytest.approx(math.sqrt(1 / 30 - 1 / 100 + 1 / 45 - 1 / 100))
    assert rr["lower"] == pytest.approx(0.46069, abs=1e-5)
    assert rr["upper"] == pytest.approx(0.96475, abs=1e-5)
    # risk of one group: 0.3 +/- 1.96*sqrt(0.21/100) = 0.3 +/- 0.089817
    assert res.loc["risk_treated", "lower"] == pytest.approx(0.3 - Z * math.sqrt(0.0021))
    assert list(res.columns) == ["estimate", "std_error", "lower", "upper", "p_value", "method",
                                 "n"]


def _weighted_example() -> pd.DataFrame:
    return pd.DataFrame({
        "group": [1, 1, 1, 0, 0, 0, 0],
        "y": [1, 0, 1, 1, 0, 0, 0],
        "w": [1, 2, 1, 0.5, 0.5, 1, 2],
    })


def test_weighted_risks_and_sandwich_by_hand():
    # Treated: W = 4, p1 = (1 + 1)/4 = 0.5. Comparison: W = 4, p0 = 0.5/4 = 0.125. RD = 0.375.
    # Influence w (y - p)/W, treated: 0.5/4 = 0.125, 2*(-0.5)/4 = -0.25, 0.125
    #   squares 0.015625 + 0.0625 + 0.015625 = 0.09375
    # comparison: 0.5*0.875/4 = 0.109375, 0.5*(-0.125)/4 = -0.015625, -0.125/4 = -0.03125,
    #   2*(-0.125)/4 = -0.0625; squares 0.011962890625 + 0.000244140625 + 0.0009765625
    #   + 0.00390625 = 0.01708984375
    # Var(RD) = 0.11083984375 (HC0: no clusters, no factor), SE = 0.332926
    res = _table(binary_effect(_weighted_example(), outcome_col="y", treatment_col="group", weights_col="w"))
    assert res.loc["risk_treated", "estimate"] == pytest.approx(0.5)
    assert res.loc["risk_comparison", "estimate"] == pytest.approx(0.125)
    assert res.loc["risk_difference", "estimate"] == pytest.approx(0.375)
    assert res.loc["risk_difference", "std_error"] == pytest.approx(math.sqrt(0.11083984375))
    assert res.loc["risk_treated", "std_error"] == pytest.approx(math.sqrt(0.09375))
    # log RR: influence / p; Var = 0.09375/0.25 + 0.01708984375/0.015625 = 0.375 + 1.09375
    assert res.loc["relative_risk", "estimate"] == pytest.approx(4.0)
    assert res.loc["relative_risk", "std_error"] == pytest.approx(math.sqrt(0.375 + 1.09375))


def test_weighted_agrees_with_statsmodels_glm_var_weights_hc0():
    # Second opinion: GLM Binomial, identity link, var_weights, HC0 (statsmodels #2829: use
    # var_weights, not freq_weights, for a probability-weight sandwich).
    df = _weighted_example()
    X = sm.add_constant(df["group"].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        glm = sm.GLM(df["y"], X, family=sm.families.Binomial(link=sm.families.links.Identity()),
                     var_weights=df["w"]).fit(cov_type="HC0")
    res = _table(binary_effect(df, outcome_col="y", treatment_col="group", weights_col="w"))
    assert res.loc["risk_difference", "estimate"] == pytest.approx(glm.params["group"])
    assert res.loc["risk_difference", "std_error"] == pytest.approx(glm.bse["group"])


def _pairs() -> pd.DataFrame:
    # four matched pairs (programme person, comparison person)
    return pd.DataFrame({
        "set": ["A", "A", "B", "B", "C", "C", "D", "D"],
        "group": [1, 0] * 4,
        "y": [1, 0, 0, 1, 1, 0, 1, 1],
    })


def test_cluster_robust_matches_hand_built_sandwich():
    # p1 = 3/4 = 0.75, p0 = 2/4 = 0.5, RD = 0.25
    # influence, treated (y - 0.75)/4: A 0.0625, B -0.1875, C 0.0625, D 0.0625
    # influence, comparison -(y - 0.5)/4: A 0.125, B -0.125, C 0.125, D -0.125
    # pair sums: A 0.1875, B -0.3125, C 0.1875, D -0.0625
    # squares: 0.03515625 + 0.09765625 + 0.03515625 + 0.00390625 = 0.171875
    # CR1 factor G/(G-1) (N-1)/(N-K) = 4/3 * 7/6 = 1.555556; Var = 0.267361, SE = 0.517070
    res = _table(binary_effect(_pairs(), outcome_col="y", treatment_col="group", cluster_col="set"))
    assert res.loc["risk_difference", "estimate"] == pytest.approx(0.25)
    assert res.loc["risk_difference", "std_error"] == pytest.approx(
        math.sqrt(0.171875 * 4 / 3 * 7 / 6))
    assert res.loc["risk_difference", "std_error"] == pytest.approx(0.517070, abs=1e-6)
    assert "4 clusters" in res.loc["risk_difference", "method"]
    # ignoring the pairs: 3*0.00390625 + 0.03515625 + 4*0.015625 = 0.109375
    unclustered = _table(binary_effect(_pairs(), outcome_col="y", treatment_col="group"))
    assert unclustered.loc["risk_difference", "std_error"] == pytest.approx(math.sqrt(0.109375))


def test_cluster_robust_agrees_with_statsmodels_glm_cluster():
    df = _pairs()
    X = sm.add_constant(df["group"].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        glm = sm.GLM(df["y"], X, family=sm.families.Binomial(link=sm.families.links.Identity())
                     ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(df["set"])[0]})
    res = _table(binary_effect(df, outcome_col="y", treatment_col="group", cluster_col="set"))
    assert res.loc["risk_difference", "std_error"] == pytest.approx(glm.bse["group"])


def test_relative_risk_undefined_without_events():
    df = two_by_two(5, 20, 0, 20)
    res = _table(binary_effect(df, outcome_col="reoffended", treatment_col="group"))
    assert np.isnan(res.loc["relative_risk", "estimate"])
    assert res.loc["risk_difference", "estimate"] == pytest.approx(0.25)


def test_per_hundred_from_table_and_row():
    # RD = -0.15 (-0.28257, -0.01743): 15 fewer per 100, between 1.7 and 28.3 fewer
    table = binary_effect(two_by_two(30, 100, 45, 100), outcome_col="reoffended", treatment_col="group")
    out = per_hundred(table)
    assert out["difference"] == pytest.approx(-15.0)
    assert out["lower"] == pytest.approx(-28.257, abs=1e-3)
    assert out["upper"] == pytest.approx(-1.743, abs=1e-3)
    assert out["significant"] is True
    assert out["treated"] == pytest.approx(30.0)
    assert out["comparison"] == pytest.approx(45.0)
    row = pd.Series({"term": "risk_difference", "estimate": -0.02, "lower": -0.05,
                     "upper": 0.01})
    out = per_hundred(row)
    assert (out["difference"], out["lower"], out["upper"]) == pytest.approx((-2.0, -5.0, 1.0))
    assert out["significant"] is False
    with pytest.raises(ValueError, match="risk_difference"):
        per_hundred(table.iloc[0])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.drop(columns="y"), "not in the data"),
        (lambda d: d.assign(y=[1, np.nan, 1, 0, 0, 0, 0]), "missing value"),
        (lambda d: d.assign(y=[1, 2, 1, 0, 0, 0, 0]), "0/1"),
        (lambda d: d.assign(group=1), "both the programme group"),
        (lambda d: d.assign(w=[1, -1, 1, 1, 1, 1, 1]), ">= 0"),
    ],
)
def test_bad_input_raises_naming_the_problem(change, match):
    df = change(_weighted_example())
    with pytest.raises(ValueError, match=match):
        binary_effect(df, outcome_col="y", treatment_col="group", weights_col="w")


def test_missing_value_error_names_rows():
    df = _weighted_example()
    df.loc[4, "y"] = np.nan
    with pytest.raises(ValueError, match="rows 5"):
        binary_effect(df, outcome_col="y", treatment_col="group")
