"""The Aalen-Johansen IJ influence in closed form against its person x time definition.

``competing_risks._aj_influence`` computes each person's influence w_i dF_c(t)/dw_i from
per-time prefix sums, O(n) per time asked. The definition below builds the n x m at-risk and
event matrices and differentiates the product-limit recursion term by term (what the module
did before; R survival's multi-state influence arrays agree with it, tests/integration/
test_competing_risks_r.py). Both must agree to 1e-12 on ties, several causes, zero and unequal
weights, a last time where everyone left has the event (hazard 1), and times before, between
and after the observed ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.estimators.competing_risks import _aj_influence


def influence_by_definition(t, cause, w, causes):
    times, idx = np.unique(t, return_inverse=True)
    m, n = len(times), len(t)
    at_risk = (t[:, None] >= times[None, :]).astype(float)
    leave = np.zeros((n, m))
    leave[np.arange(n), idx] = 1.0
    y = w @ at_risk
    event = leave * (cause != 0)[:, None]
    h = np.divide(w @ event, y, out=np.zeros(m), where=y > 0)
    s_prev = np.r_[1.0, np.cumprod(1 - h)[:-1]]
    dh = np.divide(event - at_risk * h, y, out=np.zeros((n, m)), where=y > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dlog = -np.cumsum(np.where(h < 1, dh / (1 - h), 0.0), axis=1)
    ds_prev = s_prev * np.c_[np.zeros(n), dlog[:, :-1]]
    out = {}
    for c in causes:
        ind = leave * (cause == c)[:, None]
        h1 = np.divide(w @ ind, y, out=np.zeros(m), where=y > 0)
        dh1 = np.divide(ind - at_risk * h1, y, out=np.zeros((n, m)), where=y > 0)
        out[c] = (np.cumsum(s_prev * h1),
                  np.cumsum(ds_prev * h1 + s_prev * dh1, axis=1) * w[:, None])
    return times, out


def _at(grid, values, at):
    pos = np.searchsorted(grid, at, side="right") - 1
    return np.where(pos >= 0, values[..., np.maximum(pos, 0)], 0.0)


@pytest.mark.parametrize("seed, weighted", [(1, False), (2, True), (3, True)])
def test_closed_form_influence_equals_the_definition(seed, weighted):
    rng = np.random.default_rng(seed)
    n = 400
    t = rng.integers(1, 40, n).astype(float)          # many ties
    cause = rng.choice([0, 1, 2, 3], size=n, p=[0.4, 0.35, 0.15, 0.1])
    w = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    if weighted:
        w[rng.choice(n, 20, replace=False)] = 0.0     # zero weights, as trimmed people
    last = t == t.max()
    cause[last] = 1                                   # hazard 1 at the last time
    grid_ref, ref = influence_by_definition(t, cause, w, [1, 2, 3])
    at = np.array([0.5, 1.0, 7.3, 20.0, 39.0, 55.0])
    grid, fast = _aj_influence(t, cause, w, [1, 2, 3], at=at)
    grid_all, every = _aj_influence(t, cause, w, [1, 2, 3])
    np.testing.assert_array_equal(grid, grid_ref)
    for c in (1, 2, 3):
        f_ref, infl_ref = ref[c]
        np.testing.assert_allclose(fast[c][0], f_ref, rtol=0, atol=1e-13)
        np.testing.assert_allclose(fast[c][1], _at(grid_ref, infl_ref, at), rtol=0, atol=1e-12)
        np.testing.assert_allclose(every[c][1], infl_ref, rtol=0, atol=1e-12)
    # the influences are not all zero: the comparison tests something
    assert np.abs(fast[1][1]).max() > 1e-4
