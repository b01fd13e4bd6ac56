"""What is wrong with an input, said one way everywhere: file, column, rows and the rule.

Row numbers follow one convention in every message of the project (``ROW_NUMBERING``):
row 1 is the first data row under the header, so row N of a CSV file is on its line N+1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluation.data.contract import ROW_NUMBERING


class InputError(ValueError):
    """Input that the toolkit cannot use: the message says which file, where, and the fix.

    The command line prints these without a traceback (``--debug`` shows it)."""


class ExtractError(InputError):
    """The extract cannot be read at all (missing folder or file, unreadable file or metadata).

    ``violations`` lists each problem when there are several; ``exit_code`` is what
    ``evaluation validate`` returns for it."""

    exit_code = 2

    def __init__(self, message: str, violations: tuple[Violation, ...] | list = ()):
        super().__init__(message)
        self.violations = list(violations)


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (file, column, rows) and what (rule).

    ``column`` is empty for a rule about the whole file (it is empty, not Parquet, ...);
    ``rows`` is empty for a rule about a column or file rather than some of its rows;
    ``field`` names the spec field that named the column (a person-level file's spec), if any."""

    file: str
    column: str
    rule: str
    rows: tuple[int, ...]  # data row numbers, ROW_NUMBERING
    field: str = ""

    @property
    def count(self) -> int:
        return len(self.rows)

    def describe(self, max_rows: int = 10) -> str:
        where = f"{self.file}: column '{self.column}'" if self.column else self.file
        if self.field:
            where += f" (spec {self.field})"
        text = f"{where}: {self.rule}"
        if not self.rows:
            return text
        shown = ", ".join(str(r) for r in self.rows[:max_rows])
        more = f" and {self.count - max_rows} more" if self.count > max_rows else ""
        noun = "row" if self.count == 1 else "rows"
        return f"{text} ({noun} {shown}{more})"


def data_rows(mask) -> tuple[int, ...]:
    """Row numbers (``ROW_NUMBERING``) of the True entries of a boolean mask over the rows."""
    return tuple(int(i) + 1 for i in np.flatnonzero(np.asarray(mask, dtype=bool)))


def rows_from_positions(positions) -> tuple[int, ...]:
    """Row numbers (``ROW_NUMBERING``) of 0-based row positions, sorted and unique."""
    return tuple(sorted({int(i) + 1 for i in positions}))


def describe_violations(where: str, violations: list[Violation], max_rows: int = 20) -> str:
    """The report ``evaluation validate`` prints, and every entry point refuses with."""
    n_rows = sum(max(v.count, 1) for v in violations)
    lines = [f"{where}: {len(violations)} rule(s) broken, {n_rows} row(s) affected:"]
    lines += [f"  {v.describe(max_rows=max_rows)}" for v in violations]
    lines.append(f"Row numbers: {ROW_NUMBERING}.")
    return "\n".join(lines)


__all__ = ["ROW_NUMBERING", "ExtractError", "InputError", "Violation", "data_rows",
           "describe_violations", "rows_from_positions"]
