"""Render an executed notebook to a self-contained HTML report without code.

Readers of an evaluation report want the findings, not the Python: our nbconvert template
(``templates/evaluation_report``, based on JupyterLab's ``lab`` template) drops input cells and
prompts, hides code cells with no output, loads nothing from the internet (no require.js, MathJax
or Mermaid from a CDN: CI and many police networks are offline), adds print-friendly CSS and
gives every image an ``alt`` text taken from the output's or the cell's metadata.

Cells tagged ``remove-cell`` (or ``remove_cell``) are dropped; cells tagged ``remove-output``
keep nothing. A cell that raised shows one line (the exception), never the traceback: the
page is for readers; the traceback goes to the job's log file.

``render_sections`` renders report sections built in this process (``evaluation design``,
decision 0601) through the same template: each section becomes the output Jupyter would have
shown for it, so the page looks and prints exactly like a notebook-rendered report.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

from evaluation.pipeline.files import atomic_write_text

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "evaluation_report"
_IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")


class AltTextPreprocessor(Preprocessor):
    """Copy an image's alt text into ``output.metadata[mime]['alt']`` for the template.

    Looks, in order, at the output's metadata for that mime type, the output's metadata, the
    cell's metadata (``alt`` or ``evaluation.alt``); falls back to a text naming the figure's
    position, because an image without alt text is invisible to a screen-reader user.
    """

    def preprocess_cell(self, cell, resources, index):  # type: ignore[override]
        if cell.cell_type != "code":
            return cell, resources
        figure = 0
        cell_alt = cell.metadata.get("alt") or cell.metadata.get("evaluation", {}).get("alt")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for mime in _IMAGE_MIMES:
                if mime not in data:
                    continue
                figure += 1
                meta = output.setdefault("metadata", {})
                mime_meta = meta.get(mime)
                if not isinstance(mime_meta, dict):
                    mime_meta = {}
                alt = mime_meta.get("alt") or meta.get("alt") or cell_alt
                if not alt:
                    alt = f"Figure {figure} of cell {index + 1} (no description provided)"
                mime_meta["alt"] = str(alt)
                meta[mime] = mime_meta
        return cell, resources


class ShortErrorPreprocessor(Preprocessor):
    """Replace each error output by one line, ``ExceptionName: message`` plus ``note``."""

    def __init__(self, note: str = "", **kw):  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.note = note

    def preprocess_cell(self, cell, resources, index):  # type: ignore[override]
        if cell.cell_type != "code":
            return cell, resources
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                value = str(output.get("evalue", "")).strip().splitlines()
                line = f"{output.get('ename', 'Error')}: {value[-1] if value else ''}".strip()
                text = f"This report stopped here. {line}" + (f" ({self.note})" if self.note else "")
                output = nbformat.v4.new_output("stream", name="stderr", text=text + "\n")
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources


@lru_cache(maxsize=8)
def make_exporter(error_note: str = "") -> HTMLExporter:
    """An HTMLExporter configured with our template: no input, no prompts, tagged cells removed.

    Built once per worker and reused (loading the template and its filters costs a fraction of
    a second per report otherwise); its preprocessors keep no state between notebooks.
    """
    config = Config()
    config.TemplateExporter.exclude_input = True
    config.TemplateExporter.exclude_input_prompt = True
    config.TemplateExporter.exclude_output_prompt = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    exporter = HTMLExporter(
        config=config,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        template_name=TEMPLATE_NAME,
    )
    exporter.register_preprocessor(AltTextPreprocessor(), enabled=True)
    exporter.register_preprocessor(ShortErrorPreprocessor(note=error_note), enabled=True)
    return exporter


def render_html(notebook: str | Path, html_path: str | Path, title: str | None = None,
                error_note: str = "") -> Path:
    """Render ``notebook`` (executed .ipynb) to ``html_path`` (all or nothing); returns the path.

    ``error_note`` follows the one-line message of a failed cell (e.g. where the traceback is).
    """
    notebook, html_path = Path(notebook), Path(html_path)
    nb = nbformat.read(notebook, as_version=4)
    if title:
        nb.metadata["title"] = title
    resources = {"metadata": {"name": title or notebook.stem, "path": str(notebook.parent)}}
    body, _ = make_exporter(error_note).from_notebook_node(nb, resources=resources)
    return atomic_write_text(html_path, body)


def sections_notebook(sections: Sequence[Any], title: str) -> nbformat.NotebookNode:
    """A notebook whose cells hold, as outputs, what Jupyter displays for each section (its
    ``_repr_html_`` or ``_repr_markdown_``); no code, nothing to execute."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["title"] = title
    nb.metadata["language_info"] = {"name": "python"}
    for section in sections:
        data = {"text/plain": str(section)}
        shown = section._repr_html_()
        if shown:
            data["text/html"] = shown
        else:
            data["text/markdown"] = section._repr_markdown_() or ""
        output = nbformat.v4.new_output("display_data", data=data)
        nb.cells.append(nbformat.v4.new_code_cell(source="", outputs=[output]))
    return nb


def render_sections(sections: Sequence[Any], html_path: str | Path, title: str) -> Path:
    """Render report sections (objects with ``_repr_html_``/``_repr_markdown_``, such as
    ``reporting.html.Section``) to ``html_path`` with the report template (all or nothing)."""
    nb = sections_notebook(sections, title)
    resources = {"metadata": {"name": title, "path": str(Path(html_path).parent)}}
    body, _ = make_exporter().from_notebook_node(nb, resources=resources)
    return atomic_write_text(html_path, body)
