"""Holm by question: one test per question, adjusted intervals consistent with the decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.analysis.multiplicity import holm_by_question


def _table(p: dict[str, float]) -> pd.DataFrame:
    # estimates whose Wald p-value is the given p (difference: estimate 1; ratio: exp(0.2))
    rows = []
    for key, pv in p.items():
        z = stats.norm.isf(pv / 2)
        ratio = key in ("reoffended_rr", "n_reoffences_rr", "time_to_reoffence_hr")
        est, se = (np.exp(0.2), 0.2 / z) if ratio else (1.0, 1.0 / z)
        rows.append({"outcome": key, "estimate": est, "std_error": se, "p_value": pv})
    return pd.DataFrame(rows)


P = {"reoffended_rd": 0.01, "reoffended_rr": 0.011, "n_reoffences_diff": 0.02,
     "n_reoffences_rr": 0.03, "time_to_reoffence_hr": 0.04, "rmst_diff": 0.001,
     "cost_diff": 0.5}


def test_family_is_one_lead_measure_per_question():
    out = holm_by_question(_table(P), headline="reoffended_rd").set_index("outcome")
    assert out["role"].to_dict() == {
        "reoffended_rd": "headline", "reoffended_rr": "supporting",
        "n_reoffences_diff": "secondary", "n_reoffences_rr": "supporting",
        "time_to_reoffence_hr": "secondary", "rmst_diff": "supporting",
        "cost_diff": "secondary"}
    # Holm over three secondaries (frequency, time, cost), by hand:
    # 0.02 x 3 = 0.06; max(0.06, 0.04 x 2) = 0.08; max(0.08, 0.5 x 1) = 0.5
    assert out.loc["n_reoffences_diff", "p_adjusted"] == pytest.approx(0.06)
    assert out.loc["time_to_reoffence_hr", "p_adjusted"] == pytest.approx(0.08)
    assert out.loc["cost_diff", "p_adjusted"] == pytest.approx(0.5)
    # supporting measures share their lead's adjustment; the headline's companion is nominal
    assert out.loc["rmst_diff", "p_adjusted"] == pytest.approx(0.001 * 2)
    assert out.loc["n_reoffences_rr", "p_adjusted"] == pytest.approx(0.03 * 3)
    assert out.loc["reoffended_rr", "p_adjusted"] == pytest.approx(0.011)
    assert out.loc["reoffended_rd", "alpha_adjusted"] == 0.05
    assert out.loc["rmst_diff", "significant"] and not out.loc["time_to_reoffence_hr",
                                                               "significant"]


def test_adjusted_intervals_use_the_holm_level():
    out = holm_by_question(_table(P), headline="reoffended_rd").set_index("outcome")
    # frequency: first Holm step of three, level 0.05 / 3
    row = out.loc["n_reoffences_diff"]
    z = stats.norm.ppf(1 - 0.05 / 3 / 2)
    assert row["alpha_adjusted"] == pytest.approx(0.05 / 3)
    assert row["lower_adjusted"] == pytest.approx(1 - z * row["std_error"])
    assert row["upper_adjusted"] == pytest.approx(1 + z * row["std_error"])
    # hazard ratio: second step, level 0.05 / 2, on the log scale
    hr = out.loc["time_to_reoffence_hr"]
    z2 = stats.norm.ppf(1 - 0.05 / 2 / 2)
    assert hr["lower_adjusted"] == pytest.approx(np.exp(0.2 - z2 * hr["std_error"]))
    # the headline keeps its nominal 95% interval
    head = out.loc["reoffended_rd"]
    z0 = stats.norm.ppf(0.975)
    assert head["lower_adjusted"] == pytest.approx(1 - z0 * head["std_error"])


def test_adjusted_interval_excludes_the_null_exactly_when_holm_rejects():
    # p 0.01, 0.03, 0.04 for the three leads: Holm 0.03, 0.06, 0.06 (the third step is
    # stopped by the second), so the levels are 0.05/3, 0.05/2 and 0.05 x 0.04 / 0.06
    p = {**P, "n_reoffences_diff": 0.01, "time_to_reoffence_hr": 0.03, "cost_diff": 0.04}
    out = holm_by_question(_table(p), headline="reoffended_rd").set_index("outcome")
    assert out.loc["cost_diff", "alpha_adjusted"] == pytest.approx(0.05 * 0.04 / 0.06)
    for key, row in out.iterrows():
        null = 1.0 if key in ("reoffended_rr", "n_reoffences_rr", "time_to_reoffence_hr") \
            else 0.0
        excludes = not row["lower_adjusted"] <= null <= row["upper_adjusted"]
        assert excludes == bool(row["significant"]), key


def test_headline_question_companions_are_not_in_the_family():
    # headline HR: RMST answers the same question and is not a Holm test
    out = holm_by_question(_table(P), headline="time_to_reoffence_hr").set_index("outcome")
    assert out.loc["rmst_diff", "role"] == "supporting"
    assert out.loc["rmst_diff", "p_adjusted"] == pytest.approx(0.001)
    secondaries = out.index[out["role"] == "secondary"].tolist()
    assert secondaries == ["reoffended_rd", "n_reoffences_diff", "cost_diff"]
    # 0.01 x 3 = 0.03; 0.02 x 2 = 0.04; 0.5
    assert out.loc[secondaries, "p_adjusted"].tolist() == pytest.approx([0.03, 0.04, 0.5])
