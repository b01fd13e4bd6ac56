"""Bring-your-own analysis file: spec validation, clear errors, run_all agrees with the parts."""

import numpy as np
import pandas as pd
import pytest
import yaml
from paths import REPO
from pydantic import ValidationError

from evaluation.estimators.analysis_file import AnalysisFileSpec, run_all
from evaluation.estimators.cox import cox_effect
from evaluation.estimators.rmst import rmst_effect


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    n = 400
    treated = np.repeat([1, 0], n // 2)
    age = rng.uniform(18, 50, n).round(1)
    t = rng.exponential(1 / (np.where(treated == 1, 0.7, 1.0) / 500))
    follow = 365.0
    return pd.DataFrame({
        "person_id": np.arange(n), "treated": treated, "age_at_index": age,
        "sex": rng.choice(["F", "M"], n),
        "duration_days": np.ceil(np.minimum(t, follow)), "event": (t <= follow).astype(int),
        "reoffended": (t <= follow).astype(int), "n_reoffences": rng.poisson(1.0, n),
        "days_at_risk": rng.uniform(200, 365, n).round(),
        "weight": rng.choice([0.5, 1.0, 2.0], n),
        "match_set": np.tile(np.arange(n // 2), 2),  # treated i and control i form set i
    })


def test_run_all_everything(frame):
    spec = AnalysisFileSpec(outcome_col="reoffended", count_col="n_reoffences",
                            exposure_col="days_at_risk", covariates=("age_at_index", "sex"),
                            weights_col="weight", cluster_col="match_set")
    res = run_all(frame, spec)
    eff = res.effects
    assert set(eff["analysis"]) == {"logrank", "cox", "rmst", "binary", "count"}
    assert {"hazard_ratio", "rmst_difference", "risk_difference", "rate_ratio"} <= set(eff["term"])
    direct = cox_effect(frame, duration_col="duration_days", event_col="event", treatment_col="treated", covariates=["age_at_index", "sex"],
                        weights_col="weight", cluster_col="match_set")
    got = eff[eff["analysis"] == "cox"].drop(columns="analysis").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, direct)
    rm = rmst_effect(frame, duration_col="duration_days", event_col="event", treatment_col="treated", tau=365, weights_col="weight", cluster_col="match_set")
    assert eff.loc[eff["term"] == "rmst_difference", "estimate"].item() == \
        rm.loc[rm["term"] == "rmst_difference", "estimate"].item()
    assert res.km is not None and res.ph is not None and res.ph.statement


def test_only_survival_by_default(frame):
    res = run_all(frame, AnalysisFileSpec())
    assert set(res.effects["analysis"]) == {"logrank", "cox", "rmst"}
    assert res.km.survival_table_["n_at_risk"].max() == 200


def test_missing_column_names_field_and_column(frame):
    with pytest.raises(ValueError, match=r"weights_col='wt'.*covariates\[1\]='ethnicity'"):
        run_all(frame, AnalysisFileSpec(weights_col="wt", covariates=("age_at_index", "ethnicity")))


def test_unknown_key_rejected():
    with pytest.raises(ValidationError, match="wieghts"):
        AnalysisFileSpec(wieghts="weight")


def test_old_key_names_the_new_one():
    # a spec written before the shared vocabulary must fail, saying what the key is now called
    with pytest.raises(ValidationError, match="'weights' is now 'weights_col'"):
        AnalysisFileSpec(weights="weight")


def test_example_spec_in_docs_is_valid(frame):
    spec = AnalysisFileSpec(**yaml.safe_load((REPO / "docs/examples/analysis_file_spec.yaml")
                                             .read_text()))
    assert spec.weights_col == "weight" and spec.outcome_col == "reoffended"
    res = run_all(frame, spec)
    assert {"logrank", "cox", "rmst", "binary", "count"} == set(res.effects["analysis"])


def test_missing_values_are_not_dropped_silently(frame):
    bad = frame.copy()
    bad.loc[3, "duration_days"] = np.nan
    with pytest.raises(ValueError, match="'duration_days' has 1 missing"):
        run_all(bad, AnalysisFileSpec())
