"""Scan rendered reports for disclosure risks before anything is published.

Why: the suppression helpers only protect tables that pass through them; a notebook can still
print a raw ``value_counts()`` or a person identifier. This is the last gate (run over every HTML
report in CI): it looks for

- ``small_count``: a whole number from 1 to ``threshold - 1`` in a table cell that holds counts.
  A cell holds counts when its column header (all header rows joined) or its row label names a
  count (n, number, count, people, persons, events, at risk, censored, reoffend..., offences,
  offenders, cases) and does not name a rate or summary (rate, per, mean, median, average,
  ratio, proportion, percent, share, probability, survival, estimate, interval, p value). A
  header with "%" counts only if it also says n/number/count ("n (%)"). The cell's leading whole
  number is read ("8 (3.2%)" -> 8); decimals, percentages and tokens such as a hash "4a8c..."
  are not counts. True zeros pass.
- ``identifier``: person/offence/event identifiers (P + 7 digits, O + 8, E + 6, as the synthetic
  data writes them, plus any configured regex) anywhere in the text, markup and scripts
  included; embedded ``data:`` images are skipped (base64 can spell anything).
- ``date_of_birth``: a table header that looks like a date of birth.

CSV files are read as tables (first line the header), JSON by key (a count-like key holding a
small whole number, outside ``parameters``), PDFs as text (identifiers) via pdftotext.

Only tables are parsed for counts (html.parser, no extra dependency); prose is the job of the
sentence helpers. Rowspan/colspan are honoured when lining cells up with their headers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

DEFAULT_ID_PATTERNS: tuple[str, ...] = (r"\bP\d{7}\b", r"\bO\d{8}\b", r"\bE\d{6}\b")

_COUNT_WORDS = re.compile(
    r"\b(n|number|numbers|count|counts|people|persons|individuals|events|at risk|censored|"
    r"reoffend\w*|reoffences|offences|offenders|cases)\b"
)
_STRONG_COUNT = re.compile(r"\b(n|number|count|counts)\b")
_SUMMARY_WORDS = re.compile(
    r"\b(rate|rates|per|mean|median|average|ratio|proportion|percent|percentage|share|"
    r"probability|survival|estimate|ci|interval|p value|se|sd)\b"
)
_DOB = re.compile(r"\b(date of birth|dob|d o b|birth ?date|birth day|born)\b")
_LEADING_INT = re.compile(r"^\s*(\d{1,3}(?:,\d{3})+|\d+)(?![\d.,]*\d)(?!\s*%)(?!\.\d)(?![A-Za-z_])")
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


@dataclass(frozen=True)
class Finding:
    """One problem: what kind, where, the offending text and the rule it breaks."""

    kind: str
    where: str
    text: str
    rule: str
    path: str | None = None

    def __str__(self) -> str:
        at = f"{self.path}: " if self.path else ""
        return f"{at}{self.kind} at {self.where}: {self.text!r} ({self.rule})"


@dataclass
class _Cell:
    text: str
    header: bool
    in_thead: bool
    colspan: int = 1
    rowspan: int = 1


@dataclass
class _Table:
    rows: list[list[_Cell]] = field(default_factory=list)


class _TableParser(HTMLParser):
    """Collects every table (nested ones separately) as rows of cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self._stack: list[_Table] = []
        self._cell: _Cell | None = None
        self._thead = 0

    @staticmethod
    def _span(attrs: list[tuple[str, str | None]], name: str) -> int:
        value = dict(attrs).get(name)
        try:
            return max(1, int(value)) if value is not None else 1
        except ValueError:
            return 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            table = _Table()
            self.tables.append(table)
            self._stack.append(table)
        elif not self._stack:
            return
        elif tag == "thead":
            self._thead += 1
        elif tag == "tr":
            self._stack[-1].rows.append([])
        elif tag in ("td", "th"):
            table = self._stack[-1]
            if not table.rows:
                table.rows.append([])
            self._cell = _Cell("", tag == "th", self._thead > 0, self._span(attrs, "colspan"),
                               self._span(attrs, "rowspan"))
            table.rows[-1].append(self._cell)
        elif tag == "br" and self._cell is not None:
            self._cell.text += " "

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self._stack.pop()
            self._cell = None
        elif tag == "thead" and self._thead:
            self._thead -= 1
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[_\-]", " ", text.lower())).strip()


def _layout(table: _Table) -> list[list[_Cell | None]]:
    """Place cells on a grid honouring colspan and rowspan (a spanned cell repeats)."""
    grid: list[list[_Cell | None]] = []
    pending: dict[int, tuple[_Cell, int]] = {}  # column -> (cell, rows still to cover)
    for row in table.rows:
        out: list[_Cell | None] = []
        cells = iter(row)
        col = 0
        while True:
            if col in pending:
                cell, left = pending.pop(col)
                out.append(cell)
                if left > 1:
                    pending[col] = (cell, left - 1)
                col += 1
                continue
            cell = next(cells, None)
            if cell is None:
                if any(c >= col for c in pending):
                    out.append(None)
                    col += 1
                    continue
                break
            for _ in range(cell.colspan):
                out.append(cell)
                if cell.rowspan > 1:
                    pending[col] = (cell, cell.rowspan - 1)
                col += 1
        grid.append(out)
    return grid


def is_count_label(text: str) -> bool:
    """Whether a column header, row label or JSON key names a count of people or events."""
    t = _norm(text)
    if not _COUNT_WORDS.search(t) or _SUMMARY_WORDS.search(t):
        return False
    return "%" not in t or bool(_STRONG_COUNT.search(t))


def _scan_table(table: _Table, t_no: int, threshold: int) -> list[Finding]:
    grid = _layout(table)
    n_header = 0
    for row in grid:  # header rows: in <thead>, or all <th> before the first data row
        cells = [c for c in row if c is not None]
        if cells and (all(c.in_thead for c in cells) or all(c.header for c in cells)):
            n_header += 1
        else:
            break
    width = max((len(r) for r in grid), default=0)
    headers = []
    for j in range(width):
        parts: list[str] = []
        for row in grid[:n_header]:
            cell = row[j] if j < len(row) else None
            if cell is not None and cell.text.strip() and (not parts or parts[-1] != cell.text):
                parts.append(cell.text.strip())
        headers.append(" ".join(parts))

    findings = []
    for j, h in enumerate(headers):
        if _DOB.search(_norm(h)):
            findings.append(Finding("date_of_birth", f"table {t_no}, column {j + 1}", h,
                                    "a date of birth identifies people: publish age bands"))
    count_cols = [is_count_label(h) for h in headers]
    for i, row in enumerate(grid[n_header:], start=n_header + 1):
        label = row[0].text if row and row[0] is not None else ""
        row_counts = is_count_label(label)
        for j, cell in enumerate(row):
            if cell is None or cell.header or (j == 0 and row_counts):
                continue
            if not (row_counts or (j < len(count_cols) and count_cols[j])):
                continue
            m = _LEADING_INT.match(cell.text)
            if m is None:
                continue
            value = int(m.group(1).replace(",", ""))
            if 0 < value < threshold:
                name = headers[j] if j < len(headers) and headers[j] else f"column {j + 1}"
                findings.append(Finding(
                    "small_count", f"table {t_no}, row {i}, column {name!r}", cell.text.strip(),
                    f"counts from 1 to {threshold - 1} must be suppressed ([c])"))
    return findings


def scan_report(
    html_or_text: str,
    threshold: int = 10,
    id_patterns: Sequence[str | re.Pattern] = DEFAULT_ID_PATTERNS,
) -> list[Finding]:
    """Every disclosure risk in one rendered report (HTML, or plain text for identifiers)."""
    if threshold < 1:
        raise ValueError(f"threshold must be >= 1, got {threshold}")
    findings: list[Finding] = []
    clean = _DATA_URI.sub(lambda m: "\n" * m.group().count("\n"), html_or_text)
    for pattern in id_patterns:
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        for m in rx.finditer(clean):
            line = clean.count("\n", 0, m.start()) + 1
            findings.append(Finding("identifier", f"line {line}", m.group(),
                                    f"matches identifier pattern {rx.pattern}"))
    if "<table" in html_or_text.lower():
        parser = _TableParser()
        parser.feed(clean)
        parser.close()
        for t_no, table in enumerate(parser.tables, start=1):
            findings.extend(_scan_table(table, t_no, threshold))
    return findings



def scan_csv(text: str, threshold: int = 10,
             id_patterns: Sequence[str | re.Pattern] = DEFAULT_ID_PATTERNS) -> list[Finding]:
    """The table rules on a CSV (first line the header), plus identifiers anywhere."""
    rows = list(csv.reader(io.StringIO(text)))
    findings = [f for f in scan_report(text, threshold, id_patterns) if f.kind == "identifier"]
    if not rows:
        return findings
    table = _Table([[_Cell(h, True, True) for h in rows[0]]]
                   + [[_Cell(c, False, False) for c in r] for r in rows[1:]])
    return findings + _scan_table(table, 1, threshold)


def _json_counts(value, path: str, threshold: int, out: list[Finding]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if path == "" and k == "parameters":
                continue  # the configuration (thresholds, seeds, ages), not counts of people
            where = f"{path}.{k}" if path else str(k)
            if (isinstance(v, int) and not isinstance(v, bool) and 0 < v < threshold
                    and is_count_label(str(k))):
                out.append(Finding("small_count", where, str(v),
                                   f"counts from 1 to {threshold - 1} must be suppressed ([c])"))
            else:
                _json_counts(v, where, threshold, out)
    elif isinstance(value, list):
        for n, v in enumerate(value):
            _json_counts(v, f"{path}[{n}]", threshold, out)


def scan_json(text: str, threshold: int = 10,
              id_patterns: Sequence[str | re.Pattern] = DEFAULT_ID_PATTERNS) -> list[Finding]:
    """Identifiers anywhere; a whole number 1..threshold-1 under a key that names a count
    (``n``, ``n_events_treated``, ``people``) anywhere but the ``parameters`` block."""
    findings = [f for f in scan_report(text, threshold, id_patterns) if f.kind == "identifier"]
    try:
        data = json.loads(text)
    except ValueError as err:
        return [*findings, Finding("unreadable", "file", str(err)[:80], "JSON must parse")]
    _json_counts(data, "", threshold, findings)
    return findings


def pdf_text(path: Path) -> str | None:
    """The text of a PDF by ``pdftotext -layout`` (poppler), or None when it is not installed."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    done = subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, text=True,
                          check=False)
    return done.stdout if done.returncode == 0 else None


def scan_file(path: Path, threshold: int = 10,
              id_patterns: Sequence[str | re.Pattern] = DEFAULT_ID_PATTERNS) -> list[Finding]:
    """One output file by its format: HTML, CSV, JSON, PDF (text: identifiers), else none."""
    kind = path.suffix.lower()
    if kind == ".pdf":
        text = pdf_text(path)
        return [] if text is None else [f for f in scan_report(text, threshold, id_patterns)
                                        if f.kind == "identifier"]
    text = path.read_text(encoding="utf-8", errors="replace")
    if kind in (".html", ".htm"):
        return scan_report(text, threshold, id_patterns)
    if kind == ".csv":
        return scan_csv(text, threshold, id_patterns)
    if kind == ".json":
        return scan_json(text, threshold, id_patterns)
    return []


SCANNED_SUFFIXES = (".html", ".htm", ".csv", ".json", ".pdf")


def scan_reports(
    directory: str | Path,
    threshold: int = 10,
    id_patterns: Sequence[str | re.Pattern] = DEFAULT_ID_PATTERNS,
) -> list[Finding]:
    """:func:`scan_file` over every HTML, CSV, JSON and PDF file under ``directory`` (sorted,
    recursive; PDFs only when pdftotext is installed)."""
    root = Path(directory)
    if not root.is_dir():
        raise ValueError(f"{root} is not a directory")
    findings = []
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in SCANNED_SUFFIXES):
        for f in scan_file(path, threshold, id_patterns):
            findings.append(Finding(f.kind, f.where, f.text, f.rule, str(path)))
    return findings


def check_reports(directory: str | Path, threshold: int = 10,
                  id_patterns: Sequence[str | re.Pattern] = DEFAULT_ID_PATTERNS) -> None:
    """Raise ValueError listing every finding (for CI / make), or return None when clean."""
    findings = scan_reports(directory, threshold, id_patterns)
    if findings:
        shown = "\n".join(f"  {f}" for f in findings[:50])
        more = f"\n  ... and {len(findings) - 50} more" if len(findings) > 50 else ""
        raise ValueError(f"{len(findings)} disclosure finding(s) in {directory}:\n{shown}{more}")
