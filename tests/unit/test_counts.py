"""Frequency of reoffending: rate ratios from Poisson and negative binomial models.

Independent checks: closed-form rates and a sandwich built by hand on a six-person example; a
planted rate ratio and dispersion recovered by NB with exposure; a planted null not rejected;
the statsmodels #2829 trap (freq_weights + robust covariance) shown and avoided.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evaluation.estimators.counts import count_effect


def _table(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("term")


def _tiny() -> pd.DataFrame:
    # three matched sets, one programme and one comparison person each
    return pd.DataFrame({
        "set": [0, 0, 1, 1, 2, 2],
        "group": [1, 0, 1, 0, 1, 0],
        "n_offences": [2, 3, 0, 1, 1, 4],
        "years": [1.0, 1.0, 2.0, 1.0, 1.0, 2.0],
        "w": [1.0, 1.0, 1.0, 2.0, 1.0, 1.0],
    })


def test_poisson_weighted_clustered_rate_ratio_by_hand():
    # Saturated Poisson with offset: rate_g = sum(w y)/sum(w E) in each group.
    # Treated: sum(w y) = 2 + 0 + 1 = 3, sum(w E) = 1 + 2 + 1 = 4 -> r1 = 0.75
    # Comparison: sum(w y) = 3 + 2*1 + 4 = 9, sum(w E) = 1 + 2*1 + 2 = 5 -> r0 = 1.8
    # RR = 0.75/1.8 = 0.416667
    # Influence of log r_g: w (y - r_g E) / sum_g(w y)
    #   treated: (2 - 0.75)/3 = 0.416667, (0 - 1.5)/3 = -0.5, (1 - 0.75)/3 = 0.083333
    #   comparison: (3 - 1.8)/9 = 0.133333, 2(1 - 1.8)/9 = -0.177778, (4 - 3.6)/9 = 0.044444
    # set sums of (treated - comparison): 0.283333, -0.322222, 0.038889
    # squares: 0.080278 + 0.103827 + 0.001512 = 0.185617
    # CR1 factor G/(G-1) (N-1)/(N-K) = 3/2 * 5/4 = 1.875 -> Var = 0.348032, SE = 0.589942
    res = _table(count_effect(_tiny(), outcome_col="n_offences", treatment_col="group", exposure_col="years", model="poisson",
                              weights_col="w", cluster_col="set"))
    rr = res.loc["rate_ratio"]
    assert rr["estimate"] == pytest.approx(0.75 / 1.8)
    assert rr["std_error"] == pytest.approx(0.589942, abs=1e-5)
    assert rr["lower"] == pytest.approx(math.exp(math.log(0.75 / 1.8) - 1.959964 * 0.589942),
                                        abs=1e-5)
    assert res.loc["rate_treated", "estimate"] == pytest.approx(0.75)
    assert res.loc["rate_comparison", "estimate"] == pytest.approx(1.8)


def test_poisson_sandwich_matches_matrix_sandwich_with_covariate():
    # A hand-built sandwich A^-1 B A^-1 for a non-saturated model (group + covariate):
    # A = sum w mu x x', B = sum over clusters of (sum w (y - mu) x)(...)', CR1 factor.
    rng = np.random.default_rng(11)
    n = 40
    df = pd.DataFrame({
        "group": np.repeat([0, 1], n // 2),
        "age": rng.normal(30, 8, n),
        "days": rng.uniform(50, 365, n),
        "w": rng.uniform(0.5, 2.0, n),
        "set": np.tile(np.arange(n // 2), 2),
    })
    df["n_offences"] = rng.poisson(df["days"] / 365 * 2)
    res = _table(count_effect(df, outcome_col="n_offences", treatment_col="group", exposure_col="days", model="poisson",
                              covariates=["age"], weights_col="w", cluster_col="set"))
    X = np.column_stack([np.ones(n), df["group"], df["age"]])
    y, w, off = df["n_offences"].to_numpy(), df["w"].to_numpy(), np.log(df["days"].to_numpy())
    b = sm.GLM(y, X, family=sm.families.Poisson(), offset=off, var_weights=w).fit().params
    mu = np.exp(X @ b + off)
    A = (X * (w * mu)[:, None]).T @ X
    scores = X * (w * (y - mu))[:, None]
    sums = np.zeros((n // 2, 3))
    np.add.at(sums, df["set"].to_numpy(), scores)
    G, k = n // 2, 3
    V = np.linalg.inv(A) @ (sums.T @ sums) @ np.linalg.inv(A) * G / (G - 1) * (n - 1) / (n - k)
    assert res.loc["rate_ratio", "estimate"] == pytest.approx(math.exp(b[1]))
    assert res.loc["rate_ratio", "std_error"] == pytest.approx(math.sqrt(V[1, 1]))


def test_statsmodels_2829_freq_weights_robust_is_not_the_pweight_sandwich():
    # The trap we avoid: with freq_weights, GLM's HC0 differs from the probability-weight
    # sandwich; with var_weights (our choice) it equals it. Saturated model, HC0 by hand:
    # treated influence w(y - r1 E)/3 -> 0.416667, -0.5, 0.083333 -> squares 0.173611+0.25+0.006944
    # comparison influence -> 0.133333, -0.177778, 0.044444 -> 0.017778+0.031605+0.001975
    # Var(log RR) = 0.430556 + 0.051358 = 0.481914, SE = 0.694200
    df = _tiny()
    X = sm.add_constant(df["group"].astype(float))
    off = np.log(df["years"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fw = sm.GLM(df["n_offences"], X, family=sm.families.Poisson(), offset=off,
                    freq_weights=df["w"]).fit(cov_type="HC0")
    ours = _table(count_effect(df, outcome_col="n_offences", treatment_col="group", exposure_col="years", model="poisson",
                               weights_col="w"))
    assert ours.loc["rate_ratio", "std_error"] == pytest.approx(0.694200, abs=1e-5)
    assert abs(fw.bse["group"] - 0.694200) > 0.01


def _simulate(seed: int, rate_ratio: float, n: int = 1500, alpha: float = 0.8) -> pd.DataFrame:
    """NB2 counts: Poisson with gamma frailty (mean 1, variance alpha), 2 offences a year."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)
    days = rng.uniform(30, 365, n)
    frailty = rng.gamma(1 / alpha, alpha, n)
    lam = 2.0 * days / 365 * rate_ratio**group * frailty
    return pd.DataFrame({"group": group, "days": days, "n_offences": rng.poisson(lam),
                         "w": rng.uniform(0.5, 2.0, n)})


def test_negative_binomial_recovers_planted_rate_ratio_and_dispersion():
    res = _table(count_effect(_simulate(2024, 0.75), outcome_col="n_offences", treatment_col="group", exposure_col="days"))
    rr = res.loc["rate_ratio"]
    assert rr["lower"] < 0.75 < rr["upper"]
    assert rr["p_value"] < 0.05
    assert res.loc["alpha", "lower"] < 0.8 < res.loc["alpha", "upper"]
    assert "discrete" in rr["method"]


def test_negative_binomial_planted_null_not_rejected():
    res = _table(count_effect(_simulate(7, 1.0), outcome_col="n_offences", treatment_col="group", exposure_col="days"))
    rr = res.loc["rate_ratio"]
    assert rr["lower"] < 1.0 < rr["upper"]
    assert rr["p_value"] > 0.05


def test_negative_binomial_calibration_over_seeds():
    # 80 seeded datasets each: the 95% interval covers 0.75 in most, the null is rarely rejected.
    # Binomial(80, 0.95) is below 0.875 with probability < 1%; Binomial(80, 0.05) above 0.125 too.
    cover = sum(
        r["lower"] < 0.75 < r["upper"]
        for r in (_table(count_effect(_simulate(s, 0.75, n=600), outcome_col="n_offences", treatment_col="group",
                                      exposure_col="days")).loc["rate_ratio"] for s in range(80)))
    reject = sum(
        _table(count_effect(_simulate(500 + s, 1.0, n=600), outcome_col="n_offences", treatment_col="group",
                            exposure_col="days")).loc["rate_ratio", "p_value"] < 0.05
        for s in range(80))
    assert cover / 80 >= 0.875
    assert reject / 80 <= 0.125


def test_weighted_negative_binomial_with_unit_weights_equals_discrete_fit():
    # The weighted path (GLM NB2 at the discrete fit's alpha) must give the discrete MLE's
    # rate ratio when every weight is 1: the MLE of beta given the MLE of alpha.
    df = _simulate(3, 0.8, n=800).assign(one=1.0)
    plain = _table(count_effect(df, outcome_col="n_offences", treatment_col="group", exposure_col="days"))
    weighted = _table(count_effect(df, outcome_col="n_offences", treatment_col="group", exposure_col="days", weights_col="one"))
    assert weighted.loc["rate_ratio", "estimate"] == pytest.approx(
        plain.loc["rate_ratio", "estimate"], rel=1e-4)
    assert weighted.loc["alpha", "estimate"] == pytest.approx(plain.loc["alpha", "estimate"])


def test_integer_weights_equal_duplicated_rows_point_estimate():
    # A weight of 2 is the same person twice, for the point estimate (not for the SE).
    df = _simulate(5, 0.7, n=300)
    df["w2"] = np.where(np.arange(len(df)) % 3 == 0, 2.0, 1.0)
    dup = pd.concat([df, df[df["w2"] == 2.0]], ignore_index=True)
    a = _table(count_effect(df, outcome_col="n_offences", treatment_col="group", exposure_col="days", model="poisson",
                            weights_col="w2"))
    b = _table(count_effect(dup, outcome_col="n_offences", treatment_col="group", exposure_col="days", model="poisson"))
    assert a.loc["rate_ratio", "estimate"] == pytest.approx(b.loc["rate_ratio", "estimate"])


def test_deterministic():
    df = _simulate(9, 0.8, n=500).assign(set=lambda d: np.arange(len(d)) // 2)
    a = count_effect(df, outcome_col="n_offences", treatment_col="group", exposure_col="days", cluster_col="set")
    b = count_effect(df, outcome_col="n_offences", treatment_col="group", exposure_col="days", cluster_col="set")
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("change", "kwargs", "match"),
    [
        (lambda d: d.assign(n_offences=[2, -1, 0, 1, 1, 4]), {}, "whole numbers >= 0"),
        (lambda d: d.assign(n_offences=[2, 1.5, 0, 1, 1, 4]), {}, "whole numbers >= 0"),
        (lambda d: d.assign(years=[1, 0, 2, 1, 1, 2]), {}, "rows 2"),
        (lambda d: d, {"model": "zip"}, "model must be one of"),
        (lambda d: d.assign(age=[1, 2, 3, 4, 5, 6], age2=[2, 4, 6, 8, 10, 12]),
         {"covariates": ["age", "age2"]}, "collinear"),
    ],
)
def test_bad_input_raises(change, kwargs, match):
    with pytest.raises(ValueError, match=match):
        count_effect(change(_tiny()), outcome_col="n_offences", treatment_col="group", exposure_col="years",
                     **{"model": "poisson", **kwargs})
