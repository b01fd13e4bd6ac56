"""Counting-process Cox (split rows, delayed entry) and two-way clustering against R coxph."""

import json

import numpy as np
import pandas as pd
import pytest
from paths import REFERENCE_DIR

from evaluation.estimators.cox import cox_effect, dfbeta_variance
from evaluation.estimators.cox_counting import cox_counting_effect, fit_counting_cox

HERE = REFERENCE_DIR / "cox_counting"
REF = json.loads((HERE / "reference.json").read_text())
MODEL = {
    "start_col": "start",
    "stop_col": "stop",
    "event_col": "event",
    "covariates": ["age", "prio"],
}
TOL = 1e-8


@pytest.fixture(scope="module")
def split() -> pd.DataFrame:
    return pd.read_csv(HERE / "rossi_split.csv")


@pytest.fixture(scope="module")
def stacked() -> pd.DataFrame:
    return pd.read_csv(HERE / "stacked.csv")


def _unsplit(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    return rows.groupby(key, as_index=False).agg(
        start=("start", "min"),
        stop=("stop", "max"),
        event=("event", "max"),
        **{c: (c, "first") for c in rows.columns if c not in (key, "start", "stop", "event")},
    )


def _se(variance: np.ndarray) -> np.ndarray:
    return np.sqrt(np.diag(variance))


def test_split_rossi_matches_r(split):
    ref = REF["rossi_split"]
    fit = fit_counting_cox(split, weights_col="w", cluster_col="person", **MODEL)
    np.testing.assert_allclose(fit.params, ref["coef"], rtol=0, atol=TOL)
    np.testing.assert_allclose(_se(fit.naive_variance), ref["naive_se"], rtol=0, atol=TOL)
    np.testing.assert_allclose(_se(fit.robust_variance()[0]), ref["robust_se"], rtol=0, atol=TOL)
    assert fit.log_likelihood == pytest.approx(ref["loglik"], abs=1e-8)


def test_unweighted_model_based_variance_matches_r(split):
    ref = REF["rossi_split_plain"]
    fit = fit_counting_cox(split, **MODEL)
    np.testing.assert_allclose(fit.params, ref["coef"], rtol=0, atol=TOL)
    np.testing.assert_allclose(_se(fit.naive_variance), ref["naive_se"], rtol=0, atol=TOL)


def test_split_and_unsplit_give_the_same_robust_variance(split):
    """Splitting follow-up changes nothing, clustered on the person (R: identical too)."""
    whole = _unsplit(split, "person")
    assert len(whole) == 432 and len(split) > 3 * 432
    fits = [
        fit_counting_cox(d, weights_col="w", cluster_col="person", **MODEL) for d in (split, whole)
    ]
    np.testing.assert_allclose(fits[0].params, fits[1].params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        fits[0].robust_variance()[0], fits[1].robust_variance()[0], rtol=1e-10
    )
    np.testing.assert_allclose(
        _se(fits[1].robust_variance()[0]), REF["rossi_unsplit"]["robust_se"], rtol=0, atol=TOL
    )
    # the unsplit data through the right-censored route (cox_effect) agrees too
    table = cox_effect(
        whole,
        duration_col="stop",
        event_col="event",
        covariates=["age", "prio"],
        weights_col="w",
        cluster_col="person",
    )
    np.testing.assert_allclose(table["std_error"], REF["rossi_unsplit"]["robust_se"], rtol=1e-6)


def test_delayed_entry_recurring_people_and_two_way_match_r(stacked):
    ref = REF["stacked"]
    fit = fit_counting_cox(
        stacked, weights_col="w", cluster_col="person", set_col="match_set", **MODEL
    )
    np.testing.assert_allclose(fit.params, ref["coef"], rtol=0, atol=TOL)
    np.testing.assert_allclose(_se(fit.naive_variance), ref["naive_se"], rtol=0, atol=TOL)
    person, two_way_used = fit.robust_variance(two_way=False)
    assert not two_way_used
    np.testing.assert_allclose(_se(person), ref["person_se"], rtol=0, atol=TOL)
    two, two_way_used = fit.robust_variance()
    assert two_way_used
    np.testing.assert_allclose(two, np.array(ref["two_way_var"]), rtol=0, atol=TOL)
    by_set = fit_counting_cox(stacked, weights_col="w", cluster_col="match_set", **MODEL)
    np.testing.assert_allclose(
        _se(by_set.robust_variance()[0]), ref["set_coxph_se"], rtol=0, atol=TOL
    )


def test_effect_table_reports_the_two_way_variance(stacked):
    table = cox_counting_effect(
        stacked, weights_col="w", cluster_col="person", set_col="match_set", **MODEL
    )
    ref = REF["stacked"]
    np.testing.assert_allclose(table["std_error"], ref["two_way_se"], rtol=0, atol=TOL)
    np.testing.assert_allclose(np.log(table["estimate"]), ref["coef"], rtol=0, atol=TOL)
    assert table["term"].tolist() == ["hazard_ratio", "hazard_ratio[age]", "hazard_ratio[prio]"]
    assert "two-way" in table["method"].iloc[0] and "'match_set'" in table["method"].iloc[0]
    assert (table["n"] == len(stacked)).all()
    one = cox_counting_effect(stacked, weights_col="w", cluster_col="person", **MODEL)
    np.testing.assert_allclose(one["std_error"], ref["person_se"], rtol=0, atol=TOL)
    assert "two-way" not in one["method"].iloc[0]


def test_itt_cox_effect_two_way_matches_r(stacked):
    """The right-censored route (intention to treat): cox_effect(set_col=...)."""
    ref = REF["itt_two_way"]
    itt = _unsplit(stacked, "row").assign(start=0.0)
    assert len(itt) == ref["n"]
    table = cox_effect(
        itt,
        duration_col="stop",
        event_col="event",
        covariates=["age", "prio"],
        weights_col="w",
        cluster_col="person",
        set_col="match_set",
    )
    # cox_effect stops where lifelines does (~1e-9 relative change in log-likelihood)
    np.testing.assert_allclose(np.log(table["estimate"]), ref["coef"], rtol=0, atol=1e-7)
    np.testing.assert_allclose(table["std_error"], ref["two_way_se"], rtol=1e-6)
    assert "two-way" in table["method"].iloc[0]
    exact = cox_counting_effect(
        itt, weights_col="w", cluster_col="person", set_col="match_set", **MODEL
    )
    np.testing.assert_allclose(exact["std_error"], ref["two_way_se"], rtol=0, atol=TOL)


def test_two_way_by_hand_and_fallback_when_not_positive_semi_definite():
    person, sets = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])  # each pair once: rows alone
    same = np.ones((4, 1))
    # V_person = 2^2 + 2^2, V_set = 8, V_both = 4 rows of 1: 8 + 8 - 4
    v, two_way = dfbeta_variance(same, person, sets)
    assert two_way and v[0, 0] == pytest.approx(12.0)
    opposed = np.array([[1.0], [-1.0], [-1.0], [1.0]])
    # V_person = 0, V_set = 0, V_both = 4: two-way -4 < 0, so the one-way (person) 0
    v, two_way = dfbeta_variance(opposed, person, sets)
    assert not two_way and v[0, 0] == pytest.approx(0.0)


def test_fallback_is_said_in_the_method(monkeypatch, stacked):
    import evaluation.estimators.cox_counting as cc

    monkeypatch.setattr(
        cc.CountingCox,
        "robust_variance",
        lambda self, two_way=True: (dfbeta_variance(self.dfbeta, self.inputs.codes)[0], False),
    )
    table = cox_counting_effect(
        stacked, weights_col="w", cluster_col="person", set_col="match_set", **MODEL
    )
    assert "not positive semi-definite: one-way" in table["method"].iloc[0]
    np.testing.assert_allclose(table["std_error"], REF["stacked"]["person_se"], rtol=0, atol=TOL)


def test_entry_must_precede_exit(split):
    bad = split.assign(start=split["stop"])
    with pytest.raises(ValueError, match="entry time must be before"):
        fit_counting_cox(bad, **MODEL)
