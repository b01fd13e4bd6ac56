"""RMST: hand-worked tiny case, R survival agreement (rmean SE and integrated IJ influence)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from paths import REFERENCE_DIR

from evaluation.estimators.rmst import rmst_effect

REF = REFERENCE_DIR / "survival_r"
Z = 1.959963984540054


def _t(df):
    return df.set_index("term")


def test_tiny_case_by_hand():
    # tau = 5.
    # Treated: times 2, 4, 6 (events 1, 1, 0). S = 1 on [0,2), 2/3 on [2,4), 1/3 on [4,5].
    #   RMST = 2 + 2*(2/3) + 1*(1/3) = 11/3.
    #   Greenwood-type: area after t=2: 2*(2/3)+1/3 = 5/3, d/(Y(Y-d)) = 1/(3*2);
    #                   area after t=4: 1/3, 1/(2*1).  Var = 25/54 + 1/18 = 14/27.
    # Control: times 1, 3, 7 (events 1, 1, 0). S = 1 on [0,1), 2/3 on [1,3), 1/3 on [3,5].
    #   RMST = 1 + 4/3 + 2/3 = 3.  Var = 2^2/6 + (2/3)^2/2 = 2/3 + 2/9 = 8/9.
    # Difference 11/3 - 3 = 2/3, Var = 14/27 + 24/27 = 38/27; ratio 11/9,
    # Var log ratio = (14/27)/(11/3)^2 + (8/9)/3^2.
    df = pd.DataFrame({"t": [2, 4, 6, 1, 3, 7], "e": [1, 1, 0, 1, 1, 0],
                       "g": [1, 1, 1, 0, 0, 0]})
    out = _t(rmst_effect(df, duration_col="t", event_col="e", treatment_col="g", tau=5))
    assert out.loc["rmst_treated", "estimate"] == pytest.approx(11 / 3)
    assert out.loc["rmst_treated", "std_error"] == pytest.approx(np.sqrt(14 / 27))
    assert out.loc["rmst_comparison", "estimate"] == pytest.approx(3)
    assert out.loc["rmst_comparison", "std_error"] == pytest.approx(np.sqrt(8 / 9))
    diff = out.loc["rmst_difference"]
    assert diff["estimate"] == pytest.approx(2 / 3)
    assert diff["std_error"] == pytest.approx(np.sqrt(38 / 27))
    assert diff["lower"] == pytest.approx(2 / 3 - Z * np.sqrt(38 / 27))
    se_log = np.sqrt((14 / 27) / (11 / 3) ** 2 + (8 / 9) / 9)
    assert out.loc["rmst_ratio", "estimate"] == pytest.approx(11 / 9)
    assert out.loc["rmst_ratio", "std_error"] == pytest.approx(se_log)


def test_not_lifelines_return_variance():
    """lifelines' return_variance is Var[min(T, tau)] (#1682): about n times ours."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"t": rng.exponential(300, n) // 30 * 30 + 30, "e": 1, "g": np.repeat([0, 1], n // 2)})
    ours = _t(rmst_effect(df, duration_col="t", event_col="e", treatment_col="g", tau=365)).loc["rmst_comparison", "std_error"]
    s = df[df["g"] == 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy quad's subdivision warning inside lifelines
        _, var_min = restricted_mean_survival_time(KaplanMeierFitter().fit(s["t"], s["e"]), 365,
                                                   return_variance=True)
    # sampling variance of a mean of 200 complete observations ~ Var[min(T, tau)] / 200
    assert ours**2 == pytest.approx(var_min / 200, rel=0.02)


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REF / "rmst_R.csv").set_index("group")


def test_unweighted_matches_r_print_rmean(small, ref):
    out = _t(rmst_effect(small, duration_col="time", event_col="event", treatment_col="treated", tau=365))
    for g, term in ((1, "rmst_treated"), (0, "rmst_comparison")):
        assert out.loc[term, "estimate"] == pytest.approx(ref.loc[g, "rmst_unweighted"], rel=1e-9)
        assert out.loc[term, "std_error"] == pytest.approx(ref.loc[g, "se_unweighted"], rel=1e-8)


@pytest.mark.parametrize("cluster, col", [(None, "se_weighted_id"),
                                          ("match_set", "se_weighted_cluster")])
def test_weighted_matches_r_influence(small, ref, cluster, col):
    out = _t(rmst_effect(small, duration_col="time", event_col="event", treatment_col="treated", tau=365, weights_col="weight",
                         cluster_col=cluster))
    for g, term in ((1, "rmst_treated"), (0, "rmst_comparison")):
        assert out.loc[term, "estimate"] == pytest.approx(ref.loc[g, "rmst_weighted"], rel=1e-9)
        assert out.loc[term, "std_error"] == pytest.approx(ref.loc[g, col], rel=1e-8)
    if cluster:
        assert out.loc["rmst_difference", "std_error"] == pytest.approx(
            ref.loc[0, "se_difference_weighted_cluster"], rel=1e-8)


def test_planted_truth_and_null():
    # Exponential times: RMST to tau = (1 - exp(-lambda tau)) / lambda.
    # control mean 400 days, treated hazard x 0.7 (mean 571.4); censoring at 730 days.
    rng = np.random.default_rng(2024)
    n, tau = 1500, 365.0
    g = np.repeat([0, 1], n)
    lam = np.where(g == 1, 0.7, 1.0) / 400
    t = rng.exponential(1 / lam)
    df = pd.DataFrame({"t": np.minimum(t, 730), "e": (t <= 730).astype(int), "g": g})
    truth = (1 - np.exp(-0.7 / 400 * tau)) / (0.7 / 400) - (1 - np.exp(-tau / 400)) * 400
    d = _t(rmst_effect(df, duration_col="t", event_col="e", treatment_col="g", tau=tau)).loc["rmst_difference"]
    assert d["lower"] < truth < d["upper"] and d["p_value"] < 0.05
    null = df.assign(g=rng.permutation(g))
    assert _t(rmst_effect(null, duration_col="t", event_col="e", treatment_col="g", tau=tau)).loc["rmst_difference", "p_value"] > 0.05


def test_bad_horizon():
    df = pd.DataFrame({"t": [1, 2], "e": [1, 1], "g": [0, 1]})
    with pytest.raises(ValueError, match="tau"):
        rmst_effect(df, duration_col="t", event_col="e", treatment_col="g", tau=0)
