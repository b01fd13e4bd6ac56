"""IDIOM-style before/during figures, and what the matched comparison group changes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.data.io import Extract
from evaluation.estimators.did import did_before_during
from evaluation.outcomes import before_during, before_during_table, prepared_offences


def before_during_analysis(analysis: pd.DataFrame, treated_all: pd.DataFrame, extract: Extract,
                           weights: str, cluster: str | None) -> dict[str, pd.DataFrame]:
    """The board papers' before/during table and the difference-in-differences beside it.

    The naive table uses every eligible participant (as the board papers do); the
    difference-in-differences uses the matched analysis set.
    """
    offences, people = extract.tables["offences"], extract.tables["people"]
    prepared = prepared_offences(extract)
    everyone = before_during(treated_all[["person_id", "index_date", "treated"]], offences,
                             people, extract.data_cutoff, prepared=prepared)
    everyone = everyone.loc[everyone["days_during"] > 0]
    per_person = before_during(analysis[["person_id", "index_date", "treated", weights]
                                        + ([cluster] if cluster else [])],
                               offences, people, extract.data_cutoff, prepared=prepared)
    per_person = per_person.loc[per_person["days_during"] > 0]
    groups = before_during_table(per_person.assign(
        group=np.where(per_person["treated"] == 1, "programme", "comparison")), by="group")
    did = did_before_during(per_person, before_col="offences_before_pa",
                            during_col="offences_during_pa", treatment_col="treated",
                            weights_col=weights, cluster_col=cluster)
    return {"idiom_table": before_during_table(everyone), "by_group": groups, "did": did}


def before_after_comparison(idiom_table: pd.DataFrame, did: pd.DataFrame) -> pd.DataFrame:
    """The four steps from the board papers' figure to the programme's own change, per person
    per year, one row each (``figure``):

    - ``rebuilt``: every eligible participant, the same people before and during (the board
      papers' one-group comparison, rebuilt from the records);
    - ``matched_programme``: the matched participants, the people the comparison is about;
    - ``matched_comparison``: their matched comparison group, over the same periods;
    - ``did``: the matched participants' change minus the comparison group's;
    - ``comparison_share``: the share of the matched participants' change that the comparison
      group shows too (regression to the mean and the general trend, not the programme).

    Columns: ``people``, ``before``, ``during``, ``change`` (during - before; the share for the
    last row), its ``lower``/``upper`` 95% bounds where computed, ``change_pct``.
    """
    t = idiom_table.iloc[0]
    d = did.set_index("term")
    rows = [{"figure": "rebuilt", "people": int(t["people"]),
             "before": float(t["offences_pre_per_person"]),
             "during": float(t["offences_during_per_person"]),
             "change": float(t["offences_during_per_person"] - t["offences_pre_per_person"]),
             "lower": np.nan, "upper": np.nan, "change_pct": float(t["offences_change_pct"])}]
    for figure, group in (("matched_programme", "treated"), ("matched_comparison", "comparison")):
        change = d.loc[f"change_{group}"]
        rows.append({"figure": figure, "people": int(d.loc[f"before_{group}", "n"]),
                     "before": float(d.loc[f"before_{group}", "estimate"]),
                     "during": float(d.loc[f"during_{group}", "estimate"]),
                     "change": float(change["estimate"]), "lower": float(change["lower"]),
                     "upper": float(change["upper"]),
                     "change_pct": float(d.loc[f"change_{group}_pct", "estimate"])})
    for figure, term, pct in (("did", "did", "did_pct"), ("comparison_share", "comparison_share",
                                                          None)):
        row = d.loc[term] if term in d.index else pd.Series(np.nan, index=d.columns)
        rows.append({"figure": figure, "people": np.nan, "before": np.nan, "during": np.nan,
                     "change": float(row["estimate"]), "lower": float(row["lower"]),
                     "upper": float(row["upper"]),
                     "change_pct": float(d.loc[pct, "estimate"]) if pct in d.index else np.nan})
    return pd.DataFrame(rows)
