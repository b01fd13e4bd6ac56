"""publish_table: one writer for every report table, suppression always applied."""

import pandas as pd

from evaluation.reporting.disclosure import DisclosureRules
from evaluation.reporting.html import marker_footnote, table_html, with_separators
from evaluation.reporting.publish import hide_linked_counts, publish_table

RULES = DisclosureRules(threshold=10)


def _flow() -> pd.DataFrame:
    # received 30 = 3 + 12 + 15 (exclusions and analysed): the 3 is primary; the reader could
    # get it back as 30 - 12 - 15, so the next smallest cell of the column (12) goes too.
    return pd.DataFrame({"stage": ["received", "age", "matching", "analysed"],
                         "treated": [30, 3, 12, 15], "comparison": [500, 0, 100, 400]})


def test_attrition_like_table_is_protected_against_subtraction(tmp_path):
    html, shown = publish_table(_flow(), "attrition", rules=RULES, tables_dir=tmp_path,
                                count_cols=["treated", "comparison"], total_row=0)
    assert shown["treated"].tolist() == [30, "[c]", "[c]", 15]
    assert shown["comparison"].tolist() == [500, 0, 100, 400]  # true zero shown
    csv = pd.read_csv(tmp_path / "attrition.csv", dtype=str)
    assert csv["treated"].tolist() == ["30", "[c]", "[c]", "15"]
    assert "<td>[c]</td>" in html and "[c] withheld to protect confidentiality" in html


def test_rename_applies_to_html_only(tmp_path):
    html, _ = publish_table(_flow(), "t", rules=RULES, tables_dir=tmp_path,
                            count_cols=["treated"], total_row=0,
                            rename={"treated": "programme (people)"})
    assert "programme (people)" in html
    assert list(pd.read_csv(tmp_path / "t.csv").columns) == ["stage", "treated", "comparison"]


def test_estimates_rows_from_few_people_are_suppressed():
    est = pd.DataFrame({"term": ["a", "b"], "estimate": [0.5, 0.2], "lower": [0.1, 0.1],
                        "upper": [0.9, 0.3], "p_value": [0.2, 0.01], "n": [8, 400],
                        "events": [4, 120]})
    _, shown = publish_table(est, None, rules=RULES, estimates=True)
    assert shown.loc[0, "estimate"] == "[c]" and shown.loc[0, "n"] == "[c]"
    assert shown.loc[1, "estimate"] == 0.2 and shown.loc[1, "n"] == 400


def test_hide_linked_counts_covers_cluster_counts_in_methods():
    frame = pd.DataFrame({"term": ["rate_ratio"], "n": [1798],
                          "method": ["Poisson, cluster-robust (899 clusters, CR1)"]})
    out = hide_linked_counts(frame)
    assert out.loc[0, "n"] == "[c]"
    assert out.loc[0, "method"] == "Poisson, cluster-robust ([c] clusters, CR1)"


def test_separators_and_footnotes():
    frame = pd.DataFrame({"people": [3276, 12], "rate": [0.25, 1.5], "flag": [True, False]})
    shown = with_separators(frame)
    assert shown["people"].tolist() == ["3,276", "12"] and shown["rate"].tolist() == [0.25, 1.5]
    assert marker_footnote(frame) == ""
    assert "[x] not available" in table_html(pd.DataFrame({"a": [None, 1.0]}))


def test_attrition_withholds_received_not_the_published_study_size():
    from evaluation.reporting.design_sections import protect_attrition

    # 43 received = 3 excluded + 0 + 40 analysed; 40 is printed in every section, so the
    # second withheld cell must be the 43 (else 43 - 40 = 3 gives the [c] back).
    flow = pd.DataFrame({"stage": ["received", "caliper", "not selected", "analysed"],
                         "treated": [43, 3, 0, 40], "comparison": [368, 0, 328, 40]})
    shown = protect_attrition(flow, ["treated", "comparison"], RULES)
    assert shown["treated"].tolist() == ["[c]", "[c]", 0, 40]
    assert shown["comparison"].tolist() == [368, 0, 328, 40]
