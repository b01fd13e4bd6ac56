"""Synthetic scenarios: each harder world does what it claims, and the default is unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.data.contract import AREAS
from evaluation.synth import SCENARIOS, generate
from evaluation.synth.scenarios import Scenario, get_scenario

N = 40_000  # simulated people: a few hundred IOM candidates, a few seconds per world


@pytest.fixture(scope="module")
def worlds():
    cache: dict[str, object] = {}

    def get(name):
        if name not in cache:
            cache[name] = generate(seed=11, n_people=N, scenario=name)
        return cache[name]
    return get


def _iom(world):
    ep, pool = world.tables["programme_episodes"], world.tables["comparison_pool"]
    return ep.loc[ep["programme"] == "iom"], pool.loc[pool["programme"] == "iom"]


def test_default_scenario_is_the_old_world(worlds):
    plain = generate(seed=11, n_people=N)
    default = worlds("default")
    for name, frame in plain.tables.items():
        pd.testing.assert_frame_equal(frame, default.tables[name])
    assert plain.truth == default.truth and "scenario" not in default.metadata
    assert get_scenario(None) == Scenario() and SCENARIOS["default"].is_default


def test_unknown_scenario_is_refused():
    with pytest.raises(ValueError, match="unknown scenario"):
        generate(seed=1, n_people=N, scenario="no_such_world")


def test_scenario_is_recorded_in_metadata_and_truth(worlds):
    w = worlds("crossover")
    assert w.metadata["scenario"] == "crossover"
    assert w.truth["scenario"]["iom_crossover_share"] == 0.30
    assert "crossover" in w.metadata["description"]


def test_default_has_no_crossover_but_crossover_world_does(worlds):
    for name, expect in (("default", False), ("crossover", True)):
        ep, pool = _iom(worlds(name))
        later = pool.merge(ep[["person_id", "start_date"]], on="person_id")
        crossed = later["start_date"] > later["index_date"]
        assert bool(crossed.any()) is expect, name
    ep, pool = _iom(worlds("crossover"))
    later = pool.merge(ep[["person_id", "start_date"]], on="person_id")
    gap = (later["start_date"] - later["index_date"]).dt.days
    assert gap.between(91, 540).all()  # the scenario's 3-18 months
    # about 30% of the pool crosses over (fewer: dead or past the cut-off by then)
    assert 0.15 < len(later) / len(pool) <= 0.30


def test_rescoring_gives_several_pool_rows_and_later_adoption(worlds):
    ep, pool = _iom(worlds("rescoring"))
    rows = pool.groupby("person_id").size()
    assert rows.max() >= 2 and (rows >= 2).sum() > 5
    assert not pool.duplicated(["person_id", "index_date"]).any()  # the contract's key
    later = pool.merge(ep[["person_id", "start_date"]], on="person_id")
    assert (later["start_date"] > later["index_date"]).all()  # adopted after every pool row
    assert len(later) > 0
    _, pool0 = _iom(worlds("default"))
    assert pool0.groupby("person_id").size().max() == 1


def test_adoption_lag_moves_starts_off_the_scoring_rounds(worlds):
    ep0, _ = _iom(worlds("default"))
    assert (ep0["start_date"].dt.day == 1).all()  # adopted on the scoring date (1st of month)
    ep, pool = _iom(worlds("adoption_lag"))
    assert (pool["index_date"].dt.day == 1).all()  # comparison: the scoring date
    lag = ep["start_date"] - ep["start_date"].dt.to_period("M").dt.to_timestamp()
    # 14-84 days after a 1st of the month: never on the 1st itself unless 28-31 days etc.
    assert (ep["start_date"].dt.day != 1).mean() > 0.9
    assert lag.dt.days.max() <= 31
    # the same people are scored: the treated's score is the score at the scoring round
    assert ep["iom_selection_score"].min() >= 6.5


def test_time_zero_is_the_scoring_round_and_equals_the_start_by_default(worlds):
    """Decision 0405: the episode's eligibility date is the scoring round, the same decision
    as the pool's index date; only the adoption (start) lags it."""
    default = worlds("default").tables["programme_episodes"]
    assert (default["eligibility_date"] == default["start_date"]).all()  # every programme
    ep, _ = _iom(worlds("adoption_lag"))
    assert (ep["eligibility_date"].dt.day == 1).all()
    lag = (ep["start_date"] - ep["eligibility_date"]).dt.days
    assert lag.between(14, 84).all()
    truth = worlds("adoption_lag").truth["programmes"]["iom"]
    assert "from_eligibility" in truth and "from_eligibility" not in \
        worlds("default").truth["programmes"]["iom"]
    # followed from the decision, the effect is diluted by the lag (nearer the null)
    assert truth["from_eligibility"]["rate_ratio"] > truth["rate_ratio"]


def test_area_differences_in_charging_and_proof_delay(worlds):
    def by_area(world):
        off = world.tables["offences"].merge(world.tables["people"][["person_id", "area"]],
                                             on="person_id")
        conv = off.loc[off["outcome"] == "conviction"]
        delay = (conv["proven_date"] - conv["offence_date"]).dt.days.groupby(conv["area"])
        nfa = (off["outcome"] == "no_further_action").groupby(off["area"]).mean()
        return delay.median(), nfa
    d0, n0 = by_area(worlds("default"))
    d1, n1 = by_area(worlds("area_differences"))
    sc = SCENARIOS["area_differences"]
    b, c = AREAS.index("birmingham"), AREAS.index("coventry")
    assert sc.area_proof_delay[b] > 1 > sc.area_proof_delay[c]
    # default: areas alike (within 15%); scenario: Birmingham proves much later than Coventry
    assert abs(d0["birmingham"] / d0["coventry"] - 1) < 0.15
    assert d1["birmingham"] / d1["coventry"] > 1.8
    assert n1["birmingham"] - n1["coventry"] > 0.15 > abs(n0["birmingham"] - n0["coventry"])


def test_unmeasured_confounder_drives_selection_and_is_not_in_the_extract(worlds):
    from dataclasses import replace

    from evaluation.synth import WorldParams, potential_worlds

    w = worlds("unmeasured_confounder")
    for frame in w.tables.values():
        assert not any("confounder" in c for c in frame.columns)
    pop, _, _, _, selections = potential_worlds(11, replace(WorldParams(), n_people=N),
                                                "unmeasured_confounder")
    for s in selections:
        if s.programme in ("iom", "new_chance", "princes_trust"):
            gap = pop.confounder[s.episodes["person"]].mean() - pop.confounder[
                s.pool["person"]].mean()
            assert gap > 0.3, s.programme  # selected on the trait beyond their history


def test_earlier_scenarios_record_no_planted_theta_and_keep_theta_0_9(worlds):
    """The strength fields added later stay out of the earlier scenarios' truth.json."""
    w = worlds("crossover")
    assert "iom_theta" not in w.truth["scenario"]
    assert w.truth["programmes"]["iom"]["theta"] == 0.90


def test_strong_effect_changes_only_the_planted_iom_effect(worlds):
    plain, strong = worlds("default"), worlds("strong_effect")
    assert strong.truth["scenario"]["iom_theta"] == 0.70
    assert strong.truth["programmes"]["iom"]["theta"] == 0.70
    # the same people are selected and compared; only their outcomes under IOM differ
    for name in ("programme_episodes", "comparison_pool", "people"):
        pd.testing.assert_frame_equal(plain.tables[name], strong.tables[name])
    assert strong.truth["programmes"]["iom"]["hazard_ratio"] < \
        plain.truth["programmes"]["iom"]["hazard_ratio"] - 0.05
    for other in ("new_chance", "princes_trust", "conditional_caution"):
        assert strong.truth["programmes"][other] == plain.truth["programmes"][other]


def test_crossover_strong_adopts_most_of_the_pool_inside_its_follow_up(worlds):
    ep, pool = _iom(worlds("crossover_strong"))
    later = pool.merge(ep[["person_id", "start_date"]], on="person_id")
    gap = (later["start_date"] - later["index_date"]).dt.days
    assert gap.between(30, 240).all()  # inside the one-year follow-up window
    # 80% asked; fewer because of deaths and the cut-off (the weaker scenario: 15-30% of 30%)
    assert 0.6 < len(later) / len(pool) <= 0.80
    assert worlds("crossover_strong").truth["programmes"]["iom"]["theta"] == 0.70


def test_long_lag_is_months_and_combination_has_both(worlds):
    for name in ("adoption_lag_long", "lag_and_crossover_strong"):
        ep, pool = _iom(worlds(name))
        lag = (ep["start_date"] - ep["eligibility_date"]).dt.days
        # adopted in a scoring round (a later adoption, crossover, has its start as time zero)
        rounds = ep["eligibility_date"] != ep["start_date"]
        assert rounds.mean() > 0.2 and (ep.loc[rounds, "eligibility_date"].dt.day == 1).all()
        assert lag[rounds].between(60, 240).all() and lag[rounds].median() > 100, name
        truth = worlds(name).truth["programmes"]["iom"]
        assert truth["from_eligibility"]["rate_ratio"] > truth["rate_ratio"]
    ep, pool = _iom(worlds("lag_and_crossover_strong"))
    later = pool.merge(ep[["person_id", "start_date"]], on="person_id")
    assert len(later) / len(pool) > 0.6
