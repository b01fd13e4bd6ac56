"""After the reports are rendered: a PDF of each (for print and email) and the one-page board
summary. A PDF is made again only when its HTML is newer, so a no-change rerun prints nothing.
Without Chromium the reports stay complete as HTML and the run says so (no failure)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from evaluation.pipeline.jobs import RunSummary


def _stale(html: Path, pdf: Path) -> bool:
    return not pdf.exists() or pdf.stat().st_mtime < html.stat().st_mtime


def print_reports(summary: RunSummary, programmes: list[str], workers: int = 2) -> list[str]:
    """PDFs beside every finished report's HTML and the board summary; returns notes to show."""
    from evaluation.reporting.board_summary import write_board_summary
    from evaluation.reporting.pdf import PdfUnavailable, find_chromium

    notes: list[str] = []
    if find_chromium() is None:
        return ["PDFs not written: no chromium on PATH (apt install chromium); the HTML "
                "reports are complete"]
    pages = []
    for job in summary.jobs:
        html = job.output_dir / f"{job.name}.html"
        if job.succeeded and html.exists() and _stale(html, html.with_suffix(".pdf")):
            pages.append(html)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for html, error in zip(pages, pool.map(_print_one, pages), strict=True):
            if error:
                notes.append(f"{html.name}: PDF not written ({error})")
    done = [p for p in programmes if any(j.name == p and j.succeeded for j in summary.jobs)]
    if done:
        try:
            write_board_summary(summary.reports_dir, done)
        except (PdfUnavailable, RuntimeError, FileNotFoundError) as exc:
            notes.append(f"board summary: {exc}")
    return notes


def _print_one(html: Path) -> str | None:
    from evaluation.reporting.pdf import html_to_pdf

    try:
        html_to_pdf(html)
    except (RuntimeError, OSError) as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None
