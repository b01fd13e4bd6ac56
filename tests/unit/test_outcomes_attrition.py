"""Every index row is analysed or excluded with a named reason; counts reconcile by group."""

import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.outcomes import before_during, derive_outcomes, restrict_to_readout

T = pd.Timestamp


def frames():
    ppl = pd.DataFrame({
        "person_id": ["ok1", "ok2", "nodob", "dead", "late", "late2"],
        "date_of_birth": pd.to_datetime(["1990-01-01", "1990-01-01", None, "1990-01-01",
                                         "1990-01-01", "1990-01-01"]),
        "date_of_death": pd.to_datetime([None, None, None, "2019-12-31", None, None]),
    })
    idx = pd.DataFrame({
        "person_id": ["ok1", "ok2", "nodob", "dead", "ghost", "late", "late2", "ok1", "after"],
        "index_date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-01", "2020-01-01",
                                      "2020-01-01", "2021-06-01", "2021-06-01", None,
                                      "2020-01-01"]),
        "treated": [1, 0, 1, 0, 1, 1, 0, 0, 1],
    })
    idx.loc[8, "person_id"] = "ok2"
    idx.loc[8, "index_date"] = T("2022-06-01")  # after the cut-off
    off = pd.DataFrame({
        "person_id": ["ok1"], "offence_date": pd.to_datetime(["2020-02-01"]),
        "proven_date": pd.to_datetime(["2020-03-01"]), "offence_category": ["robbery"],
        "outcome": ["conviction"], "custody_start": pd.NaT, "custody_release": pd.NaT,
    })
    return idx, off, ppl


CUT = T("2022-01-01")  # late rows: 2021-06-01 + 547 days > 2022-01-01


def test_each_reason_named_and_counts_reconcile():
    # 9 rows: missing index date 1 (treated 0), ghost 1 (t1), no dob 1 (t1), dead 1 (t0),
    # after cut-off 1 (t1), too late for the read-out 2 (t1, t0) -> analysed ok1, ok2 = 2
    idx, off, ppl = frames()
    ledger = Attrition(group_col="treated")
    out = derive_outcomes(idx, off, ppl, CUT, too_late="exclude", attrition=ledger)
    assert sorted(out["person_id"]) == ["ok1", "ok2"]
    ex = ledger.excluded_by_reason()
    by = ex.groupby("reason")["n_excluded"].sum().to_dict()
    assert by == {
        "index date missing": 1, "person id not in people table": 1,
        "date of birth missing": 1, "died before the index date": 1,
        "index date after the data cut-off": 1, "index date too late for the 365-day read-out": 2,
    }
    ledger.check_reconciles(out)
    assert len(idx) == len(out) + ex["n_excluded"].sum()
    # treated: received 5 = ghost + nodob + after + late -> analysed ok1 only
    assert ex[ex.group == "1"]["n_excluded"].sum() == 4


def test_keep_then_restrict_gives_the_same_ledger_total():
    idx, off, ppl = frames()
    ledger = Attrition()
    kept = derive_outcomes(idx, off, ppl, CUT, attrition=ledger)
    assert len(kept) == 4 and (~kept.eligible_for_readout).sum() == 2  # late rows kept
    rate = restrict_to_readout(kept, ledger)
    assert len(rate) == 2 and rate["reoffended"].tolist() == [1, 0]
    ledger.check_reconciles(rate)


def test_before_during_uses_the_same_reasons():
    idx, off, ppl = frames()
    ledger = Attrition()
    out = before_during(idx, off, ppl, CUT, attrition=ledger)
    assert len(out) == 4  # no read-out rule here: late rows stay
    ledger.check_reconciles(out)


def test_frames_derived_from_outcomes_share_the_one_ledger():
    # pandas deep-copies DataFrame.attrs on every operation; the ledger must not be copied
    # (a copy records exclusions nobody reads, and copying cost seconds per evaluation)
    idx, off, ppl = frames()
    ledger = Attrition()
    out = derive_outcomes(idx, off, ppl, CUT, attrition=ledger)
    derived = out.assign(x=1).sort_values("person_id")
    assert derived.attrs["attrition"] is ledger
    rate = restrict_to_readout(derived, derived.attrs["attrition"])
    ledger.check_reconciles(rate)
