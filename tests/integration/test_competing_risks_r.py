"""Aalen-Johansen CIF and Fine-Gray against R cmprsk (cuminc, timepoints, crr) and survival.

The reference numbers were printed by tests/reference/cmprsk/cmprsk_reference.R (R 4.2.2,
cmprsk 2.2-11, survival 3.5.3) on the committed cmprsk_small.csv (90 people, 30-day steps so
reoffences tie with deaths and censorings). pytest never calls R.
"""

import numpy as np
import pandas as pd
import pytest

from evaluation.estimators.competing_risks import cif_difference, cumulative_incidence, gray_test
from evaluation.estimators.fine_gray import fine_gray
from tests.paths import REFERENCE_DIR

HERE = REFERENCE_DIR / "cmprsk"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(HERE / "cmprsk_small.csv")


def _with_treated(ci: pd.DataFrame) -> pd.DataFrame:
    return ci.assign(treated=(ci["group"] == "programme").astype(int))


def test_cif_and_gray_variance_match_cuminc_timepoints(data):
    ref = pd.read_csv(HERE / "cuminc_timepoints_R.csv")
    ci = cumulative_incidence(data, duration_col="time", event_col="status",
                              times=sorted(ref["time"].unique()))
    both = ref.merge(_with_treated(ci), on=["treated", "cause", "time"], validate="1:1")
    assert len(both) == len(ref) == 32
    assert np.abs(both["cif"] - both["estimate"]).max() < 1e-12
    assert np.abs(np.sqrt(both["var"]) - both["std_error"]).max() < 1e-12


def test_cif_matches_every_corner_of_the_cuminc_step_function(data):
    ref = pd.read_csv(HERE / "cuminc_curves_R.csv")
    ci = _with_treated(cumulative_incidence(data, duration_col="time", event_col="status",
                                            times=sorted(ref["time"].unique())))
    # cuminc gives each jump as two corners (before, after) at the same time; compare the after
    last = ref.groupby(["treated", "cause", "time"], as_index=False).last()
    both = last.merge(ci, on=["treated", "cause", "time"], validate="1:1")
    assert len(both) == len(last)
    assert np.abs(both["cif"] - both["estimate"]).max() < 1e-12
    assert np.abs(np.sqrt(both["var"]) - both["std_error"]).max() < 1e-12


@pytest.mark.parametrize("variant, kwargs", [("weighted_ij", {"weights_col": "weight"}),
                                             ("unweighted_ij", {"variance": "ij"})])
def test_weighted_cif_and_ij_se_match_survfit_multistate(data, variant, kwargs):
    ref = pd.read_csv(HERE / "survfit_aj_R.csv").query("variant == @variant")
    ci = _with_treated(cumulative_incidence(data, duration_col="time", event_col="status",
                                            times=sorted(ref["time"].unique()), **kwargs))
    for cause, name in [(1, "reoffence"), (2, "death")]:
        both = ref.merge(ci[ci["cause"] == cause], on=["treated", "time"], validate="1:1")
        assert len(both) == 16
        assert np.abs(both[f"cif_{name}"] - both["estimate"]).max() < 1e-12
        assert np.abs(both[f"se_{name}"] - both["std_error"]).max() < 1e-12


def test_cif_of_all_causes_plus_survival_is_one_and_intervals_bracket(data):
    ci = cumulative_incidence(data, duration_col="time", event_col="status", times=[365])
    # 1 - KM(all causes) at 365 computed by hand from the data
    for label, g in [("programme", 1), ("comparison", 0)]:
        sub = data[data["treated"] == g]
        s = 1.0
        for u in sorted(sub.loc[sub["time"] <= 365, "time"].unique()):
            at_risk = (sub["time"] >= u).sum()
            s *= 1 - ((sub["time"] == u) & (sub["status"] > 0)).sum() / at_risk
        rows = ci[ci["group"] == label]
        assert rows["estimate"].sum() == pytest.approx(1 - s, abs=1e-12)
        assert (rows["lower"] < rows["estimate"]).all() and (rows["estimate"] < rows["upper"]).all()


@pytest.mark.parametrize("cluster", ["id", "match_set"])
def test_cif_difference_and_clustered_ij_se_match_survfit_influence(data, cluster):
    ref = pd.read_csv(HERE / "survfit_aj_difference_R.csv").query("cluster == @cluster")
    df = data.assign(match_set=(data["id"] - 1) % 45 + 1)  # as the R script defines it
    out = cif_difference(df, duration_col="time", event_col="status", times=ref["time"],
                         weights_col="weight", cluster_col=cluster)
    assert np.abs(out["estimate"].to_numpy() - ref["diff"].to_numpy()).max() < 1e-12
    assert np.abs(out["std_error"].to_numpy() - ref["se"].to_numpy()).max() < 1e-12


@pytest.mark.parametrize("model, covariates, failcode", [
    ("treated", (), 1), ("treated+age", ("age",), 1), ("treated_cause2", (), 2)])
def test_fine_gray_matches_crr(data, model, covariates, failcode):
    ref = pd.read_csv(HERE / "crr_R.csv").query("model == @model").set_index("term")
    fit = fine_gray(data, duration_col="time", event_col="status", covariates=covariates,
                    failcode=failcode).set_index("term")
    assert list(fit.index) == list(ref.index)
    assert np.abs(fit["estimate"] - ref["coef"]).max() < 1e-8
    assert np.abs(fit["std_error"] - ref["se"]).max() < 1e-8
    assert fit.attrs["loglik"] == pytest.approx(ref["loglik"].iloc[0], abs=1e-8)
    assert np.allclose(fit["hazard_ratio"], np.exp(ref["coef"]), rtol=1e-8)


def test_gray_test_matches_cuminc_tests(data):
    ref = pd.read_csv(HERE / "cuminc_tests_R.csv")
    bands = np.select([data["age"] <= -0.5, data["age"] <= 0.5], [1, 2], 3)  # as R cut()
    df = data.assign(age_band=bands)
    for row in ref.itertuples():
        out = gray_test(df, duration_col="time", event_col="status", cause=row.cause,
                        rho=row.rho, treatment_col=row.comparison).iloc[0]
        assert out["estimate"] == pytest.approx(row.stat, rel=1e-10)
        assert out["p_value"] == pytest.approx(row.p, rel=1e-9)
