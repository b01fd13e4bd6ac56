"""The catalogue of malformed inputs: every one refused with a message naming file, column,
rows and rule, by `validate`, by the gate and by `run`; no traceback; the input folder
byte-identical afterwards. Harmless variants (BOM, CRLF, a stated date format ...) pass and
read exactly the clean extract's values."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from extract_factory import tiny_tables
from malformed_cases import CASES, HARMLESS, base_tables, write
from paths import REPO

from evaluation.cli import main
from evaluation.data.gate import ExtractInvalid, input_digest, open_validated_extract
from evaluation.data.io import load_extract

BY_NAME = {c.name: c for c in CASES}


def _hashes(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


def _rows_text(rows: tuple[int, ...]) -> str:
    if not rows:
        return ""
    return f"({'row' if len(rows) == 1 else 'rows'} {', '.join(map(str, rows))})"


def _matching(case, violations):
    return [v for v in violations
            if (not case.file or v.file == case.file) and v.column == case.column
            and case.rule in v.rule]


def test_the_catalogue_has_at_least_60_cases_with_distinct_names():
    assert len(CASES) >= 60
    assert len(BY_NAME) == len(CASES)


def test_the_base_extract_of_the_catalogue_is_valid(tmp_path):
    assert open_validated_extract(write(tmp_path / "x", base_tables())).tables


@pytest.mark.parametrize("name", list(BY_NAME))
def test_malformed_extract_is_refused_clearly_and_left_untouched(tmp_path, capsys, name):
    case = BY_NAME[name]
    folder = tmp_path / "extract"
    case.build(folder)
    before = _hashes(folder)

    # the gate: one exception type, carrying the violation the case plants
    with pytest.raises(ExtractInvalid) as caught:
        open_validated_extract(folder)
    err = caught.value
    assert err.exit_code == (2 if case.unreadable else 1)
    hits = _matching(case, err.violations)
    assert hits, f"expected {case.file}/{case.column!r}/{case.rule!r} in:\n{err}"
    assert tuple(hits[0].rows) == case.rows

    # `evaluation validate`: the same words, exit 1 (rules) or 2 (unreadable), no traceback
    code = main(["validate", "--data", str(folder)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == err.exit_code
    assert "Traceback" not in text
    assert hits[0].describe(max_rows=20) in text
    if case.file:
        assert case.file in text
    assert case.rule in text and _rows_text(case.rows) in text
    if case.column:
        assert f"'{case.column}'" in text
    if not case.unreadable:
        assert "Row numbers: row 1 is the first data row under the header" in text

    # `evaluation run` refuses with the same message before anything is written
    reports = tmp_path / "reports"
    code = main(["run", "--data", str(folder), "--reports", str(reports), "--dry-run"])
    out = capsys.readouterr()
    assert code == err.exit_code and "Traceback" not in out.err
    assert hits[0].describe(max_rows=20) in out.err
    assert not reports.exists()
    assert _hashes(folder) == before


@pytest.mark.parametrize("name", ["DD/MM date in the pool only", "risk factors 1e300",
                                  "aged 114 at the cut-off", "zero-byte CSV"])
def test_run_without_dry_run_writes_nothing_on_a_malformed_extract(tmp_path, capsys, name):
    case = BY_NAME[name]
    folder = tmp_path / "extract"
    case.build(folder)
    before = _hashes(folder)
    reports = tmp_path / "reports"
    code = main(["run", "iom", "--data", str(folder), "--reports", str(reports),
                 "--workers", "1"])
    err = capsys.readouterr().err
    assert code in (1, 2) and case.rule in err and "Traceback" not in err
    assert not reports.exists()
    assert _hashes(folder) == before


@pytest.mark.parametrize("name", list(HARMLESS))
def test_harmless_variants_read_exactly_the_clean_values(tmp_path, name):
    clean = load_extract(write(tmp_path / "clean", base_tables(), "csv"))
    folder = tmp_path / "variant"
    HARMLESS[name](folder)
    before = _hashes(folder)
    extract = open_validated_extract(folder)
    for table, frame in clean.tables.items():
        pd.testing.assert_frame_equal(extract.tables[table], frame, check_dtype=False)
    assert _hashes(folder) == before


def test_dd_mm_dates_with_a_stated_format_are_read_day_first(tmp_path):
    """02/04/2015 with "date_format": "%d/%m/%Y" is 2 April, never 4 February."""
    HARMLESS["DD/MM/YYYY dates with date_format stated"](tmp_path)
    people = load_extract(tmp_path).tables["people"]
    assert people.loc[2, "date_of_birth"] == pd.Timestamp("1980-07-15")
    pool = load_extract(tmp_path).tables["comparison_pool"]
    assert pool.loc[0, "index_date"] == pd.Timestamp("2016-07-01")  # written 01/07/2016


def test_skip_validation_is_recorded_on_the_extract(tmp_path):
    folder = tmp_path / "x"
    BY_NAME["aged 114 at the cut-off"].build(folder)
    extract = open_validated_extract(folder, skip_validation=True)
    assert extract.validation_skipped is True
    assert open_validated_extract(write(tmp_path / "ok", base_tables())).validation_skipped \
        is False
    with pytest.raises(ExtractInvalid, match="not a date"):  # unreadable values still refused
        BY_NAME["unparseable date"].build(tmp_path / "bad")
        open_validated_extract(tmp_path / "bad", skip_validation=True)


def test_a_validated_digest_skips_the_rules_only_for_the_same_bytes(tmp_path):
    folder = write(tmp_path / "x", base_tables())
    digest = input_digest(folder)
    open_validated_extract(folder, validated_digest=digest)
    people = (folder / "people.csv").read_text().replace("P2,F,", "P2,X,")
    (folder / "people.csv").write_text(people)
    assert input_digest(folder) != digest
    with pytest.raises(ExtractInvalid, match="sex"):
        open_validated_extract(folder, validated_digest=digest)


# --- the command line: arguments, analyse, --debug --------------------------------------

def _analysis_table(tmp_path: Path, changes: dict | None = None) -> Path:
    import numpy as np

    rng = np.random.default_rng(3)
    n = 60
    frame = pd.DataFrame({"treated": np.repeat([1, 0], n // 2),
                          "duration_days": rng.integers(1, 365, n).astype(float),
                          "event": rng.integers(0, 2, n), "reoffended": rng.integers(0, 2, n),
                          "n_reoffences": rng.poisson(1, n), "days_at_risk": 365.0,
                          "weight": 1.0, "match_set": np.tile(np.arange(n // 2), 2)})
    for (col, row), value in (changes or {}).items():
        frame[col] = frame[col].astype(object)
        frame.loc[row, col] = value
    path = tmp_path / "analysis.csv"
    frame.to_csv(path, index=False)
    return path


SPEC = REPO / "docs" / "examples" / "analysis_file_spec.yaml"

CLI_CASES = {
    # name: (argv builder, words the message must contain)
    "unknown programme": (lambda d, t: ["run", "iomm", "--data", d, "--dry-run"],
                          "unknown programme(s) iomm"),
    "bad --set key": (lambda d, t: ["run", "iom", "--data", d, "--dry-run", "--set",
                                    "outcomes.window_dayz=182"], "outcomes.window_dayz"),
    "bad --set value": (lambda d, t: ["run", "iom", "--data", d, "--dry-run", "--set",
                                      "outcomes.window_days=abc"], "window_days"),
    "--set without =": (lambda d, t: ["run", "--data", d, "--dry-run", "--set", "window"],
                        "not of the form section.key=value"),
    "reports inside the extract": (lambda d, t: ["run", "--data", d, "--dry-run",
                                                 "--reports", str(Path(d) / "reports")],
                                   "inside the extract folder"),
    "analyse: missing --file": (lambda d, t: ["analyse", "--file", str(t / "nope.csv"),
                                              "--spec", str(SPEC)], "no such analysis file"),
    "analyse: missing spec": (lambda d, t: ["analyse", "--file", str(_analysis_table(t)),
                                            "--spec", str(t / "nope.yaml")],
                              "no such spec file"),
    "analyse: misspelt spec key": (lambda d, t: ["analyse", "--file", str(_analysis_table(t)),
                                                 "--spec", str(_typo_spec(t))],
                                   "_misspelt"),
    "analyse: treatment 2": (lambda d, t: ["analyse", "--file",
                                           str(_analysis_table(t, {("treated", 4): 2})),
                                           "--spec", str(SPEC)],
                             "analysis.csv: column 'treated' (spec treatment_col): value must be 0 or 1 (row 5)"),
    "analyse: negative duration": (
        lambda d, t: ["analyse", "--file",
                      str(_analysis_table(t, {("duration_days", 0): -3})), "--spec",
                      str(SPEC)], "column 'duration_days' (spec duration_col): value must be "
                                  "a finite number of days, 0 or more (row 1)"),
    "analyse: inf weight": (lambda d, t: ["analyse", "--file",
                                          str(_analysis_table(t, {("weight", 9): "inf"})),
                                          "--spec", str(SPEC)],
                            "column 'weight' (spec weights_col): value must be a finite weight, 0 or more "
                            "(row 10)"),
    "analyse: all censored": (lambda d, t: ["analyse", "--file", str(_all_censored(t)),
                                            "--spec", str(SPEC)], "every row is censored"),
    "analyse: empty table": (lambda d, t: ["analyse", "--file", str(_header_only(t)),
                                           "--spec", str(SPEC)], "no data rows"),
}


def _typo_spec(tmp_path: Path) -> Path:
    """The example spec with its first key misspelt (whatever the keys are called)."""
    lines = SPEC.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    key, _, rest = lines[first].partition(":")
    lines[first] = f"{key}_misspelt:{rest}"
    path = tmp_path / "typo.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _all_censored(tmp_path: Path) -> Path:
    path = _analysis_table(tmp_path)
    frame = pd.read_csv(path).assign(event=0)
    frame.to_csv(path, index=False)
    return path


def _header_only(tmp_path: Path) -> Path:
    path = _analysis_table(tmp_path)
    path.write_text(path.read_text().splitlines()[0] + "\n")
    return path


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_bad_arguments_get_a_clear_message_and_write_nothing(tmp_path, capsys, name):
    argv, words = CLI_CASES[name]
    folder = write(tmp_path / "extract", tiny_tables())
    before = _hashes(folder)
    code = main(argv(str(folder), tmp_path))
    err = capsys.readouterr().err
    assert code == 2, err
    assert words in err and "Traceback" not in err
    assert _hashes(folder) == before
    assert not (folder / "reports").exists()


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(ExtractInvalid, match="no such data directory"):
        main(["validate", "--data", str(tmp_path / "missing"), "--debug"])


def test_unexpected_errors_are_named_and_point_to_debug(tmp_path, capsys, monkeypatch):
    import evaluation.data.validate as validate

    def broken(directory):
        raise ZeroDivisionError("planted fault")

    monkeypatch.setattr(validate, "validate_directory", broken)
    code = main(["validate", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 3 and "ZeroDivisionError: planted fault" in err and "--debug" in err
    assert "Traceback" not in err


def test_file_system_errors_name_the_file(tmp_path, capsys, monkeypatch):
    import evaluation.data.validate as validate

    def denied(directory):
        raise PermissionError(13, "Permission denied", "/srv/extract/people.csv")

    monkeypatch.setattr(validate, "validate_directory", denied)
    code = main(["validate", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "/srv/extract/people.csv: Permission denied" in err
    assert "Traceback" not in err


def test_dry_run_lists_the_reports_and_writes_nothing(tmp_path, capsys):
    folder = write(tmp_path / "extract", base_tables())
    code = main(["run", "iom", "--data", str(folder), "--reports", str(tmp_path / "r"),
                 "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0 and "iom, iom_before_after" in out and "Nothing was written" in out
    assert not (tmp_path / "r").exists()
    assert json.loads((folder / "extract.json").read_text())["synthetic"] is True
