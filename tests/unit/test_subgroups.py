"""Subgroup effects (decision 0412): a planted difference between levels is found, a common
effect is not flagged more often than the stated level, the JDL gate, disclosure, the config key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.analysis.subgroups import age_band, heterogeneity_q, subgroup_effects
from evaluation.config import load_programme_config
from evaluation.reporting.disclosure import SUPPRESSED, DisclosureRules
from evaluation.reporting.publish import publish_table
from evaluation.reporting.subgroup_section import COUNTS, variable_sentence, variable_table

CONFIG = load_programme_config("iom").with_overrides({"subgroups": ["sex"]})


def _world(hr: dict[str, float], n: int, seed: int) -> pd.DataFrame:
    """``n`` programme and ``n`` comparison people per sex, exponential times (comparison rate
    1/365 a day) with the planted hazard ratio ``hr[sex]`` for the programme, censored at 365."""
    rng = np.random.default_rng(seed)
    parts = []
    for sex, ratio in hr.items():
        treated = np.repeat([1, 0], n)
        time = rng.exponential(365.0 / np.where(treated == 1, ratio, 1.0))
        parts.append(pd.DataFrame({"sex": sex, "treated": treated, "age_at_index": 30.0,
                                   "duration_days": np.minimum(time, 365.0),
                                   "event": (time <= 365.0).astype(int)}))
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(weight=1.0, cluster=np.arange(len(frame)))


def test_cochran_q_by_hand():
    # log HRs 0 and log 0.5, SE 0.1 each: equal weights 100, pooled -0.3466 (half of log 0.5),
    # Q = 100 x 2 x 0.3466^2 = 24.02 on 1 degree of freedom
    q, df, p = heterogeneity_q(np.log([1.0, 0.5]), np.array([0.1, 0.1]))
    assert q == pytest.approx(200 * (np.log(0.5) / 2) ** 2)
    assert q == pytest.approx(24.02, abs=0.01)
    assert (df, p) == (1, pytest.approx(stats.chi2.sf(q, 1)))


def test_a_planted_difference_between_levels_is_detected_and_each_level_recovered():
    frame = _world({"F": 0.5, "M": 1.0}, n=300, seed=1)
    out = subgroup_effects(frame, CONFIG, "weight", "cluster")
    test = out["heterogeneity"].iloc[0]
    assert test["levels_tested"] == 2 and test["p_adjusted"] < 0.001 and test["significant"]
    levels = out["levels"].set_index("level")
    for level, planted in (("F", 0.5), ("M", 1.0)):
        assert levels.loc[level, "lower"] <= planted <= levels.loc[level, "upper"], level
    assert levels.loc["F", "significant"] and not levels.loc["M", "significant"]


def test_a_common_effect_is_not_flagged_more_often_than_the_stated_level():
    # 100 worlds with one hazard ratio (0.8) in both levels: at the 5% level about 5 false
    # flags are expected; 13 or more (or none) would be rare (< 0.5%, < 1%) if the test held
    flags = sum(bool(subgroup_effects(_world({"F": 0.8, "M": 0.8}, n=100, seed=s), CONFIG,
                                      "weight", "cluster")["heterogeneity"]["significant"].iloc[0])
                for s in range(100))
    assert 1 <= flags < 13, flags
    assert stats.binom.sf(12, 100, 0.05) < 0.005 and stats.binom.pmf(0, 100, 0.05) < 0.01


def test_levels_below_the_jdl_minimum_get_no_test_and_no_significance_sentence():
    frame = _world({"F": 0.5, "M": 1.0}, n=50, seed=2)  # 50 per group: below 60
    out = subgroup_effects(frame, CONFIG, "weight", "cluster")
    levels, test = out["levels"], out["heterogeneity"].iloc[0]
    assert levels["estimable"].all() and not levels["jdl_minimum_met"].any()
    assert levels["p_adjusted"].isna().all() and not levels["significant"].any()
    assert test["levels_tested"] == 0 and np.isnan(test["p_value"])
    assert "makes no statement" in variable_sentence(test, ["F", "M"])


def test_the_subgroups_key_changes_the_result():
    frame = _world({"F": 0.5, "M": 1.0}, n=100, seed=3)
    none = subgroup_effects(frame, CONFIG.with_overrides({"subgroups": []}), "weight", "cluster")
    assert none["levels"].empty and none["heterogeneity"].empty
    by_age = subgroup_effects(frame, CONFIG.with_overrides({"subgroups": ["age_band"]}),
                              "weight", "cluster")
    assert by_age["levels"]["level"].tolist() == ["25 to 34"]  # everyone is 30
    assert age_band(pd.Series([17.9, 25.0, 34.99, 35.0])).tolist() == [
        "under 25", "25 to 34", "25 to 34", "35 and over"]


def test_a_small_level_is_suppressed_and_cannot_be_worked_out_from_the_total():
    levels = pd.DataFrame({
        "level": ["F", "M"], "n_treated": [6, 200], "n_comparison": [6, 200],
        "events_treated": [3, 80], "events_comparison": [4, 90], "estimable": [True, True],
        "estimate": [0.7, 0.9], "lower": [0.2, 0.7], "upper": [2.5, 1.1],
        "lower_adjusted": [np.nan, 0.68], "upper_adjusted": [np.nan, 1.15]})
    table = variable_table(levels, threshold=10)
    assert table.loc[0, "hazard ratio"] == SUPPRESSED  # F's counts are below 10
    _, shown = publish_table(table, None, rules=DisclosureRules(threshold=10),
                             count_cols=COUNTS, total_row=len(table) - 1)
    for col in COUNTS:  # F suppressed, and M (or the total) too, so no subtraction gives F
        assert shown.loc[0, col] == SUPPRESSED
        assert SUPPRESSED in (shown.loc[1, col], shown.loc[2, col])


def test_duplicate_subgroup_is_rejected():
    from evaluation.config import ConfigError

    with pytest.raises(ConfigError, match="subgroups lists a variable twice"):
        CONFIG.with_overrides({"subgroups": ["sex", "sex"]})
    with pytest.raises(ConfigError, match="subgroups"):
        CONFIG.with_overrides({"subgroups": ["ethnicity"]})
