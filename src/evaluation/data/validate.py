"""Validate an extract against the data contract and report every violation.

``validate_directory`` reads the extract (read-only), runs the pandera schema of each table and
the cross-table rules, and returns one ``Violation`` per broken rule with the file, column and
every offending row (1-based data rows). Nothing is fixed or dropped here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors as pa_errors
import pandera.pandas as pa

from evaluation.data.contract import (
    CONTRACT,
    MAX_AGE,
    MIN_AGE_OF_CRIMINAL_RESPONSIBILITY,
    TABLES,
)
from evaluation.data.io import Extract, Violation, load_extract
from evaluation.data.schema import ROW_RULES, build_schema
from evaluation.data.violations import data_rows

_BUILTIN_RULES = {
    "not_nullable": "value is required but empty",
    "field_uniqueness": "value must be unique but is repeated",
    "multiple_fields_uniqueness": "combination must be unique but is repeated",
}


def _rows(index_values: pd.Series) -> tuple[int, ...]:
    idx = pd.to_numeric(index_values, errors="coerce").dropna().astype(int)
    return tuple(sorted(set(int(i) + 1 for i in idx)))


def _from_pandera(file: str, table: str, failures: pd.DataFrame,
                  schema: pa.DataFrameSchema) -> list[Violation]:
    """Turn pandera's failure cases into one Violation per (column, rule).

    pandera reports a failed row-level check once per column of the failing row; those are
    folded back into one violation on the column the rule is about.
    """
    spec = CONTRACT[table]
    row_rules = {}
    for r in ROW_RULES.get(table, []):
        row_rules[r.rule] = (r.column, r.rule)
        row_rules[f"{r.column}|{r.rule}"] = (r.column, r.rule)
    found: dict[tuple[str, str], set[int]] = {}
    grouped = failures.groupby(["column", "check"], dropna=False, sort=False)
    for (column, check), cases in grouped:
        check = str(check)
        if check in row_rules:
            column, rule = row_rules[check]
        elif check in _BUILTIN_RULES:
            rule = _BUILTIN_RULES[check]
        elif check.startswith("dtype("):
            rule = f"wrong type: expected {check[6:-1]}"
        else:
            rule = _error_text(schema, str(column), check) or check
        if check == "multiple_fields_uniqueness":
            column = ", ".join(spec.unique_together)
        found.setdefault((str(column), rule), set()).update(_rows(cases["index"]))
    return [Violation(file, column, rule, tuple(sorted(rows)))
            for (column, rule), rows in found.items()]


def _error_text(schema: pa.DataFrameSchema, column: str, check: str) -> str | None:
    schema_col = schema.columns.get(column)
    if schema_col is None:
        return None
    for c in schema_col.checks:
        if check in (c.error, c.name, str(c)):
            return c.error
    return None


def check_table(extract: Extract, table: str) -> list[Violation]:
    frame = extract.tables[table]
    schema = build_schema(table, extract.data_cutoff, list(frame.columns))
    try:
        schema.validate(frame, lazy=True)
    except pa_errors.SchemaErrors as err:
        return _from_pandera(extract.paths[table].name, table, err.failure_cases, schema)
    return []


def _rows_where(mask: pd.Series | np.ndarray) -> tuple[int, ...]:
    return data_rows(mask)


# (table, date column) whose person must be alive and old enough on that date
_PERSON_DATES = (("offences", "offence_date"), ("programme_episodes", "start_date"),
                 ("comparison_pool", "index_date"))


def check_cross_table(extract: Extract) -> list[Violation]:
    """Rules that join tables: person ids exist, age on each dated event, nothing after death.

    People are looked up once per table by position (``get_indexer``), and each birthday is
    computed once per person, not once per offence: this is most of validation's time."""
    t = extract.tables
    people = t["people"]
    out: list[Violation] = []
    if "person_id" not in people.columns:
        return out
    unique = people.drop_duplicates("person_id")
    ids = pd.Index(unique["person_id"])
    has_dates = {"date_of_birth", "date_of_death"} <= set(people.columns)
    if has_dates:
        dob = unique["date_of_birth"].to_numpy("datetime64[ns]")
        dod = unique["date_of_death"].to_numpy("datetime64[ns]")
        tenth = (unique["date_of_birth"] + pd.DateOffset(
            years=MIN_AGE_OF_CRIMINAL_RESPONSIBILITY)).to_numpy("datetime64[ns]")
        out += _too_old(extract)
    for table, date_col in _PERSON_DATES:
        frame = t[table]
        if "person_id" not in frame.columns:
            continue
        file = extract.paths[table].name
        pos = ids.get_indexer(frame["person_id"])
        missing = frame["person_id"].notna().to_numpy() & (pos < 0)
        if missing.any():
            out.append(Violation(file, "person_id", "person_id does not exist in people",
                                 _rows_where(missing)))
        if not has_dates or date_col not in frame.columns:
            continue
        when = frame[date_col].to_numpy("datetime64[ns]")
        known = pos >= 0
        at = np.where(known, pos, 0)
        born, died, ten = dob[at], dod[at], tenth[at]
        before_birth = known & (when < born)
        young = known & (when < ten) & ~before_birth
        dead = known & (when > died)
        for mask, rule in (
            (before_birth, f"{date_col} is before the person's date_of_birth"),
            (young, f"person was under {MIN_AGE_OF_CRIMINAL_RESPONSIBILITY} "
                    f"(the age of criminal responsibility) on {date_col}"),
            (dead, f"{date_col} is after the person's date_of_death"),
        ):
            if mask.any():
                out.append(Violation(file, date_col, rule, _rows_where(mask)))
    return out


def _too_old(extract: Extract) -> list[Violation]:
    """Nobody is older than MAX_AGE at the cut-off (or at death): a mistyped birth year."""
    people = extract.tables["people"]
    end = people["date_of_death"].fillna(extract.data_cutoff)
    limit = people["date_of_birth"] + pd.DateOffset(years=MAX_AGE)
    old = (end > limit).fillna(False).to_numpy(dtype=bool)
    if not old.any():
        return []
    return [Violation(extract.paths["people"].name, "date_of_birth",
                      f"the person would be older than {MAX_AGE} at the data cut-off (or at "
                      "death): is the year of birth mistyped?", _rows_where(old))]


def validate_extract(extract: Extract) -> list[Violation]:
    violations = list(extract.read_violations)
    for table in TABLES:
        violations.extend(check_table(extract, table))
    violations.extend(check_cross_table(extract))
    return without_echoes(violations)


def without_echoes(violations: list[Violation]) -> list[Violation]:
    """Drop what follows from a problem already reported: a value that could not be read is
    also empty, and a repeated header row breaks every rule of its row. The first report
    says what to fix; the echoes would only bury it."""
    whole_rows: dict[str, set[int]] = {}
    unread: dict[tuple[str, str], set[int]] = {}
    for v in violations:
        if v.rows and not v.column:
            whole_rows.setdefault(v.file, set()).update(v.rows)
        elif v.rows and (v.rule.startswith("value is not") or "is not valid" in v.rule):
            unread.setdefault((v.file, v.column), set()).update(v.rows)
    out = []
    for v in violations:
        rows = set(v.rows)
        if v.column:
            rows -= whole_rows.get(v.file, set())
            if v.rule == _BUILTIN_RULES["not_nullable"]:
                rows -= unread.get((v.file, v.column), set())
        if v.rows and not rows:
            continue
        out.append(v if rows == set(v.rows) else Violation(v.file, v.column, v.rule,
                                                           tuple(sorted(rows))))
    return out


def validate_directory(directory: str | Path) -> list[Violation]:
    """Every violation in the extract at ``directory`` (raises ExtractError if unreadable)."""
    return validate_extract(load_extract(directory))


def violations_frame(violations: list[Violation]) -> pd.DataFrame:
    """One row per (violation, row): the machine-readable form of a report."""
    rows = [
        {"file": v.file, "column": v.column, "rule": v.rule, "row": r}
        for v in violations
        for r in (v.rows or (None,))
    ]
    return pd.DataFrame(rows, columns=["file", "column", "rule", "row"])
