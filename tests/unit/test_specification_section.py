"""The specification curve as a section of the programme report (issue 12): shown when the
multiverse was computed from this configuration and this extract, absent (with the command that
makes it) otherwise, never a curve computed from another extract."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from evaluation.analysis.multiverse import fingerprint
from evaluation.config import load_programme_config
from evaluation.reporting.multiverse_report import write_multiverse
from evaluation.reporting.specification_section import (
    curve_sentence,
    multiverse_dir,
    specification_section,
)


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "specification": ["a", "b", "c", "d"],
        "hazard_ratio": [0.80, 0.90, 0.97, 1.30],
        "lower": [0.70, 0.85, 0.90, 1.05],
        "upper": [0.91, 0.99, 1.05, 1.60],
        "p_value": [0.01, 0.03, 0.4, 0.02],
        "prespecified": [False, False, True, False],
        "n_treated": [100, 100, 100, 100], "n_comparison": [100, 100, 100, 100],
        "events": [50, 50, 50, 50], "rank": [1, 2, 3, 4],
    })


def _setup(tmp_path):
    data = tmp_path / "extract"
    data.mkdir()
    (data / "extract.json").write_text('{"synthetic": true}')
    config = load_programme_config("iom")
    out = tmp_path / "reports" / "iom"
    (out / "figures").mkdir(parents=True)
    report = SimpleNamespace(config=config, output_dir=out, figures_dir=out / "figures")
    return data, config, report


def test_curve_sentence_counts_by_hand():
    text = curve_sentence(_table())
    assert "rerun 4 ways" in text and "from 0.80 to 1.30" in text
    assert "pre-declared analysis gives 0.97" in text
    assert "In 2 of the 4 the whole interval lies below 1" in text
    assert "in 1 above 1, and in 1 it includes 1" in text


def test_absent_multiverse_says_how_to_make_it(tmp_path):
    data, _, report = _setup(tmp_path)
    html = specification_section(report, data).html_text
    assert "Not yet answered" in html and "make multiverse" in html and "<img" not in html


def test_multiverse_of_this_extract_is_shown(tmp_path):
    data, config, report = _setup(tmp_path)
    folder = multiverse_dir(tmp_path / "reports", "iom")
    write_multiverse(_table(), folder, title=config.title, synthetic=True, threshold=10,
                     stamp=fingerprint(config, data))
    html = specification_section(report, data).html_text
    assert "rerun 4 ways" in html and "data:image/png;base64," in html
    assert (report.figures_dir / "specification_curve.png").is_file()


def test_multiverse_of_another_extract_is_not_shown(tmp_path):
    data, config, report = _setup(tmp_path)
    folder = multiverse_dir(tmp_path / "reports", "iom")
    write_multiverse(_table(), folder, title=config.title, synthetic=True, threshold=10,
                     stamp=fingerprint(config, data))
    (data / "extract.json").write_text('{"synthetic": true, "seed": 2}')  # new extract
    html = specification_section(report, data).html_text
    assert "Not yet answered" in html and "<img" not in html
