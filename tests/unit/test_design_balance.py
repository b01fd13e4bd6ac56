"""Balance diagnostics against hand-computed values; common support; a planted-confounding
simulation where the naive difference is biased and matching removes the imbalance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.design import (
    NearestNeighbourMatcher,
    PropensityModel,
    balance_status,
    balance_summary,
    balance_table,
    common_support,
)

# treated rows 0-2, controls rows 3-6
SMALL = pd.DataFrame({
    "treated": [1, 1, 1, 0, 0, 0, 0],
    "x": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 8.0],
    "b": [1, 1, 0, 0, 0, 1, 0],
    "area": ["a", "b", "b", "a", "a", "b", "c"],
    "w": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0],
})


def test_continuous_smd_vr_ks_by_hand():
    t = balance_table(SMALL, ["x"]).iloc[0]
    # treated mean 2, var (1+0+1)/2 = 1; control mean 5, var (9+1+1+9)/3 = 20/3
    # pooled SD sqrt((1 + 6.6667)/2) = 1.957890; SMD (2-5)/1.957890 = -1.532262
    assert t["type"] == "continuous"
    assert t["mean_treated"] == 2 and t["mean_comparison"] == 5
    assert t["sd_denominator"] == pytest.approx(1.957890, rel=1e-6)
    assert t["smd"] == pytest.approx(-1.532262, rel=1e-6)
    assert t["variance_ratio"] == pytest.approx(1 / (20 / 3))  # 0.15
    # eCDFs at 3: treated 3/3, control 1/4 (only the 2) -> KS 0.75
    assert t["ks"] == pytest.approx(0.75)


def test_weighted_uses_the_same_denominator():
    t = balance_table(SMALL, ["x"], weights_col="w").iloc[0]
    # weighted control mean (2 + 4 + 2x8)/4 = 5.5; SMD (2 - 5.5)/1.957890 = -1.787639
    assert t["mean_comparison"] == pytest.approx(5.5)
    assert t["sd_denominator"] == pytest.approx(1.957890, rel=1e-6)
    assert t["smd"] == pytest.approx(-1.787639, rel=1e-6)
    # weighted control variance: x 2, 4, 8 with w 1, 1, 2: sum w (x-5.5)^2 = 12.25 + 2.25 + 12.5
    #   = 27; denominator 4 - (1+1+4)/4 = 2.5 -> 10.8; VR = 1/10.8
    assert t["variance_ratio"] == pytest.approx(1 / 10.8)
    # weighted control eCDF at 3: 1/4 -> KS still 0.75 (treated reach 1 at 3)
    assert t["ks"] == pytest.approx(0.75)


def test_binary_and_categorical_levels_by_hand():
    tab = balance_table(SMALL, ["b", "area"]).set_index(["covariate", "level"])
    # b: p1 = 2/3, p0 = 1/4; SD sqrt((2/9 + 3/16)/2) = 0.452616; SMD 0.416667/0.452616 = 0.920575
    b = tab.loc[("b", "")]
    assert b["type"] == "binary" and np.isnan(b["variance_ratio"])
    assert b["smd"] == pytest.approx(0.920575, rel=1e-6)
    assert b["ks"] == pytest.approx(5 / 12)
    # area a: 1/3 vs 1/2; SD sqrt((2/9 + 1/4)/2) = 0.485913 -> SMD -0.342997
    assert tab.loc[("area", "a"), "smd"] == pytest.approx(-0.342997, rel=1e-6)
    # area c: 0 vs 1/4; SD sqrt((0 + 3/16)/2) = 0.306186 -> SMD -0.816497
    assert tab.loc[("area", "c"), "smd"] == pytest.approx(-0.816497, rel=1e-6)
    assert len(tab) == 4  # b, area a/b/c


def test_denominator_treated_option():
    t = balance_table(SMALL, ["x"], denominator="treated").iloc[0]
    assert t["smd"] == pytest.approx(-3.0)  # treated SD = 1


def test_status_thresholds_and_summary():
    tab = pd.DataFrame({"covariate": ["a", "b", "c", "d", "e"], "level": ""})
    tab["smd"] = [0.05, -0.15, 0.25, 0.10, 0.02]
    tab["variance_ratio"] = [1.0, 1.0, 1.0, np.nan, 2.5]
    s = balance_status(tab)
    # 0.10 is not < 0.10 -> flag; a VR of 2.5 turns an "ok" SMD into a flag
    assert s["status"].tolist() == ["ok", "flag", "fail", "flag", "flag"]
    s2 = balance_status(tab, ok=0.2, fail=0.3)
    assert s2["status"].tolist() == ["ok", "ok", "flag", "ok", "flag"]
    summ = balance_summary(s).set_index("status")
    assert summ.loc["fail", "n"] == 1 and summ.loc["fail", "covariates"] == "c"
    assert summ.loc["flag", "covariates"] == "b, d, e"


def test_common_support_counts():
    d = pd.DataFrame({"treated": [1, 1, 1, 0, 0, 0],
                      "propensity": [0.2, 0.5, 0.9, 0.1, 0.4, 0.7]})
    # support [max(0.2, 0.1), min(0.9, 0.7)] = [0.2, 0.7]: treated 0.9 above, control 0.1 below
    c = common_support(d).set_index("group")
    assert c.loc["treated", "n_above"] == 1 and c.loc["treated", "n_outside"] == 1
    assert c.loc["comparison", "n_below"] == 1 and c.loc["comparison", "n_outside"] == 1
    assert c.loc["treated", "lower"] == 0.2 and c.loc["treated", "upper"] == 0.7


def test_planted_confounding_removed_by_matching():
    rng = np.random.default_rng(2024)
    n = 4000
    d = pd.DataFrame({
        "age": rng.normal(30, 8, n),
        "priors": rng.poisson(3, n).astype(float),
        "male": rng.binomial(1, 0.7, n),
        "area": rng.choice(["birmingham", "coventry", "dudley"], n),
    })
    lin = (-1.6 - 0.04 * (d["age"] - 30) + 0.25 * (d["priors"] - 3) + 0.5 * d["male"]
           + 0.4 * (d["area"] == "dudley"))
    d["treated"] = rng.binomial(1, 1 / (1 + np.exp(-lin)))
    # outcome with NO programme effect, driven by the confounders
    d["y"] = 0.1 * d["priors"] - 0.02 * d["age"] + 0.3 * d["male"] + rng.normal(0, 1, n)
    covs = ["age", "priors", "male", "area"]

    naive = d.loc[d.treated == 1, "y"].mean() - d.loc[d.treated == 0, "y"].mean()
    se_naive = np.sqrt(d.loc[d.treated == 1, "y"].var() / (d.treated == 1).sum()
                       + d.loc[d.treated == 0, "y"].var() / (d.treated == 0).sum())
    assert abs(naive) > 4 * se_naive  # the naive comparison is clearly biased

    pm = PropensityModel(["age", "priors", "male"], categorical=["area"]).fit(d)
    d["propensity"] = pm.propensity_
    m = NearestNeighbourMatcher(caliper=0.2).fit(d)
    md = m.transform(d)
    before = balance_table(d, covs)
    after = balance_table(md, covs, weights_col="weight")
    assert (before["smd"].abs() > 0.2).any()
    assert (after["smd"].abs() < 0.10).all(), after
    assert (balance_status(after)["status"] == "ok").all()
    # the planted null is recovered: the matched difference (paired SE) is within 2.58 SE of 0
    p = m.pairs_
    diff = d.loc[p["treated_index"], "y"].to_numpy() - d.loc[p["comparison_index"], "y"].to_numpy()
    assert abs(diff.mean()) < 2.58 * diff.std(ddof=1) / np.sqrt(len(diff))
