"""Files written by the report builders (results.json, tables, figures) are all or nothing: a
write interrupted part-way leaves the previous file (or no file) and no temporary file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from evaluation.atomic import PARTIAL_SUFFIX, atomic_write_text
from evaluation.reporting.disclosure import DisclosureRules
from evaluation.reporting.publish import publish_table
from evaluation.reporting.results_json import write_json
from evaluation.reporting.style import save_figure


class Killed(BaseException):
    """Stands for SIGTERM/Ctrl-C arriving in the middle of a write."""


def _interrupt_after_half(monkeypatch):
    """Every Path.write_bytes writes half its data, then the process is 'killed'."""
    real = Path.write_bytes

    def half(self, data):
        real(self, data[: len(data) // 2])
        raise Killed()

    monkeypatch.setattr(Path, "write_bytes", half)


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if PARTIAL_SUFFIX in p.name]


def test_an_interrupted_results_json_keeps_the_previous_file(tmp_path, monkeypatch):
    path = write_json(tmp_path / "results.json", {"n_treated": 120})
    before = path.read_bytes()
    _interrupt_after_half(monkeypatch)
    with pytest.raises(Killed):
        write_json(path, {"n_treated": 999, "long": "x" * 10_000})
    assert path.read_bytes() == before
    assert not _leftovers(tmp_path)


def test_an_interrupted_table_leaves_no_csv(tmp_path, monkeypatch):
    frame = pd.DataFrame({"group": ["a", "b"], "people": [40, 50]})
    _interrupt_after_half(monkeypatch)
    with pytest.raises(Killed):
        publish_table(frame, "flow", rules=DisclosureRules(threshold=10),
                      tables_dir=tmp_path / "tables", count_cols=["people"])
    assert not (tmp_path / "tables" / "flow.csv").exists()
    assert not _leftovers(tmp_path)


def test_an_interrupted_figure_leaves_no_png(tmp_path, monkeypatch):
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])

    def killed_mid_write(target, **kwargs):
        Path(target).write_text("half a PNG")  # what a killed savefig leaves behind
        raise Killed()

    monkeypatch.setattr(fig, "savefig", killed_mid_write)
    with pytest.raises(Killed):
        save_figure(fig, tmp_path / "figures" / "km.png", "a falling line")
    assert not (tmp_path / "figures" / "km.png").exists()
    assert not (tmp_path / "figures" / "km.alt.txt").exists()
    assert not _leftovers(tmp_path)


def test_a_finished_write_has_the_final_name_and_plain_permissions(tmp_path):
    path = atomic_write_text(tmp_path / "deep" / "a.txt", "whole")
    assert path.read_text() == "whole" and not _leftovers(tmp_path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as a plain open() would make it
