"""Report wording a board reader or methods reviewer would check, each against a hand-written
string or a hand-worked number: small counts in prose, Holm-adjusted secondaries, the
intention-to-treat and per-protocol table, the narrowed estimand, the planted frequency truth
and the before/after comparison table."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.reporting import design_sections
from evaluation.reporting.attrition_text import count_text, withheld_attrition_sentence
from evaluation.reporting.disclosure import DisclosureRules


# --------------------------------------------------------------------------- small counts
def test_count_text_suppresses_one_to_nine():
    assert [count_text(n) for n in (0, 1, 9, 10, 2181)] == [
        "0", "fewer than 10", "fewer than 10", "10", "2,181"]
    assert count_text(12, threshold=20) == "fewer than 20"
    assert count_text(3, threshold=None) == "3"


def test_withheld_attrition_sentence_never_prints_a_small_analysed_count():
    assert withheld_attrition_sentence(7, "programme participants") == (
        "Fewer than 10 programme participants were analysed; the number received and some "
        "numbers excluded are withheld (fewer than 10 people, or a figure from which such a "
        "number could be worked out).")
    assert withheld_attrition_sentence(45, "programme participants").startswith(
        "45 programme participants were analysed;")


def _attrition_report(tmp_path, n_treated: int, n_excluded: int):
    """A report-like object (``design_sections.attrition`` reads ``ev.attrition``,
    ``ev.analysis``, ``rules`` and ``tables_dir``): ``n_treated`` received, ``n_excluded``
    of them left out for having no match, 40 comparison people all analysed."""
    people = pd.DataFrame({"treated": [1] * n_treated + [0] * 40})
    people["group"] = np.where(people["treated"] == 1, "treated", "comparison")
    ledger = Attrition(group_col="group")
    frame = ledger.start(people)
    cut = (frame["treated"] == 1) & (frame.groupby("treated").cumcount() < n_excluded)
    frame = ledger.exclude(frame, cut, "no comparison person within the caliper", "matching")
    return SimpleNamespace(ev=SimpleNamespace(attrition=ledger, analysis=frame),
                           rules=DisclosureRules(), tables_dir=tmp_path)


def test_attrition_section_suppresses_an_analysed_count_below_ten(tmp_path):
    # 20 received, 13 without a match, 7 analysed: 7 is withheld in the table, so the prose
    # must not give it either (before the fix it read "7 programme participants were analysed")
    html = str(design_sections.attrition(_attrition_report(tmp_path, 20, 13)))
    assert "Fewer than 10 programme participants were analysed" in html
    assert "<p>7 programme" not in html
    # above the threshold the ordinary sentence gives every number
    html = str(design_sections.attrition(_attrition_report(tmp_path, 40, 12)))
    assert ("Of 40 programme participants, 28 were analysed; 12 were excluded (no comparison "
            "person within the caliper: 12).") in html
