"""Every input record accounted for: each programme episode, comparison-pool row and person of
the extract is either in a programme's attrition ledger (analysed, or excluded with a reason)
or outside every evaluated programme, with that reason.

Why: a ledger that reconciles with itself (received - excluded = analysed) can still have been
handed the wrong rows; this check ties each ledger's "received" back to the extract's own
tables, so no record can fall between the extract and the ledgers unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.cohort.build import COMPARISON, TREATED

NOT_EVALUATED = "programme not evaluated in this run"
HISTORY_ONLY = "in no evaluated programme or pool (offences read as history only)"
TABLE_GROUP = {"programme_episodes": TREATED, "comparison_pool": COMPARISON}


class RecordsNotReconciled(AssertionError):
    """Some input records are in no ledger and have no reason: a fault in the toolkit."""


def _ledger_counts(ledger: Attrition, group: str) -> tuple[int, int]:
    flow = ledger.table()
    mine = flow.loc[flow["group"] == group]
    received = int(mine.loc[mine["reason"] == "received", "n_before"].sum())
    return received, int(mine["n_excluded"].sum())


def reconcile_records(tables: Mapping[str, pd.DataFrame], ledgers: Mapping[str, Attrition],
                      analysed: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per (table, programme) and one for people: records in the extract, received
    by a ledger, excluded with a reason, analysed, and accounted otherwise (with the reason).

    ``ledgers`` maps a programme code to its ledger; ``analysed`` (optional) its analysis
    frame, whose rows per group must equal received - excluded. Raises
    ``RecordsNotReconciled`` when any count does not add up."""
    rows, problems = [], []
    for table, group in TABLE_GROUP.items():
        frame = tables[table]
        for code, n in frame["programme"].astype(str).value_counts().sort_index().items():
            row = {"table": table, "programme": code, "records": int(n)}
            if code not in ledgers:
                row.update(received=0, excluded=0, analysed=0, other=int(n),
                           other_reason=NOT_EVALUATED)
            else:
                received, excluded = _ledger_counts(ledgers[code], group)
                row.update(received=received, excluded=excluded,
                           analysed=received - excluded, other=0, other_reason="")
                if analysed is not None and code in analysed:
                    got = int((analysed[code]["treated"] == int(group == TREATED)).sum())
                    if got != received - excluded:
                        problems.append(f"{code} {group}: received {received} - excluded "
                                        f"{excluded} != analysed {got}")
            if row["received"] + row["other"] != row["records"]:
                problems.append(f"{table} {code}: {row['records']} records, "
                                f"{row['received']} received by the ledger")
            rows.append(row)
    people = tables["people"]["person_id"]
    referenced = set()
    for table in TABLE_GROUP:
        frame = tables[table]
        referenced |= set(frame.loc[frame["programme"].astype(str).isin(ledgers),
                                    "person_id"])
    unknown = referenced - set(people)
    if unknown:
        problems.append(f"{len(unknown)} person_id(s) in episodes or pool rows are not in people")
    in_ledger = int(people.isin(referenced).sum())
    rows.append({"table": "people", "programme": "", "records": int(len(people)),
                 "received": in_ledger, "excluded": 0, "analysed": 0,
                 "other": int(len(people)) - in_ledger, "other_reason": HISTORY_ONLY})
    if problems:
        raise RecordsNotReconciled("input records not accounted for: " + "; ".join(problems))
    return pd.DataFrame(rows)
