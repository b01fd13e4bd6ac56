"""The planted truth of the synthetic data never reaches an estimate.

Only the generator writes ``truth.json``; only reporting code (``reporting.factories.load_truth``) reads it, after
the evaluation is complete, to print the planted value beside the estimate in the technical
appendix of a synthetic report. This guard fails if any other library module mentions the file or
imports the loader, so no estimator, design or outcome step can depend on it.
"""

from __future__ import annotations

import re

from paths import REPO

SRC = REPO / "src" / "evaluation"
# The generator (every module of synth/) writes it; one reporting function reads it.
ALLOWED = {"reporting/factories.py"}


def test_only_the_generator_and_the_report_touch_the_truth_file():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        text = path.read_text()
        if rel not in ALLOWED and not rel.startswith("synth/") and re.search(r"truth\.json|load_truth", text):
            offenders.append(rel)
    assert not offenders, f"modules that read the planted truth: {offenders}"

