"""The synthetic generator: contract, determinism, planted truths, confounding with overlap."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import statsmodels.api as sm

from evaluation.cohort.covariates import build_covariates
from evaluation.data.contract import CONTRACT, DISPOSED_OUTCOMES, TABLES
from evaluation.data.validate import validate_directory
from evaluation.synth import calibration_table, generate, write_world
from evaluation.synth.calibration import load_targets
from evaluation.synth.programmes import PT_PROGRESSION, THETA
from evaluation.synth.world import _earlier_same_person

SCALE = 0.1
_TYPES = {"date": "datetime64[ns]", "int": "Int64", "float": "float64", "bool": "boolean"}


@pytest.fixture(scope="module")
def world():
    return generate(seed=7, scale=SCALE)


@pytest.fixture(scope="module")
def written(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    write_world(world, out, fmt="parquet")
    return out


def _sha(paths):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_tables_have_exactly_the_contract_columns_and_types(world):
    assert set(world.tables) == set(TABLES)
    for name, frame in world.tables.items():
        spec = CONTRACT[name]
        assert list(frame.columns) == spec.column_names, name
        for col in spec.columns:
            expected = _TYPES.get(col.kind, "object")
            assert str(frame[col.name].dtype) == expected, (name, col.name)
        assert len(frame) > 0


def test_written_extract_passes_the_validator(written):
    violations = validate_directory(written)
    assert violations == [], [v.describe() for v in violations]


def test_contract_rules_hold_directly(world):
    off, people = world.tables["offences"], world.tables["people"]
    cutoff = pd.Timestamp(world.metadata["data_cutoff"])
    assert (off["proven_date"].notna() == off["outcome"].isin(DISPOSED_OUTCOMES)).all()
    assert not (off["proven_date"] < off["offence_date"]).any()
    custody = off["custody_start"].notna()
    assert (off.loc[custody, "outcome"] == "conviction").all()
    assert custody.any() and (off["outcome"] == "pending").any()
    dob = off["person_id"].map(people.set_index("person_id")["date_of_birth"])
    assert ((off["offence_date"] - dob).dt.days >= 10 * 365).all()
    dod = off["person_id"].map(people.set_index("person_id")["date_of_death"])
    assert not (off["offence_date"] > dod).any()
    for col in ("offence_date", "proven_date", "custody_start", "custody_release"):
        assert not (off[col] > cutoff).any()
    assert (off["proven_date"] - off["offence_date"]).dt.days.max() > 182  # long proof lags
    # no offending while in custody
    spells = off.loc[custody, ["person_id", "custody_start", "custody_release"]]
    j = spells.merge(off[["person_id", "offence_date"]], on="person_id")
    inside = (j["offence_date"] >= j["custody_start"]) & (
        j["offence_date"] < j["custody_release"].fillna(cutoff + pd.Timedelta(days=1)))
    assert not inside.any()


def test_metadata_and_parquet_say_synthetic(world, written):
    meta = json.loads((written / "extract.json").read_text())
    assert meta["synthetic"] is True and meta["data_cutoff"] == "2019-09-30"
    assert meta["seed"] == 7 and "SYNTHETIC" in meta["description"]
    kv = pq.read_schema(written / "offences.parquet").metadata
    assert kv[b"synthetic"] == b"true" and kv[b"seed"] == b"7"


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    a, b, c = (generate(seed=s, scale=0.04) for s in (11, 11, 12))
    for fmt in ("parquet", "csv"):
        ha = _sha(write_world(a, tmp_path / f"a_{fmt}", fmt=fmt))
        hb = _sha(write_world(b, tmp_path / f"b_{fmt}", fmt=fmt))
        hc = _sha(write_world(c, tmp_path / f"c_{fmt}", fmt=fmt))
        assert ha == hb
        assert ha[f"offences.{fmt}"] != hc[f"offences.{fmt}"]


def test_csv_round_trip_validates(world, tmp_path):
    write_world(world, tmp_path, fmt="csv")
    text = (tmp_path / "offences.csv").read_text().splitlines()
    assert text[1].count("-") >= 2 and "NaT" not in "".join(text[:200])
    assert validate_directory(tmp_path) == []


def test_truth_file_is_consistent(world):
    truth = world.truth["programmes"]
    assert set(truth) == {"iom", "new_chance", "princes_trust", "conditional_caution"}
    for name, t in truth.items():
        assert t["theta"] == THETA[name]
        assert t["n_treated"] > 0
    pt = truth["princes_trust"]  # the planted null
    assert 0.95 <= pt["hazard_ratio"] <= 1.05 and pt["risk_difference"] == 0
    for name in ("iom", "new_chance", "conditional_caution"):  # planted reductions
        assert truth[name]["rate_ratio"] < 1 and truth[name]["hazard_ratio"] < 1
    # count rate ratio tracks theta (thinning), within Monte Carlo noise at this scale
    assert abs(truth["new_chance"]["rate_ratio"] - 0.75) < 0.15
    assert abs(truth["iom"]["rate_ratio"] - 0.90) < 0.06
    n_cc = (world.tables["programme_episodes"]["disposal_type"] == "conditional_caution").sum()
    assert truth["conditional_caution"]["n_treated"] == n_cc


def _smd(x1, x0):
    return (x1.mean() - x0.mean()) / np.sqrt((x1.var() + x0.var()) / 2)


@pytest.mark.parametrize("programme, key, selection_cols", [
    ("iom", "iom_selection_score", ["iom_selection_score", "age_at_index", "prior_custody"]),
    ("princes_trust", "pt_risk_factors",
     ["pt_risk_factors", "age_at_index", "prior_recorded_ever"]),
    ("new_chance", "prior_recorded_ever", ["prior_recorded_ever", "age_at_index",
                                           "prior_proven_ever"]),
    ("conditional_caution", "prior_recorded_ever", ["prior_recorded_ever", "age_at_index",
                                                    "prior_convictions_ever"]),
])
def test_pools_are_confounded_but_overlap(world, programme, key, selection_cols):
    ep = world.tables["programme_episodes"]
    ep = ep[ep["programme"] == programme].rename(columns={"start_date": "index_date"})
    if programme == "conditional_caution":
        ep = ep[ep["disposal_type"] == "conditional_caution"]
    pool = world.tables["comparison_pool"]
    pool = pool[pool["programme"] == programme]
    frame = pd.concat([ep.assign(treated=1), pool.assign(treated=0)], ignore_index=True)
    frame = frame[["person_id", "index_date", "treated", *[c for c in (
        "iom_selection_score", "pt_risk_factors") if c in selection_cols]]]
    cov = build_covariates(frame, world.tables["offences"], world.tables["people"])
    t, c = cov[cov["treated"] == 1], cov[cov["treated"] == 0]
    assert 3 <= len(c) / len(t) <= 12
    smds = {col: abs(_smd(t[col].astype(float), c[col].astype(float)))
            for col in selection_cols}
    assert max(smds.values()) > 0.2, smds
    x = sm.add_constant(cov[selection_cols].astype(float))
    ps = sm.Logit(cov["treated"].astype(float), x).fit(disp=0).predict(x)
    lo, hi = ps[cov["treated"] == 0].min(), ps[cov["treated"] == 0].max()
    share_supported = ((ps[cov["treated"] == 1] >= lo) & (ps[cov["treated"] == 1] <= hi)).mean()
    assert share_supported > 0.9


def test_calibration_table_shape(world):
    table = calibration_table(world)
    assert list(table.columns) == ["target", "published", "generated", "tolerance",
                                   "within_tolerance", "source", "tag"]
    assert list(table["target"]) == list(load_targets()["target"])
    assert table["generated"].notna().all()


def test_earlier_same_person_counts_by_hand():
    # events: person 0 on days 5, 9, 9; person 2 on day 1
    e_row, e_day = np.array([0, 0, 0, 2]), np.array([5, 9, 9, 1])
    row, day = np.array([0, 0, 0, 1, 2, 2]), np.array([5, 9, 10, 7, 1, 2])
    # (0,5): none before; (0,9): day 5 only; (0,10): 5, 9, 9; (1,7): none; (2,1): none; (2,2): 1
    assert _earlier_same_person(e_row, e_day, row, day).tolist() == [0, 1, 3, 0, 0, 1]
    assert _earlier_same_person(e_row[:0], e_day[:0], row, day).tolist() == [0] * 6


def test_cc_pool_mirrors_the_treated_rule(world):
    """Pool: each person's first out-of-court disposal since the scheme began, kept when it
    is a simple caution; so no pool person had an earlier one (as no treated person had)."""
    off = world.tables["offences"]
    scheme_start = pd.Timestamp("2015-09-01")
    oocd = off[off["outcome"].isin(["simple_caution", "conditional_caution",
                                    "community_resolution"])
               & (off["proven_date"] >= scheme_start)]
    for kind in ("pool", "treated"):
        if kind == "pool":
            rows = world.tables["comparison_pool"]
            rows = rows[rows["programme"] == "conditional_caution"]
        else:
            rows = world.tables["programme_episodes"]
            rows = rows[rows["programme"] == "conditional_caution"].rename(
                columns={"start_date": "index_date"})
        j = rows[["person_id", "index_date"]].merge(oocd, on="person_id")
        assert not (j["proven_date"] < j["index_date"]).any(), kind


def test_progression_shares_hold_among_completers(world):
    ep = world.tables["programme_episodes"]
    done = ep[(ep["programme"] == "princes_trust") & ep["pt_completed"].fillna(False)]
    share = done["pt_progression"].value_counts(normalize=True)
    for name, expected in PT_PROGRESSION:  # allotted by rank: exact up to 1/n rounding
        assert abs(share.get(name, 0.0) - expected) <= 1.0 / len(done) + 1e-9, name
    assert ep.loc[(ep["programme"] == "princes_trust") & ~ep["pt_completed"].fillna(False),
                  "pt_progression"].isna().all()


@pytest.mark.slow
def test_planted_null_is_not_found_and_cc_effect_is_covered(tmp_path):
    """End to end on a 0.3-scale world: the Prince's Trust null (truth HR 1) and the
    conditional-caution effect lie inside the matched 95% intervals."""
    from evaluation.analysis.programme import evaluate_programme
    from evaluation.config import load_programme_config
    from evaluation.data.io import load_extract

    w = generate(seed=20190930, scale=0.3)
    write_world(w, tmp_path)
    extract = load_extract(tmp_path)
    for name in ("princes_trust", "conditional_caution"):
        est = evaluate_programme(load_programme_config(name), extract).estimates
        hr = est.set_index("outcome").loc["time_to_reoffence_hr"]
        truth = w.truth["programmes"][name]["hazard_ratio"]
        assert hr["lower"] <= truth <= hr["upper"], (name, hr[["estimate", "lower", "upper"]])


@pytest.mark.slow
def test_default_world_meets_every_calibration_target():
    world = generate()
    table = calibration_table(world)
    bad = table[~table["within_tolerance"]]
    assert bad.empty, bad[["target", "published", "generated", "tolerance"]].to_string()
    change = table.set_index("target").loc["iom_change_pct", "generated"]
    assert abs(change - (-53.6)) <= 5
    assert world.truth["programmes"]["iom"]["theta"] == 0.90


def test_truth_gives_the_frequency_per_100_from_the_potential_worlds(world):
    """The headline of IOM (JDL frequency per 100 people) has its planted value in truth.json:
    recomputed here from the two potential histories of the treated (as
    tests/integration/test_recovery.py does at full scale), and consistent with rate_ratio."""
    from dataclasses import replace

    from potential_counts import potential_window_counts

    from evaluation.synth import WorldParams

    params = replace(WorldParams(), n_people=int(round(WorldParams().n_people * SCALE)))
    for programme, counts in potential_window_counts(7, params).items():
        truth = world.truth["programmes"][programme]
        expected = 100 * (counts[0].mean() - counts[1].mean())
        assert truth["reoffences_per_100_diff"] == pytest.approx(expected, rel=1e-12, abs=1e-12)
        # the same totals as rate_ratio: difference = 100 x mean without x (ratio - 1)
        assert truth["reoffences_per_100_diff"] == pytest.approx(
            100 * counts[1].mean() * (truth["rate_ratio"] - 1), rel=1e-9, abs=1e-9)
    assert world.truth["programmes"]["princes_trust"]["reoffences_per_100_diff"] == 0
    assert world.truth["programmes"]["iom"]["reoffences_per_100_diff"] < 0  # theta 0.9
