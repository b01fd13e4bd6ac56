"""Statistical disclosure control for published tables (GSS conventions; domain-facts section 5).

Why: individual-level police data is personal data; only aggregates leave the secure setting,
and a small count (or a rate built from one) can identify a person. Rules (decision record
docs/decisions/0301-disclosure-rules.md):

- Primary suppression: counts from 1 to ``threshold - 1`` become ``[c]``. True zeros are shown
  (the usual GSS practice: a zero discloses nothing about a person that the table's population
  definition does not), unless ``suppress_zero=True``.
- Secondary suppression: when a table carries totals, a line (row or column) with exactly one
  suppressed cell lets a reader recover it by subtraction, so the next smallest cell in that line
  is suppressed too (non-zero body cells first, totals last). Then an exact check: a suppressed
  cell is recoverable by any chain of additions/subtractions of published cells iff its unit
  vector lies in the row space of the totals' constraint matrix restricted to the suppressed
  cells; such cells get further secondary suppression until none is recoverable.
- Rates and means only from ``n >= threshold`` people (and, by default, from numerators of 0 or
  at least ``threshold`` events, since rate x n gives the numerator back).
- ``[u]`` marks estimates from fewer than ``low_reliability_events`` events; ``[x]`` not available;
  ``[z]`` not applicable.

Limitation: the exact check protects against recovering a value exactly, not against narrow
bounds (interval disclosure). Tables linked to other published tables need joint protection
(tau-argus, sdcTable).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPRESSED = "[c]"
LOW_RELIABILITY = "[u]"
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"


@dataclass(frozen=True)
class DisclosureRules:
    """A data controller's rules; every threshold is configurable (domain-facts section 5)."""

    threshold: int = 10
    low_reliability_events: int = 30
    suppress_zero: bool = False
    protect_numerators: bool = True

    def __post_init__(self) -> None:
        for name in ("threshold", "low_reliability_events"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(
                    f"DisclosureRules.{name} must be a whole number >= 1, got {value!r}")


def _resolve_rules(threshold: int, rules: DisclosureRules | None) -> DisclosureRules:
    if rules is None:
        return DisclosureRules(threshold=threshold)
    if threshold != 10 and threshold != rules.threshold:
        raise ValueError(f"threshold={threshold} conflicts with rules.threshold={rules.threshold}; "
                         "give one or the other")
    return rules


def _count_grid(table: pd.DataFrame, cols: list[Hashable]) -> np.ndarray:
    """The count cells as floats; ValueError naming the column for anything that is not a count."""
    grid = np.empty((len(table), len(cols)))
    for j, col in enumerate(cols):
        values = pd.to_numeric(table[col], errors="coerce")
        already = (table[col] == SUPPRESSED).to_numpy()  # suppressed upstream (results.json)
        bad = table.index[(values.isna() & table[col].notna()).to_numpy() & ~already]
        if len(bad):
            raise ValueError(f"count column {col!r} holds non-numeric values at rows {list(bad)}")
        v = values.to_numpy(dtype=float)
        finite = np.isfinite(v)
        wrong = finite & ((v < 0) | (v != np.round(v)))
        if wrong.any():
            rows = list(table.index[wrong])
            raise ValueError(
                f"count column {col!r} must hold whole numbers >= 0; rows {rows} do not")
        grid[:, j] = v
    return grid


def _constraints(table: pd.DataFrame, cols: list[Hashable], total_row: Hashable | None,
                 total_col: Hashable | None, grid: np.ndarray) -> list[list[tuple[int, int]]]:
    """Lines of cells that add up (body cells plus the total), after checking they do add up."""
    n_rows, n_cols = grid.shape
    lines: list[list[tuple[int, int]]] = []
    if total_col is not None:
        jt = cols.index(total_col)
        for i in range(n_rows):
            body = [j for j in range(n_cols) if j != jt]
            if not np.isclose(grid[i, body].sum(), grid[i, jt]):
                raise ValueError(
                    f"row {table.index[i]!r}: the counts add up to {grid[i, body].sum():g} but "
                    f"the total column {total_col!r} says {grid[i, jt]:g}; totals must be additive"
                )
            lines.append([(i, j) for j in range(n_cols)])
    if total_row is not None:
        it = list(table.index).index(total_row)
        for j in range(n_cols):
            body = [i for i in range(n_rows) if i != it]
            if not np.isclose(grid[body, j].sum(), grid[it, j]):
                raise ValueError(
                    f"column {cols[j]!r}: the counts add up to {grid[body, j].sum():g} but the "
                    f"total row {total_row!r} says {grid[it, j]:g}; totals must be additive"
                )
            lines.append([(i, j) for i in range(n_rows)])
    return lines


def _recoverable(mask: np.ndarray, lines: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Suppressed cells whose value follows exactly from the published cells and totals."""
    cells = [tuple(c) for c in np.argwhere(mask)]
    if not cells or not lines:
        return []
    where = {c: k for k, c in enumerate(cells)}
    A = np.zeros((len(lines), len(cells)))
    for r, line in enumerate(lines):
        for c in line:
            if c in where:
                A[r, where[c]] = 1.0
    rank = np.linalg.matrix_rank(A)
    out = []
    for c, k in where.items():
        e = np.zeros((1, len(cells)))
        e[0, k] = 1.0
        if np.linalg.matrix_rank(np.vstack([A, e])) == rank:
            out.append(c)
    return out


def suppression_pattern(
    table: pd.DataFrame,
    count_cols: Sequence[Hashable],
    threshold: int = 10,
    *,
    total_row: Hashable | None = None,
    total_col: Hashable | None = None,
    rules: DisclosureRules | None = None,
) -> pd.DataFrame:
    """Which cells to suppress and why: "" (shown), "primary" or "secondary".

    ``count_cols`` are the body columns; ``total_col`` (a column of row totals) and ``total_row``
    (the index label of the column-totals row) are the margins a reader could subtract from.
    Returns a frame over ``count_cols`` (+ ``total_col``) with the table's index.
    """
    rules = _resolve_rules(threshold, rules)
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(table).__name__}")
    cols = list(count_cols)
    if total_col is not None and total_col not in cols:
        cols.append(total_col)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the table; columns are {list(table.columns)}")
    if not table.index.is_unique:
        raise ValueError("the table's index must be unique (it labels the rows of the output)")
    if total_row is not None and total_row not in table.index:
        raise ValueError(
            f"total_row {total_row!r} is not a row label; rows are {list(table.index)}")
    grid = _count_grid(table, cols)
    if (total_row is not None or total_col is not None) and np.isnan(grid).any():
        raise ValueError("a table with totals must have every count present (no NaN): a missing "
                         "cell makes the additivity check and secondary suppression impossible")
    lines = _constraints(table, cols, total_row, total_col, grid)

    low = 0 if rules.suppress_zero else 1
    primary = (grid >= low) & (grid < rules.threshold)
    mask = primary.copy()
    is_total = np.zeros_like(mask)
    if total_col is not None:
        is_total[:, cols.index(total_col)] = True
    if total_row is not None:
        is_total[list(table.index).index(total_row), :] = True

    def pick(candidates: list[tuple[int, int]]) -> tuple[int, int] | None:
        # next smallest: body before totals, non-zero before zero, smaller first, then position
        free = [c for c in candidates if not mask[c]]
        if not free:
            return None
        return min(free, key=lambda c: (bool(is_total[c]), grid[c] == 0, grid[c], c))

    while True:
        changed = False
        for line in lines:  # the GSS minimum: no line with exactly one suppressed cell
            if sum(bool(mask[c]) for c in line) == 1:
                c = pick(line)
                if c is not None:
                    mask[c] = changed = True
        if changed:
            continue
        recoverable = _recoverable(mask, lines)  # chains of subtractions (e.g. bridge cells)
        if not recoverable:
            break
        target = recoverable[0]
        c = pick([cell for line in lines if target in line for cell in line])
        if c is None:  # its own lines are fully suppressed: widen to the whole table
            c = pick([tuple(cell) for cell in np.argwhere(~mask)])
        if c is None:  # nothing left to suppress (cannot be recoverable then; never loop)
            break
        mask[c] = True

    out = np.where(primary, "primary", np.where(mask, "secondary", ""))
    return pd.DataFrame(out, index=table.index, columns=cols)


def suppress_counts(
    table: pd.DataFrame,
    count_cols: Sequence[Hashable],
    threshold: int = 10,
    *,
    total_row: Hashable | None = None,
    total_col: Hashable | None = None,
    rules: DisclosureRules | None = None,
) -> pd.DataFrame:
    """A display copy of ``table``: suppressed counts become ``[c]``, missing ones ``[x]``;
    a cell already ``[c]`` (suppressed where it was first written) stays ``[c]``.

    Primary and secondary suppression as in :func:`suppression_pattern`; other columns are
    left as they are. Shown counts stay whole numbers (formatting is the renderer's job).
    """
    pattern = suppression_pattern(table, count_cols, threshold, total_row=total_row,
                                  total_col=total_col, rules=rules)
    out = table.copy()
    for col in pattern.columns:
        values = pd.to_numeric(table[col].where(table[col] != SUPPRESSED))
        shown = values.round().astype("Int64").astype(object).where(values.notna(), NOT_AVAILABLE)
        out[col] = shown.where((pattern[col] == "") & (table[col] != SUPPRESSED), SUPPRESSED)
    return out


def apply_to_estimates(
    results: pd.DataFrame,
    rules: DisclosureRules | None = None,
    *,
    value_cols: Sequence[str] | None = None,
    n_col: str = "n",
    events_col: str | None = "events",
) -> pd.DataFrame:
    """A display copy of a tidy results frame with the disclosure rules applied row by row.

    - ``n < threshold``: the row's values and its ``n`` become ``[c]`` (no rate or mean from
      fewer than ``threshold`` people).
    - ``0 < events < threshold`` (if ``rules.protect_numerators``): values and events ``[c]``.
    - ``events < low_reliability_events`` on a shown row: ``[u]`` in a ``marker`` column.
    - a missing estimate is ``[x]``; a missing interval, SE or p-value beside a present estimate is
      ``[z]`` (not applicable, e.g. a descriptive rate has no test).

    ``events_col`` must exist unless set to None explicitly (then no ``[u]`` check is made).
    """
    rules = rules or DisclosureRules()
    if not isinstance(results, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(results).__name__}")
    if value_cols is None:
        value_cols = [c for c in ("estimate", "std_error", "lower", "upper", "p_value")
                      if c in results.columns]
    needed = [*value_cols, n_col] + ([events_col] if events_col is not None else [])
    missing = [c for c in needed if c not in results.columns]
    if missing:
        hint = (" (pass events_col=None to skip the [u] low-reliability check on purpose)"
                if events_col in missing else "")
        raise ValueError(f"column(s) {missing} not in the results{hint}; "
                         f"columns are {list(results.columns)}")
    if "estimate" in value_cols:
        estimate_present = pd.to_numeric(results["estimate"], errors="coerce").notna()
    else:
        estimate_present = pd.Series(True, index=results.index)

    counts = {n_col: pd.to_numeric(results[n_col], errors="coerce")}
    if events_col is not None:
        counts[events_col] = pd.to_numeric(results[events_col], errors="coerce")
    for col, values in counts.items():
        if values.isna().any() or (values < 0).any():
            bad = list(results.index[(values.isna() | (values < 0)).to_numpy()])
            raise ValueError(f"column {col!r} must hold counts >= 0; rows {bad} do not")

    n = counts[n_col]
    hide = n < rules.threshold
    out = results.copy()
    out[n_col] = n.astype(object).where(~hide, SUPPRESSED)
    if events_col is not None:
        events = counts[events_col]
        small = (events > 0) & (events < rules.threshold)
        if rules.protect_numerators:
            hide = hide | small
        out[events_col] = events.astype(object).where(~(small | (n < rules.threshold)), SUPPRESSED)
        out["marker"] = np.where(~hide & (events < rules.low_reliability_events),
                                 LOW_RELIABILITY, "")
    for col in value_cols:
        values = pd.to_numeric(results[col], errors="coerce")
        filler = NOT_AVAILABLE if col == "estimate" else None
        shown = values.astype(object)
        if filler is None:
            shown = shown.where(values.notna() | ~estimate_present, NOT_APPLICABLE)
            shown = shown.where(values.notna() | estimate_present, NOT_AVAILABLE)
        else:
            shown = shown.where(values.notna(), filler)
        out[col] = shown.where(~hide, SUPPRESSED)
    return out
