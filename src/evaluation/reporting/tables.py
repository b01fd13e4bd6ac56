"""Report tables assembled from design outputs.

``balance_before_after`` joins the balance tables before and after adjustment. It belongs with
``design.balance`` by concept; it lives here (public) until the design package adopts it, so the
report imports no private design helper.
"""

from __future__ import annotations

import pandas as pd


def balance_before_after(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per covariate level: programme and weighted comparison means, the SMD before
    and after adjustment, variance ratio and status (rounded to 3 decimals for display)."""
    table = after[["covariate", "level", "mean_treated", "mean_comparison", "smd",
                   "variance_ratio", "status"]].copy()
    table = table.rename(columns={"mean_treated": "programme mean",
                                  "mean_comparison": "comparison mean (weighted)"})
    smd_before = before.set_index(["covariate", "level"])["smd"]
    table.insert(4, "smd before", smd_before.reindex(
        pd.MultiIndex.from_frame(after[["covariate", "level"]])).to_numpy())
    return table.round(3)
