"""Notebooks are stored without outputs, with a tagged parameters cell, and stay thin."""


import nbformat
import pytest
from paths import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_report_notebooks():
    names = {p.stem for p in NOTEBOOKS}
    assert {"programme_evaluation", "iom_before_after", "summary"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean_and_thin(path):
    book = nbformat.read(path, as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be tagged"
    for cell in code:
        assert not cell.get("outputs"), f"{path.name}: stored with outputs"
        assert cell.get("execution_count") is None, f"{path.name}: stored with counts"
        for line in cell.source.splitlines():
            assert not line.lstrip().startswith(("def ", "class ")), (
                f"{path.name}: logic belongs in src/evaluation, not in a notebook: {line}")
