"""Log-rank: classic against R survdiff and a hand-worked case; weighted robust score test
against R coxph's "Robust" score statistic; invariance and planted null."""


import numpy as np
import pandas as pd
import pytest
from paths import REFERENCE_DIR
from scipy import stats

from evaluation.estimators.logrank import logrank

REF = REFERENCE_DIR / "survival_r"


@pytest.fixture(scope="module")
def ref() -> pd.Series:
    return pd.read_csv(REF / "tests_R.csv").set_index("test")["chisq"]


def test_two_group_by_hand():
    # group 0: times 1, 3 (events); group 1: times 2, 4 (events).
    # t=1: at risk 2+2, 1 death in group 0: E0 = 1/2, V = 2*2*1*3/(4^2*3) = 1/4
    # t=2: at risk 1+2, 1 death in group 1: E0 = 1/3, V = 1*2*1*2/(3^2*2) = 2/9
    # t=3: at risk 1+1, 1 death in group 0: E0 = 1/2, V = 1/4
    # t=4: at risk 0+1: E0 = 0, V = 0
    # O0 - E0 = 2 - 4/3 = 2/3; V = 1/4 + 2/9 + 1/4 = 13/18; chi2 = (4/9) / (13/18) = 8/13
    df = pd.DataFrame({"t": [1, 3, 2, 4], "e": 1, "g": [0, 0, 1, 1]})
    row = logrank(df, duration_col="t", event_col="e", treatment_col="g").iloc[0]
    assert row["term"] == "logrank"
    assert row["estimate"] == pytest.approx(8 / 13)
    assert row["p_value"] == pytest.approx(stats.chi2.sf(8 / 13, 1))


def test_unweighted_matches_r_survdiff(small, ref):
    row = logrank(small, duration_col="time", event_col="event", treatment_col="treated").iloc[0]
    assert row["estimate"] == pytest.approx(ref["logrank_unweighted"], rel=1e-9)


def test_weighted_clustered_matches_r_robust_score(small, ref):
    row = logrank(small, duration_col="time", event_col="event", treatment_col="treated", weights_col="weight",
                  cluster_col="match_set").iloc[0]
    assert row["estimate"] == pytest.approx(ref["robust_score_weighted_cluster"], rel=1e-9)
    assert "robust score" in row["method"]


def test_weighted_statistic_does_not_depend_on_weight_scale(small):
    a = logrank(small, duration_col="time", event_col="event", treatment_col="treated", weights_col="weight").iloc[0]["estimate"]
    b = logrank(small.assign(weight=small["weight"] * 7.5), duration_col="time", event_col="event", treatment_col="treated",
                weights_col="weight").iloc[0]["estimate"]
    assert a == pytest.approx(b, rel=1e-10)


def test_three_groups_and_planted_null():
    rng = np.random.default_rng(12)
    n = 900
    df = pd.DataFrame({"t": np.ceil(rng.exponential(300, n)), "e": 1,
                       "g": rng.choice(["a", "b", "c"], n), "w": rng.uniform(0.5, 2, n)})
    plain = logrank(df, duration_col="t", event_col="e", treatment_col="g").iloc[0]
    weighted = logrank(df, duration_col="t", event_col="e", treatment_col="g", weights_col="w").iloc[0]
    assert "2 df" in plain["method"] and "2 df" in weighted["method"]
    assert plain["p_value"] > 0.05 and weighted["p_value"] > 0.05


def test_single_group_is_an_error():
    df = pd.DataFrame({"t": [1, 2], "e": [1, 1], "g": [0, 0]})
    with pytest.raises(ValueError, match="'g'"):
        logrank(df, duration_col="t", event_col="e", treatment_col="g")
