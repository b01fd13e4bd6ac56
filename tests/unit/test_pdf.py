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


@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="poppler-utils not installed")
def test_no_figure_is_split_across_pages(tmp_path):
    """Issue 14: charts must not be cut at a page break. Tall figures between paragraphs, with
    the reports' own stylesheet: each image is drawn on exactly one page, whole, even the
    balance chart of a long covariate list (taller than a page: it is scaled to fit)."""
    import base64
    import io

    from matplotlib.figure import Figure

    from evaluation.pipeline.render import TEMPLATES_DIR

    css = (TEMPLATES_DIR / "evaluation_report" / "static" / "report.css").read_text()
    figures = []
    for i in range(5):
        fig = Figure(figsize=(6, 24 if i == 2 else 5.5), dpi=60)
        fig.subplots().plot([0, 1], [i, 1])
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        data = base64.b64encode(buf.getvalue()).decode()
        figures.append(f'<div class="jp-RenderedImage jp-OutputArea-output">'
                       f'<img src="data:image/png;base64,{data}" alt="figure {i}"></div>')
    text = "".join(f"<p>Paragraph {j} of the findings, long enough to fill lines.</p>"
                   for j in range(9))
    body = "".join(text + f for f in figures)
    src = tmp_path / "figures.html"
    src.write_text(f"<html><head><title>t</title><style>{css}</style></head><body>{body}"
                   "</body></html>", encoding="utf-8")
    pdf = html_to_pdf(src)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    rows = [line.split() for line in listing if line.strip()]
    pages = [int(r[0]) for r in rows if r[2] == "image"]
    assert len(pages) == len(figures)  # drawn once each: a split image is drawn on two pages
    assert len(set(pages)) >= 2  # the figures did run over more than one page
