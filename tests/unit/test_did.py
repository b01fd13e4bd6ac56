"""Before/during with a comparison group: naive change, DiD, share due to the comparison trend.

Checked against a 2 groups x 2 periods example worked out by hand, the long-format OLS
interaction with person-clustered errors (statsmodels formula, an independent route), and a
planted programme effect recovered from data with regression to the mean built in.
"""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaluation.estimators.did import did_before_during, did_ratio_of_ratios


def _table(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("term")


def _hand() -> pd.DataFrame:
    return pd.DataFrame({
        "person": ["t1", "t2", "t3", "c1", "c2", "c3"],
        "iom": [1, 1, 1, 0, 0, 0],
        "before": [10.0, 8.0, 6.0, 6.0, 4.0, 2.0],
        "during": [4.0, 4.0, 4.0, 4.0, 2.0, 3.0],
    })


def test_did_hand_example():
    # Programme: before mean 8, during 4, change -4 (-50%).
    # Comparison: before mean 4, during 3, change -1 (-25%).
    # DiD = -4 - (-1) = -3; as % of the programme's before rate: -3/8 = -37.5%.
    # Share of the naive change explained by the comparison trend: -1 / -4 = 0.25.
    # SE (person clusters): change scores T -6, -4, -2 (resid -2, 0, 2); C -2, -2, 1
    #   (resid -1, -1, 2). HC0 Var(DiD) = 8/3^2 + 6/3^2 = 14/9; CR1 factor n/(n-1) (n-1)/(n-2)
    #   = 6/5 * 5/4 = 1.5 -> Var = 7/3, SE = 1.527525; CI = -3 -/+ 2.993895.
    #   Var(change_treated) = 8/9 * 1.5 = 4/3, SE = 1.154701.
    res = _table(did_before_during(_hand(), before_col="before", during_col="during", treatment_col="iom"))
    assert res.loc["before_treated", "estimate"] == pytest.approx(8.0)
    assert res.loc["during_treated", "estimate"] == pytest.approx(4.0)
    assert res.loc["change_treated", "estimate"] == pytest.approx(-4.0)
    assert res.loc["change_treated_pct", "estimate"] == pytest.approx(-50.0)
    assert res.loc["change_comparison", "estimate"] == pytest.approx(-1.0)
    assert res.loc["change_comparison_pct", "estimate"] == pytest.approx(-25.0)
    assert res.loc["did", "estimate"] == pytest.approx(-3.0)
    assert res.loc["did_pct", "estimate"] == pytest.approx(-37.5)
    assert res.loc["comparison_share", "estimate"] == pytest.approx(0.25)
    assert res.loc["did", "std_error"] == pytest.approx(math.sqrt(7 / 3))
    assert res.loc["did", "lower"] == pytest.approx(-3 - 2.993895, abs=1e-5)
    assert res.loc["change_treated", "std_error"] == pytest.approx(math.sqrt(4 / 3))
    # share = a/t, a = comparison change (-1, Var 6/9*1.5 = 1), t = programme change (-4,
    # Var 4/3), independent groups so Cov = 0. Delta method: (1/t)^2 Var(a) + (a/t^2)^2 Var(t)
    #   = 0.0625*1 + 0.00390625*4/3 = 0.0625 + 0.0052083 = 0.0677083, SE = 0.260208
    assert res.loc["comparison_share", "std_error"] == pytest.approx(math.sqrt(0.0677083),
                                                                    abs=1e-5)


def test_did_equals_long_format_ols_interaction_with_person_clusters():
    rng = np.random.default_rng(4)
    n = 60
    df = pd.DataFrame({"iom": np.repeat([0, 1], n // 2),
                       "before": rng.gamma(2, 3, n), "during": rng.gamma(2, 2, n)})
    long = pd.concat([
        pd.DataFrame({"person": np.arange(n), "iom": df["iom"], "period": 0, "rate": df["before"]}),
        pd.DataFrame({"person": np.arange(n), "iom": df["iom"], "period": 1, "rate": df["during"]}),
    ])
    ols = smf.ols("rate ~ iom * period", long).fit(
        cov_type="cluster", cov_kwds={"groups": long["person"], "use_correction": False})
    res = _table(did_before_during(df, before_col="before", during_col="during", treatment_col="iom"))
    assert res.loc["did", "estimate"] == pytest.approx(ols.params["iom:period"])
    # same sandwich; ours carries the CR1 factor n/(n-2) for the change-score regression
    assert res.loc["did", "std_error"] == pytest.approx(
        ols.bse["iom:period"] * math.sqrt(n / (n - 2)))


def test_weighted_did_equals_duplicated_rows():
    df = _hand().assign(w=[2, 1, 1, 1, 1, 3])
    dup = pd.concat([df, df.iloc[[0]], df.iloc[[5, 5]]], ignore_index=True)
    a = _table(did_before_during(df, before_col="before", during_col="during", treatment_col="iom", weights_col="w"))
    b = _table(did_before_during(dup, before_col="before", during_col="during", treatment_col="iom"))
    for term in ("before_treated", "change_treated", "change_comparison", "did",
                 "comparison_share"):
        assert a.loc[term, "estimate"] == pytest.approx(b.loc[term, "estimate"])
    # weighted by hand: programme before (20 + 8 + 6)/4 = 8.5, during 4, change -4.5
    assert a.loc["change_treated", "estimate"] == pytest.approx(-4.5)


def test_ratio_of_ratios_hand_example():
    # during/before: programme 4/8 = 0.5, comparison 3/4 = 0.75, ratio of ratios 2/3.
    # Person influence on log RoR: programme (d - 4)/(3*4) - (b - 8)/(3*8):
    #   t1 -0.083333, t2 0, t3 0.083333; comparison -[(d - 3)/9 - (b - 4)/12]:
    #   c1 -(0.111111 - 0.166667) = 0.055556, c2 0.111111, c3 -0.166667
    # squares 0.006944*2 + 0.003086 + 0.012346 + 0.027778 = 0.057099
    # CR1 for the long model: G/(G-1) (N-1)/(N-K) = 6/5 * 11/8 = 1.65 -> Var 0.094213,
    #   SE = 0.306942
    res = _table(did_ratio_of_ratios(_hand(), before_col="before", during_col="during", treatment_col="iom"))
    assert res.loc["ratio_treated", "estimate"] == pytest.approx(0.5)
    assert res.loc["ratio_comparison", "estimate"] == pytest.approx(0.75)
    assert res.loc["ratio_of_ratios", "estimate"] == pytest.approx(2 / 3)
    assert res.loc["ratio_of_ratios", "std_error"] == pytest.approx(0.306942, abs=1e-5)


def _simulate(seed: int, effect: float, n: int = 2000) -> pd.DataFrame:
    """Selection at a peak: everyone's usual rate drifts down 10%; IOM and comparison people
    were both picked for a high 'before' year, so both fall back (regression to the mean)."""
    rng = np.random.default_rng(seed)
    usual = rng.gamma(2.0, 2.0, n)
    group = np.repeat([0, 1], n // 2)
    before = usual + rng.gamma(2.0, 1.5, n)  # the peak that got them selected
    during = np.maximum(0.0, 0.9 * usual + effect * group + rng.normal(0, 1.0, n))
    return pd.DataFrame({"iom": group, "before": before, "during": during,
                         "set": np.arange(n) % (n // 2)})


def test_planted_did_recovered_and_naive_drop_mostly_regression_to_mean():
    # The planted effect -1.0 offence a year; the truncation at 0 shifts it by far less than
    # the interval width at these rates (usual rate mean 4).
    res = _table(did_before_during(_simulate(1, -1.0), before_col="before", during_col="during", treatment_col="iom", cluster_col="set"))
    assert res.loc["did", "lower"] < -1.0 < res.loc["did", "upper"]
    # naive change about -(0.1*4 + 3) - 1 = -4.4; comparison about -3.4: share well above half
    assert res.loc["change_treated", "estimate"] < -3.5
    assert res.loc["comparison_share", "estimate"] > 0.6


def test_planted_null_not_rejected():
    res = _table(did_before_during(_simulate(2, 0.0), before_col="before", during_col="during", treatment_col="iom"))
    assert res.loc["did", "p_value"] > 0.05
    assert res.loc["change_treated", "p_value"] < 0.05  # the naive figure "finds" a drop


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.assign(before=[10, -1, 6, 6, 4, 2]), "rows 2"),
        (lambda d: d.assign(during=[4, 4, np.nan, 4, 2, 3]), "missing"),
        (lambda d: d.assign(iom=[1, 1, 1, 1, 1, 1]), "both the programme group"),
    ],
)
def test_bad_input_raises(change, match):
    with pytest.raises(ValueError, match=match):
        did_before_during(change(_hand()), before_col="before", during_col="during", treatment_col="iom")


def test_ratio_needs_nonzero_cell():
    df = _hand().assign(during=[0.0, 0.0, 0.0, 4.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="ratio of rates is undefined"):
        did_ratio_of_ratios(df, before_col="before", during_col="during", treatment_col="iom")
