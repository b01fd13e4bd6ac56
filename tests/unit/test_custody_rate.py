"""The custody rate (decision 0411): share sentenced to custody for a proven reoffence, by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from outcome_builders import index, offences, people, row

from evaluation.analysis.effects import estimate_effects
from evaluation.config import load_programme_config
from evaluation.outcomes import derive_outcomes
from evaluation.outcomes.registry import measure

CUTOFF = "2023-01-01"
# Index 2020-01-01; window days 1..365 (to 2020-12-31); waiting period to 2021-07-01 (+182).
OFFENCES = offences([
    # A: reoffends in the window, convicted, custody from 2020-06-01: sentenced -> 1.
    ("A", "2020-03-01", "2020-06-01", "robbery", "conviction", "2020-06-01", "2020-12-01"),
    # B: reoffends, convicted, non-custodial: reoffended but not sentenced to custody -> 0.
    ("B", "2020-03-01", "2020-04-01", "shoplifting", "conviction"),
    # C: custody only for an offence before the index (a spell running at the index) -> 0.
    ("C", "2019-06-01", "2019-09-01", "robbery", "conviction", "2019-09-01", "2020-09-01"),
    # D: reoffence in the window, convicted within the waiting period (2021-05-01) with custody
    # from that day: sentenced by the end of the waiting period -> 1.
    ("D", "2020-11-01", "2021-05-01", "violence_with_injury", "conviction", "2021-05-01",
     "2021-11-01"),
    # E: offence after the window (2021-01-05, day 370): not a reoffence, custody irrelevant -> 0.
    ("E", "2021-01-05", "2021-02-01", "robbery", "conviction", "2021-02-01", "2021-08-01"),
    # F: a breach sentenced to custody never counts -> 0.
    ("F", "2020-02-01", "2020-03-01", "breach", "conviction", "2020-03-01", "2020-05-01"),
])
IDS = list("ABCDEF")


def test_custody_sentence_for_a_proven_reoffence_by_hand():
    out = derive_outcomes(index(IDS), OFFENCES, people(IDS), CUTOFF)
    expected = {"A": 1, "B": 0, "C": 0, "D": 1, "E": 0, "F": 0}
    assert {p: int(row(out, p)["custody_sentence"]) for p in IDS} == expected
    assert int(row(out, "B")["reoffended"]) == 1  # reoffending without custody


def test_custody_rate_is_a_secondary_outcome_with_its_hand_computed_difference():
    # programme A, B, C (1 of 3 sentenced); comparison D, E, F, G (1 of 4): difference 1/3 - 1/4
    ids = [*IDS, "G"]
    frame = index(ids, treated=[1, 1, 1, 0, 0, 0, 0], weight=1.0, cluster=range(7))
    out = derive_outcomes(frame, OFFENCES, people(ids), CUTOFF)
    config = load_programme_config("iom")
    estimates, details = estimate_effects(out, config, "weight", "cluster")
    row_ = estimates.set_index("outcome").loc["custody_rd"]
    assert row_["estimate"] == pytest.approx(1 / 3 - 1 / 4)
    assert row_["role"] == "secondary"  # its own question: one more Holm test
    assert measure("custody_rd").question == "custody rate"
    risks = details["custody"].set_index("term")["estimate"]
    assert risks["risk_treated"] == pytest.approx(1 / 3)
    assert risks["risk_comparison"] == pytest.approx(1 / 4)
    assert (row_["events_treated"], row_["events_comparison"]) == (1, 1)


def test_no_custody_in_either_group_is_a_zero_difference_with_nothing_to_test():
    ids = ["B", "C", "E", "F", "G"]  # B reoffends without custody; nobody else reoffends
    frame = index(ids, treated=[1, 1, 0, 0, 0], weight=1.0, cluster=range(5))
    out = derive_outcomes(frame, OFFENCES, people([*IDS, "G"]), CUTOFF)
    assert out["custody_sentence"].sum() == 0
    estimates, _ = estimate_effects(out, load_programme_config("iom"), "weight", "cluster")
    row_ = estimates.set_index("outcome").loc["custody_rd"]
    assert (row_["estimate"], row_["p_value"]) == (0.0, 1.0)
    assert not pd.isna(row_["p_adjusted"])
