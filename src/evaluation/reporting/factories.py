"""What a report notebook calls first: configuration, extract, evaluation, report object.

Why here and not in the notebooks: the notebook stays a list of section calls, and the way a
report is opened (overrides, unreadable values refused, planted truth) is tested code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from evaluation.reporting.iom_report import IomBeforeAfterReport
from evaluation.reporting.programme_report import ProgrammeReport


def load_truth(data_dir: str | Path, programme: str) -> dict | None:
    """The planted truth of a synthetic extract (None for real data or when absent)."""
    path = Path(data_dir) / "truth.json"
    if not path.exists():
        return None
    truth = json.loads(path.read_text())
    return truth.get("programmes", truth).get(programme)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_extract(extract) -> dict:
    """The extract's folder name, its extract.json metadata and each input file's SHA-256
    (names only, never an absolute path), for the appendix."""
    files = {p.name: file_sha256(p) for p in extract.input_files() if Path(p).exists()}
    return {"name": Path(extract.directory).resolve().name, "metadata": dict(extract.metadata),
            "files": dict(sorted(files.items()))}


def open_programme_report(programme: str, data_dir: str | Path, output_dir: str | Path,
                          overrides: list[str] | None = None,
                          config_path: str | Path | None = None) -> ProgrammeReport:
    """Configuration, extract (refused if it has unreadable values), evaluation, report."""
    from evaluation.analysis.programme import evaluate_programme
    from evaluation.config import load_programme_config
    from evaluation.data.io import ExtractError, load_extract

    config = load_programme_config(config_path or programme)
    if overrides:
        config = config.with_overrides(list(overrides))
    extract = load_extract(data_dir)
    if extract.read_violations:
        raise ExtractError(
            f"{data_dir}: the extract has values that cannot be read; run "
            f"`evaluation validate --data {data_dir}` for the list")
    evaluation = evaluate_programme(config, extract)
    truth = load_truth(data_dir, config.programme) if extract.is_synthetic else None
    return ProgrammeReport(evaluation, output_dir, truth=truth,
                           extract_info=describe_extract(extract))


def open_iom_before_after(data_dir: str | Path, output_dir: str | Path,
                          overrides: list[str] | None = None,
                          config_path: str | Path | None = None) -> IomBeforeAfterReport:
    """What the IOM before/after notebook calls first."""
    base = open_programme_report("iom", data_dir, output_dir, overrides, config_path)
    return IomBeforeAfterReport(base.ev, output_dir, truth=base.truth,
                                extract_info=base.extract_info)
