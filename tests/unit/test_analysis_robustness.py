"""Robustness checks wired from configuration: Rosenbaum bounds on the matched pairs (values
worked by hand from the binomial), competing risks, and the switch that turns each off."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.analysis.robustness import one_to_one_pairs, robustness_checks, rosenbaum_table
from evaluation.config import load_programme_config


def _pairs(n_pairs=40, seed=3):
    """Programme person reoffends in 5 pairs where the comparison does not; the reverse in 15."""
    rng = np.random.default_rng(seed)
    y_t = np.zeros(n_pairs, int)
    y_c = np.zeros(n_pairs, int)
    y_t[:5] = 1
    y_c[5:20] = 1
    rows = []
    for k in range(n_pairs):
        for treated, y in ((1, y_t[k]), (0, y_c[k])):
            rows.append({"person_id": f"p{k}_{treated}", "match_set": k, "treated": treated,
                         "reoffended": y, "n_reoffences": int(y) * (1 + treated),
                         "event": int(y), "duration_days": 100.0 + rng.integers(0, 200) if y
                         else 365.0, "eligible_for_readout": True, "weight": 1.0,
                         "cluster": k, "censor_reason": "reoffended" if y else "end_of_window"})
    return pd.DataFrame(rows)


def test_binary_bound_at_gamma_one_is_the_exact_sign_test():
    table = rosenbaum_table(_pairs()).set_index("comparison")
    row = table.loc["reoffended within the window (pairs that differ)"]
    # 20 discordant pairs, 15 favour the programme: P(Bin(20, 1/2) >= 15)
    assert row["n_informative"] == 20
    assert row["p_value_no_hidden_bias"] == pytest.approx(stats.binom.sf(14, 20, 0.5), rel=1e-12)
    # at the sensitivity value the bound equals 0.05: P(Bin(20, G/(1+G)) >= 15) = 0.05
    g = row["sensitivity_value"]
    assert stats.binom.sf(14, 20, g / (1 + g)) == pytest.approx(0.05, abs=1e-4)
    assert g > 1


def test_pairs_of_other_sizes_are_left_out():
    frame = _pairs()
    extra = frame.iloc[[0]].assign(person_id="extra", treated=0)
    kept = one_to_one_pairs(pd.concat([frame, extra]))
    assert 0 not in set(kept["match_set"]) and kept["match_set"].nunique() == 39


@pytest.mark.parametrize("key", ["rosenbaum", "competing_risks"])
def test_each_switch_changes_what_is_computed(key):
    config = load_programme_config("conditional_caution")
    on = robustness_checks(config, None, _pairs())
    off = robustness_checks(config.with_overrides({f"robustness.{key}": "false"}), None, _pairs())
    produced = {"rosenbaum": {"rosenbaum"},
                "competing_risks": {"cumulative_incidence", "cif_difference", "fine_gray"}}[key]
    assert produced <= set(on) and not produced & set(off)
