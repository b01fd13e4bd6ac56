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
