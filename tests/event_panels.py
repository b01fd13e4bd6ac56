"""Planted person-month panels for the event-study and placebo tests (known truth per month)."""

import numpy as np
import pandas as pd

from evaluation.estimators.event_study import MONTH_DAYS, month_bounds


def planted_panel(seed, n=300, window=24, step=0.0, pre_slope=0.0, base=0.5):
    """Poisson person-months; the programme group's rate changes by ``step`` per month from
    month 0 and by ``pre_slope`` per month before (0 at month -1)."""
    rng = np.random.default_rng(seed)
    people = np.arange(2 * n)
    treated = (people < n).astype(int)
    frailty = rng.gamma(2.0, 0.5, size=2 * n)
    k = np.arange(-window, window)
    rate = base * frailty[:, None] * np.ones((1, len(k)))
    shift = np.where(k >= 0, step, pre_slope * (k + 1))
    rate = np.clip(rate + treated[:, None] * shift[None, :], 0.01, None)
    b = month_bounds(window)
    expo = np.diff(b)[None, :].repeat(2 * n, axis=0)
    counts = rng.poisson(rate * expo / MONTH_DAYS)
    return pd.DataFrame({"person_id": np.repeat(people, len(k)),
                         "treated": np.repeat(treated, len(k)), "rel_month": np.tile(k, 2 * n),
                         "offences": counts.ravel(), "exposure_days": expo.ravel()})
