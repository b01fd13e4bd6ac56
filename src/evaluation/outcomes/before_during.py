"""Before/during offending per person and per cohort, IDIOM-style ("projected annual" figures).

How the Home Office IDIOM tracker annualises is not published [U], so the projection here is
written down and tested instead (docs/decisions/0008-before-during-projection.md):

- before window: days ``[d - before_days, d - 1]`` (d = index date);
- during window: days ``[d, d + during_days - 1]``, or ``[d, episode end]`` when ``end_col`` is
  given (an open episode runs to the cut-off); truncated at the data cut-off and at death;
- offences: proven (conviction or caution, not breach, as known at the cut-off), by offence date;
  costed with the unit-cost table;
- annualised = count / days observed * 365 (same for cost); with ``exclude_custody=True`` the
  days observed are days at liberty (custody days removed), and rows with no day at liberty in a
  window are excluded through the attrition ledger.

This is a one-group before/after comparison: people are selected at a peak of offending, so the
fall is partly regression to the mean, and offences late in the during window may not be proven
yet at the cut-off. It describes; it does not estimate an effect.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import Attrition

from ._common import (
    STAGE,
    base_exclusions,
    cutoff_day,
    days,
    death_days,
    isnat_days,
    require_columns,
    require_dates,
    start_ledger,
)
from .costs import resolve_unit_costs
from .reoffending import (
    INDEX_COLUMNS,
    OFFENCE_COLUMNS,
    PEOPLE_COLUMNS,
    PreparedOffences,
    prepared_for,
)

REASON_NO_LIBERTY = "no day at liberty in the before or during window"
DAYS_PER_YEAR = 365


def before_during(
    index: pd.DataFrame,
    offences: pd.DataFrame,
    people: pd.DataFrame,
    data_cutoff,
    *,
    before_days: int = 365,
    during_days: int = 365,
    end_col: str | None = None,
    exclude_custody: bool = False,
    unit_costs: str | Path | pd.DataFrame | None = None,
    attrition: Attrition | None = None,
    prepared: PreparedOffences | None = None,
) -> pd.DataFrame:
    """Per person-index row: offences and cost before and during, raw and annualised.

    ``prepared`` (built from these same tables) saves re-indexing the offences.
    """
    for name, v in (("before_days", before_days), ("during_days", during_days)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a whole number of days >= 1, got {v!r}")
    require_columns(index, "index", INDEX_COLUMNS + ([end_col] if end_col else []))
    require_columns(offences, "offences", OFFENCE_COLUMNS)
    require_columns(people, "people", PEOPLE_COLUMNS)
    require_dates(index, "index", ["index_date"] + ([end_col] if end_col else []))
    require_dates(offences, "offences", OFFENCE_COLUMNS[1:3] + OFFENCE_COLUMNS[5:])
    require_dates(people, "people", PEOPLE_COLUMNS[1:])
    costs = resolve_unit_costs(unit_costs)
    cut = cutoff_day(data_cutoff)
    ledger = start_ledger(index, attrition)

    frame, code = base_exclusions(index, people, cut, ledger)
    d = days(frame["index_date"])
    if end_col:
        end = days(frame[end_col])
        bad = ~isnat_days(end) & (end < d)
        if bad.any():
            rows = frame.index[bad][:10].tolist()
            raise ValueError(f"index.{end_col} is before index_date (rows {rows})")
        end = np.where(isnat_days(end), cut, end)
    else:
        end = d + during_days - 1
    end = np.minimum.reduce([end, np.full(len(d), cut), death_days(people, code)])
    b_first, b_last = d - before_days, d - 1

    ready = prepared_for(offences, people, cut, costs, prepared, data_cutoff)
    proven = ready.proven
    n = len(frame)
    counts, cost = {}, {}
    for label, first, last in (("before", b_first, b_last), ("during", d, end)):
        row, pos = proven.in_window(code, first, last)
        counts[label] = np.bincount(row, minlength=n)
        cost[label] = np.bincount(row, weights=proven.cost[pos], minlength=n)

    days_before = np.full(n, before_days, dtype=float)
    days_during = (end - d + 1).astype(float)
    spells = ready.spells
    cust_before = spells.days_in(code, b_first, b_last)
    cust_during = spells.days_in(code, d, end)
    denom_before = days_before - cust_before if exclude_custody else days_before
    denom_during = days_during - cust_during if exclude_custody else days_during

    out = frame.copy()
    out["days_before"] = days_before
    out["custody_days_before"] = cust_before
    out["offences_before"] = counts["before"]
    out["cost_before"] = cost["before"]
    out["days_during"] = days_during
    out["custody_days_during"] = cust_during
    out["offences_during"] = counts["during"]
    out["cost_during"] = cost["during"]
    no_days = (denom_before <= 0) | (denom_during <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["offences_before_pa"] = counts["before"] / denom_before * DAYS_PER_YEAR
        out["cost_before_pa"] = cost["before"] / denom_before * DAYS_PER_YEAR
        out["offences_during_pa"] = counts["during"] / denom_during * DAYS_PER_YEAR
        out["cost_during_pa"] = cost["during"] / denom_during * DAYS_PER_YEAR
    out = ledger.exclude(out, no_days, REASON_NO_LIBERTY, STAGE)
    out.attrs["before_during"] = {
        "before_days": before_days, "during_days": during_days, "end_col": end_col,
        "exclude_custody": exclude_custody, "data_cutoff": str(pd.Timestamp(data_cutoff).date()),
    }
    out.attrs["attrition"] = ledger
    return out


TABLE_COLUMNS = [
    "people",
    "offences_pre_pa", "offences_pre_per_person",
    "offences_during_pa", "offences_during_per_person", "offences_change_pct",
    "cost_pre_pa", "cost_pre_per_person",
    "cost_during_pa", "cost_during_per_person", "cost_change_gbp", "cost_change_pct",
]


def before_during_table(per_person: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Cohort totals and means, laid out like the IOM board tables (seed papers).

    Totals are sums of the per-person annualised figures ("projected annual offences"); per
    person = total / people; change % = 100 * (during - pre) / pre (NaN when pre is 0).
    """
    need = ["offences_before_pa", "offences_during_pa", "cost_before_pa", "cost_during_pa"]
    require_columns(per_person, "per_person", need + ([by] if by else []))
    if per_person[need].isna().any().any():
        raise ValueError("per_person has missing annualised values; pass before_during's result")
    keys = per_person[by] if by else pd.Series("all", index=per_person.index, name="cohort")
    g = per_person[need].groupby(keys, sort=True)
    t = g.sum()
    t.insert(0, "people", g.size())
    res = pd.DataFrame(index=t.index)
    res["people"] = t["people"].astype(np.int64)
    for short, col_pre, col_dur in (("offences", "offences_before_pa", "offences_during_pa"),
                                    ("cost", "cost_before_pa", "cost_during_pa")):
        res[f"{short}_pre_pa"] = t[col_pre]
        res[f"{short}_pre_per_person"] = t[col_pre] / t["people"]
        res[f"{short}_during_pa"] = t[col_dur]
        res[f"{short}_during_per_person"] = t[col_dur] / t["people"]
        if short == "cost":
            res["cost_change_gbp"] = t[col_dur] - t[col_pre]
        pre = t[col_pre].where(t[col_pre] != 0)
        res[f"{short}_change_pct"] = 100 * (t[col_dur] - t[col_pre]) / pre
    return res[TABLE_COLUMNS].reset_index()
