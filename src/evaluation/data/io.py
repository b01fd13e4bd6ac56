"""Reading an extract directory: the four contract tables (Parquet or CSV) and `extract.json`.

Reading never changes the files. Values that cannot be read as their contract type (a date
that is not a date, a number that is not a finite number) are not dropped and never guessed:
they become empty and are reported as violations with their file, column and rows, so the
validator can name them. Dates are read in one format only (YYYY-MM-DD, or the
``date_format`` that extract.json states); numbers stored where a date belongs are refused.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evaluation.data.contract import CONTRACT, DATE_FORMAT, EXTRACT_METADATA_FILE, TABLES, Column
from evaluation.data.files import (
    csv_encoding,
    date_format,
    find_table_file,
    read_csv_raw,
    read_metadata,
    read_parquet_raw,
)
from evaluation.data.violations import ExtractError, InputError, Violation, data_rows

__all__ = ["Extract", "ExtractError", "InputError", "Violation", "find_table_file",
           "load_extract", "read_metadata", "read_table"]

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_NS_PER_DAY = 86_400 * 10**9
_LARGEST_WHOLE = 2.0**53  # beyond this a float no longer holds every whole number
_MIDNIGHT = r"[ T]00:00(?::00(?:\.0+)?)?$"
_NOT_DATE = "value is not a date in the form YYYY-MM-DD"
# What a failed date looks like -> what to do about it (checked in order; no value is printed).
_DATE_HINTS = (
    (r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$",
     "it looks like DD/MM/YYYY or MM/DD/YYYY, which cannot be told apart: write YYYY-MM-DD, "
     "or state the format in extract.json, e.g. \"date_format\": \"%d/%m/%Y\""),
    (r"^\d{4}-\d{1,2}-\d{1,2}[ T]\d", "it has a time of day: the contract holds dates only"),
    (r"^-?\d+(?:\.\d*)?$", "it is a number (an Excel serial date, or days or seconds since 1970?): "
                         "write the date as YYYY-MM-DD"),
    (r"^(?i:na|n/a|null|none|nan|nat|-)$", "it is a missing-value marker: leave the cell empty"),
)


@dataclass
class Extract:
    """The tables of one extract with their paths, cut-off date and metadata.

    ``validation_skipped`` is True only when the caller asked the gate not to validate: every
    report built on such an extract must say so in its first line."""

    directory: Path
    tables: dict[str, pd.DataFrame]
    paths: dict[str, Path]
    metadata: dict
    data_cutoff: pd.Timestamp
    read_violations: list[Violation] = field(default_factory=list)
    validation_skipped: bool = False
    # Indexes derived from these tables by higher layers (e.g. the outcomes' prepared offences),
    # built once per extract; keyed by the deriving module's name.
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_synthetic(self) -> bool:
        return bool(self.metadata.get("synthetic", False))

    def input_files(self) -> list[Path]:
        return [self.directory / EXTRACT_METADATA_FILE, *self.paths.values()]

    def for_people(self, person_ids: Iterable) -> Extract:
        """The same extract with ``people`` and ``offences`` cut to ``person_ids`` (row labels
        kept; the other tables whole). Why: a programme's evaluation reads only its own
        cohort's records, and every pass over all 2 million offences (person lookups, sorts)
        costs time in proportion to the whole extract (decision 0502). Paths, metadata and
        cut-off are unchanged: provenance still names the files that were read."""
        ids = pd.Index(pd.unique(np.asarray(list(person_ids), dtype=object)))
        tables = dict(self.tables)
        for name in _PERSON_TABLES:
            frame = tables[name]
            tables[name] = frame.loc[frame["person_id"].isin(ids).to_numpy()]
        return replace(self, tables=tables, derived={})


Failures = list[tuple[str, np.ndarray]]  # (rule, rows that break it)


def _text(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    text = raw.astype("string[pyarrow]").str.strip()
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool)
    return text.where(~blank), blank


def _is_numeric(raw: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw)


def _dates(raw: pd.Series, fmt: str) -> tuple[pd.Series, Failures]:
    if pd.api.types.is_datetime64_any_dtype(raw):
        return _typed_dates(raw)
    blank = raw.isna().to_numpy(dtype=bool)
    if _is_numeric(raw) or pd.api.types.is_bool_dtype(raw):
        rule = (_NOT_DATE + ": the Parquet column holds numbers (days or nanoseconds since "
                "1970?): write a Parquet date or timestamp column, or text YYYY-MM-DD")
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"), [(rule, ~blank)]
    text, blank = _text(raw)
    # a date written with a midnight time (as databases export it) is still exactly a date
    if (text.str.len() > 10).any():
        text = text.str.replace(_MIDNIGHT, "", regex=True)
    values = pd.to_datetime(text, format=fmt, exact=True, errors="coerce")
    values = values.astype("datetime64[ns]")
    failed = ~blank & values.isna().to_numpy()
    if not failed.any():
        return values, []
    base = _NOT_DATE if fmt == DATE_FORMAT else \
        f"value is not a date in the format {fmt} that extract.json states"
    out, left = [], failed.copy()
    bad = text[failed]
    for pattern, hint in _DATE_HINTS:
        hit = np.zeros(len(raw), dtype=bool)
        hit[np.flatnonzero(failed)] = bad.str.contains(pattern, regex=True).fillna(
            False).to_numpy(dtype=bool)
        hit &= left
        if hit.any():
            out.append((f"{base}: {hint}", hit))
            left &= ~hit
    if left.any():
        out.append((base, left))
    return values, out


def _typed_dates(raw: pd.Series) -> tuple[pd.Series, Failures]:
    out: Failures = []
    if getattr(raw.dt, "tz", None) is not None:
        rule = _NOT_DATE + ": it is a timestamp with a time zone: write plain dates"
        return (pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]"),
                [(rule, raw.notna().to_numpy())])
    lo, hi = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
    outside = ((raw < lo) | (raw > hi)).to_numpy(dtype=bool)
    if outside.any():
        out.append(("date is outside the years 1678-2261", outside))
        raw = raw.where(~outside)
    values = raw.astype("datetime64[ns]")
    ns = values.to_numpy().view("int64")
    timed = values.notna().to_numpy() & (ns % _NS_PER_DAY != 0)
    if timed.any():
        out.append((_NOT_DATE + ": it has a time of day: the contract holds dates only", timed))
    return values, out


def _numbers(raw: pd.Series, col: Column) -> tuple[pd.Series, Failures]:
    if _is_numeric(raw) or pd.api.types.is_bool_dtype(raw):
        values = raw.astype("float64")
        blank = values.isna().to_numpy()
    else:
        text, blank = _text(raw)
        values = pd.to_numeric(text.str.replace(r"^\+", "", regex=True), errors="coerce")
        values = values.astype("float64")
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    whole = col.kind == "int"
    kind = "a whole number" if whole else "a number"
    out: Failures = [(f"value is not {kind}", ~blank & np.isnan(v))]
    out.append(("value is not finite (infinite)", np.isinf(v)))
    finite = np.isfinite(v)
    if whole:
        huge = finite & (np.abs(v) > _LARGEST_WHOLE)
        if col.maximum is not None:
            out.append((col.above_rule(), huge & (v > col.maximum)))
            huge &= ~(v > col.maximum)
        if col.minimum is not None:
            out.append((col.below_rule(), huge & (v < col.minimum)))
            huge &= ~(v < col.minimum)
        out.append(("value is too large to be a whole number", huge))
        out.append(("value is not a whole number",
                    finite & (np.abs(v) <= _LARGEST_WHOLE) & (v != np.round(v))))
    failed = np.zeros(len(v), dtype=bool)
    for _, mask in out:
        failed |= mask
    v = np.where(failed, np.nan, v)
    series = pd.Series(v, index=raw.index)
    if whole:
        series = series.round().astype("Int64")
    return series, [(rule, mask) for rule, mask in out if mask.any()]


def _booleans(raw: pd.Series) -> tuple[pd.Series, Failures]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), []
    text, blank = _text(raw)
    lowered = text.str.lower()
    values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    values[lowered.isin(_TRUE).fillna(False).to_numpy()] = True
    values[lowered.isin(_FALSE).fillna(False).to_numpy()] = False
    return values, [("value is not true or false", ~blank & values.isna().to_numpy())]


def _labels(raw: pd.Series, col: Column) -> tuple[pd.Series, Failures]:
    if _is_numeric(raw):  # a Parquet column of numbers: checked as the text it stands for
        return raw.astype(object).where(raw.notna(), None).map(
            lambda v: v if v is None else str(v)), []
    return pd.Series(label_objects(raw, few=col.kind == "category"), index=raw.index,
                     name=raw.name), []


def label_objects(raw: pd.Series, few: bool = False) -> np.ndarray:
    """The text of ``raw`` trimmed, blanks as None, as Python strings (object array).

    The same values as ``_text`` kept as objects, but stripped and blanked in Arrow memory, so
    Python strings are built once. ``few`` (a column of a few distinct values, such as a
    category) builds one string per distinct value and shares it between rows."""
    arrow = pa.array(raw.astype("string[pyarrow]").array)  # the Arrow data, not a copy
    stripped = pc.utf8_trim_whitespace(pa.chunked_array([arrow]) if isinstance(
        arrow, pa.Array) else arrow)
    text = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, stripped.type), stripped)
    if not few:
        return text.to_numpy(zero_copy_only=False)
    coded = text.combine_chunks().dictionary_encode()
    values = np.array([*coded.dictionary.to_pylist(), None], dtype=object)
    return values[pc.fill_null(coded.indices, len(coded.dictionary)).to_numpy()]


def coerce_column(raw: pd.Series, col: Column, fmt: str = DATE_FORMAT
                  ) -> tuple[pd.Series, Failures]:
    """One column in its contract type, and the rows (0-based masks) that could not be read."""
    if col.kind == "date":
        return _dates(raw, fmt)
    if col.kind in ("int", "float"):
        return _numbers(raw, col)
    if col.kind == "bool":
        return _booleans(raw)
    return _labels(raw, col)


def _column_problems(file: str, columns: list, table: str) -> list[Violation]:
    spec = CONTRACT[table]
    out = []
    repeated = {m.group(1) for c in columns if (m := re.match(r"^(.+)\.\d+$", str(c)))
                and m.group(1) in columns}
    for name in sorted(repeated):
        out.append(Violation(file, name, "column appears more than once in the header", ()))
    extra = [c for c in columns if c not in spec.column_names
             and not any(str(c).startswith(f"{r}.") for r in repeated)]
    for name in spec.column_names:
        if name in columns:
            continue
        near = difflib.get_close_matches(name, [str(c) for c in extra], n=1, cutoff=0.75)
        close = [str(c) for c in extra if str(c).strip().lower() == name]
        hint = f": the header has '{(close or near)[0]}', rename it" if close or near else ""
        out.append(Violation(file, name, f"required column is missing{hint}", ()))
    if extra:
        out.append(Violation(file, ", ".join(map(str, extra)),
                             "column is not in the data contract (see data/README.md)", ()))
    return out


def read_table(path: Path, table: str, metadata: dict | None = None,
               people: pd.Index | None = None) -> tuple[pd.DataFrame, list[Violation]]:
    """Read one table, typed by the contract; unreadable values are reported, not dropped.

    ``people`` (person ids) keeps only their rows, chosen before the other columns are typed
    (row labels are the rows' positions in the file either way)."""
    metadata = metadata or {}
    spec = CONTRACT[table]
    if path.suffix == ".parquet":
        raw, violations = read_parquet_raw(path, people), []
    else:
        raw, violations = read_csv_raw(path, csv_encoding(metadata))
        raw = raw.reset_index(drop=True)
    if people is not None and "person_id" in raw.columns:  # exact: the typed ids
        ids, _ = coerce_column(raw["person_id"], spec.column("person_id"))
        raw = raw.loc[ids.isin(people).to_numpy()]
    if len(raw) == 0:
        violations.append(Violation(path.name, "", "the table has no data rows (only a header):"
                                                    " every table needs at least one data row",
                                    ()))
    violations += _column_problems(path.name, list(raw.columns), table)
    fmt = date_format(metadata)
    typed = {}
    for col in spec.columns:
        if col.name not in raw.columns:
            continue
        values, failures = coerce_column(raw[col.name], col, fmt)
        for rule, mask in failures:
            if mask.any():
                    violations.append(Violation(path.name, col.name, rule, data_rows(mask)))
        typed[col.name] = values
    # copy=False: the columns are new arrays; consolidating them into blocks would copy
    # every value once more (most of the frame's cost for two million offences)
    return pd.DataFrame(typed, index=raw.index, copy=False), violations


#: ``Extract.derived`` key naming the programme an extract was cut for (``for_people``).
PROGRAMME_CUT = "programme_cut"
_PERSON_TABLES = ("people", "offences")


def programme_people(tables: dict[str, pd.DataFrame], programme: str) -> pd.Index:
    """The people of one programme's episodes and comparison pool rows."""
    ids = [t.loc[t["programme"] == programme, "person_id"] for t in
           (tables["programme_episodes"], tables["comparison_pool"])]
    return pd.Index(pd.unique(pd.concat(ids, ignore_index=True).to_numpy(dtype=object)))


def load_extract(directory: str | Path, programme: str | None = None) -> Extract:
    """Read every contract table of an extract directory (read-only).

    ``programme`` reads ``people`` and ``offences`` only for that programme's people (as
    ``Extract.for_people``, decision 0502): for an extract that has already passed the gate in
    this run, since rows left unread are not checked. Raises ``ExtractError`` listing every
    file that cannot be read at all."""
    directory = Path(directory)
    metadata, cutoff = read_metadata(directory)
    tables, paths, violations, unreadable = {}, {}, [], []
    order = [t for t in TABLES if t not in _PERSON_TABLES] + list(_PERSON_TABLES)
    for table in order if programme else TABLES:
        people = None
        if programme and table in _PERSON_TABLES and not unreadable:
            people = programme_people(tables, programme)
        try:
            path = find_table_file(directory, table)
            frame, problems = read_table(path, table, metadata, people=people)
        except ExtractError as exc:
            unreadable.append(exc)
            continue
        tables[table], paths[table] = frame, path
        violations.extend(problems)
    tables = {t: tables[t] for t in TABLES if t in tables}
    paths = {t: paths[t] for t in TABLES if t in paths}
    if unreadable:
        if len(unreadable) == 1:
            raise unreadable[0]
        raise ExtractError(f"{directory}: {len(unreadable)} tables cannot be read:\n  "
                           + "\n  ".join(str(e) for e in unreadable),
                           [v for e in unreadable for v in e.violations])
    extract = Extract(directory, tables, paths, metadata, cutoff, violations)
    if programme:
        extract.derived[PROGRAMME_CUT] = programme
    return extract
