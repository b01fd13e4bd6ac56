"""Index-offence covariates (decision 0410) on a hand-built extract; every expected value is
worked out by hand in a comment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.cohort.covariates import build_covariates
from evaluation.cohort.index_offence import SERIOUSNESS_BAND, band_from_cost
from evaluation.outcomes.costs import resolve_unit_costs

COLS = ["offence_id", "person_id", "offence_date", "proven_date", "offence_category", "outcome",
        "custody_start", "custody_release"]
PEOPLE = pd.DataFrame({
    "person_id": list("ABCDE"),
    "sex": ["M", "F", "M", "F", "M"],
    "date_of_birth": pd.to_datetime(["1990-01-01"] * 5),
    "ethnicity_group": ["white"] * 5,
    "area": ["dudley"] * 5,
    "date_of_death": pd.to_datetime([None] * 5),
})
OFFENCES = pd.DataFrame([
    # A, index 2020-03-01: the latest offence on or before it is a2 (2020-02-01, robbery,
    # band 3, acquisitive), convicted 2020-02-20 with custody from 2020-02-20: "custody".
    ("a1", "A", "2019-06-01", "2019-07-01", "shoplifting", "conviction", None, None),
    ("a2", "A", "2020-02-01", "2020-02-20", "robbery", "conviction", "2020-02-20", "2020-08-01"),
    # a3 comes after the index date: never the index offence.
    ("a3", "A", "2020-04-01", "2020-05-01", "homicide", "conviction", None, None),
    # B, index 2020-03-01 = the offence day of two offences: the tie goes to the higher band,
    # violence_with_injury (3) over criminal_damage (2); it is disposed later (2020-04-01), so
    # on the index date it is "not_disposed". The breach on a later day is never an index.
    ("b1", "B", "2020-03-01", "2020-04-01", "criminal_damage", "simple_caution", None, None),
    ("b2", "B", "2020-03-01", "2020-04-01", "violence_with_injury", "conviction", None, None),
    ("b3", "B", "2020-02-28", None, "breach", "pending", None, None),
    # C, index 2020-03-01: a conditional caution given on the index day itself for a
    # shoplifting (band 1, acquisitive): disposal "caution".
    ("c1", "C", "2020-02-10", "2020-03-01", "shoplifting", "conditional_caution", None, None),
    # D: only a breach, so no index offence: "none", band 0.
    ("d1", "D", "2019-01-01", None, "breach", "pending", None, None),
    # E: a community resolution for public order (band 1, other) before the index.
    ("e1", "E", "2019-12-01", "2019-12-05", "public_order", "community_resolution", None, None),
], columns=COLS)
for _c in ("offence_date", "proven_date", "custody_start", "custody_release"):
    OFFENCES[_c] = pd.to_datetime(OFFENCES[_c])


@pytest.fixture(scope="module")
def covariates() -> pd.DataFrame:
    index = pd.DataFrame({"person_id": list("ABCDE"),
                          "index_date": pd.to_datetime(["2020-03-01"] * 5)})
    return build_covariates(index, OFFENCES, PEOPLE).set_index("person_id")


@pytest.mark.parametrize(("person", "category", "group", "band", "disposal"), [
    ("A", "robbery", "acquisitive", 3, "custody"),
    ("B", "violence_with_injury", "violence", 3, "not_disposed"),
    ("C", "shoplifting", "acquisitive", 1, "caution"),
    ("D", "none", "none", 0, "none"),
    ("E", "public_order", "other", 1, "community_resolution"),
])
def test_index_offence_and_band_known_by_hand(covariates, person, category, group, band,
                                              disposal):
    row = covariates.loc[person]
    assert row["index_offence_category"] == category
    assert row["index_offence_group"] == group
    assert row["index_offence_band"] == band
    assert row["index_disposal"] == disposal


def test_disposal_is_as_known_on_the_index_date_not_later():
    # A's robbery looked at on 2020-02-10: committed, not yet convicted, no custody yet.
    index = pd.DataFrame({"person_id": ["A"], "index_date": pd.to_datetime(["2020-02-10"])})
    row = build_covariates(index, OFFENCES, PEOPLE).iloc[0]
    assert (row["index_offence_category"], row["index_disposal"]) == ("robbery", "not_disposed")


def test_bands_follow_the_unit_cost_table_where_a_cost_is_published():
    costs = resolve_unit_costs(None)
    published = costs.loc[costs["unit_cost_gbp"] > 0]
    for cat, cost in zip(published["offence_category"], published["unit_cost_gbp"],
                         strict=True):
        assert SERIOUSNESS_BAND[cat] == band_from_cost(float(cost)), cat
    assert len(published) >= 10  # the check covers most categories


def test_the_configured_covariates_change_the_propensity_model():
    # conditional cautions list the index offence by default; without it the model differs
    import numpy as np

    from evaluation.config import load_programme_config
    from evaluation.design.build import fit_propensity

    rng = np.random.default_rng(7)
    n = 200
    band = rng.integers(1, 4, n)
    treated = (rng.uniform(size=n) < 0.2 + 0.2 * (band == 3)).astype(int)  # band 3 more often
    frame = pd.DataFrame({
        "treated": treated, "age_at_index": rng.uniform(18, 60, n),
        "sex": rng.choice(["F", "M"], n), "ethnicity_group": rng.choice(["white", "asian"], n),
        "index_year": rng.integers(2016, 2019, n),
        **{c: rng.poisson(1.0, n) for c in ("prior_proven_1y", "prior_proven_ever",
                                            "prior_convictions_ever", "prior_recorded_ever",
                                            "prior_violence", "prior_acquisitive")},
        "prior_custody": rng.integers(0, 2, n), "days_since_last_offence": rng.uniform(1, 900, n),
        "index_offence_group": rng.choice(["violence", "acquisitive", "other"], n),
        "index_offence_band": band,
    })
    config = load_programme_config("conditional_caution")
    assert "index_offence_band" in config.covariates.include
    without = config.with_overrides({
        "covariates.include": [c for c in config.covariates.include
                               if not c.startswith("index_offence")],
        "covariates.categorical": ["sex", "ethnicity_group"]})
    on, off = fit_propensity(frame, config), fit_propensity(frame, without)
    terms_on, terms_off = set(on.summary_["term"]), set(off.summary_["term"])
    assert "index_offence_band" in terms_on and "index_offence_band" not in terms_off
    assert any(t.startswith("index_offence_group") for t in terms_on - terms_off)
    assert not np.allclose(on.propensity_.to_numpy(), off.propensity_.to_numpy())


def test_a_category_covariate_must_be_declared_categorical():
    from evaluation.config import ConfigError, load_programme_config

    config = load_programme_config("iom")
    with pytest.raises(ConfigError, match="index_disposal.*covariates.categorical"):
        config.with_overrides({"covariates.include": [*config.covariates.include,
                                                      "index_disposal"]})


def test_tie_break_matches_a_row_by_row_oracle_on_both_paths():
    """The per-row packed maximum (pairs grouped by row, as covariates build them) and the
    lexsort (any order) pick the pair a direct per-row sort by the rule picks, with many ties
    on day, band and category."""
    from evaluation.cohort.index_offence import _first_by_rank

    rng = np.random.default_rng(7)
    n_rows, per_row = 300, 6
    r = np.repeat(np.arange(n_rows), rng.integers(1, per_row, n_rows))
    p = np.arange(len(r)) * 3 + rng.integers(0, 3, len(r))  # ascending within each row
    od = rng.integers(18000, 18004, len(r))  # few days: many ties
    band = rng.integers(0, 4, len(r))
    rank = rng.integers(0, 19, len(r))
    want = {}
    for i in range(len(r)):
        k = (-od[i], -band[i], rank[i], p[i])
        if r[i] not in want or k < want[r[i]][0]:
            want[r[i]] = (k, p[i])
    fast = _first_by_rank(r, p, od, band, rank)
    assert p[fast].tolist() == [want[x][1] for x in sorted(want)]
    shuffle = rng.permutation(len(r))  # not grouped: the lexsort path
    slow = _first_by_rank(r[shuffle], p[shuffle], od[shuffle], band[shuffle], rank[shuffle])
    assert p[shuffle][slow].tolist() == [want[x][1] for x in sorted(want)]


def test_label_codes_read_text_and_categorical_columns_alike():
    from evaluation.frames import label_codes

    values = pd.Series(["b", "a", None, "zz", "a"], dtype=object)
    text = label_codes(values, ("a", "b", "c"))
    assert text.tolist() == [1, 0, -1, -1, 0]  # empty and unknown: -1
    assert label_codes(values.astype("category"), ("a", "b", "c")).tolist() == text.tolist()
