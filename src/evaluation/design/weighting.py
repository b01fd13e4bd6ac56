"""Inverse probability of treatment weights (IPTW) and the Kish effective sample size.

Weights (e = propensity, T = treated, p = share treated in the data):
- ATE: T/e + (1-T)/(1-e); stabilised: multiplied by p for treated and (1-p) for the comparison
  group (Robins, Hernan & Brumback 2000), so each group's weights sum to about its own size;
- ATT: treated 1, comparison e/(1-e) (the odds); stabilised: comparison weights multiplied by
  (1-p)/p, so they sum to about the comparison group's size. Treated weights stay 1 either way.
- ATC (the roles swapped): comparison 1, treated (1-e)/e; stabilised: treated multiplied by
  p/(1-p).
Stabilising rescales each group's weights by a constant, so weighted means and the ESS are
unchanged; it matters for the size of standard errors computed from raw weight sums.

``trim`` truncates (winsorises) weights at that quantile within each group (e.g. 0.99), as
WeightIt's ``trim()`` does: nobody is dropped, the largest weights are capped. Dropping people
with extreme propensities instead is an exclusion and belongs in the attrition ledger.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.frames import check_columns, rows_text, treatment_array

ESTIMANDS = ("ATT", "ATC", "ATE")


def effective_sample_size(weights: np.ndarray | pd.Series) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum()) if (w**2).sum() > 0 else 0.0


class IPTWeighter:
    """IPT weights for the ATT, ATC or ATE; ``fit`` returns self, ``weights_`` and ``summary_``."""

    def __init__(self, estimand: str = "ATT", stabilise: bool = True,
                 trim: float | None = None) -> None:
        self.estimand = estimand
        self.stabilise = stabilise
        self.trim = trim

    def fit(self, df: pd.DataFrame, *, propensity_col: str = "propensity",
            treatment_col: str = "treated") -> IPTWeighter:
        if self.estimand not in ESTIMANDS:
            raise ValueError(f"estimand must be one of {ESTIMANDS}, got {self.estimand!r}")
        if self.trim is not None and not 0.5 < self.trim < 1:
            raise ValueError(f"trim is a quantile in (0.5, 1), e.g. 0.99; got {self.trim!r}")
        t = treatment_array(df, treatment_col)
        check_columns(df, [propensity_col])
        e = pd.to_numeric(df[propensity_col], errors="coerce").to_numpy(dtype=float)
        bad = df.index[~((e > 0) & (e < 1))]
        if len(bad):
            raise ValueError(
                f"propensity column {propensity_col!r} must lie strictly between 0 and 1 "
                f"(a weight would be infinite); rows {rows_text(bad)} do not"
            )
        p = t.mean()
        if self.estimand == "ATE":
            w = np.where(t == 1, 1.0 / e, 1.0 / (1.0 - e))
            if self.stabilise:
                w = w * np.where(t == 1, p, 1.0 - p)
        elif self.estimand == "ATT":
            w = np.where(t == 1, 1.0, e / (1.0 - e))
            if self.stabilise:
                w = w * np.where(t == 1, 1.0, (1.0 - p) / p)
        else:
            w = np.where(t == 1, (1.0 - e) / e, 1.0)
            if self.stabilise:
                w = w * np.where(t == 1, p / (1.0 - p), 1.0)
        if self.trim is not None:
            for g in (0, 1):
                cap = np.quantile(w[t == g], self.trim)
                w = np.where((t == g) & (w > cap), cap, w)
        self.weights_ = pd.Series(w, index=df.index, name="weight")
        rows = []
        for g, label in ((1, "treated"), (0, "comparison")):
            wg = w[t == g]
            rows.append({"group": label, "n": int(len(wg)), "sum_weights": float(wg.sum()),
                         "ess": effective_sample_size(wg), "min_weight": float(wg.min()),
                         "max_weight": float(wg.max())})
        self.summary_ = pd.DataFrame(rows)
        self.ess_ = dict(zip(self.summary_["group"], self.summary_["ess"], strict=True))
        return self

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """Copy of ``df`` with a ``weight`` column (same frame as given to fit)."""
        if not hasattr(self, "weights_"):
            raise ValueError("IPTWeighter is not fitted; call fit(df) first")
        if not df.index.equals(self.weights_.index):
            raise ValueError("transform needs the same frame (same index, same order) given to fit")
        out = df.copy()
        out["weight"] = self.weights_.to_numpy()
        return out
