"""Unit-cost table: the shipped values match domain-facts §4, user tables are checked."""

import pandas as pd
import pytest

from evaluation.data.contract import OFFENCE_CATEGORIES
from evaluation.outcomes import derive_outcomes, load_unit_costs


def test_default_table_covers_contract_with_domain_fact_values_and_tags():
    t = load_unit_costs().set_index("offence_category")
    assert sorted(t.index) == sorted(OFFENCE_CATEGORIES)
    # domain-facts.md §4 (Heeks et al. 2018, 2015/16 prices)
    v2 = {"rape": 39360, "violence_with_injury": 14050, "robbery": 11320,
          "theft_of_vehicle": 10290, "arson": 8420, "other_sexual_offences": 6520,
          "criminal_damage": 1350, "theft_from_vehicle": 870}
    inferred = {"violence_without_injury": 5930, "domestic_burglary": 5930,
                "theft_from_person": 1380, "homicide": 3217740}
    for cat, cost in {**v2, **inferred}.items():
        assert t.loc[cat, "unit_cost_gbp"] == cost, cat
    assert (t.loc[list(v2), "tag"] == "[V2]").all()
    assert (t.loc[list(inferred), "tag"] == "[I]").all()
    # no published cost: explicit 0 with a note, never a blank
    for cat in ("commercial_burglary", "shoplifting", "other_theft", "drug_offences",
                "public_order", "breach"):
        assert t.loc[cat, "unit_cost_gbp"] == 0 and t.loc[cat, "note"]


def _user_table(tmp_path, drop=None, **override):
    t = load_unit_costs()
    if drop:
        t = t[t.offence_category != drop]
    for cat, cost in override.items():
        t.loc[t.offence_category == cat, "unit_cost_gbp"] = cost
    path = tmp_path / "costs.csv"
    t.to_csv(path, index=False)
    return path


def test_user_table_missing_category_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"no unit cost for offence category \['shoplifting'\]"):
        load_unit_costs(_user_table(tmp_path, drop="shoplifting"))


def test_user_table_negative_or_duplicate_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="must be a number >= 0.*robbery"):
        load_unit_costs(_user_table(tmp_path, robbery=-1))
    t = load_unit_costs()
    with pytest.raises(ValueError, match="more than once"):
        from evaluation.outcomes import check_unit_costs
        check_unit_costs(pd.concat([t, t.iloc[:1]]))


def test_user_table_is_used_and_costs_sum(tmp_path):
    # shoplifting priced at 100 by the user: 2 shoplifting (200) + robbery 11,320 = 11,520
    path = _user_table(tmp_path, shoplifting=100)
    off = pd.DataFrame({
        "person_id": ["a"] * 4,
        "offence_date": pd.to_datetime(["2020-02-01", "2020-02-01", "2020-03-01", "2020-03-02"]),
        "proven_date": pd.to_datetime(["2020-04-01"] * 4),
        "offence_category": ["shoplifting", "shoplifting", "robbery", "breach"],
        "outcome": ["conviction"] * 4,
        "custody_start": pd.NaT, "custody_release": pd.NaT,
    })
    ppl = pd.DataFrame({"person_id": ["a"], "date_of_birth": pd.to_datetime(["1990-01-01"]),
                        "date_of_death": pd.NaT})
    idx = pd.DataFrame({"person_id": ["a"], "index_date": pd.to_datetime(["2020-01-01"])})
    cut = pd.Timestamp("2023-01-01")
    assert derive_outcomes(idx, off, ppl, cut, unit_costs=path)["cost"].iloc[0] == 11520
    # default table: shoplifting 0 -> 11,320
    assert derive_outcomes(idx, off, ppl, cut)["cost"].iloc[0] == 11320
