"""Reading an extract directory: the four contract tables (Parquet or CSV) and `extract.json`.

Reading never changes the files. Values that cannot be read as their contract type (a date
that is not a date, a number that is not a number) are not dropped: they become empty and are
reported as violations with their file, column and rows, so the validator can name them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from evaluation.data.contract import CONTRACT, EXTRACT_METADATA_FILE, TABLES, Column

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


class ExtractError(ValueError):
    """The extract cannot be read at all (missing file, unreadable metadata)."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (file, column, rows) and what (rule)."""

    file: str
    column: str
    rule: str
    rows: tuple[int, ...]  # 1-based data row numbers (CSV line = row + 1, after the header)

    @property
    def count(self) -> int:
        return len(self.rows)

    def describe(self, max_rows: int = 10) -> str:
        shown = ", ".join(str(r) for r in self.rows[:max_rows])
        more = f" and {self.count - max_rows} more" if self.count > max_rows else ""
        noun = "row" if self.count == 1 else "rows"
        return f"{self.file}: column '{self.column}': {self.rule} ({noun} {shown}{more})"


@dataclass
class Extract:
    """The tables of one extract with their paths, cut-off date and metadata."""

    directory: Path
    tables: dict[str, pd.DataFrame]
    paths: dict[str, Path]
    metadata: dict
    data_cutoff: pd.Timestamp
    read_violations: list[Violation] = field(default_factory=list)
    _prepared_offences: object = field(default=None, repr=False, compare=False)

    def prepared_offences(self):
        """Offences indexed once for every outcome derivation on this extract (default costs)."""
        from evaluation.outcomes import PreparedOffences

        if self._prepared_offences is None:
            self._prepared_offences = PreparedOffences(
                self.tables["offences"], self.tables["people"], self.data_cutoff)
        return self._prepared_offences

    @property
    def is_synthetic(self) -> bool:
        return bool(self.metadata.get("synthetic", False))

    def input_files(self) -> list[Path]:
        return [self.directory / EXTRACT_METADATA_FILE, *self.paths.values()]


def find_table_file(directory: Path, table: str) -> Path:
    candidates = [directory / f"{table}.parquet", directory / f"{table}.csv"]
    present = [p for p in candidates if p.exists()]
    if not present:
        raise ExtractError(
            f"{directory}: table '{table}' is missing: expected {table}.parquet or {table}.csv"
        )
    if len(present) > 1:
        raise ExtractError(
            f"{directory}: table '{table}' is given twice ({present[0].name} and "
            f"{present[1].name}); keep one"
        )
    return present[0]


def read_metadata(directory: Path) -> tuple[dict, pd.Timestamp]:
    path = directory / EXTRACT_METADATA_FILE
    if not path.exists():
        raise ExtractError(
            f"{path} is missing: every extract states its data cut-off, e.g. "
            '{"data_cutoff": "2019-09-30", "synthetic": false}'
        )
    try:
        metadata = json.loads(path.read_text())
        cutoff = pd.Timestamp(metadata["data_cutoff"])
    except (json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
        raise ExtractError(
            f"{path}: needs a JSON object with a 'data_cutoff' date (YYYY-MM-DD): {exc}"
        ) from exc
    return metadata, cutoff


def _arrow_strings(dtype: pa.DataType):
    """Keep Parquet text in Arrow memory: building millions of Python str objects is slow."""
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return pd.StringDtype("pyarrow")
    return None


def _raw_frame(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pandas(types_mapper=_arrow_strings)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _typed_already(raw: pd.Series) -> bool:
    """Parquet columns arrive typed: no text to trim, empty means missing."""
    return (pd.api.types.is_datetime64_any_dtype(raw) or pd.api.types.is_numeric_dtype(raw)
            or pd.api.types.is_bool_dtype(raw))


def _coerce(raw: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray]:
    """Convert one column to its contract type; return the values and rows that failed."""
    if _typed_already(raw):
        text, blank = raw, raw.isna().to_numpy()
    else:
        text = raw.astype("string[pyarrow]").str.strip()
        blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
        text = text.where(~blank)
    if col.kind == "date":
        if pd.api.types.is_datetime64_any_dtype(raw):
            values = raw.astype("datetime64[ns]")
        else:
            values = pd.to_datetime(text, errors="coerce", format="mixed")
            values = values.astype("datetime64[ns]")
    elif col.kind in ("int", "float"):
        values = pd.to_numeric(text, errors="coerce")
        if col.kind == "int":
            not_whole = values.notna() & (values != values.round())
            values = values.where(~not_whole).astype("Float64").round().astype("Int64")
        else:
            values = values.astype("float64")
    elif col.kind == "bool":
        if pd.api.types.is_bool_dtype(raw.dtype):
            values = raw.astype("boolean")
        else:
            lowered = text.astype("string").str.lower()
            values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
            values[lowered.isin(_TRUE).fillna(False).to_numpy()] = True
            values[lowered.isin(_FALSE).fillna(False).to_numpy()] = False
    else:
        values = text.astype(object)
        values = values.where(~blank, None)
        return values, np.zeros(len(raw), dtype=bool)
    failed = ~blank & pd.isna(values).to_numpy()
    return values, failed


def read_table(path: Path, table: str) -> tuple[pd.DataFrame, list[Violation]]:
    """Read one table, typed by the contract; unreadable values are reported, not dropped."""
    spec = CONTRACT[table]
    raw = _raw_frame(path).reset_index(drop=True)
    violations: list[Violation] = []
    missing = [c for c in spec.column_names if c not in raw.columns]
    if missing:
        violations.append(
            Violation(path.name, ", ".join(missing), "required column is missing", ())
        )
    extra = [c for c in raw.columns if c not in spec.column_names]
    if extra:
        violations.append(
            Violation(path.name, ", ".join(map(str, extra)),
                      "column is not in the data contract (see data/README.md)", ())
        )
    typed = {}
    for col in spec.columns:
        if col.name not in raw.columns:
            continue
        values, failed = _coerce(raw[col.name], col)
        if failed.any():
            kind = {"date": "a date (YYYY-MM-DD)", "int": "a whole number",
                    "float": "a number", "bool": "true or false"}[col.kind]
            violations.append(
                Violation(path.name, col.name, f"value is not {kind}",
                          tuple(int(i) + 1 for i in np.flatnonzero(failed)))
            )
        typed[col.name] = values
    frame = pd.DataFrame(typed, index=raw.index)
    return frame, violations


def load_extract(directory: str | Path) -> Extract:
    """Read every contract table of an extract directory (read-only)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ExtractError(f"{directory}: no such data directory")
    metadata, cutoff = read_metadata(directory)
    tables, paths, violations = {}, {}, []
    for table in TABLES:
        path = find_table_file(directory, table)
        frame, problems = read_table(path, table)
        tables[table], paths[table] = frame, path
        violations.extend(problems)
    return Extract(directory, tables, paths, metadata, cutoff, violations)
