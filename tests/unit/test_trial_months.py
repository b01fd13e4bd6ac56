"""The trial of a row is the calendar month of its time zero (design/trials.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.design.trials import TRIAL_COL, assign_trials, month_labels


def test_month_labels_are_what_strftime_writes_empty_dates_included():
    rng = np.random.default_rng(3)
    dates = pd.Series(pd.Timestamp("1999-12-31")
                      + pd.to_timedelta(rng.integers(0, 9000, 2000), "D"))
    dates[::37] = pd.NaT
    want = dates.dt.strftime("%Y-%m")
    got = pd.Series(month_labels(dates))
    pd.testing.assert_series_equal(got, want.reset_index(drop=True), check_names=False)
    assert month_labels(pd.Series(pd.to_datetime(["2020-02-29"])))[0] == "2020-02"


def test_assign_trials_adds_the_month_and_leaves_the_frame_alone():
    frame = pd.DataFrame({"index_date": pd.to_datetime(["2019-01-31", "2019-02-01"])})
    out = assign_trials(frame)
    assert out[TRIAL_COL].tolist() == ["2019-01", "2019-02"]
    assert TRIAL_COL not in frame.columns
