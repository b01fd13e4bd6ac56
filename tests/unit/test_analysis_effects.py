"""Effects table: the JDL frequency per 100 people, roles by question, the JDL gate (issue 13)."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.analysis.effects import estimate_effects, jdl_gate
from evaluation.config import load_programme_config


def _analysis() -> pd.DataFrame:
    # 6 programme, 6 comparison people, all with a complete read-out; "c6" spent the whole
    # window in custody (no day at liberty) and is still counted in the per-100 frequency.
    return pd.DataFrame({
        "person_id": [f"t{i}" for i in range(1, 7)] + [f"c{i}" for i in range(1, 7)],
        "treated": [1] * 6 + [0] * 6,
        "n_reoffences": [0, 1, 0, 2, 0, 1, 3, 0, 2, 1, 0, 0],
        "reoffended": [0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0],
        "days_at_risk": [365, 300, 365, 200, 365, 100, 365, 365, 250, 365, 365, 0],
        "duration_days": [365, 120, 365, 40, 365, 90, 20, 365, 60, 200, 365, 365],
        "event": [0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0],
        "eligible_for_readout": [True] * 12,
        "cost": [0.0, 900, 0, 1800, 0, 900, 2700, 0, 1800, 900, 0, 0],
        "custody_sentence": [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],  # the custody rate (0411)
        "weight": 1.0, "cluster": range(12),
    })


def test_frequency_headline_is_reoffences_per_100_people():
    config = load_programme_config("iom")
    assert config.headline == "n_reoffences_diff"
    table, details = estimate_effects(_analysis(), config, "weight", "cluster")
    row = table.set_index("outcome").loc["n_reoffences_diff"]
    # programme: 4 reoffences / 6 people = 66.67 per 100; comparison: 6 / 6 = 100 per 100
    assert row["estimate"] == pytest.approx(400 / 6 - 100, abs=1e-9)
    assert row["role"] == "headline" and row["n"] == 12
    means = details["frequency_per_100"].set_index("term")["estimate"]
    assert means["mean_treated"] == pytest.approx(400 / 6) and means["mean_comparison"] == 100
    # the per-day-at-liberty rate ratio stays, as the same question on another scale, without
    # the person who had no day at liberty
    rate = table.set_index("outcome").loc["n_reoffences_rr"]
    assert rate["role"] == "supporting" and rate["n"] == 11


def test_every_row_carries_its_sample_and_the_jdl_gate():
    config = load_programme_config("iom")
    table, _ = estimate_effects(_analysis(), config, "weight", "cluster")
    row = table.set_index("outcome").loc["reoffended_rd"]
    assert (row["n_treated"], row["n_comparison"]) == (6, 6)
    assert (row["events_treated"], row["events_comparison"]) == (3, 3)
    assert not table["jdl_minimum_met"].any()  # 6 people per group is far below 60


@pytest.mark.parametrize("n_treated, n_comparison, events_treated, events_comparison, met", [
    (60, 60, 30, 30, True),
    (59, 200, 40, 40, False),   # fewer than 60 programme people
    (200, 59, 40, 40, False),   # fewer than 60 comparison people
    (200, 200, 29, 80, False),  # fewer than 30 programme people reoffending
    (200, 200, 80, 29, False),
])
def test_jdl_gate(n_treated, n_comparison, events_treated, events_comparison, met):
    sample = pd.DataFrame({
        "treated": [1] * n_treated + [0] * n_comparison,
        "reoffended": ([1] * events_treated + [0] * (n_treated - events_treated)
                       + [1] * events_comparison + [0] * (n_comparison - events_comparison)),
    })
    gate = jdl_gate(sample, "reoffended")
    assert gate == {"n_treated": n_treated, "n_comparison": n_comparison,
                    "events_treated": events_treated, "events_comparison": events_comparison,
                    "jdl_minimum_met": met}
