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

from evaluation.data.contract import CONTRACT, MIN_AGE_OF_CRIMINAL_RESPONSIBILITY, TABLES
from evaluation.data.io import Extract, Violation, load_extract
from evaluation.data.schema import ROW_RULES, build_schema

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
    return tuple(int(i) + 1 for i in np.flatnonzero(np.asarray(mask, dtype=bool)))


def check_cross_table(extract: Extract) -> list[Violation]:
    """Rules that join tables: person ids exist, age at offence, nothing after death."""
    t = extract.tables
    people = t["people"]
    out: list[Violation] = []
    if "person_id" not in people.columns:
        return out
    known = set(people["person_id"].dropna())
    for table in ("offences", "programme_episodes", "comparison_pool"):
        frame = t[table]
        if "person_id" not in frame.columns:
            continue
        missing = frame["person_id"].notna() & ~frame["person_id"].isin(known)
        if missing.any():
            out.append(Violation(extract.paths[table].name, "person_id",
                                 "person_id does not exist in people", _rows_where(missing)))
    off = t["offences"]
    need = {"person_id", "offence_date"}
    if need <= set(off.columns) and {"date_of_birth", "date_of_death"} <= set(people.columns):
        lookup = people.drop_duplicates("person_id").set_index("person_id")
        dob = off["person_id"].map(lookup["date_of_birth"])
        dod = off["person_id"].map(lookup["date_of_death"])
        too_young = off["offence_date"] < dob + pd.DateOffset(
            years=MIN_AGE_OF_CRIMINAL_RESPONSIBILITY)
        if too_young.fillna(False).any():
            out.append(Violation(
                extract.paths["offences"].name, "offence_date",
                f"person was under {MIN_AGE_OF_CRIMINAL_RESPONSIBILITY} "
                "(the age of criminal responsibility) on offence_date",
                _rows_where(too_young.fillna(False))))
        after_death = (off["offence_date"] > dod).fillna(False)
        if after_death.any():
            out.append(Violation(extract.paths["offences"].name, "offence_date",
                                 "offence_date is after the person's date_of_death",
                                 _rows_where(after_death)))
    return out


def validate_extract(extract: Extract) -> list[Violation]:
    violations = list(extract.read_violations)
    for table in TABLES:
        violations.extend(check_table(extract, table))
    violations.extend(check_cross_table(extract))
    return violations


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
