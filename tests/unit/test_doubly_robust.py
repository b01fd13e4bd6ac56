"""Doubly robust / covariate-adjusted estimates of the effect on the treated (risk difference).

Planted truths in seeded simulations with confounding: the truth is the sample effect on the
treated, mean over programme people of [P(Y=1 | X, treated) - P(Y=1 | X, untreated)] from the
data-generating model. The g-computation arithmetic is cross-checked against statsmodels'
own predictions and a numerical-gradient delta method.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy.special import expit

from evaluation.estimators.binary import binary_effect
from evaluation.estimators.doubly_robust import adjusted_effect, aipw_att


def _table(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("term")


def _simulate(seed: int, beta: float, n: int = 3000, ps_nonlinear: bool = False):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, n).astype(float)
    lin_ps = -1.0 + 0.8 * x1 + 0.6 * x2
    if ps_nonlinear:  # the propensity model (linear in x1, x2) is then wrong
        lin_ps = lin_ps + 0.8 * (x1**2 - 1)
    e = expit(lin_ps)
    t = rng.binomial(1, e)
    lin_y = -0.5 + 0.7 * x1 + 0.5 * x2
    p0, p1 = expit(lin_y), expit(lin_y + beta)
    y = rng.binomial(1, np.where(t == 1, p1, p0))
    df = pd.DataFrame({"t": t, "y": y, "x1": x1, "x2": x2,
                       "w": np.where(t == 1, 1.0, e / (1 - e)),  # ATT odds weights
                       "set": np.arange(n) // 2})
    truth = float((p1 - p0)[t == 1].mean())
    return df, truth


def test_aipw_recovers_planted_att_where_naive_comparison_fails():
    df, truth = _simulate(10, -0.6)
    res = _table(aipw_att(df, outcome_col="y", treatment_col="t", covariates=["x1", "x2"]))
    rd = res.loc["risk_difference"]
    assert rd["lower"] < truth < rd["upper"]
    naive = _table(binary_effect(df, outcome_col="y", treatment_col="t")).loc["risk_difference"]
    assert not naive["lower"] < truth < naive["upper"]  # confounding is real in this design


def test_aipw_doubly_robust_to_wrong_propensity_model():
    df, truth = _simulate(11, -0.6, ps_nonlinear=True)
    rd = _table(aipw_att(df, outcome_col="y", treatment_col="t", covariates=["x1", "x2"], cluster_col="set")).loc["risk_difference"]
    assert rd["lower"] < truth < rd["upper"]


def test_aipw_planted_null_not_rejected():
    df, truth = _simulate(12, 0.0)
    assert truth == 0.0
    rd = _table(aipw_att(df, outcome_col="y", treatment_col="t", covariates=["x1", "x2"])).loc["risk_difference"]
    assert rd["p_value"] > 0.05


def test_aipw_coverage_over_seeds():
    # 60 seeded datasets: P(Binomial(60, 0.95) < 51) < 1%.
    hits = 0
    for s in range(60):
        df, truth = _simulate(100 + s, -0.6, n=1200)
        rd = _table(aipw_att(df, outcome_col="y", treatment_col="t", covariates=["x1", "x2"])).loc["risk_difference"]
        hits += rd["lower"] < truth < rd["upper"]
    assert hits >= 51


def test_aipw_poor_overlap_raises():
    df, _ = _simulate(13, 0.0, n=500)
    df["x3"] = df["t"] * 3.0 + np.random.default_rng(0).normal(0, 1, len(df))
    controls = df.index[df["t"] == 0][:3]
    df.loc[controls, "x3"] = 6.0  # three comparison people who look like no-one else untreated
    with pytest.raises(ValueError, match="poor overlap"):
        aipw_att(df, outcome_col="y", treatment_col="t", covariates=["x1", "x2", "x3"], max_odds_weight=20)


def test_adjusted_effect_matches_statsmodels_predictions_and_numeric_delta():
    df, _ = _simulate(14, -0.5, n=800)
    res = _table(adjusted_effect(df, outcome_col="y", treatment_col="t", covariates=["x1", "x2"], weights_col="w", cluster_col="set"))
    # independent route: statsmodels formula GLM, predict on counterfactual copies
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="cov_type not fully supported")
        fit = smf.glm("y ~ t + x1 + x2", df, family=sm.families.Binomial(),
                      var_weights=df["w"]).fit(cov_type="cluster",
                                               cov_kwds={"groups": df["set"]})
    treated = df[df["t"] == 1]
    p1 = fit.predict(treated.assign(t=1)).mean()
    p0 = fit.predict(treated.assign(t=0)).mean()
    assert res.loc["risk_difference", "estimate"] == pytest.approx(p1 - p0)
    assert res.loc["relative_risk", "estimate"] == pytest.approx(p1 / p0)

    # numerical gradient of the treated-average contrast, then g' V g
    def contrast(b):
        X1 = np.column_stack([np.ones(len(treated)), np.ones(len(treated)), treated["x1"],
                              treated["x2"]])
        X0 = X1.copy()
        X0[:, 1] = 0.0
        return expit(X1 @ b).mean() - expit(X0 @ b).mean()

    b = fit.params.to_numpy()
    h = 1e-6
    grad = np.array([(contrast(b + h * np.eye(4)[j]) - contrast(b - h * np.eye(4)[j])) / (2 * h)
                     for j in range(4)])
    se = math.sqrt(grad @ fit.cov_params().to_numpy() @ grad)
    assert res.loc["risk_difference", "std_error"] == pytest.approx(se, rel=1e-5)


def test_adjusted_effect_recovers_planted_att_in_weighted_sample():
    df, truth = _simulate(15, -0.6)
    rd = _table(adjusted_effect(df, outcome_col="y", treatment_col="t", covariates=["x1", "x2"], weights_col="w")).loc["risk_difference"]
    assert rd["lower"] < truth < rd["upper"]


def test_adjusted_effect_null_rejection_rate():
    # A single seeded null (seed 16) was rejected at p = 0.032, a 1-in-20 draw a 5% test must
    # sometimes give, so the null is checked as a rate over 100 seeds.
    # P(Binomial(100, 0.05) >= 12) < 1%. Measured (benchmark runs, 400-300 seeds): HC0 with ATT
    # odds weights rejects 7.5% at n = 1000 and 5.7% at n = 1500 (slightly anti-conservative).
    rejected = 0
    for s in range(100):
        df, _ = _simulate(300 + s, 0.0, n=1500)
        rd = _table(adjusted_effect(df, outcome_col="y", treatment_col="t", covariates=["x1", "x2"], weights_col="w")).loc[
            "risk_difference"]
        rejected += rd["p_value"] < 0.05
    assert rejected <= 11


def test_adjusted_effect_table_lines_up_with_binary_effect():
    df, _ = _simulate(17, -0.3, n=400)
    a = adjusted_effect(df, outcome_col="y", treatment_col="t", covariates=["x1"], weights_col="w")
    b = binary_effect(df, outcome_col="y", treatment_col="t", weights_col="w")
    assert list(a["term"]) == list(b["term"])
    assert list(a.columns) == list(b.columns)


def test_adjusted_effect_needs_covariates():
    df, _ = _simulate(18, 0.0, n=100)
    with pytest.raises(ValueError, match="at least one covariate"):
        adjusted_effect(df, outcome_col="y", treatment_col="t", covariates=[])
