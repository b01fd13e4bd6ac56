"""Proven reoffending outcomes (Ministry of Justice definitions) from event-level records.

One row per person-index row: the binary rate and frequency (``reoffended``, ``n_reoffences``,
``cost``), the custody rate (``custody_sentence``: a counted reoffence led to a custodial
sentence starting by the end of the waiting period; decision 0411), time to first proven reoffence as censored survival data (``duration_days``,
``event``, ``censor_reason``) and exposure (``days_observed``, ``days_in_custody``,
``days_at_risk``). The rules, each with its decision record in docs/decisions/:

- a reoffence is an offence committed on day 1..window_days after the index date (the index day
  itself is day 0 and never counts: 0002), proven by conviction or caution (contract
  ``PROVEN_OUTCOMES``) with ``proven_date <= index + window + waiting`` (0001); breaches never
  count; several offences on one day each count (0003);
- survival time runs to the first such offence, censored at the end of the window, at death, at
  the data cut-off less the waiting period (so every counted offence had the full waiting period
  to be proven) or, with ``custody="censor"``, at the first custody day (0004, 0005);
- rows whose read-out is incomplete (index + window + waiting > cut-off) keep valid survival
  data but have no rate/frequency/cost (NaN), or are excluded with ``too_late="exclude"`` (0006).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.data.contract import PROVEN_OUTCOMES

from ._common import (
    STAGE,
    SortedEvents,
    base_exclusions,
    cutoff_day,
    days,
    death_days,
    expand,
    first_per_row,
    isnat_days,
    people_index,
    person_codes,
    readout_reason,
    require_columns,
    require_dates,
    start_ledger,
)
from .costs import category_codes, cost_vector, resolve_unit_costs
from .custody import CustodySpells

INDEX_COLUMNS = ["person_id", "index_date"]
OFFENCE_COLUMNS = [
    "person_id", "offence_date", "proven_date", "offence_category", "outcome",
    "custody_start", "custody_release",
]
PEOPLE_COLUMNS = ["person_id", "date_of_birth", "date_of_death"]
CENSOR_REASONS = ("reoffended", "death", "custody", "data_cutoff", "end_of_window")
OUTCOME_COLUMNS = [
    "eligible_for_readout", "reoffended", "n_reoffences", "cost", "custody_sentence",
    "duration_days", "event",
    "censor_reason", "days_observed", "days_in_custody", "days_at_risk",
]


@dataclass(frozen=True)
class OutcomeSpec:
    """Read-out parameters. ``OutcomeSpec.for_months(6)`` gives the six-month read-out.

    ``custody``: "exclude_time" keeps survival in calendar time and removes custody days from
    ``days_at_risk``; "censor" also censors survival time at the first custody day.
    ``too_late``: "keep" rows whose read-out is incomplete (survival only) or "exclude" them.
    """

    window_days: int = 365
    waiting_days: int = 182
    custody: Literal["exclude_time", "censor"] = "exclude_time"
    too_late: Literal["keep", "exclude"] = "keep"

    def __post_init__(self):
        for name in ("window_days", "waiting_days"):
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool):
                raise ValueError(f"{name} must be a whole number of days, got {v!r}")
        if self.window_days < 1:
            raise ValueError(f"window_days must be >= 1, got {self.window_days}")
        if self.waiting_days < 0:
            raise ValueError(f"waiting_days must be >= 0, got {self.waiting_days}")
        if self.custody not in ("exclude_time", "censor"):
            raise ValueError(f"custody must be 'exclude_time' or 'censor', got {self.custody!r}")
        if self.too_late not in ("keep", "exclude"):
            raise ValueError(f"too_late must be 'keep' or 'exclude', got {self.too_late!r}")

    @classmethod
    def for_months(cls, months: int, **kwargs) -> OutcomeSpec:
        """Window of ``round(months * 365 / 12)`` days: 3 -> 91, 6 -> 182, 12 -> 365, 24 -> 730."""
        return cls(window_days=int(round(months * 365 / 12)), **kwargs)

    def as_kwargs(self) -> dict:
        return asdict(self)


def _check_inputs(index, offences, people) -> None:
    require_columns(index, "index", INDEX_COLUMNS)
    require_columns(offences, "offences", OFFENCE_COLUMNS)
    require_columns(people, "people", PEOPLE_COLUMNS)
    require_dates(index, "index", ["index_date"])
    require_dates(offences, "offences", OFFENCE_COLUMNS[1:3] + OFFENCE_COLUMNS[5:])
    require_dates(people, "people", PEOPLE_COLUMNS[1:])
    clash = [c for c in OUTCOME_COLUMNS if c in index.columns]
    if clash:
        raise ValueError(f"index already has outcome column(s) {clash}; drop them first")


def offence_codes(offences: pd.DataFrame, people: pd.DataFrame,
                  index: pd.Index | None = None) -> np.ndarray:
    code = person_codes(people, offences["person_id"], index)
    if (code < 0).any():
        rows = offences.index[code < 0][:10].tolist()
        raise ValueError(f"offences.person_id not in people (rows {rows}); validate the extract")
    return code


def proven_mask(offences: pd.DataFrame) -> np.ndarray:
    """Proven (conviction or caution), not a breach, with a proven date."""
    return (
        offences["outcome"].isin(PROVEN_OUTCOMES).to_numpy()
        & (offences["offence_category"] != "breach").to_numpy()
        & offences["proven_date"].notna().to_numpy()
    )


class ProvenOffences:
    """Proven non-breach offences sorted by (person, offence day), with proven day and cost."""

    def __init__(self, offences: pd.DataFrame, off_code: np.ndarray, unit_cost: np.ndarray):
        keep = proven_mask(offences)
        cat = category_codes(offences["offence_category"])[keep]
        off_day = days(offences["offence_date"])[keep]
        if isnat_days(off_day).any():
            raise ValueError("offences.offence_date is missing on proven offences")
        self.events = SortedEvents(off_code[keep], off_day)
        o = self.events.order
        self.day = off_day[o]
        self.proven = days(offences["proven_date"])[keep][o]
        self.cost = unit_cost[cat][o]
        self.custody = days(offences["custody_start"])[keep][o]  # NAT_DAY: no custody

    def in_window(self, code, first_day, last_day):
        """(row, position) for every proven offence with first_day <= offence day <= last_day."""
        return expand(*self.events.ranges(code, first_day, last_day))


class PreparedOffences:
    """The offences of one extract indexed once (person lookup, sorting, custody spells).

    Why: that indexing is most of the cost of ``derive_outcomes``, and an evaluation derives
    outcomes several times from the same extract (matched set, whole pool, each read-out).
    It is tied to the very tables, cut-off and unit costs it was built from; passing it with
    other ones is an error, not a silent mismatch.
    """

    def __init__(self, offences: pd.DataFrame, people: pd.DataFrame, data_cutoff,
                 unit_costs: str | Path | pd.DataFrame | None = None):
        self.offences, self.people = offences, people
        self.cut = cutoff_day(data_cutoff)
        self.costs = cost_vector(resolve_unit_costs(unit_costs))
        self.people_index = people_index(people)
        self.off_code = offence_codes(offences, people, self.people_index)
        self.proven = ProvenOffences(offences, self.off_code, self.costs)
        self.spells = CustodySpells(offences, self.off_code, self.cut)

    def check_matches(self, offences: pd.DataFrame, people: pd.DataFrame, cut: int,
                      costs: np.ndarray) -> None:
        if offences is not self.offences or people is not self.people:
            raise ValueError("prepared offences were built from other offences/people tables")
        if cut != self.cut:
            raise ValueError("prepared offences were built for another data cut-off")
        if not np.array_equal(costs, self.costs):
            raise ValueError("prepared offences were built with other unit costs")


def prepared_for(offences: pd.DataFrame, people: pd.DataFrame, cut: int, costs: pd.DataFrame,
                 prepared: PreparedOffences | None, data_cutoff) -> PreparedOffences:
    """``prepared`` after checking it was built from these inputs; else a new index."""
    if prepared is None:
        return PreparedOffences(offences, people, data_cutoff, costs)
    prepared.check_matches(offences, people, cut, cost_vector(costs))
    return prepared


def derive_outcomes(
    index: pd.DataFrame,
    offences: pd.DataFrame,
    people: pd.DataFrame,
    data_cutoff,
    *,
    window_days: int = 365,
    waiting_days: int = 182,
    custody: Literal["exclude_time", "censor"] = "exclude_time",
    too_late: Literal["keep", "exclude"] = "keep",
    unit_costs: str | Path | pd.DataFrame | None = None,
    attrition: Attrition | None = None,
    prepared: PreparedOffences | None = None,
) -> pd.DataFrame:
    """Outcome columns for each analysable index row (extra index columns carried through).

    Rows that cannot be analysed go through ``attrition`` (stage "outcomes") with a named
    reason; pass your own ``Attrition`` to chain stages (it is also in ``result.attrs``).
    ``prepared`` (built from these same tables) saves re-indexing the offences.
    Rate columns are int64 when every row is eligible, else float64 with NaN where not.
    """
    spec = OutcomeSpec(window_days, waiting_days, custody, too_late)
    _check_inputs(index, offences, people)
    costs = resolve_unit_costs(unit_costs)
    cut = cutoff_day(data_cutoff)
    ledger = start_ledger(index, attrition)

    ready = prepared_for(offences, people, cut, costs, prepared, data_cutoff)
    frame, code = base_exclusions(index, people, cut, ledger, ready.people_index)
    idx = days(frame["index_date"])
    window_end = idx + spec.window_days
    eligible = window_end + spec.waiting_days <= cut
    if spec.too_late == "exclude":
        frame = ledger.exclude(frame, ~eligible, readout_reason(spec.window_days), STAGE)
        code, idx, window_end = code[eligible], idx[eligible], window_end[eligible]
        eligible = eligible[eligible]
    n = len(frame)

    proven, spells = ready.proven, ready.spells
    death = death_days(people, code)
    effective_cut = cut - spec.waiting_days

    # binary / frequency / cost: offences on day 1..window, proven within window + waiting
    row, pos = proven.in_window(code, idx + 1, window_end)
    ok = proven.proven[pos] <= np.minimum(window_end + spec.waiting_days, cut)[row]
    row, pos = row[ok], pos[ok]
    n_re = np.bincount(row, minlength=n)
    cost = np.bincount(row, weights=proven.cost[pos], minlength=n)
    sentenced = ~isnat_days(proven.custody[pos]) & (
        proven.custody[pos] <= np.minimum(window_end + spec.waiting_days, cut)[row])
    custody_sentence = (np.bincount(row[sentenced], minlength=n) > 0).astype(np.int64)

    # survival: censoring candidates in priority order for ties (death first)
    never = np.full(n, np.iinfo(np.int32).max, dtype=np.int64)
    custody_day = spells.first_day_from(code, idx) if spec.custody == "censor" else never
    candidates = np.vstack([death, custody_day, np.full(n, effective_cut), window_end])
    which = np.argmin(candidates, axis=0)
    censor_day = candidates[which, np.arange(n)]
    counted = proven.day[pos] <= censor_day[row]  # an event on the censoring day still counts
    ev_row, ev_pos = row[counted], pos[counted]
    firsts = first_per_row(ev_row)
    event = np.zeros(n, dtype=np.int64)
    event[ev_row[firsts]] = 1
    end_day = censor_day.copy()
    end_day[ev_row[firsts]] = proven.day[ev_pos[firsts]]
    duration = np.maximum(end_day - idx, 0).astype(float)
    reason = np.array(CENSOR_REASONS[1:], dtype=object)[which]
    reason[event == 1] = "reoffended"

    # exposure: observed days 1..obs_end (end of window, death, effective cut-off)
    obs_end = np.minimum.reduce([window_end, death, np.full(n, effective_cut)])
    observed = np.maximum(obs_end - idx, 0)
    in_custody = spells.days_in(code, idx + 1, obs_end)

    out = frame.copy()
    out["eligible_for_readout"] = eligible
    reoffended = (n_re > 0).astype(np.int64)
    rates = {"reoffended": reoffended, "n_reoffences": n_re, "cost": cost,
             "custody_sentence": custody_sentence}
    for col, values in rates.items():
        out[col] = values if eligible.all() else np.where(eligible, values, np.nan)
    out["duration_days"] = duration
    out["event"] = event
    out["censor_reason"] = reason
    out["days_observed"] = observed.astype(float)
    out["days_in_custody"] = in_custody
    out["days_at_risk"] = observed - in_custody
    out.attrs["outcome_spec"] = spec.as_kwargs()
    out.attrs["data_cutoff"] = str(pd.Timestamp(data_cutoff).date())
    out.attrs["attrition"] = ledger
    return out


def restrict_to_readout(outcomes: pd.DataFrame, attrition: Attrition) -> pd.DataFrame:
    """Keep rows with a complete read-out, excluding the rest with the named reason.

    For the binary rate and frequency after ``derive_outcomes(..., too_late="keep")``.
    """
    spec = outcomes.attrs.get("outcome_spec")
    if spec is None:
        raise ValueError("outcomes has no attrs['outcome_spec']; pass derive_outcomes' result")
    mask = ~outcomes["eligible_for_readout"].astype(bool)
    kept = attrition.exclude(outcomes, mask, readout_reason(spec["window_days"]), STAGE)
    kept = kept.copy()
    for c in ("reoffended", "n_reoffences", "custody_sentence"):
        kept[c] = kept[c].astype(np.int64)
    return kept


def prepared_offences(extract) -> PreparedOffences:
    """The extract's offences indexed once for every outcome derivation on it (default costs).

    Kept in ``extract.derived`` so the extract layer need not know about outcomes."""
    key = "outcomes.prepared_offences"
    if key not in extract.derived:
        extract.derived[key] = PreparedOffences(
            extract.tables["offences"], extract.tables["people"], extract.data_cutoff)
    return extract.derived[key]
