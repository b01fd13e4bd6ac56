"""Units of the evaluation glue: sparse category levels are pooled, never dropped."""

import pandas as pd

from evaluation.design.build import MERGED_LEVEL, merge_sparse_levels


def test_levels_seen_in_one_group_are_pooled():
    # asian: 1 treated, 6 comparison; black: 5 treated, 0 comparison -> both sparse (< 5 in a
    # group); pooled they hold 6 treated and 6 comparison, so the pooled level is kept
    frame = pd.DataFrame({
        "treated": [1] * 16 + [0] * 16,
        "eth": ["white"] * 10 + ["asian"] + ["black"] * 5 + ["white"] * 10 + ["asian"] * 6,
    })
    out, merged = merge_sparse_levels(frame, ["eth"], min_count=5)
    assert merged == {"eth": ["asian", "black"]}
    assert out["eth"].value_counts().to_dict() == {"white": 20, MERGED_LEVEL: 12}


def test_pooled_level_still_sparse_goes_into_the_most_common_level():
    # pooled 'asian' + 'black' has 1 treated: still sparse, so it joins 'white'
    frame = pd.DataFrame({
        "treated": [1] * 10 + [0] * 20,
        "eth": ["white"] * 9 + ["asian"] + ["white"] * 10 + ["asian"] * 5 + ["black"] * 5,
    })
    out, merged = merge_sparse_levels(frame, ["eth"], min_count=5)
    assert set(out["eth"]) == {"white"}
    assert "(pooled into white)" in merged["eth"]


def test_nothing_changes_when_every_level_is_common():
    frame = pd.DataFrame({"treated": [1] * 10 + [0] * 10, "sex": ["F", "M"] * 10})
    out, merged = merge_sparse_levels(frame, ["sex"], min_count=5)
    assert merged == {} and out["sex"].tolist() == frame["sex"].tolist()
