"""Verdict box wording: the kind follows the headline interval and the small band by hand."""

import pytest

from evaluation.reporting.verdict import (
    build_verdict,
    difference_kind,
    interval_phrase,
    verdict_kind,
)


@pytest.mark.parametrize(("key", "lower", "upper", "null", "kind"), [
    ("time_to_reoffence_hr", 0.70, 0.95, 1.0, "reduction"),
    ("time_to_reoffence_hr", 1.05, 1.40, 1.0, "increase"),
    ("time_to_reoffence_hr", 0.93, 1.08, 1.0, "small"),      # inside 0.9-1.1
    ("time_to_reoffence_hr", 0.87, 1.33, 1.0, "inconclusive"),
    ("reoffended_rd", -0.046, 0.003, 0.0, "inconclusive"),  # -4.6 to 0.3 per 100
    ("reoffended_rd", -0.02, 0.01, 0.0, "small"),
    ("rmst_diff", 2.0, 9.0, 0.0, "reduction"),               # more days free favours
    ("rmst_diff", -9.0, -2.0, 0.0, "increase"),
])
def test_verdict_kind(key, lower, upper, null, kind):
    assert verdict_kind(key, lower, upper, null) == kind


def test_difference_kind_for_iom():
    assert difference_kind(-0.32, 0.21, 0.5) == "small"
    assert difference_kind(-0.9, 0.2, 0.5) == "inconclusive"
    assert difference_kind(-0.9, -0.2, 0.5) == "reduction"


def test_build_verdict_lines():
    v = build_verdict("reoffended_rd", "difference in the share reoffending", -0.021, -0.046,
                      0.003, 0.0, "a conditional caution", 8.49, 10.64,
                      "within the first year", 1471, 1471)
    assert v.kind == "inconclusive"
    assert v.answer == ("Inconclusive: this evaluation cannot tell whether a conditional "
                        "caution reduced or increased proven reoffending.")
    assert v.numbers == ("8 in 100 of the 1,471 people who received a conditional caution were "
                         "proven to have reoffended within the first year, against 11 in 100 of "
                         "the 1,471 similar people who did not.")
    assert "best estimate -2 per 100 people (95% confidence interval -5 to 0.3 per 100" in v.sure


def test_interval_phrase_ratio():
    assert interval_phrase("time_to_reoffence_hr", 1.075, 0.87, 1.33) == (
        "hazard ratio 1.07 (95% confidence interval 0.87 to 1.33; below 1 favours the programme)")


def test_pair_of_numbers_is_in_the_headline_measure_terms():
    """A frequency headline shows both groups' reoffences per 100, not the one-year share
    (issue 14: the box's numbers followed the share whatever the headline)."""
    from evaluation.reporting.verdict import group_numbers

    freq = group_numbers("n_reoffences_diff", 195.3, 194.2, "IOM", "within the first year",
                         1996, 1982)
    assert freq == ("195 proven reoffences per 100 people within the first year among the "
                    "1,996 people who received IOM, against 194 per 100 among the 1,982 "
                    "similar people who did not.")
    assert "in 100 of" not in freq
    rmst = group_numbers("rmst_diff", 250.4, 248.1, "IOM", "within the first year", 10, 12)
    assert rmst.startswith("On average 250 days free of proven reoffending")
    share = group_numbers("time_to_reoffence_hr", 68.1, 68.7, "IOM", "within the first year",
                          10, 12)
    assert share.startswith("68 in 100 of the 10 people")
