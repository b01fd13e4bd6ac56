"""The vectorised Schoenfeld residuals and PH test against lifelines itself (the same numbers,
to rounding): weighted, with many tied times (Efron), several terms."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test

from evaluation.estimators.cox import _ph_statistics
from evaluation.estimators.schoenfeld import ph_test, schoenfeld_residuals


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(5)
    n = 2000
    X = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n),
                         rng.integers(0, 3, n)]).astype(float)
    t = rng.integers(1, 40, n).astype(float)  # 39 distinct times: ties everywhere
    t = np.where(X[:, 0] == 1, t * 1.3, t).round()  # a hazard that differs by arm over time
    e = (rng.random(n) < 0.6).astype(int)
    w = rng.uniform(0.2, 3.0, n)
    data = pd.DataFrame(X, columns=["treated", "x", "z"])
    data["_T"], data["_E"], data["_W"] = t, e, w
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter().fit(data, "_T", "_E", weights_col="_W")
    return t, e, w, X, cph, data


def test_residuals_equal_lifelines(fitted):
    t, e, w, X, cph, data = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = cph.compute_residuals(data, kind="schoenfeld").to_numpy()
    _, got = schoenfeld_residuals(t, e, w, X, cph.params_.to_numpy())
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("transform", ["rank", "identity", "log"])
def test_test_statistics_equal_lifelines(fitted, transform):
    t, e, w, X, cph, data = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = proportional_hazard_test(cph, data, time_transform=transform).summary
    stat, p = ph_test(t, e, w, X, cph.params_.to_numpy(), cph.variance_matrix_.to_numpy(),
                      transform)
    np.testing.assert_allclose(stat, want["test_statistic"].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(p, want["p"].to_numpy(), rtol=1e-10, atol=1e-15)


def test_ph_check_path_equals_the_lifelines_path(fitted):
    t, e, w, X, _, _ = fitted
    names = ["treated", "x", "z"]
    fast = _ph_statistics(t, e, w, names, X, "rank")
    slow = _ph_statistics(t, e, w, names, X, "rank", use_lifelines=True)
    np.testing.assert_allclose(fast[0], slow[0], rtol=1e-9)
    np.testing.assert_allclose(fast[1], slow[1], rtol=1e-9, atol=1e-15)
    assert fast[1][0] < 0.05  # the planted time-varying arm effect is found


def test_an_unknown_transform_is_refused():
    with pytest.raises(ValueError, match="time_transform"):
        ph_test(np.ones(3), np.ones(3), np.ones(3), np.ones((3, 1)), np.zeros(1), np.eye(1), "km")
