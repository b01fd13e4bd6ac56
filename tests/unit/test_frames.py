"""Row numbers in library messages follow validate's convention (row 1 = first data row)."""

import pandas as pd
import pytest

from evaluation.frames import check_columns, rows_text


def test_integer_labels_are_printed_one_based_and_ids_as_they_are():
    assert rows_text(pd.Index([0, 4])) == "1, 5"
    assert rows_text(pd.Index(list(range(8))), limit=2) == "1, 2 and 6 more"
    assert rows_text(pd.Index(["p1", "p9"])) == "'p1', 'p9'"


def test_missing_value_message_names_the_row_a_spreadsheet_user_sees():
    frame = pd.read_csv(pd.io.common.StringIO("age,treated\n30,1\n,0\n41,1\n"))
    with pytest.raises(ValueError, match=r"'age' has 1 missing value\(s\) at rows 2;"):
        check_columns(frame, ["age", "treated"])
