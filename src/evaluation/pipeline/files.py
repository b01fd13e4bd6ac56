"""The pipeline's names for the all-or-nothing writes, which live in ``evaluation.atomic`` (layer
1) because the report builders (results.json, tables, figures) write through them too."""

from __future__ import annotations

from evaluation.atomic import (
    PARTIAL_SUFFIX,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    remove_partials,
)

__all__ = ["PARTIAL_SUFFIX", "atomic_path", "atomic_write_bytes", "atomic_write_text",
           "remove_partials"]
