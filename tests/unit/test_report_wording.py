"""Report wording a board reader or methods reviewer would check, each against a hand-written
string or a hand-worked number: small counts in prose, Holm-adjusted secondaries, the
intention-to-treat and per-protocol table, the narrowed estimand, the planted frequency truth
and the before/after comparison table."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from evaluation.cohort.attrition import Attrition
from evaluation.reporting import design_sections
from evaluation.reporting.attrition_text import count_text, withheld_attrition_sentence
from evaluation.reporting.disclosure import DisclosureRules
from evaluation.reporting.numbers import count_phrase, format_away


# --------------------------------------------------------------------------- small counts
def test_count_text_suppresses_one_to_nine():
    assert [count_text(n) for n in (0, 1, 9, 10, 2181)] == [
        "0", "fewer than 10", "fewer than 10", "10", "2,181"]
    assert count_text(12, threshold=20) == "fewer than 20"
    assert count_text(3, threshold=None) == "3"


def test_withheld_attrition_sentence_never_prints_a_small_analysed_count():
    assert withheld_attrition_sentence(7, "programme participants") == (
        "Fewer than 10 programme participants were analysed; the number received and some "
        "numbers excluded are withheld (fewer than 10 people, or a figure from which such a "
        "number could be worked out).")
    assert withheld_attrition_sentence(45, "programme participants").startswith(
        "45 programme participants were analysed;")


def _attrition_report(tmp_path, n_treated: int, n_excluded: int):
    """A report-like object (``design_sections.attrition`` reads ``ev.attrition``,
    ``ev.analysis``, ``rules`` and ``tables_dir``): ``n_treated`` received, ``n_excluded``
    of them left out for having no match, 40 comparison people all analysed."""
    people = pd.DataFrame({"treated": [1] * n_treated + [0] * 40})
    people["group"] = np.where(people["treated"] == 1, "treated", "comparison")
    ledger = Attrition(group_col="group")
    frame = ledger.start(people)
    cut = (frame["treated"] == 1) & (frame.groupby("treated").cumcount() < n_excluded)
    frame = ledger.exclude(frame, cut, "no comparison person within the caliper", "matching")
    return SimpleNamespace(ev=SimpleNamespace(attrition=ledger, analysis=frame),
                           rules=DisclosureRules(), tables_dir=tmp_path)


def test_attrition_section_suppresses_an_analysed_count_below_ten(tmp_path):
    # 20 received, 13 without a match, 7 analysed: 7 is withheld in the table, so the prose
    # must not give it either (before the fix it read "7 programme participants were analysed")
    html = str(design_sections.attrition(_attrition_report(tmp_path, 20, 13)))
    assert "Fewer than 10 programme participants were analysed" in html
    assert "<p>7 programme" not in html
    # above the threshold the ordinary sentence gives every number
    html = str(design_sections.attrition(_attrition_report(tmp_path, 40, 12)))
    assert ("Of 40 programme participants, 28 were analysed; 12 were excluded (no comparison "
            "person within the caliper: 12).") in html


# --------------------------------------------------------------------------- Holm wording
def _estimates() -> pd.DataFrame:
    """Estimates rows as ``holm_by_question`` leaves them, numbers chosen by hand: the hazard
    ratio's unadjusted interval excludes 1 but its adjusted one does not."""
    cols = ["outcome", "role", "estimate", "lower", "upper", "lower_adjusted",
            "upper_adjusted", "p_value", "p_adjusted"]
    rows = [
        ("n_reoffences_diff", "headline", -7.4, -35.7, 20.8, -35.7, 20.8, 0.61, 0.61),
        ("n_reoffences_rr", "supporting", 0.99, 0.87, 1.12, 0.87, 1.12, 0.86, 0.86),
        ("reoffended_rd", "secondary", -0.05, -0.09, -0.01, -0.095, -0.005, 0.01, 0.03),
        ("time_to_reoffence_hr", "secondary", 0.80, 0.70, 0.95, 0.68, 1.02, 0.02, 0.08),
        ("custody_rd", "secondary", -0.003, -0.033, 0.028, -0.034, 0.029, 0.87, 1.0),
    ]
    return pd.DataFrame(rows, columns=cols).assign(jdl_minimum_met=True)


def test_summary_bullets_lead_with_the_headline_and_adjust_the_secondaries():
    from evaluation.reporting.summary_lines import summary_lines

    lines = summary_lines(_estimates(), "n_reoffences_diff", "IOM", "within a year", 365)
    assert lines[0] == (
        "For 100 typical people who received IOM, compared with 100 similar people who did "
        "not, the number of proven reoffences within a year could be lower by as many as 36, "
        "or higher by as many as 21; more people would need to be analysed to know which.")
    # the headline's companion on another scale: 95%, no Holm clause
    assert lines[2].endswith("(rate ratio 0.99, 95% confidence interval 0.87 to 1.12); more "
                             "people would need to be analysed to know which.")
    # the share reoffending: adjusted bounds -9.5 and -0.5 per 100 (one decimal for both, as
    # format_away keeps a pair alike), significant after Holm
    assert lines[1] == (
        "For 100 typical people who received IOM, compared with 100 similar people who did "
        "not, the number who were proven to have reoffended within a year could be lower by "
        "between 0.5 and 9.5. Secondary measure, interval and p-value after adjusting for "
        "three comparisons (Holm's method): p = 0.030, statistically significant at the 5% "
        "level.")
    # the hazard ratio: the unadjusted 0.70 to 0.95 would read "between 5% and 30% lower"
    assert lines[3] == (
        "Among people who had not yet reoffended, for those who received IOM compared with "
        "similar people who did not, the chance of a first proven reoffence at any point in "
        "the follow-up could be as much as 32% lower or as much as 2% higher (hazard ratio "
        "0.80, Holm-adjusted confidence interval 0.68 to 1.02); more people would need to be "
        "analysed to know which. Secondary measure, interval and p-value after adjusting for "
        "three comparisons (Holm's method): p = 0.080, not statistically significant at the "
        "5% level.")
    assert len(lines) == 5  # no RMST row given, so no RMST bullet


def test_holm_clause_makes_no_significance_statement_below_the_jdl_minimum():
    from evaluation.reporting.summary_lines import holm_clause

    row = _estimates().set_index("outcome", drop=False).loc["time_to_reoffence_hr"]
    assert holm_clause(row.copy().replace({True: False}), 3) == (
        "Secondary measure, interval and p-value after adjusting for three comparisons (Holm's "
        "method): the groups are below the Justice Data Lab's minimum, so no statement about "
        "statistical significance is made.")


def test_holm_clause_refuses_a_p_value_that_contradicts_its_interval():
    from evaluation.reporting.summary_lines import holm_clause

    row = _estimates().set_index("outcome", drop=False).loc["time_to_reoffence_hr"].copy()
    row["p_adjusted"] = 0.04  # "significant", yet the adjusted interval 0.68 to 1.02 holds 1
    with pytest.raises(ValueError, match="disagree"):
        holm_clause(row, 3)


def test_summary_note_counts_the_comparisons_made():
    from evaluation.reporting.summary_lines import summary_note

    assert summary_note(_estimates(), "n_reoffences_diff") == (
        "The pre-declared headline measure is the difference in proven reoffences per 100 "
        "people, given first with its 95% confidence interval; the ratio of proven reoffence "
        "rates per day at liberty answers the same question on another scale and is read at "
        "the same 95% level. The other measures are secondary: their intervals and p-values "
        "(how often a difference this large would arise by chance if the programme had no "
        "effect) are adjusted for making three comparisons (Holm's method), so a secondary "
        "result is called statistically significant only when its adjusted p-value is at most "
        "0.05.")


def test_per_hundred_claim_uses_the_adjusted_range_for_a_secondary_share():
    from evaluation.reporting.claims import can_say
    from evaluation.reporting.summary_lines import per_hundred_claim

    claim = per_hundred_claim(_estimates(), "n_reoffences_diff")
    assert (claim["lower"], claim["upper"]) == (-9.5, -0.5)
    assert can_say({**claim, "programme": "IOM"})[0].endswith(
        "could be lower by between 0.5 and 9.5. (A secondary measure here: the range is "
        "adjusted for three comparisons, Holm's method.)")
    # where the share is the headline it keeps its 95% interval and no note
    own = per_hundred_claim(_estimates(), "reoffended_rd")
    assert (own["lower"], own["upper"], "interval_note" in own) == (-9.0, -1.0, False)


# --------------------------------------------------------------------------- ITT and PP
def _trials() -> pd.DataFrame:
    """An ``itt_and_per_protocol`` table, numbers by hand: per protocol's hazard ratio
    interval is wider on the log scale; the risk differences are identical."""
    return pd.DataFrame({
        "analysis": ["intention_to_treat"] * 2 + ["per_protocol"] * 2,
        "term": ["hazard_ratio", "risk_difference"] * 2,
        "estimate": [0.988774, -0.007280, 0.988774, -0.007280],
        "std_error": [0.036, 0.0147, 0.046, 0.0147],
        "lower": [0.920664, -0.036118, 0.903601, -0.036118],
        "upper": [1.061923, 0.021557, 1.081976, 0.021557],
        "p_value": [0.756539, 0.620732, 0.805959, 0.620732],
        "n": [4362, 3846, 4362, 3846]})


def test_itt_pp_table_is_rounded_like_the_report():
    from evaluation.reporting.trials_table import itt_pp_display

    shown = itt_pp_display(_trials(), DisclosureRules())
    assert shown.to_dict("records")[0] == {
        "analysis": "intention to treat", "measure": "hazard ratio", "estimate": "0.99",
        "95% CI": "0.92 to 1.06", "p-value": "0.757", "n": 4362}
    assert shown.to_dict("records")[3] == {
        "analysis": "per protocol", "measure": "risk difference (per 100 people)",
        "estimate": "-0.7", "95% CI": "-3.6 to 2.2", "p-value": "0.621", "n": 3846}
    small = _trials().assign(n=[4362, 3846, 8, 3846])  # a value from 8 people is withheld
    assert itt_pp_display(small, DisclosureRules()).iloc[2][["estimate", "n"]].tolist() == [
        "[c]", "[c]"]


def test_itt_pp_sentence_says_which_interval_is_wider_from_the_numbers():
    from evaluation.reporting.trials_table import interval_comparison

    assert interval_comparison(_trials()) == (
        "For the hazard ratio the per-protocol interval is wider (0.90 to 1.08, against 0.92 "
        "to 1.06 by intention to treat); for the risk difference the two intervals are the "
        "same (-3.6 to 2.2). The report's estimates are the intention-to-treat ones; a wider "
        "interval is the less precise answer.")
    narrow = _trials()
    narrow.loc[2, ["lower", "upper"]] = [0.95, 1.03]
    assert "the per-protocol interval is narrower (0.95 to 1.03" in interval_comparison(narrow)


# --------------------------------------------------------------------------- planted truth
def test_truth_sentence_names_the_frequency_headline_first():
    from evaluation.reporting.appendix import truth_sentence

    est = pd.DataFrame({"outcome": ["n_reoffences_diff", "time_to_reoffence_hr"],
                        "estimate": [-7.436, 0.98877], "lower": [-35.705, 0.92066],
                        "upper": [20.832, 1.06192]})
    truth = {"theta": 0.9, "hazard_ratio": 0.94075, "risk_difference": -0.019710,
             "reoffences_per_100_diff": -25.66}
    assert truth_sentence(truth, est, "n_reoffences_diff", n_unmatched=97) == (
        "Synthetic data only: the generator planted a multiplicative effect of 0.9 on "
        "offending; the true difference in proven reoffences per 100 people (the headline) is "
        "-25.7 (estimate -7.4, 95% CI -35.7 to 20.8); the true hazard ratio among participants "
        "is 0.941 (estimate 0.989, 95% CI 0.921 to 1.062); the true one-year risk difference "
        "is -0.020. The true values are over all participants; the estimates are over the "
        "matched participants only.")
    # an older truth file without the frequency: that measure is left out, nothing invented
    old = {k: v for k, v in truth.items() if k != "reoffences_per_100_diff"}
    assert "per 100" not in truth_sentence(old, est, "n_reoffences_diff")


# --------------------------------------------------------------------------- narrowed estimand
def test_estimand_sentence_says_matched_participants_only():
    from evaluation.reporting.summary_lines import estimand_sentence

    assert estimand_sentence(2181, 97) == (
        "The estimates are for the 2,181 of 2,278 eligible participants who found a "
        "comparison person close enough (within the caliper), not for all eligible "
        "participants: the 97 left out may differ from those analysed.")
    # 4 unmatched: withheld, and so is the total (2,185 - 2,181 would give it back)
    assert estimand_sentence(2181, 4) == (
        "The estimates are for the 2,181 matched eligible participants only, not for all "
        "eligible participants: fewer than 10 found no comparison person close enough (within "
        "the caliper) and are left out.")
    assert estimand_sentence(2181, 0) == ""


# --------------------------------------------------------------------------- before/after table
def _before_after_rows() -> pd.DataFrame:
    from evaluation.reporting.before_during_section import published_row

    published = pd.DataFrame({
        "programme": ["iom"] * 3,
        "measure": ["offences_per_person_before", "offences_per_person_during",
                    "offences_change_pct"],
        "published_value": [5.52, 2.56, -53.6], "people": [3286, 3286, 3286]})
    nan = float("nan")
    cols = ["figure", "people", "before", "during", "change", "lower", "upper", "change_pct"]
    rows = pd.DataFrame([
        ("rebuilt", 2278, 5.3459, 2.7513, -2.5946, nan, nan, -48.53),
        ("matched_programme", 2181, 5.0770, 2.5110, -2.5660, -2.7604, -2.3716, -50.54),
        ("matched_comparison", 2181, 5.0422, 2.5582, -2.4839, -2.6443, -2.3235, -49.26),
        ("did", nan, nan, nan, -0.0821, -0.3280, 0.1639, -1.62),
        ("comparison_share", nan, nan, nan, 0.9680, 0.8740, 1.0620, nan)], columns=cols)
    return pd.concat([pd.DataFrame([published_row(published)]), rows], ignore_index=True)


def test_before_after_table_has_one_row_per_step():
    from evaluation.reporting.before_during_section import comparison_display

    shown = comparison_display(_before_after_rows(), threshold=10, n_unmatched=97)
    assert shown["figure"].str.split(":").str[0].str.split(" \\(").str[0].tolist() == [
        "Published figure", "Rebuilt from the records", "Rebuilt from the records",
        "Matched comparison group", "Difference", "Share of the matched participants' drop "
        "that the comparison group shows too"]
    assert shown.iloc[0][["people", "before", "during", "change", "change (%)"]].tolist() == [
        3286, "5.52", "2.56", "-2.96", "-53.6%"]  # 2.56 - 5.52 = -2.96
    assert shown.iloc[2]["change"] == "-2.57 (95% CI -2.76 to -2.37)"
    assert shown.iloc[4][["people", "change", "change (%)"]].tolist() == [
        "[z]", "-0.08 (95% CI -0.33 to 0.16)", "-1.6%"]
    assert shown.iloc[5]["change"] == "96.8% (95% CI 87.4% to 106.2%)"


def test_before_after_table_withholds_a_rebuilt_count_that_gives_back_the_unmatched():
    from evaluation.reporting.before_during_section import comparison_display

    # 4 unmatched: 2,185 rebuilt - 2,181 matched would give the 4 back
    rows = _before_after_rows()
    rows.loc[rows["figure"] == "rebuilt", "people"] = 2185
    shown = comparison_display(rows, threshold=10, n_unmatched=4)
    assert shown["people"].tolist()[:4] == [3286, "[c]", 2181, 2181]


# --------------------------------------------------------------------------- the IOM report
@pytest.fixture(scope="module")
def iom(tmp_path_factory):
    """IOM's before/after report (a ProgrammeReport too) on a small synthetic extract, where
    matching within scoring rounds leaves many participants unmatched (decision 0406)."""
    from evaluation.reporting.factories import open_iom_before_after
    from evaluation.synth import generate, write_world

    directory = tmp_path_factory.mktemp("wording") / "extract"
    write_world(generate(seed=5, scale=0.05), directory)
    return open_iom_before_after(directory, tmp_path_factory.mktemp("wording") / "iom")


def test_iom_summary_quotes_adjusted_intervals_for_secondaries(iom):
    text = str(iom.summary())
    hr = iom.ev.estimates.set_index("outcome").loc["time_to_reoffence_hr"]
    lo, hi = format_away([hr["lower_adjusted"], hr["upper_adjusted"]], 1.0, 2)
    assert f"Holm-adjusted confidence interval {lo} to {hi})" in text
    n = int((iom.ev.estimates["role"] == "secondary").sum())
    assert f"after adjusting for {count_phrase(n, 'comparison')} (Holm's method)" in text
    # the headline leads the bullets and keeps its 95% interval
    assert text.split("\n- ")[1].startswith("For 100 typical people who received")
    assert "the number of proven reoffences within the first year" in text.split("\n- ")[1]


def test_iom_verdict_and_summary_say_the_estimate_is_for_the_matched_only(iom):
    d = iom.ev.design_summary
    assert d["n_treated_unmatched"] >= 10  # the small world leaves many unmatched
    expected = (f"The estimates are for the {d['n_treated_matched']:,} of "
                f"{d['n_treated_matched'] + d['n_treated_unmatched']:,} eligible participants "
                "who found a comparison person close enough")
    assert expected in str(iom.verdict())
    assert expected in str(iom.summary())


def test_iom_itt_per_protocol_table_is_rounded(iom):
    from evaluation.reporting import design_sections

    html = design_sections.sequential_trials(iom)
    table = html.split("<table")[1]
    assert not re.search(r"\d\.\d{4,}", table), table  # no unrounded numbers
    assert "Intention to treat answers: what is the effect of being adopted" in html
    assert "the per-protocol interval is" in html or "the two intervals are" in html


def test_iom_before_after_page_has_the_one_table(iom):
    html = str(iom.comparison_table())
    assert html.count("<tr") == 7  # header + six rows
    for label in ("Published figure", "every eligible participant", "the matched participants",
                  "Matched comparison group", "Difference:", "Share of the matched"):
        assert label in html
    did = iom.ev.before_during["did"].set_index("term").loc["did"]
    assert f"{did['estimate']:.2f} (95% CI" in html.replace("−", "-")
