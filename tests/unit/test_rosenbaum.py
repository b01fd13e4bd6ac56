"""Rosenbaum bounds: hand-computed binomial tails, brute-force enumeration, and base-R values.

References: tests/reference/rosenbaum/rosenbaum_R.csv, printed by rosenbaum_reference.R (base R;
rbounds / sensitivitymv are not in Debian) for two of Rosenbaum's own worked examples: Hammond's
smoking and lung cancer pairs (122 discordant, 110 smoker-only deaths) and Morton et al.'s 33
lead-exposure pairs, whose exact signed-rank p-value at Gamma = 1 is published (V = 499,
two-sided p = 8.037e-07; Rosenbaum's Stat 921 notes, wilcox.exact).
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.rosenbaum import (
    binary_pair_bounds,
    censored_pair_scores,
    mcnemar_bounds,
    pair_differences,
    sensitivity_sentence,
    sensitivity_value,
    sign_test_bound,
    signed_rank_bounds,
    survival_pair_bounds,
)
from tests.paths import REFERENCE_DIR

REF = pd.read_csv(REFERENCE_DIR / "rosenbaum" / "rosenbaum_R.csv")
EXPOSED = [38, 23, 41, 18, 37, 36, 23, 62, 31, 34, 24, 14, 21, 17, 16, 20, 15, 10, 45, 39, 22, 35,
           49, 48, 44, 35, 43, 39, 34, 13, 73, 25, 27]
CONTROL = [16, 18, 18, 24, 19, 11, 10, 15, 16, 18, 18, 13, 19, 10, 16, 16, 24, 13, 9, 14, 21, 19, 7,
           18, 19, 12, 11, 22, 25, 16, 13, 11, 13]


def test_sign_bound_is_the_binomial_tail_by_hand():
    # 10 discordant pairs, 8 favour the programme, Gamma = 2: p+ = 2/3
    p = 2 / 3
    hand = sum(math.comb(10, k) * p**k * (1 - p) ** (10 - k) for k in range(8, 11))
    assert sign_test_bound(10, 8, 2.0) == pytest.approx(hand, rel=1e-12)
    # Gamma = 1 is the ordinary one-sided exact McNemar test: 56/1024
    assert sign_test_bound(10, 8, 1.0) == pytest.approx(56 / 1024, rel=1e-12)


def test_hammond_smoking_bounds_match_base_r():
    ref = REF[REF["example"] == "hammond_mcnemar"]
    out = mcnemar_bounds(122, 110, ref["gamma"].tolist())
    assert np.allclose(out["p_value"], ref["p_upper"], rtol=1e-9, atol=0)
    assert np.allclose(out["p_value_lower"], ref["p_lower"], rtol=1e-9, atol=0)
    # the p-value bound rises with Gamma; the study turns non-significant between 5 and 6
    assert out["p_value"].is_monotonic_increasing
    gamma_star = sensitivity_value(lambda g: sign_test_bound(122, 110, g))
    assert 5 < gamma_star < 6


@pytest.mark.parametrize("method, example", [("exact", "lead_wilcoxon"),
                                             ("normal", "lead_wilcoxon_normal")])
def test_lead_signed_rank_bounds_match_base_r(method, example):
    d = np.array(EXPOSED) - np.array(CONTROL)
    ref = REF[REF["example"] == example]
    out = signed_rank_bounds(d, ref["gamma"].tolist(), method=method)
    assert out["estimate"].iloc[0] == 499  # published V
    assert np.allclose(out["p_value"], ref["p_upper"], rtol=1e-9, atol=0)
    assert np.allclose(out["p_value_lower"], ref["p_lower"], rtol=1e-9, atol=0)


def test_lead_exact_gamma_one_matches_published_p_value():
    d = np.array(EXPOSED) - np.array(CONTROL)
    p = signed_rank_bounds(d, [1.0])["p_value"].iloc[0]
    assert 2 * p == pytest.approx(8.037e-07, rel=1e-3)


def test_exact_signed_rank_bound_equals_brute_force_enumeration_with_ties():
    d = np.array([3.0, -1.0, 2.0, 2.0, 5.0, -2.0, 4.0, 0.0, 1.0])
    nz = d[d != 0]
    ranks = pd.Series(np.abs(nz)).rank().to_numpy()  # average ranks, ties at 1 and 2
    t_obs = ranks[nz > 0].sum()
    for gamma in (1.0, 1.7, 3.0):
        p = gamma / (1 + gamma)
        total = 0.0
        for signs in itertools.product([0, 1], repeat=len(ranks)):
            s = np.array(signs)
            if (ranks * s).sum() >= t_obs - 1e-9:
                total += p ** s.sum() * (1 - p) ** (len(s) - s.sum())
        got = signed_rank_bounds(d, [gamma])["p_value"].iloc[0]
        assert got == pytest.approx(total, rel=1e-12)


def test_frame_wrappers_build_the_pairs():
    df = pd.DataFrame({"pair": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
                       "treated": [1, 0] * 5,
                       "reoffended": [0, 1, 0, 1, 1, 0, 1, 1, 0, 0],
                       "offences": [0, 3, 1, 2, 4, 0, 2, 2, 0, 1]})
    out = binary_pair_bounds(df, pair_col="pair", outcome_col="reoffended", gammas=[1.0, 2.0])
    # discordant: pairs 1, 2 (favour) and 3 (against)
    assert out["n_informative"].iloc[0] == 3 and out["estimate"].iloc[0] == 2
    assert out["p_value"].tolist() == pytest.approx([sign_test_bound(3, 2, 1.0),
                                                     sign_test_bound(3, 2, 2.0)])
    assert pair_differences(df, pair_col="pair", outcome_col="offences").tolist() == [3, 1, -4, 0, 1]
    with pytest.raises(ValueError, match="one programme"):
        binary_pair_bounds(df.iloc[:-1], pair_col="pair", outcome_col="reoffended")


def test_direction_increase_mirrors_the_counts():
    df = pd.DataFrame({"pair": np.repeat([1, 2, 3, 4], 2), "treated": [1, 0] * 4,
                       "reoffended": [1, 0, 1, 0, 1, 0, 0, 1]})
    up = binary_pair_bounds(df, pair_col="pair", outcome_col="reoffended", gammas=[1.5])
    harm = binary_pair_bounds(df, pair_col="pair", outcome_col="reoffended", gammas=[1.5],
                              direction="increase")
    assert up["p_value"].iloc[0] == pytest.approx(sign_test_bound(4, 1, 1.5))
    assert harm["p_value"].iloc[0] == pytest.approx(sign_test_bound(4, 3, 1.5))
    d = np.array([1.0, -2.0, 3.0, -4.0, -5.0])
    assert signed_rank_bounds(d, [2.0], direction="increase")["p_value"].iloc[0] == \
        pytest.approx(signed_rank_bounds(-d, [2.0])["p_value"].iloc[0])
    with pytest.raises(ValueError, match="direction"):
        signed_rank_bounds(d, direction="harm")


def test_censored_pair_score_uses_only_orderings_censoring_reveals():
    df = pd.DataFrame({
        "pair": np.repeat([1, 2, 3, 4, 5, 6], 2),
        "treated": [1, 0] * 6,
        "days": [300, 100, 50, 200, 365, 365, 100, 200, 200, 100, 150, 150],
        "event": [0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1],
    })
    # 1: comparison reoffended first (+1); 2: programme first (-1); 3: both censored (0);
    # 4: programme censored at 100 before the comparison's 200 (0); 5: comparison censored
    # at 100 before the programme's reoffence (0); 6: same day (0)
    s = censored_pair_scores(df, pair_col="pair", duration_col="days", event_col="event")
    assert s.tolist() == [1, -1, 0, 0, 0, 0]
    out = survival_pair_bounds(df, pair_col="pair", duration_col="days", event_col="event",
                               gammas=[1.0])
    assert out["n_informative"].iloc[0] == 2
    assert out["p_value"].iloc[0] == pytest.approx(0.75)


def test_sensitivity_value_is_where_the_bound_crosses_alpha():
    d = np.array(EXPOSED) - np.array(CONTROL)

    def bound(g):
        return signed_rank_bounds(d, [g], method="normal")["p_value"].iloc[0]

    g = sensitivity_value(bound)
    assert bound(g) <= 0.05 < bound(g * 1.0001)
    assert 4.25 < g < 5  # base R: 0.0441 at 4.25, 0.0694 at 5
    assert sensitivity_value(lambda _g: 0.2) == 1.0


def test_sentence_reads_the_gamma():
    text = sensitivity_sentence(2.345, programme="IOM")
    assert "2.35 times as likely to be on IOM" in text and "95%" in text
    assert "not statistically significant" in sensitivity_sentence(1.0)
