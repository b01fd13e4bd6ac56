"""A catalogue of malformed extracts, each a small mutation of the tiny valid extract.

Every case writes a whole extract folder and says what the refusal must name: the file, the
column ("" for a rule about the whole file), the data rows (row 1 = the first row under the
header) and words of the rule. Rows are worked out by hand from ``extract_factory.tiny_tables``
(people P1-P3; offences O1-O4; episodes E1 iom, E2 conditional_caution, E3 princes_trust added
here; pool rows 1 iom and 2 conditional_caution).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from extract_factory import CUTOFF, tiny_tables

META = {"data_cutoff": CUTOFF, "synthetic": True}


def base_tables() -> dict[str, pd.DataFrame]:
    """The tiny extract plus a Prince's Trust episode (E3, P2), so its fields can be broken."""
    tables = tiny_tables()
    episodes = tables["programme_episodes"]
    row = {c: None for c in episodes.columns}
    row.update(episode_id="E3", person_id="P2", programme="princes_trust",
               eligibility_date=pd.Timestamp("2018-01-01"),
               start_date=pd.Timestamp("2018-01-01"), end_date=pd.Timestamp("2018-04-01"),
               pt_risk_factors=3, pt_completed=True, pt_progression="education")
    extra = pd.DataFrame([row]).astype(episodes.dtypes.to_dict())
    tables["programme_episodes"] = pd.concat([episodes, extra], ignore_index=True)
    return tables


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def write_csv(frame: pd.DataFrame, path: Path, encoding: str = "utf-8",
              newline: str = "\n") -> None:
    """Dates as YYYY-MM-DD whatever the column's dtype; empty cell for missing."""
    text = frame.astype(object).map(_cell) if len(frame) else frame.astype(object)
    path.write_bytes(text.to_csv(index=False, lineterminator=newline).encode(encoding))


def write(directory: Path, tables: dict[str, pd.DataFrame], fmt: str = "csv",
          metadata: dict | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "extract.json").write_text(json.dumps(META if metadata is None else metadata))
    for name, frame in tables.items():
        if fmt == "csv":
            write_csv(frame, directory / f"{name}.csv")
        else:
            frame.to_parquet(directory / f"{name}.parquet", index=False)
    return directory


Build = Callable[[Path], None]


def setv(table: str, row: int, column: str, value, fmt: str = "csv") -> Build:
    """Set one cell (0-based row) of the base extract."""
    def build(d: Path) -> None:
        tables = base_tables()
        frame = tables[table]
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        write(d, tables, fmt)
    return build


def frames(change: Callable[[dict], None], fmt: str = "csv", metadata: dict | None = None
           ) -> Build:
    def build(d: Path) -> None:
        tables = base_tables()
        change(tables)
        write(d, tables, fmt, metadata)
    return build


def text(file: str, old: str, new: str, metadata: dict | None = None, count: int = 1,
         encoding: str = "utf-8") -> Build:
    """Edit the text of one CSV file of the base extract."""
    def build(d: Path) -> None:
        write(d, base_tables(), "csv", metadata)
        path = d / file
        content = path.read_text()
        assert old in content, (file, old)
        path.write_bytes(content.replace(old, new, count).encode(encoding))
    return build


def raw(file: str, data: bytes | Callable[[bytes], bytes], fmt: str = "csv") -> Build:
    """Replace the bytes of one file of the base extract."""
    def build(d: Path) -> None:
        write(d, base_tables(), fmt)
        path = d / file
        path.write_bytes(data(path.read_bytes()) if callable(data) else data)
    return build


def meta(metadata: dict | str | None) -> Build:
    def build(d: Path) -> None:
        write(d, base_tables(), "csv")
        path = d / "extract.json"
        if metadata is None:
            path.unlink()
        else:
            path.write_text(metadata if isinstance(metadata, str) else json.dumps(metadata))
    return build


def _drop_column(table: str, column: str, rename: str | None = None) -> Callable[[dict], None]:
    def change(tables: dict) -> None:
        frame = tables[table]
        tables[table] = (frame.rename(columns={column: rename}) if rename
                         else frame.drop(columns=[column]))
    return change


def _empty(table: str) -> Callable[[dict], None]:
    def change(tables: dict) -> None:
        tables[table] = tables[table].iloc[0:0]
    return change


def _append_copy(table: str, row: int) -> Callable[[dict], None]:
    def change(tables: dict) -> None:
        frame = tables[table]
        tables[table] = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
    return change


def _parquet_column(table: str, column: str, make: Callable[[pd.Series], pd.Series]) -> Build:
    def build(d: Path) -> None:
        tables = base_tables()
        tables[table][column] = make(tables[table][column])
        write(d, tables, "parquet")
    return build


def _moved(d: Path) -> None:
    """A data folder that does not exist: the case writes nothing."""


def _both_formats(d: Path) -> None:
    write(d, base_tables(), "csv")
    base_tables()["people"].to_parquet(d / "people.parquet", index=False)


def _without(file: str) -> Build:
    def build(d: Path) -> None:
        write(d, base_tables(), "csv")
        (d / file).unlink()
    return build


def _xlsx(d: Path) -> None:
    write(d, base_tables(), "csv")
    (d / "people.csv").rename(d / "people.xlsx")


def _truncated_parquet(d: Path) -> None:
    write(d, base_tables(), "parquet")
    path = d / "offences.parquet"
    path.write_bytes(path.read_bytes()[:300])


@dataclass(frozen=True)
class Case:
    name: str
    build: Build
    file: str            # the file the refusal names
    column: str          # "" = a rule about the whole file
    rows: tuple[int, ...]  # data rows (1 = first under the header); () = the whole column/file
    rule: str            # words the rule must contain
    unreadable: bool = False  # the extract cannot be read at all (exit 2, not 1)


T = pd.Timestamp
PEO, OFF, EPI, POOL = "people.csv", "offences.csv", "programme_episodes.csv", "comparison_pool.csv"
PQ_O, PQ_E, PQ_C = "offences.parquet", "programme_episodes.parquet", "comparison_pool.parquet"
NOT_ALLOWED = "value is not one of"

CASES: list[Case] = [
    # --- categories outside the contract
    Case("sex not allowed", setv("people", 1, "sex", "X"), PEO, "sex", (2,), NOT_ALLOWED),
    Case("area not allowed", setv("people", 0, "area", "london"), PEO, "area", (1,), NOT_ALLOWED),
    Case("ethnicity not allowed", setv("people", 2, "ethnicity_group", "White British"), PEO,
         "ethnicity_group", (3,), NOT_ALLOWED),
    Case("offence category not allowed", setv("offences", 1, "offence_category", "fraud"), OFF,
         "offence_category", (2,), NOT_ALLOWED),
    Case("outcome not allowed", setv("offences", 1, "outcome", "charged"), OFF, "outcome", (2,),
         NOT_ALLOWED),
    Case("programme misspelt", setv("programme_episodes", 0, "programme", "IOM"), EPI,
         "programme", (1,), NOT_ALLOWED),
    Case("pillar not allowed", setv("programme_episodes", 0, "iom_pillar", "prolific"), EPI,
         "iom_pillar", (1,), NOT_ALLOWED),
    Case("pool reason not allowed", setv("comparison_pool", 0, "pool_reason", "random"), POOL,
         "pool_reason", (1,), NOT_ALLOWED),
    Case("progression not allowed", setv("programme_episodes", 2, "pt_progression", "job"), EPI,
         "pt_progression", (3,), NOT_ALLOWED),
    # --- identifiers
    Case("duplicate person id", setv("people", 2, "person_id", "P1"), PEO, "person_id", (1, 3),
         "unique"),
    Case("duplicate offence id", setv("offences", 3, "offence_id", "O1"), OFF, "offence_id",
         (1, 4), "unique"),
    Case("duplicate episode id", setv("programme_episodes", 1, "episode_id", "E1"), EPI,
         "episode_id", (1, 2), "unique"),
    Case("duplicated offence row", frames(_append_copy("offences", 2)), OFF, "offence_id",
         (3, 5), "unique"),
    Case("duplicated pool row", frames(_append_copy("comparison_pool", 0)), POOL,
         "programme, person_id, index_date", (1, 3), "unique"),
    Case("orphan offence", setv("offences", 1, "person_id", "P9"), OFF, "person_id", (2,),
         "does not exist in people"),
    Case("orphan episode", setv("programme_episodes", 1, "person_id", "P8"), EPI, "person_id",
         (2,), "does not exist in people"),
    Case("orphan pool row", setv("comparison_pool", 1, "person_id", "P7"), POOL, "person_id",
         (2,), "does not exist in people"),
    Case("identifier NA", setv("offences", 2, "person_id", "NA"), OFF, "person_id", (3,),
         "missing-value marker"),
    Case("identifier with a space", setv("people", 0, "person_id", "P 1"), PEO, "person_id",
         (1,), "letters, digits"),
    # --- required fields empty (NaN)
    Case("sex empty", setv("people", 1, "sex", None), PEO, "sex", (2,), "required but empty"),
    Case("offence date empty", setv("offences", 0, "offence_date", None), OFF, "offence_date",
         (1,), "required but empty"),
    Case("person id empty", setv("offences", 3, "person_id", None), OFF, "person_id", (4,),
         "required but empty"),
    Case("pool index date empty", setv("comparison_pool", 1, "index_date", None), POOL,
         "index_date", (2,), "required but empty"),
    # --- dates: never guessed
    Case("DD/MM date in offences", text(OFF, "2017-06-01", "01/06/2017"), OFF, "offence_date",
         (2,), "DD/MM/YYYY or MM/DD/YYYY"),
    Case("DD/MM date in the pool only", text(POOL, "2016-07-01", "01/07/2016"), POOL, "index_date",
         (1,), "cannot be told apart"),
    Case("UK date with day above 12", text(PEO, "1980-07-15", "15/07/1980"), PEO, "date_of_birth",
         (3,), "date_format"),
    Case("date with a time of day", text(OFF, "2017-02-02", "2017-02-02 13:45"), OFF,
         "offence_date", (3,), "time of day"),
    Case("Excel serial date", text(OFF, "2018-01-01", "43101"), OFF, "offence_date", (4,),
         "is a number"),
    Case("unparseable date", text(OFF, "2017-06-01", "1st June"), OFF, "offence_date", (2,),
         "not a date in the form YYYY-MM-DD"),
    Case("impossible date", text(PEO, "1995-01-01", "1995-02-30"), PEO, "date_of_birth", (2,),
         "not a date in the form YYYY-MM-DD"),
    Case("NULL in an optional date", text(OFF, ",2017-02-03,", ",NULL,"), OFF, "proven_date",
         (3,), "missing-value marker"),
    Case("dates not in the stated format",
         frames(lambda t: None, metadata={**META, "date_format": "%d/%m/%Y"}), PEO,
         "date_of_birth", (1, 2, 3), "format %d/%m/%Y that extract.json states"),
    # --- numbers: finite, in range, whole
    Case("risk factors 11", setv("programme_episodes", 2, "pt_risk_factors", 11), EPI,
         "pt_risk_factors", (3,), "above the maximum 10"),
    Case("risk factors 15 in the pool", frames(lambda t: _pt_pool(t, 15)), POOL,
         "pt_risk_factors", (3,), "above the maximum 10"),
    Case("risk factors negative", setv("programme_episodes", 2, "pt_risk_factors", -1), EPI,
         "pt_risk_factors", (3,), "below 0"),
    Case("risk factors 1e300", setv("programme_episodes", 2, "pt_risk_factors", "1e300"), EPI,
         "pt_risk_factors", (3,), "above the maximum 10"),
    Case("risk factors -1e300", setv("programme_episodes", 2, "pt_risk_factors", "-1e300"), EPI,
         "pt_risk_factors", (3,), "below 0"),
    Case("risk factors not whole", setv("programme_episodes", 2, "pt_risk_factors", "2.5"), EPI,
         "pt_risk_factors", (3,), "not a whole number"),
    Case("risk factors in words", setv("programme_episodes", 2, "pt_risk_factors", "three"),
         EPI, "pt_risk_factors", (3,), "not a whole number"),
    Case("risk factors infinite", setv("programme_episodes", 2, "pt_risk_factors", "inf"), EPI,
         "pt_risk_factors", (3,), "not finite"),
    Case("selection score inf", setv("comparison_pool", 0, "iom_selection_score", "inf"), POOL,
         "iom_selection_score", (1,), "not finite"),
    Case("selection score -inf", setv("programme_episodes", 0, "iom_selection_score", "-inf"),
         EPI, "iom_selection_score", (1,), "not finite"),
    Case("selection score 1e300", setv("comparison_pool", 0, "iom_selection_score", "1e300"),
         POOL, "iom_selection_score", (1,), "above the maximum 1000"),
    Case("selection score negative", setv("comparison_pool", 0, "iom_selection_score", -1.0),
         POOL, "iom_selection_score", (1,), "below 0"),
    Case("thousands separator", setv("programme_episodes", 0, "iom_selection_score", "1,234"),
         EPI, "iom_selection_score", (1,), "not a number"),
    Case("NaN text in a number", setv("comparison_pool", 0, "iom_selection_score", "NaN"), POOL,
         "iom_selection_score", (1,), "not a number"),
    Case("true/false not readable", setv("programme_episodes", 2, "pt_completed", "maybe"), EPI,
         "pt_completed", (3,), "not true or false"),
    # --- rules across columns and tables
    Case("born after their offence", setv("people", 0, "date_of_birth", T("2017-01-01")), OFF,
         "offence_date", (1,), "before the person's date_of_birth"),
    Case("offence before birth", setv("offences", 2, "offence_date", T("1990-01-01")), OFF,
         "offence_date", (3,), "before the person's date_of_birth"),
    Case("offence by an 8-year-old", setv("offences", 0, "offence_date", T("1998-06-01")), OFF,
         "offence_date", (1,), "under 10"),
    Case("episode before age 10", setv("people", 1, "date_of_birth", T("2009-01-01")), EPI,
         "start_date", (2, 3), "under 10"),
    Case("aged 114 at the cut-off", setv("people", 1, "date_of_birth", T("1905-03-01")), PEO,
         "date_of_birth", (2,), "older than 110"),
    Case("aged 130", setv("people", 0, "date_of_birth", T("1889-01-01")), PEO, "date_of_birth",
         (1,), "before 1900-01-01"),
    Case("death before birth", setv("people", 2, "date_of_death", T("1970-01-01")), PEO,
         "date_of_death", (3,), "before date_of_birth"),
    Case("proven before offence", setv("offences", 0, "proven_date", T("2016-01-01")), OFF,
         "proven_date", (1,), "before offence_date"),
    Case("disposal without a date", setv("offences", 2, "proven_date", None), OFF,
         "proven_date", (3,), "present exactly when"),
    Case("date on a no-further-action", setv("offences", 1, "proven_date", T("2017-07-01")),
         OFF, "proven_date", (2,), "present exactly when"),
    Case("custody without conviction", setv("offences", 2, "custody_start", T("2017-03-01")),
         OFF, "custody_start", (3,), "follow a conviction"),
    Case("release before custody", setv("offences", 3, "custody_release", T("2018-02-01")), OFF,
         "custody_release", (4,), "before custody_start"),
    Case("offence after death", setv("offences", 3, "offence_date", T("2019-02-01")), OFF,
         "offence_date", (4,), "after the person's date_of_death"),
    Case("pool index after death", setv("comparison_pool", 1, "index_date", T("2019-05-01")),
         POOL, "index_date", (2,), "after the person's date_of_death"),
    Case("offence dated 2030", setv("offences", 1, "offence_date", T("2030-06-01")), OFF,
         "offence_date", (2,), "after the data cut-off"),
    Case("episode ends before it starts",
         setv("programme_episodes", 0, "end_date", T("2016-01-01")), EPI, "end_date", (1,),
         "before start_date"),
    Case("index date after the cut-off",
         setv("programme_episodes", 1, "start_date", T("2019-10-01")), EPI, "start_date", (2,),
         "after the data cut-off"),
    Case("pool index after the cut-off",
         setv("comparison_pool", 0, "index_date", T("2020-01-01")), POOL, "index_date", (1,),
         "after the data cut-off"),
    Case("iom episode without pillar", setv("programme_episodes", 0, "iom_pillar", None), EPI,
         "iom_pillar", (1,), "required for an iom"),
    Case("caution episode without disposal",
         setv("programme_episodes", 1, "disposal_type", None), EPI, "disposal_type", (2,),
         "required for a conditional_caution"),
    Case("field of another programme",
         setv("programme_episodes", 1, "iom_selection_score", 3.0), EPI, "iom_selection_score",
         (2,), "empty unless programme is 'iom'"),
    # --- columns
    Case("misspelt column", frames(_drop_column("people", "date_of_birth", "date_of_brith")),
         PEO, "date_of_birth", (), "the header has 'date_of_brith'"),
    Case("column in capitals", frames(_drop_column("people", "sex", "Sex")), PEO, "sex", (),
         "the header has 'Sex'"),
    Case("missing column", frames(_drop_column("people", "area")), PEO, "area", (),
         "required column is missing"),
    Case("extra column", frames(lambda t: t["people"].insert(2, "nhs_number", "x")), PEO,
         "nhs_number", (), "not in the data contract"),
    Case("column twice", text(PEO, "person_id,sex,", "person_id,sex,sex,", count=1), PEO, "sex",
         (), "more than once"),
    Case("header-only episodes", frames(_empty("programme_episodes")), EPI, "", (),
         "no data rows"),
    Case("header-only pool", frames(_empty("comparison_pool")), POOL, "", (), "no data rows"),
    # --- files
    Case("latin-1 CSV", text(PEO, "sandwell", "sandwell\u00a0", encoding="latin-1"), PEO, "area",
         (2,), "not valid UTF-8"),
    Case("Windows-1252 quote in a header", text(OFF, "outcome", "outcome\u2019",
                                                encoding="cp1252"), OFF, "outcome\ufffd", (),
         "in the header"),
    Case("stray header row mid-file", text(OFF, "\nO2,", "\n" + "offence_id,person_id,"
                                              "offence_date,proven_date,offence_category,"
                                              "outcome,custody_start,custody_release\nO2,"),
         OFF, "", (2,), "repeats the header row"),
    Case("comma inside a value", text(OFF, "criminal_damage", "criminal,damage"), OFF, "", (2,),
         "double quotes", unreadable=True),
    Case("semicolon separated", text(PEO, ",", ";", count=-1), PEO, "", (), "separates values",
         unreadable=True),
    Case("zero-byte CSV", raw(OFF, b""), OFF, "", (), "empty (0 bytes)", unreadable=True),
    Case("blank-lines CSV", raw(OFF, b"\n\n\n"), OFF, "", (), "no header row", unreadable=True),
    Case("text pretending to be Parquet", raw("people.parquet", b"person_id,sex\nP1,M\n",
                                              "parquet"), "people.parquet", "", (),
         "not a Parquet file", unreadable=True),
    Case("zero-byte Parquet", raw(PQ_E, b"", "parquet"), PQ_E, "", (), "empty (0 bytes)",
         unreadable=True),
    Case("truncated Parquet", _truncated_parquet, PQ_O, "", (), "not a readable Parquet",
         unreadable=True),
    Case("missing file", _without(OFF), "offences", "", (), "is missing", unreadable=True),
    Case("table saved as xlsx", _xlsx, "people", "", (), "found people.xlsx",
         unreadable=True),
    Case("table given twice", _both_formats, "people.parquet", "", (), "given twice",
         unreadable=True),
    Case("missing data folder", _moved, "", "", (), "no such data directory",
         unreadable=True),
    Case("extract.json missing", meta(None), "extract.json", "", (), "is missing",
         unreadable=True),
    Case("extract.json not JSON", meta("{data_cutoff: 2019-09-30"), "extract.json", "", (),
         "not valid JSON", unreadable=True),
    Case("extract.json without cut-off", meta({"synthetic": True}), "extract.json", "", (),
         "'data_cutoff'", unreadable=True),
    Case("cut-off in DD/MM/YYYY", meta({"data_cutoff": "30/09/2019"}), "extract.json", "", (),
         "not a date in the form YYYY-MM-DD", unreadable=True),
    Case("unknown encoding", meta({**META, "encoding": "latin-9x"}), "extract.json", "", (),
         "not a known text encoding", unreadable=True),
    Case("two-digit year format", meta({**META, "date_format": "%d/%m/%y"}), "extract.json",
         "", (), "four-digit year", unreadable=True),
    # --- Parquet-specific: typed columns
    Case("integer (nanosecond) dates in Parquet",
         _parquet_column("offences", "offence_date", lambda s: s.astype("int64")), PQ_O,
         "offence_date", (1, 2, 3, 4), "holds numbers"),
    Case("integer (day) dates in Parquet",
         _parquet_column("comparison_pool", "index_date",
                         lambda s: (s - T("1970-01-01")).dt.days), PQ_C, "index_date", (1, 2),
         "holds numbers"),
    Case("DD/MM text dates in Parquet",
         _parquet_column("programme_episodes", "start_date",
                         lambda s: s.dt.strftime("%d/%m/%Y")), PQ_E, "start_date", (1, 2, 3),
         "cannot be told apart"),
    Case("timestamps with a time in Parquet",
         _parquet_column("offences", "offence_date",
                         lambda s: s + pd.to_timedelta([0, 0, 13, 0], unit="h")), PQ_O,
         "offence_date", (3,), "time of day"),
    Case("time-zone timestamps in Parquet",
         _parquet_column("offences", "proven_date", lambda s: s.dt.tz_localize("UTC")), PQ_O,
         "proven_date", (1, 3, 4), "time zone"),
    Case("1e300 risk factors in Parquet",
         _parquet_column("programme_episodes", "pt_risk_factors",
                         lambda s: s.astype("float64").where(s.isna(), 1e300)), PQ_E,
         "pt_risk_factors", (3,),
         "above the maximum 10"),
    Case("inf selection score in Parquet",
         _parquet_column("comparison_pool", "iom_selection_score",
                         lambda s: s.where(s.isna(), float("inf"))), PQ_C,
         "iom_selection_score", (1,), "not finite"),
    Case("decimal person ids in Parquet",
         _parquet_column("offences", "person_id", lambda s: s.str[1:].astype(float)), PQ_O,
         "person_id", (1, 2, 3, 4), "letters, digits"),
]


def _pt_pool(tables: dict, risk: int) -> None:
    """A Prince's Trust pool row (P1, 2018-02-01) with ``risk`` predicted risk factors."""
    pool = tables["comparison_pool"]
    row = {c: None for c in pool.columns}
    row.update(programme="princes_trust", person_id="P1", index_date=T("2018-02-01"),
               pool_reason="eligible_not_referred", pt_risk_factors=risk, pt_completed=False,
               pt_progression="none")
    tables["comparison_pool"] = pd.concat(
        [pool, pd.DataFrame([row]).astype(pool.dtypes.to_dict())], ignore_index=True)


# Harmless variants: each must pass and give exactly the tables of the clean extract.
def _bom(d: Path) -> None:
    write(d, base_tables(), "csv")
    for path in d.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def _crlf(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    (d / "extract.json").write_text(json.dumps(META))
    for name, frame in base_tables().items():
        write_csv(frame, d / f"{name}.csv", newline="\r\n")


def _uk_dates_declared(d: Path) -> None:
    write(d, base_tables(), "csv", {**META, "date_format": "%d/%m/%Y"})
    for path in d.glob("*.csv"):
        content = path.read_text()
        path.write_text(re.sub(r"(\d{4})-(\d{2})-(\d{2})", r"\3/\2/\1", content))


def _latin1_declared(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    (d / "extract.json").write_text(json.dumps({**META, "encoding": "latin-1"}))
    for name, frame in base_tables().items():
        write_csv(frame, d / f"{name}.csv", encoding="latin-1")


def _midnight_times(d: Path) -> None:
    write(d, base_tables(), "csv")
    for path in d.glob("*.csv"):
        path.write_text(re.sub(r"(\d{4}-\d{2}-\d{2})", r"\1 00:00:00", path.read_text()))


def _reordered(d: Path) -> None:
    tables = {k: v[list(reversed(v.columns))] for k, v in base_tables().items()}
    write(d, tables, "csv")


def _padded(d: Path) -> None:
    write(d, base_tables(), "csv")
    path = d / "people.csv"
    path.write_text(path.read_text().replace(",M,", ", M ,"))


def _parquet_date32_dictionary(d: Path) -> None:
    """Dates as Parquet date32 and text dictionary-encoded, as Arrow and R's arrow write them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    write(d, base_tables(), "parquet")
    for name, frame in base_tables().items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        columns = []
        for column, spec in zip(table.columns, table.schema, strict=True):
            if pa.types.is_timestamp(spec.type):
                column = column.cast(pa.date32())
            elif pa.types.is_string(spec.type):
                column = column.dictionary_encode()
            columns.append(column)
        pq.write_table(pa.table(columns, names=table.column_names), d / f"{name}.parquet")


HARMLESS: dict[str, Build] = {
    "csv": lambda d: write(d, base_tables(), "csv"),
    "parquet": lambda d: write(d, base_tables(), "parquet"),
    "byte-order mark (Excel 'CSV UTF-8')": _bom,
    "Windows line ends (CRLF)": _crlf,
    "DD/MM/YYYY dates with date_format stated": _uk_dates_declared,
    "latin-1 files with the encoding stated": _latin1_declared,
    "dates with a midnight time": _midnight_times,
    "columns in another order": _reordered,
    "spaces around values": _padded,
    "Parquet date32 dates and dictionary text": _parquet_date32_dictionary,
}
