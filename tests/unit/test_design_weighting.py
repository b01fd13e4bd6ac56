"""IPTW weights and Kish ESS against hand calculations."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.design import IPTWeighter, effective_sample_size

# treated: e = 0.8, 0.5; controls: e = 0.5, 0.2, 0.25; share treated p = 2/5 = 0.4
DF = pd.DataFrame({"treated": [1, 1, 0, 0, 0], "propensity": [0.8, 0.5, 0.5, 0.2, 0.25]})


def test_att_weights_by_hand():
    # controls e/(1-e): 0.5/0.5 = 1, 0.2/0.8 = 0.25, 0.25/0.75 = 1/3; treated 1
    w = IPTWeighter("ATT", stabilise=False).fit(DF).weights_
    assert w.tolist() == pytest.approx([1, 1, 1, 0.25, 1 / 3])
    # stabilised: controls x (1-p)/p = 0.6/0.4 = 1.5 -> 1.5, 0.375, 0.5
    ws = IPTWeighter("ATT", stabilise=True).fit(DF).weights_
    assert ws.tolist() == pytest.approx([1, 1, 1.5, 0.375, 0.5])


def test_ate_weights_by_hand():
    # treated 1/e: 1.25, 2; controls 1/(1-e): 2, 1.25, 4/3
    w = IPTWeighter("ATE", stabilise=False).fit(DF).weights_
    assert w.tolist() == pytest.approx([1.25, 2, 2, 1.25, 4 / 3])
    # stabilised: treated x 0.4 -> 0.5, 0.8; controls x 0.6 -> 1.2, 0.75, 0.8
    ws = IPTWeighter("ATE", stabilise=True).fit(DF).weights_
    assert ws.tolist() == pytest.approx([0.5, 0.8, 1.2, 0.75, 0.8])


def test_ess_by_hand():
    # ATT controls 1, 0.25, 1/3: (1.583333)^2 / (1 + 0.0625 + 0.111111) = 2.506944 / 1.173611
    #   = 2.136095; stabilising multiplies by a constant, the ESS is unchanged
    for stab in (False, True):
        s = IPTWeighter("ATT", stabilise=stab).fit(DF).summary_.set_index("group")
        assert s.loc["comparison", "ess"] == pytest.approx(2.136095, rel=1e-6)
        assert s.loc["treated", "ess"] == pytest.approx(2.0)
    # ATE treated 1.25, 2: 3.25^2 / (1.5625 + 4) = 10.5625 / 5.5625 = 1.898876
    e = IPTWeighter("ATE").fit(DF).ess_
    assert e["treated"] == pytest.approx(1.898876, rel=1e-6)
    assert effective_sample_size([1, 1, 1, 1]) == 4.0


def test_trim_caps_at_group_quantile():
    # ATE unstabilised controls 2, 1.25, 1.3333: 75th percentile (linear) of the sorted
    # 1.25, 1.3333, 2 is at position 1.5 -> 1.3333 + 0.5 x 0.6667 = 1.6667; treated 1.25, 2 at
    # position 0.75 -> 1.25 + 0.75 x 0.75 = 1.8125
    w = IPTWeighter("ATE", stabilise=False, trim=0.75).fit(DF).weights_
    assert w.tolist() == pytest.approx([1.25, 1.8125, 5 / 3, 1.25, 4 / 3])


def test_atc_weights_by_hand():
    # roles swapped: comparison 1; treated (1-e)/e: 0.2/0.8 = 0.25, 0.5/0.5 = 1
    w = IPTWeighter("ATC", stabilise=False).fit(DF).weights_
    assert w.tolist() == pytest.approx([0.25, 1, 1, 1, 1])
    # stabilised: treated x p/(1-p) = 0.4/0.6 -> 1/6, 2/3
    ws = IPTWeighter("ATC", stabilise=True).fit(DF).weights_
    assert ws.tolist() == pytest.approx([1 / 6, 2 / 3, 1, 1, 1])


def test_errors_and_transform():
    with pytest.raises(ValueError, match="strictly between 0 and 1.*rows 2"):
        IPTWeighter().fit(DF.assign(propensity=[0.5, 1.0, 0.5, 0.2, 0.2]))
    with pytest.raises(ValueError, match="estimand"):
        IPTWeighter("ATX").fit(DF)
    out = IPTWeighter().fit(DF).transform(DF)
    assert "weight" in out and "weight" not in DF
