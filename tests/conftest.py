"""Fixtures shared across the suite. Folders: unit/ (tiny frames, values worked by hand),
integration/ (published and R reference results, planted truths), e2e/ (notebooks and reports
end to end), project/ (hygiene: pins, style, notebooks stored clean)."""

import pandas as pd
import pytest
from paths import REFERENCE_DIR


@pytest.fixture(scope="session")
def small() -> pd.DataFrame:
    """The small survival data set whose R survival results live in reference/survival_r/."""
    return pd.read_csv(REFERENCE_DIR / "survival_r" / "small.csv")
