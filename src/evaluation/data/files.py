"""The files of an extract: finding them, `extract.json`, and reading each table's raw text.

A file that cannot be read at all (empty, not Parquet, wrong separator, rows with too many
values) raises ``ExtractError`` naming the file and the fix; text that is not in the stated
encoding is read anyway and reported cell by cell, so every other rule can still be checked.
Nothing here writes to the extract.
"""

from __future__ import annotations

import codecs
import difflib
import json
import re
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from evaluation.data.contract import DATE_FORMAT, DEFAULT_ENCODING, EXTRACT_METADATA_FILE
from evaluation.data.violations import ExtractError, Violation, data_rows, rows_from_positions

_EXAMPLE = '{"data_cutoff": "2019-09-30", "synthetic": false}'
_PARQUET_MAGIC = b"PAR1"
_UNDECODED = re.compile("[\udc80-\udcff]")


def file_error(path: Path, rule: str) -> ExtractError:
    """A problem with the whole file: one violation with no column and no rows."""
    return ExtractError(f"{path.name}: {rule}", [Violation(path.name, "", rule, ())])


def find_table_file(directory: Path, table: str) -> Path:
    candidates = [directory / f"{table}.parquet", directory / f"{table}.csv"]
    present = [p for p in candidates if p.exists()]
    if len(present) > 1:
        raise file_error(present[0], f"table '{table}' is given twice ({present[0].name} and "
                                     f"{present[1].name}); keep one")
    if present:
        return present[0]
    names = sorted(p.name for p in directory.iterdir())
    near = [n for n in names if n.lower().split(".")[0] == table.lower()]
    near += difflib.get_close_matches(f"{table}.csv", [n for n in names if n not in near],
                                      n=2, cutoff=0.8)
    hint = (f"; found {', '.join(near)}: save or rename it as {table}.csv (UTF-8) or "
            f"{table}.parquet" if near else "")
    rule = f"table '{table}' is missing: expected {table}.parquet or {table}.csv{hint}"
    raise ExtractError(f"{directory}: {rule}", [Violation(table, "", rule, ())])


def read_metadata(directory: Path) -> tuple[dict, pd.Timestamp]:
    """``extract.json``: the data cut-off (YYYY-MM-DD) and optional encoding and date format."""
    path = Path(directory) / EXTRACT_METADATA_FILE
    if not Path(directory).is_dir():
        rule = (f"no such data directory (give --data the folder that holds "
                f"{EXTRACT_METADATA_FILE} and the four tables)")
        raise ExtractError(f"{directory}: {rule}", [Violation(str(directory), "", rule, ())])
    if not path.exists():
        raise file_error(path, f"is missing from {directory}: every extract states its data "
                               f"cut-off, e.g. {_EXAMPLE}")
    try:
        metadata = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise file_error(path, f"is not valid JSON ({exc}); it should read like {_EXAMPLE}") \
            from None
    if not isinstance(metadata, dict) or "data_cutoff" not in metadata:
        raise file_error(path, f"needs a JSON object with a 'data_cutoff' date, e.g. {_EXAMPLE}")
    try:
        cutoff = pd.Timestamp(datetime.strptime(str(metadata["data_cutoff"]), DATE_FORMAT))
    except ValueError:
        raise file_error(path, f"'data_cutoff' {metadata['data_cutoff']!r} is not a date in the "
                               "form YYYY-MM-DD") from None
    csv_encoding(metadata, path)
    date_format(metadata, path)
    return metadata, cutoff


def csv_encoding(metadata: dict, path: Path | None = None) -> str:
    """The text encoding of the CSV tables: extract.json's ``encoding``, else UTF-8."""
    encoding = metadata.get("encoding", DEFAULT_ENCODING)
    try:
        codecs.lookup(str(encoding))
    except LookupError:
        raise file_error(path or Path(EXTRACT_METADATA_FILE),
                         f"'encoding' {encoding!r} is not a known text encoding (use e.g. "
                         "\"utf-8\", \"cp1252\" or \"latin-1\")") from None
    return str(encoding)


def date_format(metadata: dict, path: Path | None = None) -> str:
    """The format of text dates: extract.json's ``date_format``, else YYYY-MM-DD.

    A stated format must name a four-digit year, the month and the day, so that nothing (not
    even the century) is guessed."""
    fmt = metadata.get("date_format", DATE_FORMAT)
    if not isinstance(fmt, str) or "%Y" not in fmt or "%d" not in fmt \
            or not any(m in fmt for m in ("%m", "%b", "%B")):
        raise file_error(path or Path(EXTRACT_METADATA_FILE),
                         f"'date_format' {fmt!r} must name %Y (four-digit year), %m (or %b) and "
                         "%d, e.g. \"%d/%m/%Y\" for 31/12/2019")
    return fmt


def _arrow_strings(dtype: pa.DataType):
    """Keep Parquet text in Arrow memory: building millions of Python str objects is slow."""
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return pd.StringDtype("pyarrow")
    return None


def read_parquet_raw(path: Path, people: pd.Index | None = None) -> pd.DataFrame:
    """The table as read, its index the rows' positions in the file; with ``people``, only
    the rows whose text ``person_id`` (trimmed) is one of them, chosen in Arrow memory before
    any Python object is built (a numeric ``person_id`` column is kept whole)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head != _PARQUET_MAGIC:
        what = "is empty (0 bytes)" if not head else "is not a Parquet file (it does not start " \
            "with the Parquet signature; a text table must be named .csv)"
        raise file_error(path, what)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise file_error(path, f"is not a readable Parquet file ({exc})") from None
    positions = None
    if people is not None and "person_id" in table.column_names:
        ids = table.column("person_id")
        if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type):
            wanted = pa.array([str(p) for p in people], type=pa.string())
            keep = pc.fill_null(pc.is_in(pc.utf8_trim_whitespace(ids), value_set=wanted), False)
            positions = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
            table = table.filter(keep)
    frame = table.to_pandas(types_mapper=_arrow_strings, date_as_object=False)
    if positions is not None:
        frame.index = pd.Index(positions)
    return frame


def read_csv_raw(path: Path, encoding: str) -> tuple[pd.DataFrame, list[Violation]]:
    """Every cell as text (empty = missing); cells not in ``encoding`` are violations."""
    if path.stat().st_size == 0:
        raise file_error(path, "is empty (0 bytes): a table needs a header row naming its "
                               "columns (see data/README.md)")
    utf8 = codecs.lookup(encoding).name == "utf-8"
    options = dict(dtype=str, keep_default_na=False, na_values=[""],
                   encoding="utf-8-sig" if utf8 else encoding)
    try:
        frame, problems = _read_csv(path, options), []
    except UnicodeDecodeError:
        frame = _read_csv(path, {**options, "encoding_errors": "surrogateescape"})
        frame, problems = _undecodable(path.name, frame, encoding)
    if frame.shape[1] == 1:
        sep = next((s for s in (";", "\t", "|") if s in str(frame.columns[0])), None)
        if sep is not None:
            raise file_error(path, f"separates values with {sep!r}; the contract's CSV files "
                                   "use commas (Excel: save as 'CSV UTF-8 (Comma delimited)')")
    return frame, problems + _repeated_headers(path.name, frame)


def _read_csv(path: Path, options: dict) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise file_error(path, "has no header row (the file holds only blank lines)") from None
    except pd.errors.ParserError as exc:
        raise _bad_lines(path, options, exc) from None


def _bad_lines(path: Path, options: dict, exc: Exception) -> ExtractError:
    """Name every row with more values than the header has columns."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            width = pd.read_csv(path, **options, on_bad_lines="warn").shape[1]
        except (pd.errors.ParserError, ValueError):
            return file_error(path, f"is not a readable CSV file ({exc})")
    lines = [int(n) for w in caught for n in re.findall(r"line (\d+)", str(w.message))]
    if not lines:
        return file_error(path, f"is not a readable CSV file ({exc})")
    rows = rows_from_positions(n - 2 for n in lines)  # line 2 is data row 1
    rule = (f"these rows have more values than the header has columns ({width}): a value "
            "holding a comma must be in double quotes")
    shown = ", ".join(map(str, rows[:20]))
    return ExtractError(f"{path.name}: {rule} (rows {shown})", [Violation(path.name, "", rule,
                                                                          rows)])


def _undecodable(file: str, frame: pd.DataFrame, encoding: str):
    """Cells holding bytes that are not ``encoding`` text, per column; then made printable."""
    rule = (f"text is not valid {encoding.upper()} (Excel's plain 'CSV' writes Windows-1252): "
            "save the file as 'CSV UTF-8', or state its encoding in extract.json, e.g. "
            "\"encoding\": \"cp1252\"")
    problems, renamed = [], {}
    for col in frame.columns:
        clean = _UNDECODED.sub("\ufffd", str(col))
        if clean != col:
            renamed[col] = clean
            problems.append(Violation(file, clean, rule + " (in the header)", ()))
        values = frame[col]
        bad = values.str.contains(_UNDECODED, na=False).to_numpy(dtype=bool)
        if bad.any():
            problems.append(Violation(file, clean, rule, data_rows(bad)))
            frame[col] = values.str.replace(_UNDECODED, "\ufffd", regex=True)
    return frame.rename(columns=renamed), problems


def _repeated_headers(file: str, frame: pd.DataFrame) -> list[Violation]:
    """Rows that repeat the header: two exports pasted together."""
    names = [c for c in frame.columns if isinstance(c, str)][:3]
    if len(frame) == 0 or not names:
        return []
    repeated = pd.concat([frame[c] == c for c in names], axis=1).all(axis=1).to_numpy()
    if not repeated.any():
        return []
    return [Violation(file, "", "row repeats the header row (two files pasted together?): "
                                "delete it", data_rows(repeated))]
