"""What a report notebook calls first: configuration, extract, evaluation, report object.

Why here and not in the notebooks: the notebook stays a list of section calls, and the way a
report is opened (overrides, unreadable values refused, planted truth) is tested code.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from evaluation.reporting.iom_report import IomBeforeAfterReport
from evaluation.reporting.limited_report import LimitedEvaluation, LimitedReport
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
                          config_path: str | Path | None = None,
                          skip_validation: bool = False) -> ProgrammeReport | LimitedReport:
    """Configuration, extract (refused if it has unreadable values), evaluation, report.

    An effect that cannot be estimated (``NotEstimable``: separation, nobody matched, no
    reoffences in a group) gives a ``LimitedReport`` saying why; ``skip_validation`` (from
    ``evaluation run --skip-validation``) reads the extract unchecked and every report says so
    in its first line."""
    from evaluation.analysis import result_store
    from evaluation.analysis.programme import evaluate_programme
    from evaluation.config import load_programme_config
    from evaluation.data.gate import VALIDATED_DIGEST_ENV, open_validated_extract
    from evaluation.design.estimability import NotEstimable

    config = load_programme_config(config_path or programme)
    if overrides:
        config = config.with_overrides(list(overrides))

    def compute():
        # the one gate: every rule of the contract, unless `evaluation run` has just checked
        # these very bytes (same digest)
        extract = open_validated_extract(data_dir, skip_validation=skip_validation,
                                         validated_digest=os.environ.get(VALIDATED_DIGEST_ENV),
                                         programme=config.programme)
        try:
            return evaluate_programme(config, extract), describe_extract(extract)
        except NotEstimable as exc:
            return LimitedEvaluation(config, extract, exc), describe_extract(extract)

    # computed once per run: a companion report (IOM before/after) reuses the programme's
    # evaluation from the run's private store instead of redoing it
    evaluation, extract_info = result_store.evaluate_once(config, data_dir, compute)
    if isinstance(evaluation, LimitedEvaluation):
        return LimitedReport(evaluation, output_dir, extract_info=extract_info)
    truth = load_truth(data_dir, config.programme) if evaluation.synthetic else None
    return ProgrammeReport(evaluation, output_dir, truth=truth, extract_info=extract_info)


def open_iom_before_after(data_dir: str | Path, output_dir: str | Path,
                          overrides: list[str] | None = None,
                          config_path: str | Path | None = None,
                          skip_validation: bool = False
                          ) -> IomBeforeAfterReport | LimitedReport:
    """What the IOM before/after notebook calls first."""
    base = open_programme_report("iom", data_dir, output_dir, overrides, config_path,
                                 skip_validation)
    if isinstance(base, LimitedReport):
        return base
    return IomBeforeAfterReport(base.ev, output_dir, truth=base.truth,
                                extract_info=base.extract_info)
