"""Write a synthetic world as an extract directory, byte-identical for the same seed.

Parquet files carry key-value metadata saying they are synthetic; CSV dates are YYYY-MM-DD
and missing values are empty cells. Nothing time- or machine-dependent is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from evaluation.data.contract import CONTRACT, EXTRACT_METADATA_FILE, TABLES


def _json(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, allow_nan=True) + "\n"


def _csv_frame(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    out = frame.copy()
    for col in CONTRACT[table].columns:
        s = out[col.name]
        if col.kind == "date":
            out[col.name] = s.dt.strftime("%Y-%m-%d").where(s.notna(), "")
        elif col.kind == "bool":
            out[col.name] = s.map({True: "true", False: "false"}).astype(object).fillna("")
        elif col.kind == "float":
            out[col.name] = s.map(lambda v: "" if pd.isna(v) else repr(float(v)))
        elif col.kind == "int":
            out[col.name] = s.astype("string").fillna("")
    return out


def write_world(world, out_dir: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write the four tables, ``extract.json`` and ``truth.json``; returns the paths."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    meta = world.metadata
    for table in TABLES:
        frame = world.tables[table]
        other = out / f"{table}.{'csv' if fmt == 'parquet' else 'parquet'}"
        if other.exists():  # an extract holds each table once
            other.unlink()
        path = out / f"{table}.{fmt}"
        if fmt == "parquet":
            arrow = pa.Table.from_pandas(frame, preserve_index=False)
            kv = dict(arrow.schema.metadata or {})
            kv.update({b"synthetic": b"true", b"generator": meta["generator"].encode(),
                       b"generator_version": str(meta["generator_version"]).encode(),
                       b"seed": str(meta["seed"]).encode()})
            arrow = arrow.replace_schema_metadata(kv)
            pq.write_table(arrow, path, compression="zstd")
        else:
            _csv_frame(frame, table).to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    for name, obj in ((EXTRACT_METADATA_FILE, meta), ("truth.json", world.truth)):
        path = out / name
        path.write_text(_json(obj))
        written.append(path)
    return written
