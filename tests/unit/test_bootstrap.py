"""Design bootstrap: reproducible across n_jobs, right SE on cases with a known answer."""

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.bootstrap import bootstrap


def _mean(df: pd.DataFrame) -> dict:
    return {"mean": df["y"].mean()}


@pytest.fixture(scope="module")
def normal() -> pd.DataFrame:
    return pd.DataFrame({"y": np.random.default_rng(1).normal(10, 2, 300)})


def test_reproducible_and_independent_of_n_jobs(normal):
    a = bootstrap(_mean, normal, 40, seed=5)
    b = bootstrap(_mean, normal, 40, seed=5)
    c = bootstrap(_mean, normal, 40, seed=5, n_jobs=2, backend="threading")
    pd.testing.assert_frame_equal(a.distribution, b.distribution)
    pd.testing.assert_frame_equal(a.distribution, c.distribution)
    assert not a.distribution.equals(bootstrap(_mean, normal, 40, seed=6).distribution)


def test_se_of_a_mean_is_sd_over_root_n(normal):
    # the bootstrap SE of a mean estimates s / sqrt(n) (Monte Carlo error ~ 1/sqrt(2B) = 2.5%)
    res = bootstrap(_mean, normal, 800, seed=2)
    row = res.table.iloc[0]
    expected = normal["y"].std(ddof=0) / np.sqrt(len(normal))
    assert row["std_error"] == pytest.approx(expected, rel=0.1)
    assert row["estimate"] == normal["y"].mean()
    assert row["lower"] == pytest.approx(res.distribution["mean"].quantile(0.025))
    assert row["lower"] < row["estimate"] < row["upper"]


def test_cluster_resampling_keeps_clusters_together():
    # 30 clusters of 10 identical values: the information is in 30 numbers, not 300.
    rng = np.random.default_rng(3)
    values = rng.normal(0, 1, 30)
    df = pd.DataFrame({"y": np.repeat(values, 10), "set": np.repeat(np.arange(30), 10)})
    by_cluster = bootstrap(_mean, df, 600, seed=4, cluster_col="set").table.iloc[0]["std_error"]
    by_person = bootstrap(_mean, df, 600, seed=4).table.iloc[0]["std_error"]
    expected = values.std(ddof=0) / np.sqrt(30)
    assert by_cluster == pytest.approx(expected, rel=0.1)
    assert by_person < 0.6 * expected  # ignoring the clusters understates the uncertainty

    def sets_whole(d: pd.DataFrame) -> float:
        sizes = d.groupby("set").size()
        assert (sizes == 10).all()  # a set drawn twice becomes two sets, each complete
        return d["y"].mean()

    bootstrap(sets_whole, df, 5, seed=1, cluster_col="set")


def test_tidy_frame_fn_and_failures(normal):
    def tidy(d):
        if d["y"].iloc[0] > 12:
            raise ValueError("planted failure")
        return pd.DataFrame({"term": ["m", "s"], "estimate": [d["y"].mean(), d["y"].std()]})

    res = bootstrap(tidy, normal.sort_values("y").reset_index(drop=True), 50, seed=3,
                    on_error="nan")
    assert list(res.table["term"]) == ["m", "s"]
    assert res.n_failed == res.distribution["m"].isna().sum() > 0
    assert f"{res.n_failed} failed" in res.table["method"].iloc[0]
    with pytest.raises(ValueError, match="planted failure"):
        bootstrap(tidy, normal.sort_values("y").reset_index(drop=True), 50, seed=3)
