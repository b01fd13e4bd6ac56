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

from evaluation.atomic import atomic_write_text


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


def json_records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    """A frame as a list of JSON-ready row dicts (None for a table the analysis did not make)."""
    if frame is None:
        return None
    return [json_value(r) for r in frame.to_dict(orient="records")]


def suppress_json_counts(value: Any, threshold: int, _top: bool = True) -> Any:
    """A copy with every whole number from 1 to ``threshold - 1`` under a key that names a
    count (``n``, ``n_events_treated``, ``people``: the scanner's rule) replaced by "[c]";
    the ``parameters`` block (configuration, not people) is left as it is. Primary suppression
    only: the published tables carry the secondary suppression."""
    from evaluation.reporting.scan import is_count_label

    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if _top and k == "parameters":
                out[k] = v
            elif (isinstance(v, int) and not isinstance(v, bool) and 0 < v < threshold
                  and is_count_label(str(k))):
                out[k] = "[c]"
            else:
                out[k] = suppress_json_counts(v, threshold, _top=False)
        return out
    if isinstance(value, list):
        return [suppress_json_counts(v, threshold, _top=False) for v in value]
    return value


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Sorted keys, two-space indent, trailing newline: the same data give the same bytes;
    written all or nothing (a killed run leaves no half file)."""
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
