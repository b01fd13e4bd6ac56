"""The data dictionary, generated from the contract so it cannot drift from the validator."""

from __future__ import annotations

from evaluation.data.contract import (
    CONTRACT,
    DATE_FORMAT,
    DEFAULT_ENCODING,
    MAX_AGE,
    MIN_AGE_OF_CRIMINAL_RESPONSIBILITY,
    ROW_NUMBERING,
    TABLES,
)

_KIND = {"id": "identifier", "str": "text", "category": "category", "date": "date (YYYY-MM-DD)",
         "int": "whole number", "float": "number", "bool": "true/false"}

BEGIN = "<!-- BEGIN GENERATED DICTIONARY (evaluation dictionary) -->"
END = "<!-- END GENERATED DICTIONARY -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def data_dictionary_markdown() -> str:
    """Every table and column: type, meaning and the rule that checks it."""
    lines = [BEGIN, "", "Rules for every table:", "",
             "- at least one data row under the header (a header-only table is an error)",
             f"- dates as YYYY-MM-DD (`{DATE_FORMAT}`; a midnight time such as "
             "`2015-02-04 00:00:00` is allowed), or in the `date_format` that `extract.json` "
             "states; never guessed",
             "- numbers finite (no `inf`), whole numbers within +/-2^53",
             f"- CSV text in {DEFAULT_ENCODING.upper()} (a byte-order mark is allowed) unless "
             "`extract.json` states its `encoding`",
             f"- every person at least {MIN_AGE_OF_CRIMINAL_RESPONSIBILITY} and alive on each "
             f"dated event (offence, programme start, pool index date), and at most {MAX_AGE} "
             "at the data cut-off",
             f"- in every message, {ROW_NUMBERING}", ""]
    for name in TABLES:
        table = CONTRACT[name]
        lines += [f"### `{name}` (`{name}.parquet` or `{name}.csv`)", "", table.description, "",
                  "| column | type | meaning | rule |", "|---|---|---|---|"]
        for col in table.columns:
            lines.append(f"| `{col.name}` | {_KIND[col.kind]} | {_cell(col.description)} | "
                         f"{_cell(col.rule_text())} |")
        if table.rules:
            lines += ["", "Rules across columns and tables:", ""]
            lines += [f"- {rule}" for rule in table.rules]
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"
