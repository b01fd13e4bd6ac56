"""Competing risks on tiny frames worked out by hand (the R comparison is in
tests/integration/test_competing_risks_r.py)."""

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.competing_risks import competing_status, cumulative_incidence
from evaluation.estimators.fine_gray import fine_gray


def test_status_codes_from_censor_reasons():
    out = pd.DataFrame({"event": [1, 0, 0, 0, 0],
                        "censor_reason": ["reoffended", "death", "custody", "data_cutoff",
                                          "end_of_window"]})
    assert competing_status(out).tolist() == [1, 2, 3, 0, 0]
    assert competing_status(out, competing={"death": 2}).tolist() == [1, 2, 0, 0, 0]
    with pytest.raises(ValueError, match="differ"):
        competing_status(out, competing={"death": 1})


def test_cif_by_hand_with_a_competing_death_and_censoring():
    # one group of 5: reoffence day 1, death day 2, censored day 3, reoffence day 4, censored 5
    df = pd.DataFrame({"t": [1, 2, 3, 4, 5], "s": [1, 2, 0, 1, 0]})
    ci = cumulative_incidence(df, duration_col="t", event_col="s", treatment_col=None,
                              times=[0.5, 1, 2, 3, 4, 5])
    f1 = ci[ci["cause"] == 1]["estimate"].tolist()
    f2 = ci[ci["cause"] == 2]["estimate"].tolist()
    # S: 1 -> 4/5 (day 1) -> 3/5 (day 2) -> 3/5 -> 3/10 (day 4: 1 of 2 at risk)
    assert f1 == pytest.approx([0, 0.2, 0.2, 0.2, 0.2 + 0.6 / 2, 0.5])
    assert f2 == pytest.approx([0, 0, 0.2, 0.2, 0.2, 0.2])
    # 1 - KM would say 1 - (4/5)(1/2) = 0.6 reoffend by day 4: the death is not a reoffence
    assert f1[4] < 0.6
    ij = cumulative_incidence(df, duration_col="t", event_col="s", treatment_col=None,
                              times=[4], variance="ij")
    assert ij["estimate"].tolist() == pytest.approx([0.5, 0.2])
    with pytest.raises(ValueError, match="Gray"):
        cumulative_incidence(df.assign(w=1.0), duration_col="t", event_col="s",
                             treatment_col=None, weights_col="w", variance="gray")


def test_fine_gray_without_competing_events_is_breslow_cox():
    # with no competing event the subdistribution hazard is the ordinary hazard: the score at
    # beta = 0 is the log-rank numerator (observed - expected in the programme group)
    df = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5, 6, 7], "s": [1, 1, 0, 1, 1, 0, 1, 0],
                       "treated": [1, 0, 1, 1, 0, 0, 1, 0]})
    fit = fine_gray(df, duration_col="t", event_col="s")
    # solve the Breslow partial-likelihood score equation independently by bisection
    t, s, x = df["t"].to_numpy(), df["s"].to_numpy(), df["treated"].to_numpy()

    def score(b):
        u = 0.0
        for time in np.unique(t[s == 1]):
            risk = t >= time
            d = (t == time) & (s == 1)
            e = np.sum(x[risk] * np.exp(b * x[risk])) / np.sum(np.exp(b * x[risk]))
            u += np.sum(x[d]) - d.sum() * e
        return u

    lo, hi = -5.0, 5.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if score(mid) > 0 else (lo, mid)
    assert fit["estimate"].iloc[0] == pytest.approx(lo, abs=1e-8)
    assert fit["hazard_ratio"].iloc[0] == pytest.approx(np.exp(lo), rel=1e-7)


def test_fine_gray_converges_when_the_score_cannot_reach_the_tolerance():
    # The score is a sum over every row; on a national extract its rounding noise exceeded the
    # absolute tolerance and Newton-Raphson "did not converge" at the optimum. tol=0 can never
    # be met by the score, so only reaching working precision (a full step below 1e-10) ends it,
    # at the same point as the default fit.
    rng = np.random.default_rng(3)
    n = 3000
    treated = rng.integers(0, 2, n)
    t1 = rng.exponential(300 * np.exp(0.2 * treated))
    t2, cens = rng.exponential(2000, n), rng.uniform(0, 500, n)
    t = np.ceil(np.minimum.reduce([t1, t2, cens]))
    s = np.select([t1 <= np.minimum(t2, cens), t2 <= cens], [1, 2], 0)
    df = pd.DataFrame({"t": t, "s": s, "treated": treated})
    default = fine_gray(df, duration_col="t", event_col="s")
    strict = fine_gray(df, duration_col="t", event_col="s", tol=0.0)
    assert strict["estimate"].iloc[0] == pytest.approx(default["estimate"].iloc[0], abs=1e-12)
    assert strict["std_error"].iloc[0] == pytest.approx(default["std_error"].iloc[0], rel=1e-10)


def test_bad_columns_are_named_by_both_estimators():
    # one check (estimators.common.finite_column) for cumulative_incidence and fine_gray
    df = pd.DataFrame({"t": [1, 2, 3, 4], "s": [1, 2, 0, 1], "treated": [1, 0, 1, 0]})
    for fit in (lambda d, **kw: cumulative_incidence(d, duration_col="t", event_col="s", **kw),
                lambda d, **kw: fine_gray(d, duration_col="t", event_col="s", **kw)):
        with pytest.raises(KeyError, match="duration column 't' is not in the frame"):
            fit(df.drop(columns="t"), treatment_col="treated")
        with pytest.raises(ValueError, match="event column 's' has missing or non-numeric"):
            fit(df.assign(s=["1", "x", "0", "1"]), treatment_col="treated")
        with pytest.raises(KeyError, match="column 'arm' is not in the frame"):
            fit(df, treatment_col="arm")
