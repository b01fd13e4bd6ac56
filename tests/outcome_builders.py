"""Tiny hand-made event tables for the outcome tests: people, offences, index dates.

Each test states its events in a line or two and works the expected values out by hand; these
builders only turn those lines into frames with the extract's column names and types.
"""

import pandas as pd

OFFENCE_COLUMNS = ["person_id", "offence_date", "proven_date", "offence_category", "outcome",
                   "custody_start", "custody_release"]
DATE_COLUMNS = ("offence_date", "proven_date", "custody_start", "custody_release")


def people(ids, death=None, dob="1990-01-01"):
    """People born on ``dob``; ``death`` maps person id to date of death."""
    death = death or {}
    return pd.DataFrame({
        "person_id": ids,
        "date_of_birth": pd.to_datetime([dob] * len(ids)),
        "date_of_death": pd.to_datetime([death.get(i) for i in ids]),
    })


def offences(rows):
    """rows: (person, offence_date, proven_date, category, outcome[, custody_start, release])."""
    full = [tuple(r) + (None,) * (len(OFFENCE_COLUMNS) - len(r)) for r in rows]
    df = pd.DataFrame(full, columns=OFFENCE_COLUMNS)
    for c in DATE_COLUMNS:
        df[c] = pd.to_datetime(df[c])
    df.insert(0, "offence_id", [f"o{i}" for i in range(len(df))])
    return df


def index(ids, date="2020-01-01", **extra):
    """Index dates: one ``date`` for everybody, or a list with one per person."""
    dates = list(date) if isinstance(date, list | tuple) else [date] * len(ids)
    return pd.DataFrame({"person_id": ids, "index_date": pd.to_datetime(dates), **extra})


def row(out, pid):
    """One person's row of an outcome frame."""
    return out.set_index("person_id").loc[pid]
