"""The per-protocol hazard ratio's variance in the sequential trials (decision 0406).

Without any censoring by adoption the per-protocol rows are the intention-to-treat rows split
into 30-day intervals, so the two variances must agree (lifelines' did not: 0.115 against
0.088); where a person recurs across trials both hazard ratios are clustered two-way.
"""

from __future__ import annotations

import functools
import tempfile
import warnings

import numpy as np
import pytest

from evaluation.analysis.derive import derive_analysis_outcomes
from evaluation.analysis.effects import estimate_effects, set_cluster
from evaluation.analysis.trials import per_protocol_effects
from evaluation.config import load_programme_config
from evaluation.data.io import load_extract
from evaluation.design.build import build_design
from evaluation.estimators.cox import cox_effect
from evaluation.synth import generate, write_world


@functools.cache
def _analyse(scenario: str, seed: int):
    world = generate(seed, scale=0.05, scenario=scenario)
    config = load_programme_config("iom")
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_world(world, tmp)
        extract = load_extract(tmp)
        design = build_design(config, extract)
        frame = derive_analysis_outcomes(design.analysis_set, extract, config, 365, attrition=None)
        _, details = estimate_effects(frame, config, "weight", "cluster")
        pp, diag = per_protocol_effects(frame, config, "weight", "cluster")
    itt = details["cox"].set_index("term").loc["hazard_ratio"]
    return config, frame, itt, pp.set_index("term"), diag


def test_without_censoring_per_protocol_variance_equals_intention_to_treat():
    config, frame, itt, table, diag = _analyse("default", 1)
    pp = table.loc["hazard_ratio"]
    assert diag["n_censored_by_adoption"] == 0 and not frame["person_id"].duplicated().any()
    assert pp["estimate"] == pytest.approx(itt["estimate"], rel=1e-8)
    assert pp["std_error"] == pytest.approx(itt["std_error"], rel=1e-8)
    assert "counting process" in pp["method"] and "two-way" not in pp["method"]
    assert set_cluster(frame, config, "cluster") is None


@pytest.mark.parametrize("scenario", ["rescoring", "crossover"])
def test_recurring_people_get_two_way_variances(scenario):
    config, frame, itt, table, _ = _analyse(scenario, 1)
    pp = table.loc["hazard_ratio"]
    assert frame["person_id"].duplicated().any()
    assert set_cluster(frame, config, "cluster") == "match_set"
    one_way = cox_effect(
        frame,
        duration_col="duration_days",
        event_col="event",
        weights_col="weight",
        cluster_col="cluster",
    )
    two_way = cox_effect(
        frame,
        duration_col="duration_days",
        event_col="event",
        weights_col="weight",
        cluster_col="cluster",
        set_col="match_set",
    )
    for row in (itt, pp):
        assert "two-way robust sandwich on 'cluster'" in row["method"]
    assert itt["std_error"] == pytest.approx(two_way["std_error"].iloc[0], rel=1e-12)
    assert not np.isclose(two_way["std_error"].iloc[0], one_way["std_error"].iloc[0], rtol=1e-6)
    # the risk difference stays one-way (person)
    assert "two-way" not in table.loc["risk_difference", "method"]
