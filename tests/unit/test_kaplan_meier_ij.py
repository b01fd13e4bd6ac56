"""The fast IJ variance of Kaplan-Meier (one pass, sorted once, in chunks) against the definition.

The reference below builds the person x time matrix of influences -w_i S(t) U_i(t), sums it within
clusters and squares: slow, but a direct transcription of the formula in kaplan_meier's docstring
(itself checked against R survfit in test_kaplan_meier.py). The data exercise what the fast path
treats specially: ties, clusters of 1 to 12 people (small ones by neighbouring rows, big ones by
cumulative sums), clusters spanning groups, unsorted cluster labels, weight-0 rows, three groups,
a curve that reaches 0, and chunk edges.
"""

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.kaplan_meier import KaplanMeierByGroup
from evaluation.estimators.product_limit import km_grid, robust_var_survival, sorted_codes


def dense_ij_variance(t, e, w, clusters):
    """Var S(t) at each distinct time of one group, from the person x time influence matrix."""
    times = np.unique(t)
    at_risk = np.array([w[t >= s].sum() for s in times])
    events = np.array([(w * e)[t == s].sum() for s in times])
    surv = np.cumprod(1 - events / at_risk)
    d_n = (t[:, None] == times[None, :]) * e[:, None]
    y_i = t[:, None] >= times[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.cumsum(
            (d_n - y_i * (events / at_risk)[None, :]) / (at_risk - events)[None, :], axis=1
        )
        influence = -w[:, None] * surv[None, :] * u
    _, cl = np.unique(clusters, return_inverse=True)
    summed = np.zeros((cl.max() + 1, len(times)))
    np.add.at(summed, cl, influence)
    var = np.where(surv > 0, (summed**2).sum(axis=0), np.nan)
    return times, surv, var


def clustered_data(seed: int, n: int = 400, big: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    if big:
        sizes = rng.choice([1, 2, 3, 4, 5, 12], size=n, p=[0.3, 0.3, 0.15, 0.1, 0.1, 0.05])
    else:  # matched sets of at most 4 in every arm: the neighbouring-rows path only
        sizes = rng.choice([1, 2, 3, 4], size=n)
    cluster = np.repeat(np.arange(len(sizes)), sizes)[:n]
    labels = rng.permutation(len(sizes))[cluster] * 7 + 100  # unsorted, not 0..k
    df = pd.DataFrame(
        {
            "time": rng.integers(1, 40, n).astype(float),  # ties
            "event": rng.binomial(1, 0.6, n),
            "weight": rng.choice([0.0, 0.3, 1.0, 2.5], n, p=[0.1, 0.3, 0.4, 0.2]),
            "set": labels,
            "arm": rng.choice(["a", "b", "c"], n),  # sets span the arms
        }
    )
    return df.sample(frac=1, random_state=seed).reset_index(drop=True)


def check_against_reference(df: pd.DataFrame, tab: pd.DataFrame):
    for g, part in tab.groupby("group"):
        s = df[(df["arm"] == g) & (df["weight"] > 0)]
        times, surv, var = dense_ij_variance(
            s["time"].to_numpy(),
            s["event"].to_numpy(float),
            s["weight"].to_numpy(),
            s["set"].to_numpy(),
        )
        np.testing.assert_array_equal(part["time"], times)
        np.testing.assert_allclose(part["survival"], surv, rtol=1e-12)
        np.testing.assert_allclose(part["std_error"] ** 2, var, rtol=1e-10, atol=0)


@pytest.mark.parametrize("seed, big", [(1, True), (2, True), (3, False), (4, False)])
def test_clustered_weighted_variance_equals_the_definition(seed, big):
    df = clustered_data(seed, big=big)
    tab = (
        KaplanMeierByGroup(weights_col="weight", cluster_col="set")
        .fit(df, duration_col="time", event_col="event", treatment_col="arm")
        .survival_table_
    )
    assert len(tab) > 60
    check_against_reference(df, tab)


def test_person_level_variance_equals_the_definition():
    df = clustered_data(4).assign(set=lambda d: np.arange(len(d)))
    tab = (
        KaplanMeierByGroup(weights_col="weight")
        .fit(df, duration_col="time", event_col="event", treatment_col="arm")
        .survival_table_
    )
    check_against_reference(df, tab)


def test_curve_reaching_zero_keeps_the_earlier_variances():
    # the last time of arm "a" has only events, so S reaches 0 there: the variance is undefined
    # at that time only, and the influence there (infinite) must not spread to other times
    df = clustered_data(5)
    last = df.loc[df["arm"] == "a", "time"].max()
    df.loc[(df["arm"] == "a") & (df["time"] == last), ["event", "weight"]] = [1, 1.0]
    tab = (
        KaplanMeierByGroup(weights_col="weight", cluster_col="set")
        .fit(df, duration_col="time", event_col="event", treatment_col="arm")
        .survival_table_
    )
    a = tab[tab["group"] == "a"]
    assert a["survival"].iloc[-1] == 0 and np.isnan(a["std_error"].iloc[-1])
    assert np.isfinite(tab["std_error"]).sum() == len(tab) - 1
    check_against_reference(df, tab)


@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_chunks_change_nothing(chunk):
    df = clustered_data(6)
    df = df[df["weight"] > 0]
    group, _ = sorted_codes(df["arm"].to_numpy())
    cluster, _ = sorted_codes(df["set"].to_numpy())
    t, e, w = df["time"].to_numpy(), df["event"].to_numpy(float), df["weight"].to_numpy()
    grid = km_grid(t, e, w, group, 3, influence=False)
    whole = robust_var_survival(grid, e, w, cluster, chunk=10**6)
    np.testing.assert_allclose(
        robust_var_survival(grid, e, w, cluster, chunk=chunk), whole, rtol=1e-12
    )


def test_sorted_codes_is_sorted_factorize():
    for values in (
        np.array([5, 3, 3, 9]),
        np.array([0, 1, 1, 0]),
        np.array([-2, 40, -2]),
        np.array([10**12, 1]),
        np.array([3.0, 1.0, 3.0, 0.0]),
        np.array([2.5, 1.0, 2.5]),
        np.array([1e300, 1.0]),
        np.array(["b", "a", "b"], dtype=object),
    ):
        codes, uniques = sorted_codes(values)
        expected_codes, expected_uniques = pd.factorize(values, sort=True)
        np.testing.assert_array_equal(codes, expected_codes)
        np.testing.assert_array_equal(uniques, np.asarray(expected_uniques))
