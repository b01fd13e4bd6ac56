"""The outcome registry: one entry per reported measure, consistent with the estimators' terms."""

import pytest

from evaluation.outcomes.registry import (
    MEASURES,
    OUTCOME_KEYS,
    QUESTIONS,
    measure,
    question_lead,
)


def test_keys_unique_and_ratios_have_null_one():
    assert len(set(OUTCOME_KEYS)) == len(OUTCOME_KEYS) == len(MEASURES)
    for m in MEASURES:
        # ratio scales (RR, HR) have null 1; differences (converted for an E-value: RD, MR,
        # or none) have null 0
        assert m.null == (1.0 if m.evalue_scale in ("RR", "HR") else 0.0), m.key


def test_one_holm_test_per_question():
    # the first measure of each question leads it; rate, frequency, time, cost, custody (0411)
    assert QUESTIONS == ("reoffending rate", "frequency", "time to reoffence", "cost",
                         "custody rate")
    assert [question_lead(q).key for q in QUESTIONS] == [
        "reoffended_rd", "n_reoffences_diff", "time_to_reoffence_hr", "cost_diff", "custody_rd"]


def test_unknown_key_names_the_valid_ones():
    with pytest.raises(KeyError, match="time_to_reoffence_hr"):
        measure("hazard")
    assert measure("rmst_diff").family == "rmst"
