"""Event-study DiD: the person-month builder by hand, the estimator against statsmodels OLS with
person-clustered errors, and planted truths (a step change after the index date is recovered; a
planted pre-trend is detected by the joint test, a flat pre-period is rejected at about 5%)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaluation.estimators.event_study import MONTH_DAYS, event_study, month_bounds, person_months
from tests.event_panels import planted_panel


def test_person_months_counts_offences_and_exposure_by_hand():
    index = pd.DataFrame({"person_id": ["a", "b"], "treated": [1, 0],
                          "index_date": pd.to_datetime(["2020-03-01", "2020-03-01"]),
                          "date_of_death": pd.to_datetime([None, "2020-03-11"])})
    offences = pd.DataFrame({
        "person_id": ["a", "a", "a", "a", "b", "b", "c"],
        "offence_date": pd.to_datetime(["2020-02-29", "2020-03-01", "2020-03-31", "2020-04-01",
                                        "2020-03-05", "2020-03-20", "2020-03-02"])})
    pm = person_months(index, offences, window=2, data_cutoff="2020-04-15",
                       end_date_col="date_of_death")
    # month boundaries (days): -61, -31, 0, 30, 60; cutoff is day 45; b dies on day 10
    assert month_bounds(2).tolist() == [-61, -31, 0, 30, 60]
    a = pm[pm.person_id == "a"].set_index("rel_month")
    # days -1 (month -1), 0 (month 0), 30 and 31 (month 1: it starts on day 30)
    assert a["offences"].to_dict() == {-2: 0, -1: 1, 0: 1, 1: 2}
    assert a["exposure_days"].to_dict() == {-2: 30, -1: 31, 0: 30, 1: 16}
    b = pm[pm.person_id == "b"].set_index("rel_month")
    # days 0..10 observed (the death day counts); the day-19 offence is after death
    assert b.loc[0, "exposure_days"] == 11 and b.loc[0, "offences"] == 1
    assert 1 not in b.index  # no exposure after death


def test_person_months_with_a_person_in_two_trials_clusters_on_the_person():
    index = pd.DataFrame({"unit": ["a-2019", "a-2020", "b-2020"], "person_id": ["a", "a", "b"],
                          "treated": [0, 1, 0],
                          "index_date": pd.to_datetime(["2019-01-01", "2020-01-01",
                                                        "2020-01-01"])})
    offences = pd.DataFrame({"person_id": ["a"], "offence_date": pd.to_datetime(["2019-12-15"])})
    pm = person_months(index, offences, window=12, unit_col="unit")
    # a's one offence is month 11 after the 2019 index and month -1 before the 2020 index
    hits = pm[pm["offences"] > 0].set_index("unit")["rel_month"].to_dict()
    assert hits == {"a-2019": 11, "a-2020": -1}
    assert pm.groupby("unit").size().tolist() == [24, 24, 24]
    res = event_study(pm.assign(offences=pm["offences"] + (pm["rel_month"] % 3 == 0)))
    assert "2 clusters" in res.coefficients["method"].iloc[0]
    assert "too few clusters" in res.pretrend["method"].iloc[0]  # rank 1 < 11 pre months
    with pytest.raises(ValueError, match="identify one row"):
        person_months(pd.concat([index, index]), offences, unit_col="unit")


def test_estimator_equals_statsmodels_ols_with_cluster_errors():
    panel = planted_panel(1, n=40, window=3, step=-0.2)
    panel = panel.drop(panel.sample(frac=0.1, random_state=2).index)  # unbalanced
    panel["rate"] = panel["offences"] / panel["exposure_days"] * MONTH_DAYS
    for weights in (None, "exposure_days"):
        res = event_study(panel, weights_col=weights)
        formula = "rate ~ C(rel_month, Treatment(-1)) * treated"
        model = (smf.ols(formula, panel) if weights is None
                 else smf.wls(formula, panel, weights=panel[weights]))
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": panel["person_id"]})
        names = [f"C(rel_month, Treatment(-1))[T.{k}]:treated" for k in res.coefficients.rel_month]
        assert np.allclose(res.coefficients["estimate"], fit.params[names], atol=1e-12)
        assert np.allclose(res.coefficients["std_error"], fit.bse[names], rtol=1e-10)
        pre = [n for n, k in zip(names, res.coefficients.rel_month, strict=True) if k < -1]
        wald = fit.wald_test(" = 0, ".join(pre) + " = 0", use_f=False, scalar=True)
        assert res.pretrend["estimate"].iloc[0] == pytest.approx(float(wald.statistic), rel=1e-9)


def test_planted_step_change_is_recovered():
    res = event_study(planted_panel(7, n=600, step=-0.15))
    avg = res.average_post.iloc[0]
    assert avg["lower"] < -0.15 < avg["upper"] and avg["upper"] < 0
    post = res.coefficients[res.coefficients.rel_month >= 0]
    inside = ((post["lower"] < -0.15) & (-0.15 < post["upper"])).mean()
    assert inside >= 0.85
    assert res.pretrend["p_value"].iloc[0] > 0.01


def test_pretrend_test_detects_a_planted_trend_and_holds_size_when_flat():
    trend = event_study(planted_panel(11, n=300, pre_slope=0.01))
    assert trend.pretrend["p_value"].iloc[0] < 0.001
    flat = [event_study(planted_panel(100 + s, n=150)).pretrend["p_value"].iloc[0] for s in range(40)]
    rejected = np.mean(np.array(flat) < 0.05)
    assert rejected <= 0.15  # nominal 5%; 23 df with 150 clusters per group


def test_errors_are_informative():
    panel = planted_panel(1, n=5, window=2)
    with pytest.raises(KeyError, match="lacks"):
        event_study(panel.drop(columns="exposure_days"))
    with pytest.raises(ValueError, match="reference month"):
        event_study(panel, reference=-10)
