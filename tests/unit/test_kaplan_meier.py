"""Kaplan-Meier by group: hand-worked tiny cases, R survfit (robust IJ) agreement, counts, plot."""


import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from paths import REFERENCE_DIR

from evaluation.estimators.kaplan_meier import KaplanMeierByGroup

REF = REFERENCE_DIR / "survival_r"
Z = 1.959963984540054


def test_weighted_curve_and_people_counts_by_hand():
    # times 1, 2, 2, 3; events 1, 1, 0, 1; weights 1, 2, 1, 1 (one group)
    # t=1: weighted at risk 5, events 1 -> S = 4/5
    # t=2: at risk 4 (2 + 1 + 1), weighted events 2 -> S = 4/5 * (1 - 2/4) = 2/5
    # t=3: at risk 1, events 1 -> S = 0
    # people at risk: 4, 3, 1; people with an event: 1, 1, 1; censored: 0, 1, 0
    df = pd.DataFrame({"t": [1, 2, 2, 3], "e": [1, 1, 0, 1], "w": [1.0, 2, 1, 1], "g": 0})
    tab = KaplanMeierByGroup(weights_col="w").fit(df, duration_col="t", event_col="e", treatment_col="g").survival_table_
    assert tab["survival"].tolist() == pytest.approx([0.8, 0.4, 0.0])
    assert tab["n_at_risk"].tolist() == [4, 3, 1]
    assert tab["n_events"].tolist() == [1, 1, 1]
    assert tab["n_censored"].tolist() == [0, 1, 0]
    assert tab["weighted_at_risk"].tolist() == pytest.approx([5, 4, 1])


def test_cluster_robust_variance_by_hand():
    # times 1, 2, 3; events 1, 0, 1; unweighted; persons 1 and 2 share a cluster.
    # At t=1: Y=3, D=1, S=2/3, a = 1/(Y-D) = 1/2, A = D/(Y(Y-D)) = 1/6.
    # U_1 = a - A = 1/3 (event at 1); U_2 = U_3 = -A = -1/6 (still at risk).
    # per person: Var log S = 1/9 + 1/36 + 1/36 = 1/6 (= Greenwood 1/(3*2) at the first time);
    # clustered {1,2},{3}: (1/3 - 1/6)^2 + (1/6)^2 = 1/18.  SE of S = S * sqrt(var log S).
    df = pd.DataFrame({"t": [1, 2, 3], "e": [1, 0, 1], "g": 0, "c": [7, 7, 8], "id": [1, 2, 3]})
    per_person = KaplanMeierByGroup(cluster_col="id").fit(df, duration_col="t", event_col="e", treatment_col="g").survival_table_
    clustered = KaplanMeierByGroup(cluster_col="c").fit(df, duration_col="t", event_col="e", treatment_col="g").survival_table_
    assert per_person["std_error"].iloc[0] == pytest.approx(2 / 3 * np.sqrt(1 / 6))
    assert clustered["std_error"].iloc[0] == pytest.approx(2 / 3 * np.sqrt(1 / 18))


@pytest.mark.parametrize("variant, kwargs", [
    ("unweighted_greenwood", {}),
    ("weighted_robust_id", {"weights_col": "weight"}),
    ("weighted_robust_cluster", {"weights_col": "weight", "cluster_col": "match_set"}),
    ("unweighted_robust_cluster", {"cluster_col": "match_set"}),
])
def test_matches_r_survfit(small, variant, kwargs):
    """R survival 3.5.3 survfit(robust=TRUE, id=/cluster=), log-log intervals (km_R.csv)."""
    ref = pd.read_csv(REF / "km_R.csv").query("variant == @variant")
    ours = KaplanMeierByGroup(**kwargs).fit(small, duration_col="time", event_col="event", treatment_col="treated").survival_table_
    m = ours.merge(ref, on=["group", "time"], suffixes=("", "_r"))
    assert len(m) == len(ref) == len(ours)
    np.testing.assert_allclose(m["survival"], m["surv"], atol=1e-12)
    np.testing.assert_allclose(m["std_error"], m["std_err"], atol=1e-12)
    np.testing.assert_allclose(m["lower"], m["lower_r"], atol=1e-10)
    np.testing.assert_allclose(m["upper"], m["upper_r"], atol=1e-10)
    np.testing.assert_allclose(m["weighted_at_risk"], m["n_risk"], atol=1e-12)


def test_unweighted_interval_is_lifelines_exponential_greenwood(small):
    ours = KaplanMeierByGroup().fit(small, duration_col="time", event_col="event", treatment_col="treated").survival_table_
    part = ours[ours["group"] == 1]
    s = small[small["treated"] == 1]
    ci = KaplanMeierFitter().fit(s["time"], s["event"]).confidence_interval_.loc[part["time"]]
    np.testing.assert_allclose(part["lower"], ci.iloc[:, 0], atol=1e-10)
    np.testing.assert_allclose(part["upper"], ci.iloc[:, 1], atol=1e-10)


def test_log_interval_option(small):
    tab = KaplanMeierByGroup(ci_transform="log").fit(
        small, duration_col="time", event_col="event", treatment_col="treated").survival_table_
    row = tab.iloc[3]
    se_log = row["std_error"] / row["survival"]
    assert row["lower"] == pytest.approx(row["survival"] * np.exp(-Z * se_log))


def test_at_risk_table_counts_people_not_weights(small):
    km = KaplanMeierByGroup(weights_col="weight").fit(small, duration_col="time", event_col="event", treatment_col="treated")
    risk = km.at_risk_table([0, 100, 365])
    for g, part in risk.groupby("group"):
        s = small[small["treated"] == g]
        for row in part.itertuples():
            assert row.n_at_risk == (s["time"] >= row.time).sum()
            assert row.n_events == ((s["time"] < row.time) & (s["event"] == 1)).sum()
            assert row.n_at_risk + row.n_events + row.n_censored == len(s)
    assert risk.loc[risk["time"] == 0, "n_at_risk"].tolist() == [30, 30]


def test_survival_at_carries_forward(small):
    km = KaplanMeierByGroup().fit(small, duration_col="time", event_col="event", treatment_col="treated")
    at = km.survival_at([0, 365])
    tab = km.survival_table_
    last_before = tab[(tab["group"] == 0) & (tab["time"] <= 365)].iloc[-1]
    assert at.loc[(at["group"] == 0) & (at["time"] == 365), "survival"].item() == \
        last_before["survival"]
    assert at.loc[at["time"] == 0, "survival"].tolist() == [1.0, 1.0]


def test_plot_returns_ax_with_styles_and_risk_numbers(small):
    km = KaplanMeierByGroup(weights_col="weight").fit(small, duration_col="time", event_col="event", treatment_col="treated")
    fig, ax = plt.subplots()
    out = km.plot(ax=ax, times=[0, 250, 500], labels={0: "comparison", 1: "programme"})
    assert out is ax
    lines = ax.get_lines()
    assert len(lines) == 2 and lines[0].get_linestyle() != lines[1].get_linestyle()
    texts = {t.get_text() for t in ax.texts}
    assert {"30", "comparison", "programme"} <= texts
    plt.close(fig)


def test_errors_name_the_problem(small):
    with pytest.raises(ValueError, match="duration"):
        KaplanMeierByGroup().fit(small.assign(time=-small["time"]), duration_col="time", event_col="event", treatment_col="treated")
    with pytest.raises(ValueError, match="'nope'"):
        KaplanMeierByGroup(weights_col="nope").fit(small, duration_col="time", event_col="event", treatment_col="treated")
    with pytest.raises(ValueError, match="event"):
        KaplanMeierByGroup().fit(small.assign(event=2), duration_col="time", event_col="event", treatment_col="treated")
    with pytest.raises(ValueError, match="Greenwood"):
        KaplanMeierByGroup(weights_col="weight", variance="greenwood").fit(
            small, duration_col="time", event_col="event", treatment_col="treated")


def test_zero_weight_people_change_nothing_and_are_not_counted(small):
    zeroed = small.assign(weight=np.where(np.arange(len(small)) % 5 == 0, 0.0, small["weight"]))
    kept = zeroed[zeroed["weight"] > 0]
    a = KaplanMeierByGroup(weights_col="weight", cluster_col="match_set").fit(
        zeroed, duration_col="time", event_col="event", treatment_col="treated")
    b = KaplanMeierByGroup(weights_col="weight", cluster_col="match_set").fit(
        kept, duration_col="time", event_col="event", treatment_col="treated")
    pd.testing.assert_frame_equal(a.survival_table_, b.survival_table_)
    assert a.at_risk_table([0])["n_at_risk"].sum() == len(kept)


def test_plot_suppresses_small_numbers_at_risk(small):
    km = KaplanMeierByGroup().fit(small, duration_col="time", event_col="event", treatment_col="treated")
    risk = km.at_risk_table([0, 250, 500])
    small_counts = risk.loc[(risk["n_at_risk"] > 0) & (risk["n_at_risk"] < 40), "n_at_risk"]
    assert len(small_counts), "fixture should have some counts under 40 at these times"
    fig, ax = plt.subplots()
    km.plot(ax=ax, times=[0, 250, 500], min_count=40)
    texts = [t.get_text() for t in ax.texts]
    assert "[c]" in texts
    assert not any(t == str(int(n)) for n in small_counts for t in texts)
    plt.close(fig)


@pytest.mark.parametrize("weighted", [False, True])
def test_curve_equals_lifelines_kaplan_meier(weighted):
    """The curve is computed with lifelines' formula, not by lifelines: same numbers to 1e-12
    on 5,000 rows with ties and censoring, weighted or not."""
    rng = np.random.default_rng(77)
    n = 5000
    df = pd.DataFrame({"t": np.ceil(rng.exponential(200, n).clip(max=365)),
                       "g": rng.binomial(1, 0.4, n), "w": rng.choice([0.5, 1.0, 3.0], n)})
    df["e"] = (df["t"] < 365).astype(int)
    km = KaplanMeierByGroup(weights_col="w" if weighted else None).fit(
        df, duration_col="t", event_col="e", treatment_col="g")
    for g in (0, 1):
        part = df[df["g"] == g]
        ref = KaplanMeierFitter().fit(part["t"], part["e"],
                                      weights=part["w"] if weighted else None)
        tab = km.survival_table_[km.survival_table_["group"] == g]
        expected = ref.survival_function_.iloc[:, 0].reindex(tab["time"]).to_numpy()
        np.testing.assert_allclose(tab["survival"].to_numpy(), expected, rtol=1e-12, atol=0)
        assert km.fitters_[g].survival_function_.iloc[:, 0].equals(ref.survival_function_.iloc[:, 0])
