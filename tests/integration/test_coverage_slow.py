"""Reduced Monte Carlo coverage study (benchmarks/bench_coverage.py): 16 seeded synthetic worlds.

The full study (200+ worlds) checks coverage to within a few points; this one only catches a
gross miscalibration, with binomial bounds chosen so that a correct method fails rarely.
Run: .venv/bin/pytest -m slow tests/integration/test_coverage_slow.py (about 1-2 minutes on 2 cores).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from paths import REPO
from scipy import stats

sys.path.insert(0, str(REPO / "benchmarks"))
from bench_coverage import PROGRAMMES, analyse_dataset, run

pytestmark = pytest.mark.slow

SEEDS = list(range(1, 17))
SCALE = 0.3


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.DataFrame(run(SEEDS, SCALE, workers=2))


def _matched_hr(records: pd.DataFrame) -> pd.DataFrame:
    return records.loc[(records["analysis"] == "matched")
                       & (records["measure"] == "hazard_ratio")]


def _min_covered(n: int, tail: float) -> int:
    """Largest k with P(X < k) <= tail for X ~ Binomial(n, 0.95): a correct 95% method gives
    fewer than k covering intervals with probability at most ``tail``."""
    return int(max(k for k in range(n + 1) if stats.binom.cdf(k - 1, n, 0.95) <= tail))


def test_min_covered_matches_hand_binomial():
    # n = 16, p = 0.95; misses F = 16 - X ~ Binomial(16, 0.05).
    # P(F = 4) = C(16,4) .05^4 .95^12 = 1820 * 6.25e-6 * .5404 = 6.15e-3
    # P(F = 5) = C(16,5) .05^5 .95^11 = 4368 * 3.125e-7 * .5688 = 7.76e-4
    # P(F = 6) = C(16,6) .05^6 .95^10 = 8008 * 1.5625e-8 * .5987 = 7.5e-5; F >= 7: ~6e-6
    # P(X < 12) = P(F >= 5) = 8.6e-4 <= 0.001, but P(X < 13) = P(F >= 4) = 7.0e-3 > 0.001.
    assert _min_covered(16, 0.001) == 12


def test_matched_hazard_ratio_interval_covers_the_planted_truth(records):
    hr = _matched_hr(records)
    # Pooled over programmes (independent worlds; programmes within a world are nearly
    # independent as their people are disjoint): with n intervals, a correct 95% method has
    # fewer than _min_covered(n, 0.005) covering with probability <= 0.5% (n = 64: at least 56,
    # i.e. 87.5%; a method with true coverage 85% fails this 64% of the time).
    n, k = len(hr), int(hr["covered"].sum())
    assert n >= 40, f"too few successful analyses: {n}"
    assert k >= _min_covered(n, 0.005), f"{k} of {n} intervals cover the truth"
    # Per programme: a gross failure (e.g. coverage 60%) in any one programme; with 16 worlds
    # at least 12 must cover (P(fail | 95%) = 8.6e-4, see the hand check above).
    for programme, g in hr.groupby("programme"):
        n, k = len(g), int(g["covered"].sum())
        assert k >= _min_covered(n, 0.001), f"{programme}: {k} of {n} intervals cover"


def test_planted_null_is_rarely_rejected(records):
    hr = _matched_hr(records)
    pt = hr.loc[hr["programme"] == "princes_trust"]
    assert len(pt) == len(SEEDS)
    assert (pt["truth"] == 1.0).all()
    # False rejections X ~ Binomial(16, 0.05) at the nominal level:
    # P(0) = .95^16 = .4401, P(1) = 16 * .05 * .95^15 = .3706, P(2) = 120 * .0025 * .95^14
    # = .1463, P(3) = 560 * 1.25e-4 * .95^13 = .0359; sum .9929, so P(X >= 4) = 0.0071:
    # a correct test fails this bound 0.7% of the time; one rejecting 25% fails it 59%.
    assert stats.binom.sf(3, 16, 0.05) == pytest.approx(0.0071, abs=3e-4)
    assert int(pt["rejected"].sum()) <= 3


def test_matching_removes_the_planted_confounding(records):
    """The naive comparison of the whole pool is confounded (people referred to the Prince's
    Trust have more risk factors); without this the coverage test would have no power."""
    hr = records.loc[(records["measure"] == "hazard_ratio")
                     & (records["programme"] == "princes_trust")]
    naive = hr.loc[hr["analysis"] == "naive"]
    matched = hr.loc[hr["analysis"] == "matched"]
    assert int(naive["rejected"].sum()) >= 12  # a confounded null, found "significant"
    bias_naive = float(np.log(naive["estimate"]).mean())
    bias_matched = float(np.log(matched["estimate"]).mean())
    assert abs(bias_matched) < abs(bias_naive) / 3


def test_results_do_not_depend_on_the_number_of_workers(records):
    again = pd.DataFrame(analyse_dataset(SEEDS[0], SCALE) + analyse_dataset(SEEDS[1], SCALE))
    first = records.loc[records["seed"].isin(SEEDS[:2])]
    cols = [c for c in again.columns if c not in ("dataset_seconds", "scale")]
    key = ["seed", "programme", "analysis", "measure"]
    a = again[cols].sort_values(key, na_position="first").reset_index(drop=True)
    b = first[cols].sort_values(key, na_position="first").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert set(records["programme"]) == set(PROGRAMMES)
