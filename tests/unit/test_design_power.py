"""Minimum detectable effects against hand arithmetic.

z_{0.975} = 1.959964, z_{0.8} = 0.841621, sum 2.801585."""

from __future__ import annotations

import pytest

from evaluation.design import minimum_detectable_effect, minimum_detectable_hazard_ratio


def test_binary_mde_by_hand():
    # h = 2.801585 x sqrt(1/100 + 1/100) = 0.396204 (the far tail adds < 1e-6 power)
    # phi0 = asin(sqrt(0.3)) = 0.579640; decrease: sin(0.579640 - 0.198102)^2 = 0.138643
    # increase: sin(0.579640 + 0.198102)^2 = 0.492344
    r = minimum_detectable_effect(n_treated=100, n_comparison=100, baseline_rate=0.3).set_index("direction")
    assert r.loc["decrease", "cohens_h"] == pytest.approx(-0.396204, abs=2e-5)
    assert r.loc["decrease", "detectable_rate"] == pytest.approx(0.138643, abs=2e-5)
    assert r.loc["decrease", "risk_difference"] == pytest.approx(0.138643 - 0.3, abs=2e-5)
    assert r.loc["decrease", "relative_risk"] == pytest.approx(0.138643 / 0.3, abs=1e-4)
    assert r.loc["increase", "detectable_rate"] == pytest.approx(0.492344, abs=2e-5)


def test_design_effect_halves_the_sample():
    # design effect 2 with 100 + 100 people = 50 + 50: h = 2.801585 x sqrt(0.04) = 0.560317
    r = minimum_detectable_effect(n_treated=100, n_comparison=100, baseline_rate=0.3, design_effect=2).set_index("direction")
    assert r.loc["increase", "cohens_h"] == pytest.approx(0.560317, abs=2e-5)


def test_schoenfeld_hazard_ratio_by_hand():
    # 100 events, 1:1: log HR = 2.801585 / sqrt(100 x 0.25) = 0.560317 -> HR 0.571028
    r = minimum_detectable_hazard_ratio(100).set_index("direction")
    assert r.loc["decrease", "hazard_ratio"] == pytest.approx(0.571028, rel=1e-5)
    assert r.loc["increase", "hazard_ratio"] == pytest.approx(1 / 0.571028, rel=1e-5)
    # 400 people x 25% reoffending = 100 events, same answer
    r2 = minimum_detectable_hazard_ratio(n=400, event_probability=0.25)
    assert r2["hazard_ratio"].tolist() == pytest.approx(r["hazard_ratio"].tolist())
    # allocation 1:3: 100 x 0.25 x 0.75 = 18.75; 2.801585 / 4.330127 = 0.646997 -> HR 0.523615
    r3 = minimum_detectable_hazard_ratio(100, allocation=0.25).set_index("direction")
    assert r3.loc["decrease", "hazard_ratio"] == pytest.approx(0.523615, rel=1e-5)


def test_errors():
    with pytest.raises(ValueError, match="baseline_rate"):
        minimum_detectable_effect(n_treated=100, n_comparison=100, baseline_rate=1.2)
    with pytest.raises(ValueError, match="n_events, or both"):
        minimum_detectable_hazard_ratio(n=100)
    with pytest.raises(ValueError, match="design_effect"):
        minimum_detectable_hazard_ratio(100, design_effect=0.5)
