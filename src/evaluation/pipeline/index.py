"""``reports/index.html``: one page linking every report and everything each notebook wrote.

Plain, accessible HTML (language, title, headings, table with a caption and header scopes,
status in words not only colour, alt text on every image) and self-contained: no scripts,
fonts or styles from the internet (CI and many police networks are offline).
"""

from __future__ import annotations

import html
import os
import struct
from pathlib import Path
from urllib.parse import quote

from evaluation.pipeline.files import atomic_write_text
from evaluation.pipeline.jobs import JobResult, RunSummary
from evaluation.pipeline.manifest import MANIFEST_NAME

INDEX_NAME = "index.html"
INDEX_TITLE = "Reoffending evaluation reports"
SUMMARY_NAME = "summary"  # the cross-programme report (listed first)
BOARD_SUMMARY_STEM = "board_summary"  # reports/board_summary.html and .pdf, when printed
SYNTHETIC_NOTICE = (
    "These reports are built on SYNTHETIC data: they exercise the methods and the code, "
    "and say nothing about any real programme, area or person."
)

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  line-height: 1.5; color: #1b1b1b; background: #fff; max-width: 60rem; margin: 0 auto;
  padding: 1rem; }
.synthetic { border: 3px solid #d4351c; padding: 0.5rem 1rem; font-weight: bold; margin: 0; }
table { border-collapse: collapse; margin: 1rem 0; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.25rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.25rem 0.5rem; text-align: left;
  vertical-align: top; }
thead th { background: #f3f2f1; }
.status-ok, .status-cached { color: #00703c; font-weight: bold; }
.status-failed { color: #d4351c; font-weight: bold; }
figure { display: inline-block; margin: 0.5rem 1rem 0.5rem 0; vertical-align: top; }
figure img { max-width: 18rem; height: auto; border: 1px solid #b1b4b6; }
a { color: #1d70b8; }
a:focus { outline: 3px solid #ffdd00; }
@media print { body { max-width: none; } a { color: inherit; } }
"""

_STATUS_WORDS = {
    "ok": "ok",
    "cached": "ok (cached: inputs unchanged, not recomputed)",
    "failed": "FAILED",
    "pending": "not finished (the run is in progress, or was stopped before it)",
}


def _href(path: Path, root: Path) -> str:
    """Relative, URL-quoted link from the index to ``path``."""
    rel = os.path.relpath(Path(path).resolve(), root)
    return quote(Path(rel).as_posix())


def _link(path: Path | None, root: Path, text: str) -> str:
    if path is None or not Path(path).is_file():
        return ""
    return f'<a href="{_href(path, root)}">{html.escape(text)}</a>'


def png_description(path: Path) -> str | None:
    """The PNG's ``Description`` (or ``Title``) text chunk, as matplotlib writes with
    ``savefig(..., metadata={"Description": alt})``: the figure's alt text travels with it."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    found: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt" and b"\x00" in body:
            key, _, value = body.partition(b"\x00")
            found[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt" and b"\x00" in body:
            key, _, rest = body.partition(b"\x00")
            if rest[:1] == b"\x00":  # uncompressed: flag, method, language\0, keyword\0, text
                parts = rest[2:].split(b"\x00", 2)
                if len(parts) == 3:
                    found[key.decode("latin-1")] = parts[2].decode("utf-8", "replace")
        elif kind in (b"IDAT", b"IEND"):
            break
        pos += 12 + length
    return found.get("Description") or found.get("Title")


def _figure_alt(path: Path, job: JobResult) -> str:
    """The figure's own description: its ``<stem>.alt.txt`` beside it, else the PNG's text chunk."""
    sidecar = path.with_name(path.stem + ".alt.txt")
    if sidecar.is_file():
        text = sidecar.read_text(encoding="utf-8").strip()
        if text:
            return text
    described = png_description(path) if path.suffix.lower() == ".png" else None
    if described:
        return described
    words = path.stem.replace("_", " ").replace("-", " ")
    return f"Figure '{words}' from the report {job.display_title}"


def _status_cell(job: JobResult) -> str:
    words = html.escape(_STATUS_WORDS[job.status])
    text = f'<span class="status-{job.status}">{words}</span>'
    if job.status == "failed":
        text += f": {html.escape(job.failure_text())}"
    return text


def _pdf_of(job: JobResult) -> Path | None:
    return job.html.with_suffix(".pdf") if job.html is not None else None


def _shown(value: object, root: Path) -> str:
    """A parameter as a reader may see it: paths relative to the reports folder (an absolute
    path names the machine that ran it, and means nothing on another)."""
    if isinstance(value, str) and os.path.isabs(value):
        return repr(Path(os.path.relpath(value, root)).as_posix())
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v, root) for v in value) + "]"
    return repr(value)


def _reading_order(jobs: list[JobResult]) -> list[JobResult]:
    """The cross-programme summary first (where a reader starts), then the run's own order."""
    return sorted(jobs, key=lambda job: job.name != SUMMARY_NAME)


def _start_here(summary: RunSummary, root: Path) -> str:
    """What a reader opens: the board summary, then each report by its title (HTML and PDF)."""
    items = []
    board = [_link(root / f"{BOARD_SUMMARY_STEM}.{ext}", root, label)
             for ext, label in (("html", "web page"), ("pdf", "PDF"))]
    if any(board):
        items.append("<li><strong>Board summary</strong> (one page, every programme): "
                     + ", ".join(link for link in board if link) + "</li>")
    for job in _reading_order(summary.jobs):
        links = [link for link in (_link(job.html, root, "web page"),
                                   _link(_pdf_of(job), root, "PDF")) if link]
        where = ", ".join(links) if links else "not available (see its status below)"
        items.append(f"<li><strong>{html.escape(job.display_title)}</strong>: {where}</li>")
    return ('<section aria-labelledby="start-here"><h2 id="start-here">Start here</h2>'
            f"<ul>{''.join(items)}</ul></section>")


def _job_section(job: JobResult, root: Path) -> str:
    kinds = job.outputs_by_kind()
    anchor = f"report-{job.name}"
    parts = [
        f'<section aria-labelledby="{anchor}">',
        f'<h3 id="{anchor}">{html.escape(job.display_title)}</h3>',
    ]
    parts.append(f"<p>Status: {_status_cell(job)}</p>")
    links = [
        _link(job.html, root, "Report (HTML)"),
        _link(_pdf_of(job), root, "Report (PDF, for print)"),
        _link(job.executed_notebook, root, "Executed notebook (.ipynb)"),
        _link(job.report_dir / f"{job.name}.log", root, "Error log (full traceback)")
        if job.status == "failed"
        else "",
        *(_link(p, root, "Results (results.json)") for p in kinds["results"]),
    ]
    items = "".join(f"<li>{link}</li>" for link in links if link)
    if items:
        parts.append(f"<ul>{items}</ul>")
    if job.parameters:
        params = "".join(
            f"<li><code>{html.escape(k)}</code> = <code>{html.escape(_shown(v, root))}</code></li>"
            for k, v in sorted(job.parameters.items())
        )
        parts.append(f"<details><summary>Parameters</summary><ul>{params}</ul></details>")
    for kind, heading in (("tables", "Tables"), ("other", "Other files")):
        if kinds[kind]:
            files = "".join(
                f"<li>{_link(p, root, os.path.relpath(p, job.output_dir))}</li>"
                for p in kinds[kind]
            )
            parts.append(f"<h4>{heading}</h4><ul>{files}</ul>")
    if kinds["figures"]:
        figures = []
        for p in kinds["figures"]:
            alt = html.escape(_figure_alt(p, job), quote=True)
            name = html.escape(os.path.relpath(p, job.output_dir))
            href = _href(p, root)
            figures.append(
                f'<figure><a href="{href}"><img src="{href}" alt="{alt}"></a>'
                f"<figcaption>{name}</figcaption></figure>"
            )
        parts.append("<h4>Figures</h4>" + "".join(figures))
    parts.append("</section>")
    return "\n".join(parts)


def render_index(
    summary: RunSummary, reports_dir: Path, synthetic: bool, title: str = INDEX_TITLE
) -> str:
    """The index page as a string (see :func:`write_index`)."""
    root = Path(reports_dir).resolve()
    n_failed = len(summary.failed)
    rows = []
    for job in _reading_order(summary.jobs):
        report = _link(job.html, root, "report") or "no report"
        duration = f"{job.duration_s:.1f} s" if job.duration_s is not None else ""
        rows.append(
            f'<tr><th scope="row"><a href="#report-{html.escape(job.name)}">'
            f"{html.escape(job.display_title)}</a></th><td>{_status_cell(job)}</td>"
            f"<td>{html.escape(duration)}</td><td>{report}</td></tr>"
        )
    commit = str(summary.git.get("commit", "unknown"))
    dirty = summary.git.get("dirty")
    code_state = (
        "unknown"
        if commit == "unknown"
        else commit[:12] + (" (with uncommitted changes)" if dirty is True else "")
    )
    manifest = reports_dir / MANIFEST_NAME
    manifest_link = (
        f"<p>Provenance (git commit, parameters, package versions, input hashes): "
        f"{_link(manifest, root, MANIFEST_NAME)}</p>"
        if manifest.is_file()
        else ""
    )
    n_pending = len(summary.pending)
    overall = (
        f"{n_pending} of {len(summary.jobs)} reports NOT FINISHED (the run is in progress, or "
        "was stopped); their previous results were removed."
        if n_pending
        else f"{n_failed} of {len(summary.jobs)} reports FAILED; see below."
        if n_failed
        else f"All {len(summary.jobs)} reports succeeded."
    )
    body = [
        f'<p class="synthetic" role="note">{html.escape(SYNTHETIC_NOTICE)}</p>'
        if synthetic
        else "",
        f"<header><h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(overall)}</p></header>",
        "<main>",
        _start_here(summary, root),
        '<section aria-labelledby="run-details"><h2 id="run-details">How these reports were '
        "made (for evaluators)</h2>",
        f"<p>{len(summary.ok)} ran, {len(summary.cached)} reused from cache. Finished "
        f"{html.escape(summary.finished)}; code version {html.escape(code_state)}.</p>"
        f"{manifest_link}",
        '<table><caption>Reports and their status</caption><thead><tr><th scope="col">Report'
        '</th><th scope="col">Status</th><th scope="col">Run time</th><th scope="col">Link'
        "</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
        *(_job_section(job, root) for job in _reading_order(summary.jobs)),
        "</section>",
        "</main>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body>\n</html>\n"
    )


def write_index(
    summary: RunSummary,
    reports_dir: str | Path | None = None,
    synthetic: bool = False,
    title: str = INDEX_TITLE,
) -> Path:
    """Write ``<reports_dir>/index.html`` for ``summary`` and return its path.

    Write the manifest first (:func:`evaluation.pipeline.build_manifest`) so the index links it.
    """
    reports_dir = Path(reports_dir) if reports_dir is not None else Path(summary.reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(reports_dir / INDEX_NAME, render_index(summary, reports_dir,
                                                                       synthetic, title))
