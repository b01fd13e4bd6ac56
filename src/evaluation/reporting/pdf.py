"""Printable PDFs of the HTML reports, by headless Chromium's print-to-PDF.

Why Chromium: it renders the same HTML and CSS the reader sees (JupyterLab's styles, embedded
charts) and supports CSS page-margin boxes, so page numbers and the synthetic-data notice go in
every page's footer without a second layout engine. The report's print stylesheet (A4, no cut
tables or charts, headings kept with their text) lives in the nbconvert template's CSS; this
module adds the footer for the one document being printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SYNTHETIC_FOOTER = "SYNTHETIC data: describes no real person"


class PdfUnavailable(RuntimeError):
    """No headless Chromium on this machine (the PDF is skipped, with this reason)."""


def find_chromium() -> str | None:
    """The first Chromium-family browser on PATH (or $CHROMIUM), else None."""
    explicit = os.environ.get("CHROMIUM")
    if explicit and shutil.which(explicit):
        return shutil.which(explicit)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def footer_css(left: str) -> str:
    """@page margin boxes: ``left`` text at the bottom left, "page X of Y" at the bottom right."""
    return ("<style>@page { size: A4; margin: 16mm 14mm 18mm 14mm;"
            f" @bottom-left {{ content: {_css_string(left)}; font: 8pt sans-serif; color: #333; }}"
            ' @bottom-right { content: "page " counter(page) " of " counter(pages);'
            " font: 8pt sans-serif; color: #333; } }</style>")


def footer_text(page: str) -> str:
    """The footer of a report: the synthetic notice (if the report says it is synthetic), the
    toolkit version and the report's title."""
    from evaluation import __version__

    parts = []
    if "SYNTHETIC" in page:
        parts.append(SYNTHETIC_FOOTER)
    parts.append(f"evaluation {__version__}")
    return " | ".join(parts)


def html_to_pdf(html_path: str | Path, pdf_path: str | Path | None = None,
                timeout: float = 120.0) -> Path:
    """Print ``html_path`` to ``pdf_path`` (default: beside it, .pdf) with A4 pages, page
    numbers and the synthetic notice in every footer. Raises PdfUnavailable without Chromium,
    RuntimeError (with Chromium's message) if printing fails."""
    html_path = Path(html_path).resolve()
    pdf_path = Path(pdf_path) if pdf_path is not None else html_path.with_suffix(".pdf")
    exe = find_chromium()
    if exe is None:
        raise PdfUnavailable("no chromium on PATH (apt install chromium): PDF not written")
    page = html_path.read_text(encoding="utf-8")
    css = footer_css(footer_text(page))
    printed = page.replace("</head>", css + "</head>", 1) if "</head>" in page else css + page
    # a temporary copy beside the original, so relative links and files resolve the same way
    with tempfile.NamedTemporaryFile("w", suffix=".html", dir=html_path.parent, delete=False,
                                     encoding="utf-8") as tmp:
        tmp.write(printed)
    tmp_path = Path(tmp.name)
    partial = pdf_path.with_name(pdf_path.name + ".part")
    try:
        with tempfile.TemporaryDirectory() as profile:
            done = subprocess.run(
                [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                 "--run-all-compositor-stages-before-draw", f"--user-data-dir={profile}",
                 f"--print-to-pdf={partial}", tmp_path.as_uri()],
                capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
            raise RuntimeError(f"chromium could not print {html_path.name}: "
                               f"{done.stderr.strip()[-400:]}")
        partial.replace(pdf_path)  # written whole or not at all
    finally:
        tmp_path.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return pdf_path
