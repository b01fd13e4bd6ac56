"""The store that lets a report reuse an evaluation computed by an earlier job of the same run."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import pytest

from evaluation.analysis import result_store

CONFIG = {"name": "iom", "outcomes": {"window_days": 365}, "seed": 20190930}
CODE = {"version": "0.1.0", "source_sha256": "abc"}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "people.csv").write_bytes(b"person_id\n1\n2\n")
    (folder / "extract.json").write_bytes(b'{"synthetic": true}')
    (folder / "notes.txt").write_bytes(b"not data")
    return folder


def test_data_hashes_are_the_sha256_of_each_data_file(data: Path) -> None:
    assert result_store.data_hashes(data) == {
        "extract.json": hashlib.sha256(b'{"synthetic": true}').hexdigest(),
        "people.csv": hashlib.sha256(b"person_id\n1\n2\n").hexdigest(),
    }  # notes.txt is not a data file


def test_key_changes_with_config_data_and_code() -> None:
    hashes = {"people.csv": "00"}
    base = result_store.result_key(CONFIG, hashes, CODE)
    assert result_store.result_key(dict(reversed(CONFIG.items())), hashes, CODE) == base
    assert result_store.result_key({**CONFIG, "seed": 1}, hashes, CODE) != base
    assert result_store.result_key(CONFIG, {"people.csv": "01"}, CODE) != base
    assert result_store.result_key(CONFIG, hashes, {**CODE, "version": "0.2.0"}) != base
    assert result_store.result_key(CONFIG, hashes, {**CODE, "source_sha256": "abd"}) != base


def test_save_then_load_round_trips_and_leaves_no_temporary_file(data: Path, tmp_path: Path):
    store = tmp_path / "store"
    value = {"estimate": [0.97, 0.91], "n": 1234}
    path = result_store.save(value, CONFIG, data, store)
    assert path is not None and path.parent == store
    assert result_store.load(CONFIG, data, store) == value
    assert [p.name for p in store.iterdir()] == [path.name]  # nothing half-written beside it
    assert result_store.load({**CONFIG, "seed": 2}, data, store) is None
    (data / "people.csv").write_bytes(b"person_id\n1\n")  # the extract changed
    assert result_store.load(CONFIG, data, store) is None


def test_an_unreadable_entry_counts_as_absent(data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    path = result_store.save([1, 2, 3], CONFIG, data, store)
    path.write_bytes(pickle.dumps([1, 2, 3])[:5])  # truncated
    assert result_store.load(CONFIG, data, store) is None


def test_without_a_store_nothing_is_stored_and_everything_computed(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(result_store.ENV_VAR, raising=False)
    calls = []
    assert result_store.evaluate_once(CONFIG, data, lambda: calls.append(1) or "x") == "x"
    assert result_store.evaluate_once(CONFIG, data, lambda: calls.append(1) or "x") == "x"
    assert calls == [1, 1]
    assert result_store.save("x", CONFIG, data) is None


def test_evaluate_once_computes_once_per_store(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(result_store.ENV_VAR, str(tmp_path / "store"))
    calls = []

    def compute() -> dict:
        calls.append(1)
        return {"hr": 0.97}

    assert result_store.evaluate_once(CONFIG, data, compute) == {"hr": 0.97}
    assert result_store.evaluate_once(CONFIG, data, compute) == {"hr": 0.97}
    assert calls == [1]
    assert result_store.evaluate_once({**CONFIG, "seed": 3}, data, compute) == {"hr": 0.97}
    assert calls == [1, 1]


def test_config_objects_with_to_dict_are_accepted() -> None:
    class Config:
        def to_dict(self) -> dict:
            return dict(CONFIG)

    hashes = {"a.csv": "0"}
    assert result_store.result_key(Config(), hashes, CODE) == result_store.result_key(
        CONFIG, hashes, CODE
    )
    with pytest.raises(TypeError, match="mapping or have to_dict"):
        result_store.result_key(42, hashes, CODE)


def test_a_value_that_cannot_be_pickled_is_computed_again(data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert result_store.save(lambda: 1, CONFIG, data, store) is None
    assert list(store.iterdir()) == []
