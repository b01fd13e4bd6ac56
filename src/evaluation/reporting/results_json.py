"""results.json serialisation: plain, rounded Python values so the file is byte-stable.

Why: results.json is what the summary and the board summary read and what the reproducibility
check hashes, so every value goes through one conversion (numpy types, timestamps, NaN).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def json_value(value: Any, digits: int = 10) -> Any:
    """Plain Python numbers for JSON, rounded so the file is stable across runs (NaN -> None)."""
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(round(float(value), digits))
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, dict):
        return {str(k): json_value(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v, digits) for v in value]
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    return value


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as a list of JSON-ready row dicts."""
    return [json_value(r) for r in frame.to_dict(orient="records")]


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Sorted keys, two-space indent, trailing newline: the same data give the same bytes."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return path
