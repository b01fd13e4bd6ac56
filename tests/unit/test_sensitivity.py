"""E-values against the published examples and hand arithmetic.

Sources: VanderWeele TJ, Ding P (2017) "Sensitivity analysis in observational research:
introducing the E-value", Ann Intern Med 167(4):268-274 (breastfeeding and infant respiratory
death, RR 3.9, 95% CI 1.8-8.7: E-value 7.26, for the CI 3.0; leukaemia example RR 0.80,
0.71-0.91: E-value 1.81, for the CI 1.43). The R package EValue 4.1.3 help pages
(evalues.RR, evalues.HR, evalues.OR) use these and the HR 0.56 (0.46, 0.69) and
OR 0.86 (0.75, 0.99) common-outcome examples; their values below are worked out by hand.
"""

import math

import numpy as np
import pytest

from evaluation.estimators.sensitivity import e_value


def test_published_breastfeeding_example():
    # 3.9 + sqrt(3.9*2.9) = 3.9 + sqrt(11.31) = 3.9 + 3.36303 = 7.26303
    # lower limit 1.8: 1.8 + sqrt(1.8*0.8) = 1.8 + 1.2 = 3.0
    out = e_value(3.9, 1.8, 8.7, measure="RR")
    assert out["e_value"] == pytest.approx(7.26, abs=0.005)
    assert out["e_value_ci"] == pytest.approx(3.0, abs=1e-9)


def test_published_leukaemia_example_protective():
    # 1/0.80 = 1.25; 1.25 + sqrt(1.25*0.25) = 1.25 + 0.55902 = 1.80902
    # upper limit (closer to 1) 0.91: 1/0.91 = 1.098901; sqrt(1.098901*0.098901) = 0.329676
    #   -> 1.428577
    out = e_value(0.80, 0.71, 0.91)
    assert out["e_value"] == pytest.approx(1.81, abs=0.005)
    assert out["e_value_ci"] == pytest.approx(1.43, abs=0.005)
    # symmetry: RR and 1/RR have the same E-value (EValue docs: evalues.RR(1 / 0.80))
    assert e_value(1 / 0.80)["e_value"] == pytest.approx(out["e_value"])
    assert np.isnan(e_value(1 / 0.80)["e_value_ci"])


def test_hazard_ratio_common_outcome_sqrt_conversion():
    # HR 0.56: sqrt = 0.748331; 0.5^0.748331 = exp(-0.518707) = 0.595279 -> 0.404721
    #   sqrt(1/0.56) = 1.336306; 0.5^1.336306 = exp(-0.926252) = 0.396046 -> 0.603954
    #   RR = 0.404721/0.603954 = 0.670119 (to hand precision); 1/RR = 1.49227
    #   E = 1.49227 + sqrt(1.49227*0.49227) = 1.49227 + 0.85710 = 2.3494
    # upper 0.69: sqrt = 0.830662; 0.5^. = exp(-0.575773) = 0.562262 -> 0.437738
    #   sqrt(1/0.69) = 1.203859; 0.5^. = exp(-0.834450) = 0.434111 -> 0.565889
    #   RR = 0.773536; 1/RR = 1.292764; E = 1.292764 + sqrt(1.292764*0.292764) = 1.9080
    out = e_value(0.56, 0.46, 0.69, measure="HR", rare=False)
    assert out["rr"] == pytest.approx(0.6701, abs=2e-4)
    assert out["e_value"] == pytest.approx(2.349, abs=2e-3)
    assert out["e_value_ci"] == pytest.approx(1.908, abs=2e-3)
    # the same through the prevalence rule: 45% reoffend, so common
    same = e_value(0.56, 0.46, 0.69, measure="HR", outcome_prevalence=0.45)
    assert same["e_value"] == pytest.approx(out["e_value"])


def test_hazard_ratio_rare_outcome_taken_as_rr():
    # 1/0.56 = 1.785714; + sqrt(1.785714*0.785714) = sqrt(1.403061) = 1.184509 -> 2.970223
    out = e_value(0.56, 0.46, 0.69, measure="HR", rare=True)
    assert out["e_value"] == pytest.approx(2.970223, abs=1e-5)
    assert e_value(0.56, measure="HR", outcome_prevalence=0.05)["e_value"] == pytest.approx(
        out["e_value"])


def test_odds_ratio_common_outcome_sqrt():
    # sqrt(0.86) = 0.927362; 1/0.927362 = 1.078328; sqrt(1.078328*0.078328) = 0.290625
    #   -> 1.368953.  upper sqrt(0.99) = 0.994987; 1/. = 1.005038;
    #   sqrt(1.005038*0.005038) = 0.071158 -> 1.076196
    out = e_value(0.86, 0.75, 0.99, measure="OR", rare=False)
    assert out["e_value"] == pytest.approx(1.368953, abs=1e-5)
    assert out["e_value_ci"] == pytest.approx(1.076196, abs=1e-5)


def test_interval_crossing_null_gives_one():
    assert e_value(0.9, 0.7, 1.1)["e_value_ci"] == 1.0
    assert e_value(1.0)["e_value"] == 1.0


def test_risk_difference_via_baseline_risk():
    # p0 = 0.4, RD = -0.1 (-0.18, -0.02) -> RR 0.75 (0.55, 0.95)
    # 1/0.75 = 1.333333 + sqrt(1.333333*0.333333) = 1.333333 + 0.666667 = 2.0
    # upper 0.95: 1.052632 + sqrt(1.052632*0.052632) = 1.052632 + 0.235377 = 1.288009
    out = e_value(-0.1, -0.18, -0.02, measure="RD", baseline_risk=0.4)
    assert out["rr"] == pytest.approx(0.75)
    assert out["e_value"] == pytest.approx(2.0)
    assert out["e_value_ci"] == pytest.approx(1.288009, abs=1e-5)


def test_shifted_null():
    # EValue's `true`: RR 3.9 against true 1.5 -> 2.6 + sqrt(2.6*1.6) = 2.6 + 2.039608
    assert e_value(3.9, true=1.5)["e_value"] == pytest.approx(2.6 + math.sqrt(2.6 * 1.6))


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0.56, 0.46, 0.69), {"measure": "HR"}, "rare=True/False or outcome_prevalence"),
        ((0.56,), {"measure": "HR", "rare": True, "outcome_prevalence": 0.4}, "contradicts"),
        ((2.0, 2.5, 3.0), {}, "not inside its interval"),
        ((2.0, 1.5), {}, "both confidence limits"),
        ((-0.1,), {"measure": "RD"}, "baseline_risk"),
        ((0.0,), {}, "> 0"),
        ((1.2,), {"measure": "RRR"}, "measure must be one of"),
    ],
)
def test_bad_input_raises(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        e_value(*args, **kwargs)
