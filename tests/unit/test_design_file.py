"""`evaluation design` pieces: the spec's rules, the table checks naming spec fields, the design
frame, one small evaluation end to end, and the wording helpers for other outcomes and units."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from evaluation.analysis.person_file import evaluate_file
from evaluation.data.analysis_table import check_analysis_table
from evaluation.design.file_spec import DesignFileSpec
from evaluation.design.person_file import design_frame, matched_file
from evaluation.pipeline.render import render_sections
from evaluation.reporting.claims import can_say, cannot_say
from evaluation.reporting.figures.survival import unit_ticks
from evaluation.reporting.html import Section
from evaluation.reporting.numbers import horizon_phrase
from evaluation.reporting.sentences import rmst_sentence
from evaluation.reporting.verdict import OutcomeWords, build_verdict, group_numbers

BASE = {"treatment_col": "t", "covariates": ["age", "priors", "area"], "categorical": ["area"],
        "duration_col": "days", "event_col": "event"}


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    """600 people; older people with more priors are more likely to take part; a planted
    halving of the hazard; counts of reoffences over days at risk."""
    rng = np.random.default_rng(14)
    n = 600
    age = rng.uniform(18, 60, n).round()
    priors = rng.poisson(3, n)
    area = rng.choice(["north", "south", "east"], n)
    p = 1 / (1 + np.exp(-(-1.5 + 0.03 * age + 0.1 * priors - 0.3 * (area == "east"))))
    t = rng.binomial(1, p)
    hazard = np.exp(-6.5 + 0.1 * priors - 0.7 * t)
    time = rng.exponential(1 / hazard)
    days = np.minimum(np.ceil(time), 365)
    return pd.DataFrame({"id": [f"A{i:04d}" for i in range(n)], "t": t, "age": age,
                         "priors": priors, "area": area, "days": days,
                         "event": (time <= 365).astype(int),
                         "reoffended": (time <= 365).astype(int),
                         "n_reoffences": rng.poisson(0.5 + (time <= 365)),
                         "days_free": rng.integers(200, 366, n)})


def test_spec_defaults_and_rules():
    spec = DesignFileSpec(**BASE)
    assert spec.horizon == 365 and spec.headline_measure == "time_to_reoffence_hr"
    assert spec.numeric_covariates == ["age", "priors"]
    assert DesignFileSpec(**BASE, time_unit="weeks").horizon == 52
    assert DesignFileSpec(**BASE, time_unit="months", horizon=24).horizon == 24
    binary = {k: v for k, v in BASE.items() if k not in ("duration_col", "event_col")}
    assert DesignFileSpec(**binary, outcome_col="reoffended").headline_measure == "reoffended_rd"
    bad = [({"weights_col": "w"}, "builds the weights"),
           ({"covariates": ["age", "weight"], "categorical": []}, "'weight' is a name the "
                                                                   "design uses"),
           ({"categorical": ["sex"]}, r"categorical: \['sex'\] not in covariates"),
           ({"covariates": ["age", "t"], "categorical": []}, "'t' is the treatment column"),
           ({"headline": "reoffended_rr"}, "needs outcome_col"),
           ({"headline": "cost_diff"}, "not a measure this command reports"),
           ({"covariates": []}, "at least one column"),
           ({"design": {"method": "weighting", "estimand": "ATC"}}, "ATC")]
    for change, words in bad:
        with pytest.raises(ValidationError, match=words):
            DesignFileSpec(**{**BASE, **change})
    with pytest.raises(ValidationError, match="give duration_col and event_col, or outcome_col"):
        DesignFileSpec(**binary, count_col="n", headline="n_reoffences_rr")
    with pytest.raises(ValidationError, match="extra"):
        DesignFileSpec(**BASE, wording={"programe": "x"})


def test_checks_name_the_spec_field(people):
    spec = DesignFileSpec(**BASE, outcome_col="event", id_col="id", design={"exact": ["area"]})
    roles = {f: r for f, _, r in spec.column_roles()}
    assert roles["covariates[0]"] == "numeric_covariate" and roles["covariates[2]"] == "category"
    assert roles["design.exact[0]"] == "category" and roles["id_col"] == "identifier"
    bad = people.astype(object).copy()
    bad.loc[3, "id"] = bad.loc[4, "id"]
    bad.loc[9, "event"] = np.nan
    bad.loc[11, "priors"] = "many"
    found = {v.describe() for v in check_analysis_table(bad, spec, "people.csv")}
    assert found == {
        "people.csv: column 'id' (spec id_col): value appears on more than one row (one row "
        "per person) (rows 4, 5)",
        "people.csv: column 'event' (spec event_col, outcome_col): value is required but empty "
        "(row 10)",
        "people.csv: column 'priors' (spec covariates[1]): value must be a number (a category "
        "goes under 'categorical:' in the spec) (row 12)"}
    assert check_analysis_table(people, spec, "people.csv") == []


def test_design_frame_uses_the_designs_names(people):
    spec = DesignFileSpec(**BASE, outcome_col="reoffended", count_col="n_reoffences",
                          exposure_col="days_free", id_col="id")
    frame = design_frame(people, spec)
    assert list(frame.index) == list(range(len(people)))
    assert frame["row"].iloc[0] == 1 and frame["person"].iloc[0] == "A0000"
    assert (frame["treated"] == people["t"]).all() and frame["area"].dtype == object
    for name in ("duration", "event", "reoffended", "n_reoffences", "exposure"):
        assert name in frame
    assert set(frame["group"]) == {"treated", "comparison"}


def test_a_small_file_evaluated_end_to_end(people):
    spec = DesignFileSpec(**BASE, outcome_col="reoffended", count_col="n_reoffences",
                          exposure_col="days_free", id_col="id",
                          design={"method": "matching", "exact": ["area"]})
    ev = evaluate_file(people, spec)
    est = ev.estimates.set_index("outcome")
    assert set(est.index) == {"reoffended_rd", "reoffended_rr", "n_reoffences_diff",
                              "n_reoffences_rr", "time_to_reoffence_hr", "rmst_diff"}
    assert est.loc["time_to_reoffence_hr", "role"] == "headline"
    assert est.loc["time_to_reoffence_hr", "estimate"] < 1  # the planted halving
    assert set(est["role"]) == {"headline", "secondary", "supporting"}
    pairs = ev.analysis.dropna(subset=["match_set"]).groupby("match_set")["area"].nunique()
    assert (pairs == 1).all()  # exact matching on area
    assert "rosenbaum" in ev.robustness and "adjusted" in ev.details
    assert ev.unadjusted["n"].max() == len(people)
    out = matched_file(ev.design, spec)
    assert list(out.columns) == ["row", "id", "t", "propensity", "logit", "weight", "match_set"]
    assert len(out) == len(ev.analysis)  # no outcome column leaves in the matched file


def test_wording_for_other_units_and_outcomes():
    assert horizon_phrase(52, "weeks") == "the first 52 weeks"
    assert horizon_phrase(12, "months") == "the first year"
    assert horizon_phrase(18, "months") == "the first 18 months"
    assert horizon_phrase(365) == "the first year"
    assert unit_ticks(52, "weeks")[0] == [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52]
    assert unit_ticks(52, "weeks")[2] == "weeks since the index date"
    assert unit_ticks(365)[2] == "months since the index date"
    assert rmst_sentence(-0.6, 4.6, 2.0, "aid", horizon_days=52, free_phrase="free of arrest",
                         digits=1, unit="weeks") == (
        "On average, people who received aid could have spent as many as 0.6 fewer weeks, or "
        "as many as 4.6 more weeks, free of arrest in the first 52 weeks than similar people "
        "who did not; more people would need to be analysed to know which.")
    words = OutcomeWords(outcome="re-arrest", verb="were arrested", fewer="were arrested",
                         unit="weeks")
    v = build_verdict("rmst_diff", "difference in mean weeks free of re-arrest", 2.0, -0.6, 4.6,
                      0.0, "aid", 22.0, 31.0, "within the first 52 weeks", 201, 201,
                      words=words, small=(-1.0, 1.0))
    assert v.answer == ("Inconclusive: this evaluation cannot tell whether aid reduced or "
                        "increased re-arrest.")
    assert "best estimate 2.0 more weeks free of re-arrest (95% confidence interval -0.6 to " \
           "4.6)" in v.sure
    # the box's numbers are in the headline's terms (here days free: the RMST) ...
    assert v.numbers.startswith("On average 22 weeks free of re-arrest within the first 52 weeks")
    # ... and a share headline words the shares with the file's own verb
    share = group_numbers("reoffended_rd", 22.0, 31.0, "aid", "within the first 52 weeks", 201,
                          201, words)
    assert share.startswith("22 in 100 of the 201 people who received aid were arrested "
                            "within the first 52 weeks")


def test_claims_without_a_yes_no_outcome():
    head = {"outcome": "rmst_diff", "label": "difference in mean weeks free", "lower": -0.6,
            "upper": 4.6, "null": 0.0, "jdl_minimum_met": True}
    result = {"programme": "aid", "headline": head, "n_treated": 201, "n_comparison": 201,
              "outcome_noun": "re-arrest"}
    said = can_say(result)
    assert len(said) == 2 and "could have reduced or increased re-arrest" in said[0]
    assert not any("no effect" in s for s in cannot_say(result))


def test_sections_render_in_order_without_code(tmp_path):
    page = render_sections([Section("# Title\n\nFirst *words*."),
                            Section(html_text='<div class="verdict">The box</div>'),
                            Section("## Then\n\n- a list")], tmp_path / "p.html", "A title")
    text = page.read_text()
    assert text.index("<h1") < text.index('class="verdict"') < text.index("<h2")
    assert "<em>words</em>" in text and "<title>A title</title>" in text
    body = text[text.index("<body"):]
    assert "jp-InputArea" not in body and "In&nbsp;[" not in body
