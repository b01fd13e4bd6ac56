"""Propensity model: design matrix against statsmodels' formula interface (independent
construction), predict, and clear errors (missing values, separation, unseen levels).
The comparison with R glm is in test_design_matchit.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaluation.design import PropensityModel


@pytest.fixture(scope="module")
def df():
    rng = np.random.default_rng(42)
    n = 600
    d = pd.DataFrame({
        "age": rng.normal(30, 8, n),
        "prior": rng.poisson(2, n).astype(float),
        "area": rng.choice(["birmingham", "coventry", "dudley"], n),
    })
    lin = -0.5 + 0.03 * (d["age"] - 30) + 0.3 * d["prior"] - 0.5 * (d["area"] == "dudley")
    d["treated"] = rng.binomial(1, 1 / (1 + np.exp(-lin)))
    return d


def test_categorical_and_interaction_match_formula_fit(df):
    pm = PropensityModel(["age", "prior"], categorical=["area"],
                         interactions=[("age", "prior")]).fit(df)
    ref = smf.logit("treated ~ age + prior + C(area) + age:prior", data=df).fit(disp=0)
    # formula names: Intercept, C(area)[T.coventry], C(area)[T.dudley], age, prior, age:prior
    mapping = {"const": "Intercept", "age": "age", "prior": "prior",
               "area[coventry]": "C(area)[T.coventry]", "area[dudley]": "C(area)[T.dudley]",
               "age:prior": "age:prior"}
    for ours, theirs in mapping.items():
        assert pm.coef_[ours] == pytest.approx(ref.params[theirs], rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(pm.propensity_, ref.predict(df), rtol=1e-7)
    np.testing.assert_allclose(pm.predict(df), pm.propensity_, rtol=1e-12)
    np.testing.assert_allclose(np.log(pm.propensity_ / (1 - pm.propensity_)), pm.logit_,
                               rtol=1e-9)
    assert list(pm.summary_["term"]) == pm.design_columns_


def test_splines_fit_and_predict_new_rows(df):
    pm = PropensityModel(["prior"], splines=["age"]).fit(df)
    # 4 quantile knots, cubic -> 6 B-spline columns, first dropped (the basis sums to one)
    assert [c for c in pm.design_columns_ if c.startswith("age[")] == [
        f"age[bs{j}]" for j in range(1, 6)]
    new = df.head(5).assign(age=[15.0, 25.0, 35.0, 45.0, 80.0])  # 80 is beyond the data
    p = pm.predict(new)
    assert p.between(0, 1).all() and p.index.equals(new.index)


def test_missing_covariate_names_column_and_rows(df):
    bad = df.copy()
    bad.loc[[3, 7], "age"] = np.nan
    with pytest.raises(ValueError, match=r"'age' has 2 missing value\(s\) at rows 4, 8"):
        PropensityModel(["age"]).fit(bad)
    with pytest.raises(ValueError, match=r"\['nope'\] not in the data"):
        PropensityModel(["nope"]).fit(df)


def test_separation_by_category_level_names_level(df):
    bad = df.copy()
    bad["area"] = bad["area"].astype(object)
    bad.loc[bad.index[:5], ["area", "treated"]] = ["solihull", 1]
    with pytest.raises(ValueError, match="level 'solihull' of 'area' holds only treated"):
        PropensityModel(["age"], categorical=["area"]).fit(bad)


def test_quasi_separation_continuous_names_rows():
    x = np.linspace(-3, 3, 60)
    d = pd.DataFrame({"x": x, "treated": (x > 0).astype(int)})
    # every treated person (x > 0, rows 30-59) sits at a fitted propensity of 1: the error names
    # those treated rows
    with pytest.raises(ValueError, match="separation.*for treated rows (3[1-9]|40)"):
        PropensityModel(["x"]).fit(d)


def test_comparison_people_far_from_any_treated_are_counted_not_fatal():
    # one comparison person with a huge prior count: fitted propensity ~0, harmless for the ATT
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    t = (rng.uniform(size=200) < 1 / (1 + np.exp(-x))).astype(int)
    d = pd.DataFrame({"x": np.r_[x, -60.0], "treated": np.r_[t, 0]})
    pm = PropensityModel(["x"]).fit(d)
    assert pm.n_extreme_ >= 1
    assert pm.propensity_.iloc[-1] < 1e-8


def test_flag_held_only_by_comparison_people_fits_like_r_glm(df):
    # A 0/1 covariate that is 1 for a few comparison people only (e.g. prior custody in a
    # cautioned cohort): its coefficient runs to -inf, Newton's coefficient test never passes,
    # but the deviance settles (R's glm converges with "fitted probabilities 0 or 1"). In the
    # limit those people contribute nothing, so the other coefficients equal the fit without
    # them: an independent check.
    d = df.copy()
    d["custody"] = 0.0
    flagged = d.index[d["treated"] == 0][:8]
    d.loc[flagged, "custody"] = 1.0
    pm = PropensityModel(["age", "prior", "custody"], categorical=["area"]).fit(d)
    assert pm.coef_["custody"] < -15
    assert pm.n_extreme_ == len(flagged)
    assert (pm.propensity_.loc[flagged] < 1e-6).all()
    rest = PropensityModel(["age", "prior"], categorical=["area"]).fit(d.drop(index=flagged))
    for term in rest.coef_.index:
        assert pm.coef_[term] == pytest.approx(rest.coef_[term], abs=1e-5)


def test_unseen_level_at_predict(df):
    pm = PropensityModel(["age"], categorical=["area"]).fit(df)
    new = df.head(3).assign(area=["birmingham", "walsall", "dudley"])
    with pytest.raises(ValueError, match="levels not seen in fitting at rows 2.*walsall"):
        pm.predict(new)


def test_rank_check_agrees_with_svd_and_skips_it_when_clear():
    """The cheap rank check (eigenvalues of X'X of the standardised design) decides as
    np.linalg.matrix_rank does: full rank on a well-conditioned design, the SVD's verdict on a
    collinear or nearly collinear one; the model then refuses collinear covariates."""
    from evaluation.design.propensity import design_rank

    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(500), rng.normal(size=(500, 3))])
    assert design_rank(X) == np.linalg.matrix_rank(X) == 4
    collinear = np.column_stack([X, X[:, 1] + 2 * X[:, 2]])
    assert design_rank(collinear) == np.linalg.matrix_rank(collinear) == 4
    near = np.column_stack([X, X[:, 1] + 1e-9 * rng.normal(size=500)])
    assert design_rank(near) == np.linalg.matrix_rank(near)
    df = pd.DataFrame({"treated": rng.binomial(1, 0.4, 500), "a": X[:, 1], "b": X[:, 2]})
    with pytest.raises(ValueError, match="rank deficient"):
        PropensityModel(["a", "b", "c"]).fit(df.assign(c=df["a"] - df["b"]))
