"""The gate's record of a passed validation: the same bytes under the same rules are not checked
again (a rerun with nothing changed takes seconds), any change to either and they are."""

from __future__ import annotations

import json

from evaluation.data.gate import record_validation, recorded_validation, rules_digest


def _extract(folder):
    folder.mkdir()
    (folder / "extract.json").write_text('{"synthetic": true}')
    (folder / "people.csv").write_text("person_id\nP1\n")
    return folder


def test_recorded_validation_holds_only_for_the_same_bytes_and_rules(tmp_path):
    data = _extract(tmp_path / "extract")
    record = tmp_path / "reports" / ".validated-extract.json"
    assert recorded_validation(record, data) is None  # nothing recorded yet
    record_validation(record, data)
    assert recorded_validation(record, data) is not None
    (data / "people.csv").write_text("person_id\nP2\n")  # one byte of the extract changes
    assert recorded_validation(record, data) is None
    record_validation(record, data)
    seen = json.loads(record.read_text())
    seen["rules"] = "0" * 64  # recorded under other rules
    record.write_text(json.dumps(seen))
    assert recorded_validation(record, data) is None
    record.write_text("not json")
    assert recorded_validation(record, data) is None


def test_rules_digest_is_stable():
    assert rules_digest() == rules_digest() and len(rules_digest()) == 64


def test_validate_once_reads_nothing_for_bytes_already_passed(tmp_path, monkeypatch):
    from extract_factory import tiny_tables, write_extract

    from evaluation.data import gate

    data = write_extract(tmp_path / "x", tiny_tables())
    record = tmp_path / "reports" / ".validated-extract.json"
    reads = []
    real = gate.load_extract
    monkeypatch.setattr(gate, "load_extract", lambda *a, **k: reads.append(a) or real(*a, **k))
    assert gate.validate_once(data, record) is False and len(reads) == 1  # checked, recorded
    assert gate.validate_once(data, record) is True and len(reads) == 1  # not read again
    (data / "people.csv").write_text((data / "people.csv").read_text() + "\n")
    assert gate.validate_once(data, record) is False and len(reads) == 2  # changed: checked
