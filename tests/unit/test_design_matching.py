"""Nearest-neighbour matching: hand-worked examples, an independent brute-force greedy reference,
the caliper, no reuse without replacement, determinism, permutation invariance, exact strata,
MatchIt weights and the attrition ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.cohort.attrition import Attrition
from evaluation.design import NearestNeighbourMatcher
from evaluation.design.matching import REASON_CALIPER, REASON_NO_STRATUM, REASON_NOT_SELECTED


def _frame(treated_logits, control_logits, **extra):
    n_t, n_c = len(treated_logits), len(control_logits)
    df = pd.DataFrame({
        "treated": [1] * n_t + [0] * n_c,
        "logit": list(treated_logits) + list(control_logits),
        **extra,
    })
    df.index = [f"t{i}" for i in range(n_t)] + [f"c{i}" for i in range(n_c)]
    return df


def _pairs(m):
    return set(zip(m.pairs_["treated_index"], m.pairs_["comparison_index"], strict=True))


def test_hand_worked_greedy_order_and_caliper():
    # controls c0..c3 at logit 0, 1, 1.05, 3; treated t0=1.1, t1=1.04, t2=5.0, t3=0.4; caliper 0.5.
    # largest first: t2 (5.0): nearest c3 at 2.0 > 0.5 -> unmatched (caliper);
    #   t0 (1.1): c2 at 0.05 (c1 at 0.1) -> c2;  t1 (1.04): c2 gone, c1 at 0.04 -> c1;
    #   t3 (0.4): c1, c2 gone; c0 at 0.4 <= 0.5 -> c0.
    df = _frame([1.1, 1.04, 5.0, 0.4], [0.0, 1.0, 1.05, 3.0])
    m = NearestNeighbourMatcher(caliper=0.5, caliper_scale="raw").fit(df, distance_col="logit")
    assert _pairs(m) == {("t0", "c2"), ("t1", "c1"), ("t3", "c0")}
    assert list(m.unmatched_["index"]) == ["t2"]
    assert list(m.unmatched_["reason"]) == [REASON_CALIPER]
    # match sets numbered in matching order: t0 first, then t1, then t3
    assert list(m.pairs_["match_set"]) == [1, 2, 3]
    # smallest first: t3 (0.4) -> c0 (0.4; c1 is 0.6); t1 (1.04) -> c2 (0.01);
    #   t0 (1.1) -> c2 gone, c1 at 0.1 -> c1; t2 unmatched.
    m2 = NearestNeighbourMatcher(caliper=0.5, caliper_scale="raw", order="smallest").fit(
        df, distance_col="logit")
    assert _pairs(m2) == {("t3", "c0"), ("t1", "c2"), ("t0", "c1")}
    out = m.transform(df)
    assert out.loc["c3", "weight"] == 0 and not out.loc["c3", "matched"]
    assert out.loc[["t0", "t1", "t3", "c0", "c1", "c2"], "weight"].eq(1.0).all()
    assert pd.isna(out.loc["t2", "match_set"])
    assert out.loc["c2", "match_set"] == out.loc["t0", "match_set"]


def test_tie_rules():
    # equidistant below (c0 at 1.0, row 5) and above (c1 at 3.0, row 4): earlier row wins -> c1
    df = _frame([2.0], [1.0, 3.0])
    df = df.iloc[[0, 2, 1]]  # rows: t0, c1, c0
    m = NearestNeighbourMatcher(caliper=None).fit(df, distance_col="logit")
    assert _pairs(m) == {("t0", "c1")}
    # several controls with the same value below the treated: lowest row first, then the next
    df = _frame([2.0, 2.0], [1.0, 1.0, 1.0])
    df = df.iloc[[0, 1, 3, 2, 4]]  # row order t0, t1, c1, c0, c2
    m = NearestNeighbourMatcher(caliper=None).fit(df, distance_col="logit")
    # treated tie: t0 (earlier row) first -> c1 (earliest control row); t1 -> c0
    assert _pairs(m) == {("t0", "c1"), ("t1", "c0")}


def _brute_force(df, caliper, ratio=1):
    """Independent, readable O(n^2) greedy reference: MatchIt's documented rules."""
    x = df["logit"].to_numpy()
    t = df["treated"].to_numpy()
    rows = np.arange(len(df))
    treated = sorted(rows[t == 1], key=lambda r: (-x[r], r))
    available = set(rows[t == 0])
    pairs, active = [], list(treated)
    for _ in range(ratio):
        still = []
        for r in active:
            if not available:
                continue
            best = min(available, key=lambda c: (abs(x[c] - x[r]), c))
            if abs(x[best] - x[r]) <= caliper:
                available.discard(best)
                pairs.append((df.index[r], df.index[best]))
                still.append(r)
        active = still
    return set(pairs)


@pytest.mark.parametrize("ratio", [1, 2])
def test_agrees_with_brute_force_including_ties(ratio):
    rng = np.random.default_rng(7)
    # values rounded to 1 decimal: many exact ties, the hard case for the tie rule
    df = _frame(np.round(rng.normal(0.5, 1, 60), 1), np.round(rng.normal(0, 1, 150), 1))
    df = df.sample(frac=1, random_state=3)  # mixed row order
    m = NearestNeighbourMatcher(caliper=0.3, caliper_scale="raw", ratio=ratio).fit(
        df, distance_col="logit")
    assert _pairs(m) == _brute_force(df, 0.3, ratio)


def test_caliper_never_exceeded_and_no_reuse():
    rng = np.random.default_rng(11)
    df = _frame(rng.normal(0.8, 1, 400), rng.normal(0, 1.2, 900))
    m = NearestNeighbourMatcher(caliper=0.2, ratio=2).fit(df, distance_col="logit")
    # caliper = 0.2 x SD of the distance over all 1,300 units, n-1 denominator
    assert m.caliper_ == pytest.approx(0.2 * df["logit"].std(ddof=1), rel=1e-12)
    p = m.pairs_
    gap = np.abs(df.loc[p["treated_index"], "logit"].to_numpy()
                 - df.loc[p["comparison_index"], "logit"].to_numpy())
    assert np.allclose(gap, p["distance"])
    assert gap.max() <= m.caliper_
    assert p["comparison_index"].is_unique
    assert p.groupby("match_set").size().max() <= 2
    assert (m.unmatched_["reason"] == REASON_CALIPER).all()


def test_deterministic_and_row_permutation_invariant():
    # continuous scores (no ties): the pairs and set numbers depend on the scores only, so a row
    # permutation gives the same matches; with exact ties the row order is the tie-breaker
    # (MatchIt's rule), so sort by person id first if invariance is needed then.
    rng = np.random.default_rng(5)
    df = _frame(rng.normal(0.5, 1, 200), rng.normal(0, 1, 500))
    a = NearestNeighbourMatcher().fit(df, distance_col="logit")
    b = NearestNeighbourMatcher().fit(df, distance_col="logit")
    pd.testing.assert_frame_equal(a.pairs_, b.pairs_)
    perm = df.sample(frac=1, random_state=1)
    c = NearestNeighbourMatcher().fit(perm, distance_col="logit")
    key = ["match_set", "treated_index", "comparison_index"]
    pd.testing.assert_frame_equal(a.pairs_.sort_values(key).reset_index(drop=True),
                                  c.pairs_.sort_values(key).reset_index(drop=True))
    pd.testing.assert_series_equal(a.weights_, c.weights_.loc[df.index])


def test_exact_strata_respected():
    rng = np.random.default_rng(3)
    n_t, n_c = 150, 400
    sex = np.r_[rng.choice(["F", "M"], n_t), rng.choice(["F", "M"], n_c)]
    area = np.r_[rng.choice(["a", "b", "z"], n_t), rng.choice(["a", "b"], n_c)]  # no z controls
    df = _frame(rng.normal(0.3, 1, n_t), rng.normal(0, 1, n_c), sex=sex, area=area)
    m = NearestNeighbourMatcher(exact=("sex", "area")).fit(df, distance_col="logit")
    p = m.pairs_
    for col in ("sex", "area"):
        assert (df.loc[p["treated_index"], col].to_numpy()
                == df.loc[p["comparison_index"], col].to_numpy()).all()
    z = df.index[(df["treated"] == 1) & (df["area"] == "z")]
    un = m.unmatched_.set_index("index")
    assert set(z) <= set(un.index)
    assert (un.loc[z, "reason"] == REASON_NO_STRATUM).all()
    assert p["comparison_index"].is_unique


def test_weights_with_replacement_match_matchit_rule():
    # controls c0=0, c1=10; treated 0.1, 0.2 -> c0; 9.9 -> c1. Before scaling c0 = 1 + 1 = 2,
    # c1 = 1 (sum 3); scaled to sum to the 2 matched controls: c0 = 4/3, c1 = 2/3.
    df = _frame([0.1, 0.2, 9.9], [0.0, 10.0])
    m = NearestNeighbourMatcher(caliper=None, replace=True).fit(df, distance_col="logit")
    w = m.weights_
    assert w[["t0", "t1", "t2"]].eq(1).all()
    assert w["c0"] == pytest.approx(4 / 3) and w["c1"] == pytest.approx(2 / 3)
    # 2:1 with replacement: every treated gets both controls; each control 3 x 1/2 = 1.5,
    # scaled from a sum of 3 to 2 -> 1 each
    m2 = NearestNeighbourMatcher(caliper=None, replace=True, ratio=2).fit(df, distance_col="logit")
    assert len(m2.pairs_) == 6 and m2.weights_[["c0", "c1"]].tolist() == pytest.approx([1, 1])


def test_weights_ratio_two_short_sets():
    # controls 0, 0.3, 3; treated 0.1 (t0), 2.9 (t1); raw caliper 0.5; 2:1 in rounds.
    # round 1 (largest first): t1 -> c2 (0.1); t0 -> c0 (0.1).
    # round 2: t1 -> nearest left c1 at 2.6 > 0.5: stays with one control; t0 -> c1 (0.2).
    # before scaling: c2 = 1, c0 = c1 = 1/2 (sum 2); 3 matched controls -> x 1.5:
    # c2 = 1.5, c0 = c1 = 0.75.
    df = _frame([0.1, 2.9], [0.0, 0.3, 3.0])
    m = NearestNeighbourMatcher(caliper=0.5, caliper_scale="raw", ratio=2).fit(
        df, distance_col="logit")
    assert _pairs(m) == {("t1", "c2"), ("t0", "c0"), ("t0", "c1")}
    assert m.weights_[["c2", "c0", "c1"]].tolist() == pytest.approx([1.5, 0.75, 0.75])
    assert len(m.unmatched_) == 0
    s = m.summary_.set_index("quantity")["value"]
    assert s["treated matched to fewer than 2 comparison people"] == 1


def test_attrition_ledger_reconciles():
    df = _frame([1.1, 1.04, 5.0, 0.4], [0.0, 1.0, 1.05, 3.0])
    ledger = Attrition(group_col="treated")
    ledger.start(df)
    m = NearestNeighbourMatcher(caliper=0.5, caliper_scale="raw").fit(
        df, distance_col="logit", attrition=ledger)
    ledger.check_reconciles(m.matched_data(df))
    ex = ledger.excluded_by_reason()
    got = {(r.reason, r.group): r.n_excluded for r in ex.itertuples()}
    assert got == {(REASON_CALIPER, "1"): 1, (REASON_NOT_SELECTED, "0"): 1}


def test_propensity_input_and_errors():
    df = _frame([0.5, 1.0], [0.0, 0.2, 2.0])
    df["propensity"] = 1 / (1 + np.exp(-df["logit"]))
    a = NearestNeighbourMatcher(caliper=None).fit(df, propensity_col="propensity")
    b = NearestNeighbourMatcher(caliper=None).fit(df, distance_col="logit")
    assert _pairs(a) == _pairs(b)
    bad = df.copy()
    bad.loc["c1", "propensity"] = 1.0
    with pytest.raises(ValueError, match="strictly between 0 and 1.*'c1'"):
        NearestNeighbourMatcher().fit(bad)
    with pytest.raises(ValueError, match="order"):
        NearestNeighbourMatcher(order="random").fit(df)
    with pytest.raises(ValueError, match="only 0/1"):
        NearestNeighbourMatcher().fit(df.assign(treated=[1, 2, 0, 0, 0]))


def test_atc_matches_each_comparison_person_to_programme_people():
    # treated t0 = 0.2, t1 = 2.0; comparison c0 = 0.0, c1 = 0.3, c2 = 2.5 (logits).
    # ATC: comparison people are matched, smallest programme propensity first (MatchIt's ATC
    # default): c0 -> t0 (0.2); c1 -> t0 gone, t1 (1.7); c2 -> no programme person left.
    df = _frame([0.2, 2.0], [0.0, 0.3, 2.5])
    m = NearestNeighbourMatcher(caliper=None, estimand="ATC").fit(df, distance_col="logit")
    assert _pairs(m) == {("t0", "c0"), ("t1", "c1")}
    assert list(m.unmatched_["index"]) == ["c2"]
    assert list(m.unmatched_["reason"]) == ["every programme person in the stratum already used"]
    s = m.summary_.set_index("quantity")["value"]
    assert s["comparison"] == 3 and s["comparison matched"] == 2 and s["treated pool"] == 2
    # the ATT on the same frame matches programme people instead (t1 first: c2 at 0.5)
    att = NearestNeighbourMatcher(caliper=None).fit(df, distance_col="logit")
    assert _pairs(att) == {("t1", "c2"), ("t0", "c1")}


def test_atc_weights_with_replacement_by_hand():
    # with replacement each comparison person takes the nearest programme person:
    # c0 -> t0 (0.2), c1 -> t0 (0.1), c2 -> t1 (0.5). Comparison weights 1; programme people
    # 1 per set (t0 two sets = 2, t1 = 1), scaled to sum to the 2 matched: t0 4/3, t1 2/3.
    df = _frame([0.2, 2.0], [0.0, 0.3, 2.5])
    m = NearestNeighbourMatcher(caliper=None, replace=True, estimand="ATC").fit(
        df, distance_col="logit")
    assert _pairs(m) == {("t0", "c0"), ("t0", "c1"), ("t1", "c2")}
    w = m.weights_
    assert w[["c0", "c1", "c2"]].tolist() == [1.0, 1.0, 1.0]
    assert w[["t0", "t1"]].tolist() == pytest.approx([4 / 3, 2 / 3])


def test_atc_is_att_with_the_roles_swapped():
    rng = np.random.default_rng(11)
    df = _frame(rng.normal(0.5, 1, 40).round(2), rng.normal(0, 1, 60).round(2))
    atc = NearestNeighbourMatcher(caliper=0.2, ratio=2, estimand="ATC").fit(
        df, distance_col="logit")
    swapped = df.assign(treated=1 - df["treated"], logit=-df["logit"])
    att = NearestNeighbourMatcher(caliper=0.2, ratio=2).fit(swapped, distance_col="logit")
    a = atc.pairs_.rename(columns={"treated_index": "x", "comparison_index": "y"})
    b = att.pairs_.rename(columns={"treated_index": "y", "comparison_index": "x"})
    pd.testing.assert_frame_equal(a[["match_set", "x", "y", "distance"]],
                                  b[["match_set", "x", "y", "distance"]])
    pd.testing.assert_series_equal(atc.weights_, att.weights_)
    ledger = Attrition(group_col="treated")
    NearestNeighbourMatcher(caliper=0.2, estimand="ATC").fit(df, distance_col="logit",
                                                             attrition=ledger)
    assert "programme person not selected as a match" in set(ledger.table()["reason"])


def test_estimand_ate_is_refused_for_matching():
    with pytest.raises(ValueError, match="IPTWeighter for the ATE"):
        NearestNeighbourMatcher(estimand="ATE").fit(_frame([0.1], [0.2]), distance_col="logit")
