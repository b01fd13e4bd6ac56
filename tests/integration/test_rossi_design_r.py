"""`evaluation design` on the Rossi data against R, from committed output (R is not run).

tests/reference/rossi_design/: ``rossi.csv`` (lifelines' ``load_rossi()``), ``rossi_design.R``
and what it printed, ``rossi_design_R.txt`` (R 4.2.2, survival 3.5.3). The R script fits the
same propensity model with ``glm``, matches by MatchIt's DOCUMENTED rules written out in base R
(Debian's MatchIt 4.5.1 is defective: integer ``abs()``, MatchIt #163, so its matched sets
are no reference; see domain-facts section 7), and fits ``coxph`` with the design's weights and
cluster-robust variance.

Checked here, on what the command wrote (results.json and the --matched-data file):
- propensity coefficients = R glm (relative 1e-6);
- 1:1 and 2:1 matched pairs = the base-R greedy rules exactly; no choice is closer than 1e-6
  on the logit scale (R prints the smallest margins), so the ~1e-9 difference between the two
  fitted logits cannot flip one;
- Cox log hazard ratio and robust SE = R coxph to 1e-6, for 1:1 matching (clustered on the
  pair) and ATT and ATE weighting (clustered on the person); RMST to 52 weeks = R survfit.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from paths import REFERENCE_DIR, REPO

from evaluation.cli import main

REF = REFERENCE_DIR / "rossi_design"
SPEC = REPO / "docs" / "examples" / "design_file_spec.yaml"
DESIGNS = {  # name in the R output: the spec's design section
    "matching_1to1": {"method": "matching", "caliper": 0.2, "ratio": 1},
    "matching_2to1": {"method": "matching", "caliper": 0.2, "ratio": 2},
    "weighting_att": {"method": "weighting", "estimand": "ATT"},
    "weighting_ate": {"method": "weighting", "estimand": "ATE"},
}


def _sections(text: str) -> dict[str, str]:
    out, name = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            name = line[3:].strip()
            out[name] = ""
        elif name is not None:
            out[name] += line + "\n"
    return out


@pytest.fixture(scope="module")
def r_out() -> dict[str, str]:
    return _sections((REF / "rossi_design_R.txt").read_text())


def _csv(block: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(block))


def _r_pairs(block: str) -> tuple[dict[str, float], pd.DataFrame]:
    lines = block.splitlines()
    margins = {ln.split(",")[0]: float(ln.split(",")[1]) for ln in lines[:2]}
    return margins, pd.read_csv(io.StringIO("\n".join(lines[2:])))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    """`evaluation design` once per design, with its matched-data file."""
    root = tmp_path_factory.mktemp("rossi_design")
    base = yaml.safe_load(SPEC.read_text())
    out = {}
    for name, design in DESIGNS.items():
        spec = root / f"{name}.yaml"
        spec.write_text(yaml.safe_dump({**base, "design": design}))
        matched = root / f"{name}_matched.csv"
        code = main(["design", "--file", str(REF / "rossi.csv"), "--spec", str(spec),
                     "--out", str(root / name), "--matched-data", str(matched), "--no-pdf"])
        assert code == 0
        results = json.loads((root / name / "results.json").read_text())
        out[name] = {"results": results, "matched": pd.read_csv(matched)}
    return out


def test_committed_csv_is_the_lifelines_data():
    from lifelines.datasets import load_rossi

    pd.testing.assert_frame_equal(pd.read_csv(REF / "rossi.csv"), load_rossi())


def test_propensity_model_is_r_glm(r_out, runs):
    r = _csv(r_out["propensity coefficients"]).set_index("term")
    r = r.rename(index={"(Intercept)": "const"})
    ours = pd.DataFrame(runs["matching_1to1"]["results"]["propensity_model"]).set_index("term")
    np.testing.assert_allclose(ours.loc[r.index, "coef"], r["coef"], rtol=1e-6)
    np.testing.assert_allclose(ours.loc[r.index, "std_error"], r["se"], rtol=1e-6)
    caliper = float(r_out["caliper"].splitlines()[1].split(",")[1])
    assert runs["matching_1to1"]["results"]["design"]["caliper_logit"] == pytest.approx(
        caliper, rel=1e-7)


def _our_pairs(matched: pd.DataFrame) -> set[tuple[int, int]]:
    sets = matched.dropna(subset=["match_set"])
    treated = sets.loc[sets["fin"] == 1].set_index("match_set")["row"]
    comparison = sets.loc[sets["fin"] == 0]
    return {(int(treated[s]), int(c)) for s, c in zip(comparison["match_set"], comparison["row"],
                                                      strict=True)}


@pytest.mark.parametrize(("design", "label"), [("matching_1to1", "ratio1 caliper0.2"),
                                               ("matching_2to1", "ratio2 caliper0.2")])
def test_matched_pairs_are_the_documented_rules(r_out, runs, design, label):
    margins, r_pairs = _r_pairs(r_out[f"pairs {label}"])
    # no decision within 1e-6 of a tie or of the caliper: rounding cannot flip one
    assert margins["margin_choice"] > 1e-6 and margins["margin_caliper"] > 1e-6
    ours = _our_pairs(runs[design]["matched"])
    expected = set(zip(r_pairs["treated_row"], r_pairs["comparison_row"], strict=True))
    assert ours == expected
    results = runs[design]["results"]["design"]
    assert results["n_treated_matched"] == r_pairs["treated_row"].nunique()
    assert results["n_treated_unmatched"] == 216 - r_pairs["treated_row"].nunique()
    weights = runs[design]["matched"]["weight"]
    if design == "matching_1to1":
        assert len(expected) == 201 and (weights == 1).all()


def _estimate(results: dict, outcome: str) -> dict:
    return next(e for e in results["estimates"] if e["outcome"] == outcome)


@pytest.mark.parametrize("design", ["matching_1to1", "weighting_att", "weighting_ate"])
def test_cox_on_the_designed_data_is_r_coxph(r_out, runs, design):
    r = _csv(r_out["cox"]).set_index("design").loc[design]
    hr = _estimate(runs[design]["results"], "time_to_reoffence_hr")
    assert np.log(hr["estimate"]) == pytest.approx(r["coef"], abs=1e-6)
    assert hr["std_error"] == pytest.approx(r["robust_se"], abs=1e-6)
    assert hr["n"] == r["n"]
    assert hr["events_treated"] + hr["events_comparison"] == r["events"]


@pytest.mark.parametrize("design", ["matching_1to1", "weighting_att", "weighting_ate"])
def test_rmst_is_r_survfit(r_out, runs, design):
    r = _csv(r_out["rmst52"])
    r = r.loc[r["design"] == design].set_index("group")["rmean"]
    rmst = _estimate(runs[design]["results"], "rmst_diff")
    assert rmst["estimate"] == pytest.approx(r[1] - r[0], abs=1e-6)
