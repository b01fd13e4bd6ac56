"""Plain-English sentences: every branch against a hand-written expected string."""

import pandas as pd
import pytest

from evaluation.cohort.attrition import Attrition
from evaluation.reporting.claims import can_say, cannot_say
from evaluation.reporting.numbers import (
    count_phrase,
    format_away,
    format_number,
    format_percent,
    format_rate,
    horizon_phrase,
    indefinite_article,
    join_words,
    number_to_words,
    plural,
)
from evaluation.reporting.sentences import (
    attrition_sentence,
    balance_sentence,
    change_sentence,
    frequency_sentence,
    hazard_ratio_sentence,
    per_hundred_sentence,
    power_sentence,
    rate_ratio_sentence,
    rmst_sentence,
)

HEAD = ("For 100 typical people who received New Chance, compared with 100 similar people who "
        "did not, the number who reoffended within a year ")
TAIL = "more people would need to be analysed to know which"


# --------------------------------------------------------------------------- formatting
def test_format_number_and_percent_and_rate():
    assert format_number(27268) == "27,268"
    assert format_number(-0.4) == "0"  # never "-0"
    assert format_number(1234.5, 1) == "1,234.5"
    assert format_percent(0.275) == "27.5%"
    assert format_percent(27.5, 0, proportion=False) == "28%"
    assert format_rate(2.5612) == "2.56 per person"
    assert format_rate(27.5, "100 people", 1) == "27.5 per 100 people"
    with pytest.raises(ValueError, match="non-finite"):
        format_number(float("nan"))


def test_words_plural_and_lists():
    assert number_to_words(0) == "zero"
    assert number_to_words(9) == "nine"
    assert number_to_words(10) == "10"
    assert number_to_words(1234) == "1,234"
    with pytest.raises(ValueError, match="whole number"):
        number_to_words(2.5)
    assert plural(1, "day") == "day"
    assert plural(2, "day") == "days"
    assert plural(0, "day") == "days"
    assert plural(1.5, "day") == "days"
    assert plural("1", "person", "people") == "person"
    assert plural(3, "person", "people") == "people"
    assert count_phrase(1, "characteristic") == "one characteristic"
    assert count_phrase(12, "characteristic") == "12 characteristics"
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b"]) == "a and b"
    assert join_words(["a", "b", "c"]) == "a, b and c"
    assert indefinite_article("80%") == "an"
    assert indefinite_article("11") == "an"
    assert indefinite_article("18,000") == "an"
    assert indefinite_article("90%") == "a"
    assert indefinite_article("1") == "a"


def test_format_away_never_rounds_onto_or_across_the_null():
    assert format_away([0.3, 12.3]) == ["0.3", "12.3"]  # 0.3 would print as 0
    assert format_away([0.04, 5.0]) == ["0.04", "5.00"]
    assert format_away([2.4, 7.6]) == ["2", "8"]  # nothing near zero: integers
    assert format_away([0.0, 3.0]) == ["0", "3"]  # a true zero stays 0
    assert format_away([0.998], 1.0, 2) == ["0.998"]  # 1.00 would look like the null
    assert format_away([0.23, 0.1004], 0.10, 2, uniform=False) == ["0.23", "0.1004"]


def test_horizon_phrase():
    assert horizon_phrase(365) == "the first year"
    assert horizon_phrase(730) == "the first two years"
    assert horizon_phrase(180) == "the first 180 days"


# --------------------------------------------------------------------------- per hundred
def test_per_hundred_significant_lower():
    s = per_hundred_sentence(-9.4, -2.2, -5.8, "reoffended", "New Chance", significant=True)
    assert s == HEAD + "could be lower by between 2 and 9."


def test_per_hundred_significant_higher():
    s = per_hundred_sentence(1.6, 7.5, 4.0, "reoffended", "New Chance")
    assert s == HEAD + "could be higher by between 2 and 8."


def test_per_hundred_inconclusive_never_says_no_effect():
    s = per_hundred_sentence(-6.2, 3.4, -1.4, "reoffended", "New Chance", significant=False)
    assert s == HEAD + f"could be lower by as many as 6, or higher by as many as 3; {TAIL}."
    assert "no effect" not in s


def test_per_hundred_rounding_keeps_the_sign():
    # upper -0.3 would round to 0 ("between 0 and 12"): one decimal is shown instead
    s = per_hundred_sentence(-12.3, -0.3, -6.0, "reoffended", "New Chance")
    assert s == HEAD + "could be lower by between 0.3 and 12.3."
    # inconclusive with a bound of +0.2: not "higher by as many as 0"
    s = per_hundred_sentence(-5.0, 0.2, -2.0, "reoffended", "New Chance")
    assert s == HEAD + f"could be lower by as many as 5.0, or higher by as many as 0.2; {TAIL}."


def test_per_hundred_bounds_equal_after_rounding_and_touching_zero():
    assert per_hundred_sentence(-1.2, -0.9, -1.0, "reoffended", "New Chance") == (
        HEAD + "could be lower by about 1.")
    assert per_hundred_sentence(-4.0, 0.0, -2.0, "reoffended", "New Chance") == (
        HEAD + f"could be lower by as many as 4, or the same; {TAIL}.")
    assert per_hundred_sentence(0.0, 4.0, 2.0, "reoffended", "New Chance") == (
        HEAD + f"could be the same, or higher by as many as 4; {TAIL}.")
    assert per_hundred_sentence(0.0, 0.0, 0.0, "reoffended", "New Chance") == (
        HEAD + "was the same in both groups.")


def test_per_hundred_checks_its_input():
    with pytest.raises(ValueError, match="contradicts"):
        per_hundred_sentence(-6.2, 3.4, -1.4, "reoffended", "New Chance", significant=True)
    with pytest.raises(ValueError, match="not inside its interval"):
        per_hundred_sentence(-6.2, 3.4, 5.0, "reoffended", "New Chance")
    with pytest.raises(ValueError, match="above upper"):
        per_hundred_sentence(3.0, -1.0, 0.0, "reoffended", "New Chance")


def test_frequency_sentence_scales_per_person_to_per_hundred():
    # -0.31 and -0.05 reoffences per person are -31 and -5 per 100 people
    s = frequency_sentence(-0.31, -0.05, -0.2, "IOM")
    assert s == ("For 100 typical people who received IOM, compared with 100 similar people who "
                 "did not, the number of proven reoffences within a year could be lower by "
                 "between 5 and 31.")


# --------------------------------------------------------------------------- RMST
RM = "On average, people who received IOM "
RM_END = "free of proven reoffending in the first year than similar people who did not"


def test_rmst_more_fewer_and_singular():
    assert rmst_sentence(1.2, 14.6, 8.0, "IOM") == (
        RM + f"spent between 1 and 15 more days {RM_END}.")
    assert rmst_sentence(-20.4, -3.5, -11.0, "IOM") == (
        RM + f"spent between 4 and 20 fewer days {RM_END}.")  # 3.5 -> 4 (round half even: 4)
    assert rmst_sentence(0.8, 1.2, 1.0, "IOM") == RM + f"spent about 1 more day {RM_END}."


def test_rmst_inconclusive_and_rounding():
    assert rmst_sentence(-3.0, 12.0, 4.0, "IOM") == (
        RM + f"could have spent as many as 3 fewer days, or as many as 12 more days, {RM_END}; "
        f"{TAIL}.")
    assert rmst_sentence(-1.0, 0.4, 0.0, "IOM") == (
        RM + "could have spent as many as 1.0 fewer days, or as many as 0.4 more days, "
        f"{RM_END}; {TAIL}.")
    assert rmst_sentence(-1.0, 0.0, -0.5, "IOM") == (
        RM + f"could have spent as many as 1 fewer day, or the same number of days, {RM_END}; "
        f"{TAIL}.")
    assert rmst_sentence(0.0, 0.0, 0.0, "IOM") == (
        RM + "spent the same number of days free of proven reoffending in the first year as "
        "similar people.")
    assert rmst_sentence(2.0, 30.0, 10.0, "IOM", horizon_days=730).endswith(
        "free of proven reoffending in the first two years than similar people who did not.")


# --------------------------------------------------------------------------- ratios
HR = ("Among people who had not yet reoffended, for those who received IOM compared with similar "
      "people who did not, the chance of a first proven reoffence at any point in the follow-up ")


def test_hazard_ratio_lower_higher_inconclusive():
    # HR 0.75 (0.62, 0.88): (1 - 0.88) = 12%, (1 - 0.62) = 38% lower
    assert hazard_ratio_sentence(0.75, 0.62, 0.88, "IOM") == (
        HR + "was between 12% and 38% lower (hazard ratio 0.75, 95% confidence interval "
        "0.62 to 0.88).")
    # HR 1.3 (1.1, 1.6): 10% to 60% higher
    assert hazard_ratio_sentence(1.3, 1.1, 1.6, "IOM") == (
        HR + "was between 10% and 60% higher (hazard ratio 1.30, 95% confidence interval "
        "1.10 to 1.60).")
    # HR 0.9 (0.7, 1.2): as much as 30% lower or 20% higher
    assert hazard_ratio_sentence(0.9, 0.7, 1.2, "IOM") == (
        HR + "could be as much as 30% lower or as much as 20% higher (hazard ratio 0.90, 95% "
        f"confidence interval 0.70 to 1.20); {TAIL}.")


def test_hazard_ratio_upper_bound_near_one_keeps_its_side():
    # 0.998 would print as 1.00 and 0.2% as 0%: three decimals and one decimal instead
    assert hazard_ratio_sentence(0.75, 0.62, 0.998, "IOM") == (
        HR + "was between 0.2% and 38.0% lower (hazard ratio 0.750, 95% confidence interval "
        "0.620 to 0.998).")
    with pytest.raises(ValueError, match="must be > 0"):
        hazard_ratio_sentence(0.5, 0.0, 0.9)


def test_rate_ratio_sentence():
    assert rate_ratio_sentence(0.8, 0.7, 0.9, "IOM") == (
        "For people who received IOM, compared with similar people who did not, the number of "
        "proven reoffences per person was between 10% and 30% lower (rate ratio 0.80, 95% "
        "confidence interval 0.70 to 0.90).")


# --------------------------------------------------------------------------- before/after
def test_change_sentence_fell_rose_unchanged_from_zero():
    # (27,268 - 16,154) / 27,268 = 11,114 / 27,268 = 0.40758 -> 40.8%
    assert change_sentence(27268, 16154, "Offences per year") == (
        "Offences per year fell by 40.8%, from 27,268 to 16,154.")
    assert change_sentence(200, 250, "Referrals") == "Referrals rose by 25.0%, from 200 to 250."
    assert change_sentence(250, 250, "Referrals") == "Referrals was unchanged at 250."
    assert change_sentence(0, 5, "Referrals") == "Referrals rose from 0 to 5."
    # 10,000 -> 10,003 is +0.03%: not "rose by 0.0%"
    assert change_sentence(10000, 10003, "Offences") == (
        "Offences rose by 0.03%, from 10,000 to 10,003.")


# --------------------------------------------------------------------------- balance
def test_balance_all_balanced():
    smd = {f"c{i}": 0.01 * i for i in range(9)}
    assert balance_sentence(smd) == ("After matching, all nine characteristics were balanced "
                                     "(standardised mean difference below 0.10).")
    assert balance_sentence({"age": -0.05}, adjustment="weighting") == (
        "After weighting, the one characteristic compared was balanced (standardised mean "
        "difference below 0.10).")


def test_balance_names_failures_largest_first():
    s = balance_sentence({"age": 0.05, "prior custody": -0.23, "sex": 0.15, "area": 0.02},
                         labels={"prior custody": "any previous custody"})
    assert s == ("After matching, two of four characteristics were balanced (standardised mean "
                 "difference below 0.10); two were not: any previous custody (0.23) and sex "
                 "(0.15).")
    s = balance_sentence({"age": 0.05, "sex": 0.1004})
    assert s == ("After matching, one of two characteristics was balanced (standardised mean "
                 "difference below 0.10); one was not: sex (0.1004).")


def test_balance_none_balanced():
    assert balance_sentence({"a": 0.3, "b": 0.2}) == (
        "After matching, none of the two characteristics was balanced (standardised mean "
        "difference below 0.10): a (0.30) and b (0.20).")
    with pytest.raises(ValueError, match="missing SMD"):
        balance_sentence({"a": float("nan")})


# --------------------------------------------------------------------------- power
def test_power_sentence_rounds_mde_up():
    assert power_sentence(8.3, 242, 726, programme_phrase="the Prince's Trust Team") == (
        "With 242 people who received the Prince's Trust Team and 726 similar people who did "
        "not, this analysis had an 80% chance of detecting a difference of 9 or more in the "
        "number per 100 who reoffended within a year (at the 5% significance level); smaller "
        "real differences could go undetected.")
    s = power_sentence(8.0, 1, 1, power=0.9)
    assert "With 1 person who received" in s and "1 similar person who did not" in s
    assert "a 90% chance of detecting a difference of 8 or more" in s
    with pytest.raises(ValueError, match="positive"):
        power_sentence(0.0, 10, 10)


# --------------------------------------------------------------------------- attrition
def _ledger(n: int, cut_a: int, cut_b: int) -> pd.DataFrame:
    a = Attrition()
    df = a.start(pd.DataFrame({"x": range(n)}))
    df = a.exclude(df, df["x"] < cut_a, "less than a year of follow-up", "outcomes")
    a.exclude(df, df["x"] >= n - cut_b, "no match within the caliper", "matching")
    return a.table()


def test_attrition_sentence_plain():
    # 300 received; 20 + 15 excluded; 265 analysed; all at least 10: nothing withheld
    assert attrition_sentence(_ledger(300, 20, 15), threshold=10) == (
        "Of 300 people, 265 were analysed; 35 were excluded (less than a year of follow-up: "
        "20; no match within the caliper: 15).")
    assert attrition_sentence(_ledger(300, 0, 0)) == (
        "Of 300 people, all were analysed; none was excluded.")


def test_attrition_sentence_secondary_suppression():
    # 250 received; 8 + 30 excluded; 212 analysed. 8 is primary; alone it would be
    # 250 - 212 - 30, so the next smallest, 30, is withheld, and so is the excluded total.
    assert attrition_sentence(_ledger(250, 8, 30)) == (
        "Of 250 people, 212 were analysed; the others were excluded (less than a year of "
        "follow-up: fewer than 10; no match within the caliper: a withheld number).")
    # threshold off: every number shown
    assert attrition_sentence(_ledger(250, 8, 30), threshold=None) == (
        "Of 250 people, 212 were analysed; 38 were excluded (less than a year of follow-up: 8; "
        "no match within the caliper: 30).")


# --------------------------------------------------------------------------- can / cannot say
def test_can_say_significant_and_inconclusive():
    sig = {"lower": -12.0, "upper": -1.0, "estimate": -6.0, "programme": "New Chance",
           "n_treated": 404, "n_comparison": 1212}
    assert can_say(sig) == [
        HEAD + "could be lower by between 1 and 12.",
        "This analysis gives evidence that New Chance may reduce the number of people who "
        "reoffended within a year, for people like those analysed.",
        "The 404 people who received New Chance were compared with 1,212 similar people who "
        "did not, chosen by matching on the characteristics the records hold.",
    ]
    up = {"lower": 1.0, "upper": 12.0, "estimate": 6.0, "programme": "New Chance"}
    assert can_say(up)[1] == ("This analysis gives evidence that New Chance may increase the "
                              "number of people who reoffended within a year, for people like "
                              "those analysed.")
    inc = {"lower": -6.0, "upper": 3.0, "estimate": -1.0, "programme": "New Chance"}
    assert can_say(inc)[1] == (
        "This analysis did not find a statistically significant difference in the number of "
        "people who reoffended within a year; New Chance could have reduced or increased it.")
    assert len(can_say(inc)) == 2


CAUSE = ("That New Chance caused the difference: the groups were made alike only on the "
         "characteristics the records hold, and may differ in others (such as motivation or "
         "support at home).")
ELSEWHERE = ("That New Chance would have the same effect in other areas, at other times or for "
             "people unlike those analysed.")
NATIONAL = ("That the difference between the reoffending rate of people who received New Chance "
            "and a national rate shows its effect: the people referred differ from the national "
            "population, so such a comparison is not like with like.")


def test_cannot_say_significant_with_e_value():
    r = {"lower": -12.0, "upper": -1.0, "estimate": -6.0, "programme": "New Chance",
         "e_value": 1.5, "e_value_ci": 1.1}
    assert cannot_say(r) == [
        CAUSE + " To explain the difference away, an unrecorded factor would need to be linked "
        "to both receiving New Chance and reoffending by a risk ratio of at least 1.50 each "
        "(E-value; 1.10 to make the confidence interval include no difference).",
        ELSEWHERE,
        NATIONAL,
    ]


def test_cannot_say_inconclusive_warns_against_no_effect():
    r = {"lower": -6.2, "upper": 3.4, "estimate": -1.0, "programme": "New Chance",
         "e_value": 1.2, "e_value_ci": 1.0}
    assert cannot_say(r) == [
        "That New Chance had no effect: the results are consistent with as many as 6 fewer or "
        "3 more people in 100 who reoffended.",
        CAUSE,
        ELSEWHERE,
        NATIONAL,
    ]


def test_balance_sentence_from_a_balance_table():
    table = pd.DataFrame({"covariate": ["age_at_index", "ethnicity_group", "ethnicity_group"],
                          "level": ["", "Asian", "White"], "smd": [0.02, 0.12, -0.04]})
    assert balance_sentence(table) == (
        "After matching, two of three characteristics were balanced (standardised mean "
        "difference below 0.10); one was not: ethnicity_group: Asian (0.12).")


def test_power_sentence_from_an_mde_table():
    # the "decrease" row: risk difference -0.083 is 8.3 per 100, rounded up to 9
    table = pd.DataFrame({"direction": ["decrease", "increase"],
                          "risk_difference": [-0.083, 0.09], "n_treated": [242, 242],
                          "n_comparison": [726, 726], "power": [0.8, 0.8], "alpha": [0.05, 0.05]})
    assert power_sentence(table) == power_sentence(8.3, 242, 726)
    assert "a difference of 9 or more" in power_sentence(table)
    with pytest.raises(ValueError, match="give n_treated"):
        power_sentence(8.3)


def test_attrition_sentence_withholds_analysed_when_it_is_the_next_smallest():
    # 50 received, 5 excluded for one reason, 45 analysed: 5 is primary; the only other cell
    # on the line 50 = 45 + 5 is the analysed count, so it is withheld instead.
    assert attrition_sentence(_ledger(50, 5, 0), people_phrase="people referred") == (
        "Of 50 people referred, a withheld number were analysed; the others were excluded "
        "(less than a year of follow-up: fewer than 10).")


def test_can_say_names_the_configured_window_not_a_year():
    result = {"lower": -9.0, "upper": -1.0, "estimate": -5.0, "programme": "the scheme",
              "outcome": "reoffended", "period": "within the first 182 days"}
    out = can_say(result)
    assert out[1] == ("This analysis gives evidence that the scheme may reduce the number of "
                      "people who reoffended within the first 182 days, for people like those "
                      "analysed.")
    assert "within the first 182 days could be lower by between 1 and 9" in out[0]
    assert not any("within a year" in s for s in out)


def _headline(lower, upper, *, key="time_to_reoffence_hr", null=1.0, jdl=True):
    return {"outcome": key, "label": "hazard ratio, time to first proven reoffence",
            "lower": lower, "upper": upper, "null": null, "jdl_minimum_met": jdl}


def test_can_say_makes_its_significance_claim_on_the_headline_not_the_share():
    from evaluation.reporting.claims import can_say

    # the one-year share crosses zero, but the pre-declared hazard ratio excludes 1
    base = {"lower": -4.0, "upper": 1.0, "estimate": -1.5, "programme": "the programme"}
    text = " ".join(can_say({**base, "headline": _headline(0.70, 0.95)}))
    assert "pre-declared headline measure (hazard ratio" in text and "may reduce" in text
    assert "did not find a statistically significant difference in the number" not in text
    text = " ".join(can_say({**base, "headline": _headline(0.70, 0.95, jdl=False)}))
    assert "below the Justice Data Lab's minimum" in text and "may reduce" not in text


def test_e_value_bullet_follows_the_headline_significance():
    from evaluation.reporting.claims import cannot_say

    base = {"lower": -4.0, "upper": 1.0, "estimate": -1.5, "programme": "the programme",
            "e_value": 1.8, "e_value_ci": 1.2}
    assert "E-value" in " ".join(cannot_say({**base, "headline": _headline(0.70, 0.95)}))
    assert "E-value" not in " ".join(cannot_say({**base, "headline": _headline(0.8, 1.1)}))
