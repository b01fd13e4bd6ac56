"""The outcome registry: one entry per reported measure, consistent with the estimators' terms."""

import pytest

from evaluation.outcomes.registry import MEASURES, OUTCOME_KEYS, measure


def test_keys_unique_and_ratios_have_null_one():
    assert len(set(OUTCOME_KEYS)) == len(OUTCOME_KEYS) == len(MEASURES)
    for m in MEASURES:
        assert m.null == (1.0 if m.evalue_scale else 0.0), m.key


def test_unknown_key_names_the_valid_ones():
    with pytest.raises(KeyError, match="time_to_reoffence_hr"):
        measure("hazard")
    assert measure("rmst_diff").family == "rmst"
