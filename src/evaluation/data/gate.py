"""The one gate every entry point passes an extract through before computing anything.

``open_validated_extract`` reads the extract and applies every rule of the contract (the same
rules and the same message as ``evaluation validate``); a broken rule raises ``ExtractInvalid``
and nothing downstream runs. An extract already validated in this run (same bytes, same digest)
is not validated twice.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from evaluation.data.contract import EXTRACT_METADATA_FILE, TABLES
from evaluation.data.io import Extract, load_extract
from evaluation.data.validate import validate_extract
from evaluation.data.violations import ExtractError, Violation, describe_violations

# Set by `evaluation run` once the extract has passed: the notebooks it starts call the gate
# again (every entry point validates) and, if the bytes are unchanged, skip re-running the rules.
VALIDATED_DIGEST_ENV = "EVALUATION_VALIDATED_DIGEST"

NOTHING_CHANGED = ("Nothing was changed and nothing was computed. Fix the rows above "
                   "(see data/README.md for each rule), then check with "
                   "`evaluation validate --data {dir}`.")


class ExtractInvalid(ExtractError):
    """The extract breaks the data contract, or cannot be read at all.

    ``violations`` lists every broken rule (file, column, rows, rule); ``exit_code`` is 1 when
    rules are broken and 2 when the extract cannot be read, as ``evaluation validate`` exits."""

    def __init__(self, directory: str | Path, violations: list[Violation],
                 unreadable: str | None = None, max_rows: int = 20):
        self.directory = Path(directory)
        self.unreadable = unreadable is not None
        self.exit_code = 2 if self.unreadable else 1
        if unreadable is not None:
            lines = [v.describe(max_rows) for v in violations] or [unreadable]
            message = f"{directory}: the extract cannot be read:\n  " + "\n  ".join(lines)
        else:
            message = "\n".join([describe_violations(str(directory), violations, max_rows),
                                 NOTHING_CHANGED.format(dir=directory)])
        super().__init__(message, violations)


def refuse_unreadable(directory: str | Path, exc: ExtractError) -> ExtractInvalid:
    """The gate's exception for an extract that cannot be read at all."""
    return ExtractInvalid(directory, exc.violations, unreadable=str(exc))


def input_digest(directory: str | Path) -> str:
    """SHA-256 over extract.json and the four table files (names and bytes): the extract's
    identity, for provenance and for not validating the same bytes twice."""
    directory = Path(directory)
    digest = hashlib.sha256()
    names = [EXTRACT_METADATA_FILE] + [f"{t}.{ext}" for t in TABLES for ext in ("parquet", "csv")]
    for name in names:
        path = directory / name
        if not path.is_file():
            continue
        digest.update(name.encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def open_validated_extract(data_dir: str | Path, *, skip_validation: bool = False,
                           validated_digest: str | None = None,
                           programme: str | None = None) -> Extract:
    """The extract at ``data_dir``, read and validated; ``ExtractInvalid`` if anything is wrong.

    ``skip_validation`` reads without checking the rules (values that cannot be read are still
    refused) and sets ``extract.validation_skipped``: a report built on it must say so in its
    first line. ``validated_digest`` is ``input_digest`` of an extract this run has already
    validated: if the files are byte-identical the rules are not run again, and with
    ``programme`` only that programme's people and offences are read (decision 0502; the
    whole extract has passed, so nothing unread goes unchecked)."""
    checked = (not skip_validation and validated_digest is not None
               and validated_digest == input_digest(data_dir))
    try:
        extract = load_extract(data_dir, programme=programme if checked else None)
    except ExtractError as exc:
        raise refuse_unreadable(data_dir, exc) from None
    if checked:
        return extract
    if skip_validation:
        violations = list(extract.read_violations)
        extract.validation_skipped = True
    else:
        violations = validate_extract(extract)
    if violations:
        raise ExtractInvalid(data_dir, violations)
    return extract


def rules_digest() -> str:
    """SHA-256 of the code that states and checks the contract (``evaluation/data/*.py``): a
    validation recorded under another version of the rules does not count."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def recorded_validation(record: str | Path, data_dir: str | Path) -> str | None:
    """The extract's digest if ``record`` says these very bytes passed these very rules (then
    they need not be checked again), else None."""
    import json

    record = Path(record)
    if not record.is_file():
        return None
    try:
        seen = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    digest = input_digest(data_dir)
    if seen.get("extract") == digest and seen.get("rules") == rules_digest():
        return digest
    return None


def record_validation(record: str | Path, data_dir: str | Path) -> None:
    """Note that the extract at ``data_dir`` passed the rules (call only after it did)."""
    import json

    from evaluation.atomic import atomic_write_text

    Path(record).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(record), json.dumps({"extract": input_digest(data_dir),
                                                "rules": rules_digest()}) + "\n")


def validate_once(data_dir: str | Path, record: str | Path, *, write: bool = True) -> bool:
    """Validate ``data_dir`` unless ``record`` says these bytes passed these rules before (a
    rerun with nothing changed then takes seconds); record a new pass when ``write``. True when
    the earlier check was reused (the extract is then not even read: the report kernels read
    what they need). ``ExtractInvalid`` as :func:`open_validated_extract`."""
    known = recorded_validation(record, data_dir)
    if known is not None:  # these bytes passed these rules: nothing to read here
        return True
    open_validated_extract(data_dir)
    if write:
        record_validation(record, data_dir)
    return known is not None
