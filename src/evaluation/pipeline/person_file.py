"""`evaluation design`: one person-level file and a spec to a full report, in one process.

Steps, each refusing with a message that names the spec field, the column and the rows:
read the spec (unknown keys rejected) and the file; check every named column; build the design
and run every estimator (``analysis.person_file``); write the report's sections as HTML through
the report template (``render.render_sections``, decision 0601), its PDF, results.json, the
CSV tables (``publish_table``) and the figures; scan every output for disclosure risks
(``reporting.scan``); then write ``manifest.json`` last. The input file is only read.

The output folder must be new, empty, or one this command wrote before (it holds the marker
file ``.evaluation-design``): everything in such a folder is removed first.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.data.analysis_table import (
    AnalysisTableInvalid,
    check_analysis_table,
    read_analysis_table,
    read_spec_file,
)
from evaluation.data.violations import InputError
from evaluation.design.file_spec import DesignFileSpec
from evaluation.pipeline import cache
from evaluation.pipeline.files import atomic_write_text
from evaluation.pipeline.manifest import design_manifest
from evaluation.pipeline.provenance import now
from evaluation.pipeline.render import render_sections

COMMAND = "evaluation design"
MARKER = ".evaluation-design"  # in every folder this command writes
EXAMPLE_SPEC = "docs/examples/design_file_spec.yaml"


class UnsafeOutputs(InputError):
    """The written outputs failed the disclosure scan: they must not be published."""

    exit_code = 1


@dataclass
class DesignRun:
    """What `evaluation design` wrote, and the headline it found."""

    out_dir: Path
    html: Path
    results: Path
    manifest: Path
    headline: dict[str, Any]
    pdf: Path | None = None
    notes: list[str] = field(default_factory=list)
    matched_data: Path | None = None


def read_design_spec(path: Path) -> DesignFileSpec:
    """The spec, validated; InputError naming each bad key (with the nearest valid one)."""
    from pydantic import ValidationError

    from evaluation.config.errors import describe_error

    raw = read_spec_file(path)
    try:
        return DesignFileSpec(**raw)
    except ValidationError as exc:
        problems = "\n  - ".join(describe_error(e, DesignFileSpec) for e in exc.errors())
        raise InputError(f"{path}: invalid spec (see {EXAMPLE_SPEC}):\n  - {problems}") from None


def read_checked_file(path: Path, spec: DesignFileSpec, spec_path: Path):
    """The file, once every column the spec names exists and holds usable values."""
    table = read_analysis_table(path)
    try:
        spec.check_columns(table)
    except ValueError as exc:
        raise InputError(f"{spec_path} / {path.name}: {exc}") from None
    violations = check_analysis_table(table, spec, path.name)
    if violations:
        raise AnalysisTableInvalid(path, violations)
    return table


def prepare_out(out: Path, inputs: list[Path]) -> None:
    """Refuse an output folder that holds the inputs or someone else's files; empty one that
    an earlier `evaluation design` run wrote (it holds ``MARKER``, written before anything
    else, so a run stopped half-way is recognised too)."""
    out_abs = out.resolve()
    for p in inputs:
        if p.resolve().is_relative_to(out_abs):
            raise InputError(f"--out {out}: it holds the input {p.name}; inputs are read-only, "
                             "write the report elsewhere")
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    if not (out / MARKER).is_file():
        if any(out.iterdir()):
            raise InputError(f"--out {out}: the folder is not empty and was not written by "
                             f"`{COMMAND}`; choose a new or empty folder")
        return
    for path in sorted(out.rglob("*"), reverse=True):  # files first, then emptied folders
        if path.is_file() or path.is_symlink():
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def file_info(path: Path, spec_path: Path, table) -> dict[str, Any]:
    """The file and spec by name and SHA-256 (no folder), and what the file holds."""
    return {"name": path.name, "sha256": cache.sha256_file(path), "rows": int(len(table)),
            "columns": [str(c) for c in table.columns], "spec_name": spec_path.name,
            "spec_sha256": cache.sha256_file(spec_path)}


def _outputs(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"
                  and not p.name.startswith("."))


def run_design(file: str | Path, spec_path: str | Path, out: str | Path | None = None,
               matched_data: str | Path | None = None, pdf: bool = True) -> DesignRun:
    """Everything `evaluation design` does (module docstring); returns what it wrote."""
    from evaluation.analysis.person_file import evaluate_file
    from evaluation.design.person_file import matched_file
    from evaluation.reporting.pdf import PdfUnavailable, html_to_pdf
    from evaluation.reporting.person_file_report import PersonFileReport
    from evaluation.reporting.scan import scan_reports

    started, t0 = now(), time.perf_counter()
    file, spec_path = Path(file), Path(spec_path)
    spec = read_design_spec(spec_path)
    table = read_checked_file(file, spec, spec_path)
    out = Path(out) if out is not None else Path("reports") / file.stem
    if matched_data is not None:
        matched_data = Path(matched_data)
        if matched_data.resolve().is_relative_to(out.resolve()):
            raise InputError(f"--matched-data {matched_data}: it is person-level data and must "
                             f"not go into the report folder {out}; write it elsewhere")
    prepare_out(out, [file, spec_path])
    try:
        evaluation = evaluate_file(table, spec)
    except (ValueError, RuntimeError) as exc:
        raise InputError(f"{file.name} with {spec_path.name}: the design or a model could not "
                         f"be fitted: {exc}") from None
    info = file_info(file, spec_path, table)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(f"written by `{COMMAND}`; the next run empties this folder\n")
    report = PersonFileReport(evaluation, out, info)
    html = render_sections(report.sections(), out / f"{out.name}.html", report.title)
    results = report.write_results()
    run = DesignRun(out_dir=out, html=html, results=results, manifest=out / "manifest.json",
                    headline=evaluation.headline_result)
    if pdf:
        try:
            run.pdf = html_to_pdf(html, out / f"{out.name}.pdf")
        except PdfUnavailable as exc:
            run.notes.append(f"PDF not written: {exc}")
        except RuntimeError as exc:
            run.notes.append(f"PDF not written: {str(exc).splitlines()[0]}")
    findings = scan_reports(out, threshold=spec.disclosure.threshold)
    if findings:
        shown = "\n".join(f"  {f}" for f in findings[:20])
        raise UnsafeOutputs(f"{out}: {len(findings)} disclosure finding(s); do not publish "
                            f"these outputs:\n{shown}")
    if matched_data is not None:
        matched_data.parent.mkdir(parents=True, exist_ok=True)
        matched_file(evaluation.design, spec).to_csv(matched_data, index=False)
        run.matched_data = matched_data
    manifest = design_manifest(
        out, inputs={"file": info, "spec": {"name": spec_path.name,
                                           "sha256": info["spec_sha256"],
                                           "content": spec.to_dict()}},
        outputs=_outputs(out), started=started, duration_s=time.perf_counter() - t0)
    atomic_write_text(run.manifest, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return run
