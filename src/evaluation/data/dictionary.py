"""The data dictionary, generated from the contract so it cannot drift from the validator."""

from __future__ import annotations

from evaluation.data.contract import CONTRACT, TABLES

_KIND = {"id": "identifier", "str": "text", "category": "category", "date": "date (YYYY-MM-DD)",
         "int": "whole number", "float": "number", "bool": "true/false"}

BEGIN = "<!-- BEGIN GENERATED DICTIONARY (evaluation dictionary) -->"
END = "<!-- END GENERATED DICTIONARY -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def data_dictionary_markdown() -> str:
    """Every table and column: type, meaning and the rule that checks it."""
    lines = [BEGIN, ""]
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
