"""The robustness section's sentences follow the numbers they are given (hand-made tables)."""

import pandas as pd

from evaluation.reporting.robustness_section import competing_risks_text, trends_text


def _competing(diff):
    cif = pd.DataFrame({"group": ["programme", "comparison", "programme", "comparison"],
                        "cause": [1, 1, 2, 2], "estimate": [0.30, 0.35, 0.01, 0.01]})
    return {"cumulative_incidence": cif,
            "cif_difference": pd.DataFrame([{"estimate": diff, "lower": diff - 0.02,
                                             "upper": diff + 0.02}]),
            "fine_gray": pd.DataFrame([{"hazard_ratio": 0.84, "hr_lower": 0.71,
                                        "hr_upper": 0.99}])}


def test_competing_risks_sentence_puts_each_group_with_its_own_share():
    text = competing_risks_text(_competing(-0.05), 365)
    assert "30.0% of the programme group and 35.0% of the comparison group" in text
    assert "-5.0 percentage points (-7.0 to -3.0)" in text and "0.84 (0.71 to 0.99" in text


def _trends(p, lower, upper):
    return {"pretrend": pd.DataFrame([{"estimate": 20.0, "p_value": p}]),
            "placebo": pd.DataFrame([{"estimate": (lower + upper) / 2, "lower": lower,
                                      "upper": upper}])}


def test_trend_and_placebo_wording_turns_on_the_test_and_the_interval():
    calm = trends_text(_trends(0.73, -0.04, 0.03))
    assert "followed the same path" in calm and "consistent with no effect" in calm
    warned = trends_text(_trends(0.001, 0.02, 0.08))
    assert "already on different paths" in warned and "matching did not remove" in warned
