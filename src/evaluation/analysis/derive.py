"""Outcomes for a design's people, with the configured follow-up rules."""

from __future__ import annotations

import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.config import ProgrammeConfig
from evaluation.data.io import Extract
from evaluation.outcomes import derive_outcomes, prepared_offences


def derive_analysis_outcomes(frame: pd.DataFrame, extract: Extract, config: ProgrammeConfig,
                             window_days: int, attrition: Attrition | None) -> pd.DataFrame:
    """Outcome columns for ``frame`` over ``window_days`` (custody, waiting period and what
    happens to rows with an incomplete read-out, ``outcomes.too_late``, from the config)."""
    o = config.outcomes
    return derive_outcomes(frame, extract.tables["offences"], extract.tables["people"],
                           extract.data_cutoff, window_days=window_days,
                           waiting_days=o.waiting_days, custody=o.custody, too_late=o.too_late,
                           attrition=attrition, prepared=prepared_offences(extract))
