"""Cox effect: Rossi against Fox & Weisberg and R coxph, robust SEs against R, planted truths."""

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi
from paths import REFERENCE_DIR

from evaluation.estimators.cox import cox_effect, efron_score_residuals, ph_check

ROSSI = REFERENCE_DIR / "rossi"
SMALL = REFERENCE_DIR / "survival_r"
COVS = ["age", "race", "wexp", "mar", "paro", "prio"]
# Fox & Weisberg, "Cox Proportional-Hazards Regression for Survival Data in R" (appendix to
# An R Companion to Applied Regression): coefficient and SE as printed (3 significant figures).
FOX_WEISBERG = {
    "fin": (-0.379, 0.191), "age": (-0.0574, 0.0220), "race": (0.314, 0.308),
    "wexp": (-0.150, 0.212), "mar": (-0.434, 0.382), "paro": (-0.0849, 0.196),
    "prio": (0.0915, 0.0286),
}


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    r = load_rossi()
    r["cl"] = np.arange(len(r)) // 4             # as in rossi_coxph.R
    r["w"] = 1 + (np.arange(len(r)) % 3) / 2
    return r


@pytest.fixture(scope="module")
def rossi_fit(rossi) -> pd.DataFrame:
    return cox_effect(rossi, duration_col="week", event_col="arrest", treatment_col="fin", covariates=COVS)


def _coef_se(table: pd.DataFrame, treatment: str) -> pd.DataFrame:
    names = table["term"].str.replace("hazard_ratio", "").str.strip("[]").replace("", treatment)
    return pd.DataFrame({"coef": np.log(table["estimate"].to_numpy()),
                         "se": table["std_error"].to_numpy()}, index=names)


def test_rossi_matches_published_fox_weisberg(rossi_fit):
    got = _coef_se(rossi_fit, "fin")
    for term, (coef, se) in FOX_WEISBERG.items():
        # published to 3 significant figures: agree to half a unit in the last printed digit
        assert got.loc[term, "coef"] == pytest.approx(coef, abs=0.5 * 10 ** (
            np.floor(np.log10(abs(coef))) - 2))
        assert got.loc[term, "se"] == pytest.approx(se, abs=0.5 * 10 ** (
            np.floor(np.log10(se)) - 2))


def test_rossi_matches_r_coxph_to_full_precision(rossi, rossi_fit):
    ref = pd.read_csv(ROSSI / "rossi_coxph_R.csv").set_index("term")
    got = _coef_se(rossi_fit, "fin")
    np.testing.assert_allclose(got.loc[ref.index, "coef"], ref["coef"], rtol=1e-7)
    np.testing.assert_allclose(got.loc[ref.index, "se"], ref["se"], rtol=1e-6)
    # likelihood-ratio test of the wrapped lifelines fit: published 33.27 on 7 df
    lrt = pd.read_csv(ROSSI / "rossi_coxph_R_lrt.csv")
    cph = CoxPHFitter().fit(rossi[["week", "arrest", "fin", *COVS]], "week", "arrest")
    res = cph.log_likelihood_ratio_test()
    assert res.test_statistic == pytest.approx(lrt["value"].item(), rel=1e-7)
    assert round(res.test_statistic, 2) == 33.27 and res.degrees_freedom == 7


@pytest.mark.parametrize("model, weights", [("cluster", None), ("weighted_cluster", "w")])
def test_rossi_cluster_robust_se_matches_r(rossi, model, weights):
    """R coxph(cluster=cl) robust SEs (Efron residuals); lifelines' own differ with ties."""
    ref = pd.read_csv(ROSSI / "rossi_coxph_R_robust.csv").query("model == @model")
    got = _coef_se(cox_effect(rossi, duration_col="week", event_col="arrest", treatment_col="fin", covariates=["age", "prio"], weights_col=weights,
                              cluster_col="cl"), "fin")
    np.testing.assert_allclose(got.loc[ref["term"], "coef"], ref["coef"], rtol=1e-7)
    np.testing.assert_allclose(got.loc[ref["term"], "se"], ref["robust_se"], rtol=1e-7)


@pytest.mark.parametrize("model, kwargs", [
    ("weighted_cluster", {"weights_col": "weight", "cluster_col": "match_set"}),
    ("cluster_adjusted", {"covariates": ["x"], "cluster_col": "match_set"}),
    ("unweighted", {}),
])
def test_small_matches_r(model, kwargs):
    small = pd.read_csv(SMALL / "small.csv")
    ref = pd.read_csv(SMALL / "cox_R.csv").query("model == @model")
    got = _coef_se(cox_effect(small, duration_col="time", event_col="event", treatment_col="treated", **kwargs), "treated")
    # both programs stop Newton-Raphson at ~1e-9 relative change in log-likelihood, which leaves
    # ~1e-6 relative differences in the coefficients on this small, heavily tied sample
    np.testing.assert_allclose(got.loc[ref["term"], "coef"], ref["coef"], rtol=1e-5)
    np.testing.assert_allclose(got.loc[ref["term"], "se"], ref["se"], rtol=1e-5)


def test_robust_se_equals_lifelines_without_ties():
    """Without tied times Efron = Breslow residuals, so lifelines' own sandwich is a second
    opinion (with ties it differs from R; see the Rossi tests)."""
    rng = np.random.default_rng(11)
    n = 80
    df = pd.DataFrame({"t": rng.exponential(1, n), "e": rng.integers(0, 2, n),
                       "g": np.repeat([0, 1], n // 2), "a": rng.normal(size=n),
                       "w": rng.uniform(0.5, 2, n), "c": np.arange(n) // 3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter().fit(df, "t", "e", weights_col="w", cluster_col="c", robust=True)
    got = _coef_se(cox_effect(df, duration_col="t", event_col="e", treatment_col="g", covariates=["a"], weights_col="w", cluster_col="c"), "g")
    np.testing.assert_allclose(got.loc[["g", "a"], "se"], cph.standard_errors_[["g", "a"]],
                               rtol=1e-8)
    r = efron_score_residuals(df["t"].to_numpy(), df["e"].to_numpy(float), df["w"].to_numpy(),
                              df[["g", "a"]].to_numpy(), cph.params_[["g", "a"]].to_numpy())
    # the weighted score residuals sum to the score, which is zero at the maximum
    np.testing.assert_allclose((df["w"].to_numpy()[:, None] * r).sum(axis=0), 0, atol=1e-6)


def _exponential(seed: int, hr: float, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat([0, 1], n)
    t = rng.exponential(1 / (np.where(g == 1, hr, 1.0) / 400))
    return pd.DataFrame({"t": np.ceil(np.minimum(t, 730)), "e": (t <= 730).astype(int), "g": g,
                         "person": np.arange(2 * n)})


def test_planted_hazard_ratio_recovered():
    row = cox_effect(_exponential(7, 0.7), duration_col="t", event_col="e", treatment_col="g").iloc[0]
    assert row["term"] == "hazard_ratio"
    assert row["lower"] < 0.7 < row["upper"] and row["upper"] < 1


def test_planted_null_not_significant_weighted_clustered():
    df = _exponential(8, 1.0)
    df["w"] = np.random.default_rng(9).uniform(0.5, 2, len(df))
    row = cox_effect(df, duration_col="t", event_col="e", treatment_col="g", weights_col="w", cluster_col="person").iloc[0]
    assert row["lower"] < 1 < row["upper"] and row["p_value"] > 0.05


def test_ph_check_rossi_flags_age_and_wexp_not_fin(rossi):
    # Well-known result for this model (R cox.zph and the lifelines docs): age and wexp break PH.
    res = ph_check(rossi, duration_col="week", event_col="arrest", treatment_col="fin", covariates=COVS)
    p = res.table.set_index("term")["p_value"]
    assert p["age"] < 0.05 and p["wexp"] < 0.05 and p["fin"] > 0.05
    assert not res.violated
    assert "age" in res.statement and "rmst_effect" in res.statement


def test_ph_check_planted_crossing_hazards_points_to_rmst():
    # treated: Weibull shape 3 (hazard rising), comparison: exponential, similar medians
    rng = np.random.default_rng(5)
    n = 600
    t = np.r_[rng.exponential(300, n), 300 * rng.weibull(3, n)]
    df = pd.DataFrame({"t": np.ceil(t), "e": 1, "g": np.repeat([0, 1], n)})
    res = ph_check(df, duration_col="t", event_col="e", treatment_col="g")
    assert res.violated and "RMST" not in res.statement.split("(")[0]
    assert "restricted mean survival time" in res.statement


def test_errors():
    df = pd.DataFrame({"t": [1, 2, 3], "e": [1, 0, 1], "g": [0, 1, 1]})
    with pytest.raises(ValueError, match="'missing'"):
        cox_effect(df, duration_col="t", event_col="e", treatment_col="g", covariates=["missing"])
    with pytest.raises(ValueError, match="treatment column 'g'"):
        cox_effect(df.assign(g=1), duration_col="t", event_col="e", treatment_col="g")


@pytest.mark.parametrize("weighted", [False, True])
def test_vectorised_efron_fit_equals_lifelines(weighted):
    """efron.py runs lifelines' Newton-Raphson vectorised: same coefficients and model-based
    covariance as CoxPHFitter to 1e-8 on 5,000 rows with heavy ties (daily times)."""
    from evaluation.estimators.efron import efron_fit

    rng = np.random.default_rng(5000)
    n = 5000
    X = np.column_stack([rng.binomial(1, 0.3, n), rng.normal(35, 10, n), rng.poisson(3, n),
                         rng.binomial(1, 0.5, n)]).astype(float)
    t = np.ceil(np.minimum(rng.exponential(1 / (0.003 * np.exp(0.1 * X[:, 2] - 0.3 * X[:, 0]))),
                           365))
    e = (t < 365).astype(float)
    w = rng.choice([0.5, 1.0, 2.0], n) if weighted else np.ones(n)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(T=t, E=e, W=w)
    cph = CoxPHFitter().fit(df, "T", "E", weights_col="W")
    ours = efron_fit(t, e, w, X)
    assert ours.converged
    np.testing.assert_allclose(ours.params, cph.params_.to_numpy(), rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours.variance, cph.variance_matrix_.to_numpy(), rtol=1e-8, atol=0)
    assert ours.log_likelihood == pytest.approx(cph.log_likelihood_, rel=1e-10)


@pytest.mark.parametrize(("clustered", "daily"), [(False, True), (True, True), (True, False)])
def test_vectorised_robust_variance_equals_residual_sandwich(clustered, daily):
    """efron.py's robust variance (per-time sums of the last Newton step) equals the sandwich
    built from efron_score_residuals (itself checked against R above) to 1e-10; daily times
    (few distinct: per-time slices) and continuous ones (5,000 distinct: gathered rows)."""
    from evaluation.estimators.efron import efron_fit

    rng = np.random.default_rng(6)
    n = 5000
    X = np.column_stack([rng.binomial(1, 0.4, n), rng.normal(0, 1, n), rng.poisson(2, n)])
    t = rng.exponential(150, n).clip(max=365)
    t = np.ceil(t) if daily else t
    e = (t < 365).astype(float)
    w = rng.choice([0.25, 1.0, 2.0], n)
    codes = rng.permutation(np.arange(n) // 3) if clustered else None
    fit = efron_fit(t, e, w, X, robust=True, cluster_codes=codes)
    r = efron_score_residuals(t, e, w, X.astype(float), fit.params)
    u = w[:, None] * r
    if clustered:
        u = np.column_stack([np.bincount(codes, weights=u[:, k]) for k in range(u.shape[1])])
    dfbeta = u @ fit.variance
    np.testing.assert_allclose(fit.robust_variance, dfbeta.T @ dfbeta, rtol=1e-10, atol=0)
