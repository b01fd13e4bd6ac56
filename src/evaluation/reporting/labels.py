"""Words for the extract's column names, where a reader meets them (charts, report tables).

Why: a balance chart labelled ``ethnicity_group[not_stated]`` or ``prior_proven_2y`` is code, not
English. The CSV tables keep the column names (evaluators join on them); the pages show these
labels. A covariate this list does not know (a new one from a configuration) is shown with its
underscores as spaces, never hidden.
"""

from __future__ import annotations

import pandas as pd

COVARIATE_LABELS: dict[str, str] = {
    "age_at_index": "Age at the index date",
    "sex": "Sex",
    "ethnicity_group": "Ethnicity",
    "area": "Home area",
    "index_year": "Year of the index date",
    "days_since_last_offence": "Days since the last offence",
    "prior_proven_1y": "Proven offences, previous year",
    "prior_proven_2y": "Proven offences, previous 2 years",
    "prior_proven_5y": "Proven offences, previous 5 years",
    "prior_proven_ever": "Proven offences, ever",
    "prior_recorded_ever": "Recorded offences, ever",
    "prior_convictions_ever": "Convictions, ever",
    "prior_custody": "Previous custodial sentence",
    "prior_violence": "Previous violent offence",
    "prior_acquisitive": "Previous acquisitive offence",
    "iom_selection_score": "IOM selection score",
    "pt_risk_factors": "Number of risk factors",
}

LEVEL_LABELS: dict[str, dict[str, str]] = {
    "sex": {"F": "female", "M": "male"},
}


def covariate_label(name: str) -> str:
    """"prior_proven_2y" -> "Proven offences, previous 2 years"; unknown names de-underscored."""
    if name in COVARIATE_LABELS:
        return COVARIATE_LABELS[name]
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def level_label(covariate: str, level: str) -> str:
    """"not_stated" -> "not stated"; "birmingham" -> "Birmingham" for areas; "F" -> "female"."""
    if not level:
        return ""
    known = LEVEL_LABELS.get(covariate, {})
    if level in known:
        return known[level]
    text = str(level).replace("_", " ")
    return text.title() if covariate == "area" else text


def characteristic_labels(table: pd.DataFrame) -> pd.Series:
    """One reader's label per row of a balance table: "Ethnicity: not stated", "Age at ..."."""
    return pd.Series(
        [covariate_label(c) + (f": {level_label(c, lv)}" if lv else "")
         for c, lv in zip(table["covariate"], table["level"], strict=True)],
        index=table.index, dtype=object)
