"""The headline's E-value belongs to the headline's measure; rare/common from Kaplan-Meier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.analysis.sensitivity import comparison_risk_at, headline_sensitivity
from evaluation.estimators.kaplan_meier import KaplanMeierByGroup
from evaluation.estimators.sensitivity import e_value


def _km() -> KaplanMeierByGroup:
    # comparison: 10 people; 6 censored on day 5, then 1 event on day 100 among the 4 left, 3
    # followed to day 365. Crude share with an event 1/10 = 10% ("rare"); Kaplan-Meier risk
    # at 365 days 1 - 3/4 = 25% ("common"). Programme: 4 people, 2 events.
    frame = pd.DataFrame({
        "treated": [0] * 10 + [1] * 4,
        "duration_days": [5] * 6 + [100, 365, 365, 365] + [50, 80, 365, 365],
        "event": [0] * 6 + [1, 0, 0, 0] + [1, 1, 0, 0],
    })
    return KaplanMeierByGroup().fit(frame, duration_col="duration_days", event_col="event",
                                    treatment_col="treated")


def _estimates(headline: str) -> pd.DataFrame:
    rows = [("reoffended_rd", -0.05, -0.12, 0.02), ("reoffended_rr", 0.6, 0.4, 0.9),
            ("n_reoffences_diff", -20.0, -45.0, 5.0), ("n_reoffences_rr", 0.8, 0.6, 1.1),
            ("time_to_reoffence_hr", 0.7, 0.55, 0.89), ("rmst_diff", 9.0, 2.0, 16.0),
            ("cost_diff", -100.0, -300.0, 100.0)]
    table = pd.DataFrame(rows, columns=["outcome", "estimate", "lower", "upper"])
    table["role"] = np.where(table["outcome"] == headline, "headline", "secondary")
    return table


DETAILS = {
    "binary": pd.DataFrame({"term": ["risk_comparison"], "estimate": [0.25]}),
    "frequency_per_100": pd.DataFrame({"term": ["mean_comparison"], "estimate": [80.0]}),
}


def test_outcome_share_is_one_minus_kaplan_meier_not_the_crude_share():
    assert comparison_risk_at(_km(), 365) == pytest.approx(0.25)


def test_hazard_ratio_headline_uses_the_common_outcome_conversion():
    out = headline_sensitivity(_estimates("time_to_reoffence_hr"), DETAILS, _km(), 365)
    # 25% by Kaplan-Meier is common: the sqrt rule, not "HR taken as RR" (crude 10% = rare)
    expected = e_value(0.7, 0.55, 0.89, measure="HR", rare=False)
    assert out["conversion"] == expected["conversion"]
    assert out["e_value"] == pytest.approx(expected["e_value"])
    assert out["e_value"] != pytest.approx(e_value(0.7, 0.55, 0.89, measure="HR",
                                                   rare=True)["e_value"])
    assert out["outcome"] == out["headline"] == "time_to_reoffence_hr"


def test_risk_difference_headline_gets_its_own_e_value():
    out = headline_sensitivity(_estimates("reoffended_rd"), DETAILS, _km(), 365)
    # RD -0.05 with comparison risk 0.25: RR (0.25 - 0.05) / 0.25 = 0.8, E = 1/0.8 + sqrt(...)
    rr = 1 / 0.8
    assert out["rr"] == pytest.approx(0.8)
    assert out["e_value"] == pytest.approx(rr + np.sqrt(rr * (rr - 1)))
    assert out["outcome"] == "reoffended_rd"
    # not the risk ratio's E-value (0.6), which the headline used to borrow
    assert out["e_value"] != pytest.approx(e_value(0.6, 0.4, 0.9)["e_value"])


def test_per_100_headline_e_value_on_the_ratio_of_means():
    out = headline_sensitivity(_estimates("n_reoffences_diff"), DETAILS, _km(), 365)
    # -20 per 100 against a comparison mean of 80: ratio 60 / 80 = 0.75; interval includes 0
    rr = 1 / 0.75
    assert out["measure"] == "MR" and out["rr"] == pytest.approx(0.75)
    assert out["e_value"] == pytest.approx(rr + np.sqrt(rr * (rr - 1)))
    assert out["e_value_ci"] == 1.0
    assert out["rr_lower"] == pytest.approx(35 / 80) and out["rr_upper"] == pytest.approx(85 / 80)


def test_headline_without_a_ratio_scale_says_which_measure_it_borrows():
    rmst = headline_sensitivity(_estimates("rmst_diff"), DETAILS, _km(), 365)
    assert rmst["headline"] == "rmst_diff" and rmst["outcome"] == "time_to_reoffence_hr"
    cost = headline_sensitivity(_estimates("cost_diff"), DETAILS, _km(), 365)
    assert cost["outcome"] is None and np.isnan(cost["e_value"])


def test_risk_difference_interval_beyond_the_comparison_risk_still_gives_an_e_value():
    # comparison risk 0.25, RD -0.10 (-0.30 to +0.10): the lower limit has no ratio (a risk
    # below zero); the interval includes 0, so the interval's E-value is 1
    table = _estimates("reoffended_rd")
    table.loc[table["outcome"] == "reoffended_rd", ["estimate", "lower", "upper"]] = \
        [-0.10, -0.30, 0.10]
    out = headline_sensitivity(table, DETAILS, _km(), 365)
    assert out["rr"] == pytest.approx(0.6) and np.isnan(out["rr_lower"])
    assert out["rr_upper"] == pytest.approx(1.4) and out["e_value_ci"] == 1.0
