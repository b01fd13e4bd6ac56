"""Printable PDFs by headless Chromium: pages, text, page numbers and the synthetic notice in
every footer (skipped with a reason when Chromium or poppler is not installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from evaluation.reporting.pdf import SYNTHETIC_FOOTER, find_chromium, footer_css, html_to_pdf

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason="chromium not installed"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed"),
]


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def _page(paragraphs: int, synthetic: bool) -> str:
    first = "<p>These results are built on SYNTHETIC data.</p>" if synthetic else ""
    body = "".join(f"<p>Paragraph {i} of the findings, long enough to fill lines.</p>"
                   for i in range(paragraphs))
    return f"<html><head><title>t</title></head><body>{first}<h1>Report</h1>{body}</body></html>"


def test_every_page_has_the_synthetic_notice_and_its_number(tmp_path):
    src = tmp_path / "report.html"
    src.write_text(_page(160, synthetic=True), encoding="utf-8")
    pdf = html_to_pdf(src)
    assert pdf == tmp_path / "report.pdf"
    pages = _pages(pdf)
    assert len(pages) >= 3  # 160 paragraphs at A4 cannot fit on two pages
    for n, page in enumerate(pages, start=1):
        assert SYNTHETIC_FOOTER in page
        assert f"page {n} of {len(pages)}" in page
    assert "Paragraph 0 of the findings" in pages[0]
    assert "Paragraph 159 of the findings" in pages[-1]
    assert not list(tmp_path.glob("*.part")) and len(list(tmp_path.glob("*.html"))) == 1


def test_real_data_report_has_no_synthetic_footer(tmp_path):
    src = tmp_path / "real.html"
    src.write_text(_page(3, synthetic=False), encoding="utf-8")
    pages = _pages(html_to_pdf(src, tmp_path / "out.pdf"))
    assert len(pages) == 1
    assert SYNTHETIC_FOOTER not in pages[0] and "page 1 of 1" in pages[0]


def test_footer_css_quotes_text():
    css = footer_css('say "hi"')
    assert 'content: "say \\"hi\\""' in css and "size: A4" in css
