"""Published figures against the same figures computed from the synthetic event tables.

Every generated value is computed from the four tables (as an analyst would), never from the
simulator's internal state, so the check also tests the tables. Counts are divided by the
world's ``scale``: targets are judged at scale 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.data.contract import PROVEN_OUTCOMES

TARGETS_FILE = Path(__file__).resolve().parents[3] / "data" / "reference" / \
    "calibration_targets.csv"
COUNT_TARGETS = {"iom_managed_people", "nc_referred", "pt_completers_per_year"}
PT_YEARS = 3.0  # Prince's Trust episodes start over three years


def load_targets(path: str | Path | None = None) -> pd.DataFrame:
    t = pd.read_csv(path or TARGETS_FILE)
    need = ["target", "value", "tolerance", "source", "tag"]
    missing = [c for c in need if c not in t.columns]
    if missing:
        raise ValueError(f"calibration targets file lacks columns {missing}")
    return t


def _proven(offences: pd.DataFrame) -> pd.DataFrame:
    keep = (offences["outcome"].isin(PROVEN_OUTCOMES) & offences["proven_date"].notna()
            & (offences["offence_category"] != "breach"))
    return offences.loc[keep, ["person_id", "offence_date", "proven_date"]]


def _window_counts(index: pd.DataFrame, proven: pd.DataFrame, first: int, last: int,
                   proven_within: int | None = None) -> np.ndarray:
    """Proven offences with offence_date in index + [first, last] days, per index row."""
    idx = index[["person_id", "index_date"]].reset_index(drop=True)
    idx["row"] = np.arange(len(idx))
    j = idx.merge(proven, on="person_id", how="inner")
    delta = (j["offence_date"] - j["index_date"]).dt.days
    ok = (delta >= first) & (delta <= last)
    if proven_within is not None:
        ok &= (j["proven_date"] - j["index_date"]).dt.days <= proven_within
    return np.bincount(j.loc[ok, "row"].to_numpy(), minlength=len(idx))


def iom_before_during(tables: dict[str, pd.DataFrame], cutoff: pd.Timestamp,
                      proven: pd.DataFrame | None = None) -> pd.DataFrame:
    """IDIOM-style per-person rates: before = days -365..-1, during = days 0..364, annualised
    by days observed (truncated at the cut-off and death)."""
    ep = tables["programme_episodes"]
    iom = ep.loc[ep["programme"] == "iom", ["person_id", "start_date"]].rename(
        columns={"start_date": "index_date"})
    proven = _proven(tables["offences"]) if proven is None else proven
    before = _window_counts(iom, proven, -365, -1)
    during = _window_counts(iom, proven, 0, 364)
    death = iom["person_id"].map(tables["people"].set_index("person_id")["date_of_death"])
    end = np.minimum((cutoff - iom["index_date"]).dt.days.to_numpy() + 1, 365)
    dd = (death - iom["index_date"]).dt.days.to_numpy() + 1
    end = np.where(np.isnan(dd), end, np.minimum(end, dd))
    return pd.DataFrame({"person_id": iom["person_id"].to_numpy(), "before": before,
                         "during": during / np.maximum(end, 1) * 365.0})


def one_year_rate(tables, index: pd.DataFrame, cutoff: pd.Timestamp,
                  proven: pd.DataFrame | None = None) -> float:
    """MoJ one-year proven reoffending among rows with a complete read-out."""
    full = index[(index["index_date"] + pd.Timedelta(days=365 + 182)) <= cutoff]
    proven = _proven(tables["offences"]) if proven is None else proven
    n = _window_counts(full, proven, 1, 365, proven_within=365 + 182)
    return float((n > 0).mean()) if len(n) else float("nan")


def generated_values(tables: dict[str, pd.DataFrame], scale: float = 1.0,
                     cutoff: str = "2019-09-30") -> dict[str, float]:
    cut = pd.Timestamp(cutoff)
    ep, pool, people = tables["programme_episodes"], tables["comparison_pool"], tables["people"]
    sex = people.set_index("person_id")["sex"]
    v: dict[str, float] = {}
    iom = ep[ep["programme"] == "iom"]
    v["iom_managed_people"] = len(iom) / scale
    v["iom_female_share"] = float((iom["person_id"].map(sex) == "F").mean())
    proven = _proven(tables["offences"])  # once: the slowest step on 2 million offences
    bd = iom_before_during(tables, cut, proven)
    v["iom_before_rate"] = float(bd["before"].mean())
    v["iom_during_rate"] = float(bd["during"].mean())
    v["iom_change_pct"] = 100.0 * (v["iom_during_rate"] / v["iom_before_rate"] - 1.0)
    nc = ep[ep["programme"] == "new_chance"]
    v["nc_referred"] = len(nc) / scale
    for col in ("nc_need_attitudes", "nc_need_accommodation", "nc_need_education",
                "nc_need_mental_health", "nc_domestic_abuse_victim"):
        v[col] = float(nc[col].astype(float).mean())
    pt = ep[ep["programme"] == "princes_trust"]
    done = pt[pt["pt_completed"].fillna(False).astype(bool)]
    v["pt_completers_per_year"] = len(done) / PT_YEARS / scale
    v["pt_share_4plus_risk"] = float((done["pt_risk_factors"] >= 4).mean())
    v["pt_positive_progression"] = float((done["pt_progression"] != "none").mean())
    cc = ep[ep["programme"] == "conditional_caution"].rename(columns={"start_date": "index_date"})
    for disposal in ("conditional_caution", "community_resolution"):
        v[f"cc_reoffending_{disposal}"] = one_year_rate(
            tables, cc[cc["disposal_type"] == disposal], cut, proven)
    sc = pool[(pool["programme"] == "conditional_caution")
              & (pool["disposal_type"] == "simple_caution")]
    v["cc_reoffending_simple_caution"] = one_year_rate(tables, sc, cut, proven)
    return v


def calibration_table(world, targets: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per target: published, generated (from the tables), tolerance, within it?"""
    t = targets if isinstance(targets, pd.DataFrame) else load_targets(targets)
    gen = generated_values(world.tables, getattr(world, "scale", 1.0),
                           world.metadata.get("data_cutoff", "2019-09-30"))
    unknown = sorted(set(t["target"]) - set(gen))
    if unknown:
        raise ValueError(f"calibration targets with no generated value: {unknown}")
    out = pd.DataFrame({
        "target": t["target"],
        "published": t["value"].astype(float),
        "generated": t["target"].map(gen).astype(float),
        "tolerance": t["tolerance"].astype(float),
    })
    out["within_tolerance"] = (out["generated"] - out["published"]).abs() <= out["tolerance"]
    out["source"] = t["source"]
    out["tag"] = t["tag"]
    return out
