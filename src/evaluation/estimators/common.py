"""Pieces every estimator shares: the tidy result row, Wald helpers, sandwich sums, survival inputs,
and the regression design matrix with its weighted GLM fit.

Column checks live in ``evaluation.frames`` (the design layer uses them too); they are re-exported
here so an estimator module needs one import.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.frames import (
    binary_array,
    check_columns,
    cluster_codes,
    rows_text,
    treatment_array,
    weight_array,
)

__all__ = [
    "RESULT_COLUMNS", "binary_array", "check_columns", "cluster_codes", "cluster_sums",
    "durations", "finite_column", "fit_glm", "glm_cov_args", "p_value", "regression_design", "result_row", "rows_text",
    "sandwich", "survival_inputs", "treatment_values", "variance_label", "weight_array",
    "z_value",
]

RESULT_COLUMNS = ["term", "estimate", "std_error", "lower", "upper", "p_value", "method", "n"]


def treatment_values(df: pd.DataFrame, treatment_col: str) -> np.ndarray:
    """The 0/1 treatment column as floats (both groups required), for model matrices."""
    return treatment_array(df, treatment_col).astype(float)


# --------------------------------------------------------------------------- Wald and rows
def z_value(alpha: float) -> float:
    """The two-sided normal quantile for a 1 - alpha interval."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return float(stats.norm.ppf(1 - alpha / 2))


def p_value(estimate: float, se: float, null: float = 0.0) -> float:
    """Two-sided Wald p-value; NaN when the standard error is not positive and finite."""
    if not np.isfinite(se) or se <= 0:
        return float("nan")
    return float(2 * stats.norm.sf(abs((estimate - null) / se)))


def result_row(term: str, estimate: float, se: float, lower: float, upper: float, p: float,
               method: str, n: int) -> dict:
    """One tidy row (RESULT_COLUMNS)."""
    return {"term": term, "estimate": float(estimate), "std_error": float(se),
            "lower": float(lower), "upper": float(upper), "p_value": float(p),
            "method": method, "n": int(n)}


# --------------------------------------------------------------------------- sandwich sums
def sandwich(scores: np.ndarray, codes: np.ndarray | None, n_params: int) -> np.ndarray:
    """Sum influence contributions within clusters, then S'S (with the CR1 factor if clustered).

    ``scores`` is n x k, each row one person's influence on the k estimates (already divided
    by the bread), so S'S is the variance. Without clusters: HC0 (no factor).
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=float).T).T
    if codes is None:
        return scores.T @ scores
    n = scores.shape[0]
    n_groups = int(codes.max()) + 1
    if n_groups < 2:
        raise ValueError("cluster-robust variance needs at least 2 clusters")
    summed = np.zeros((n_groups, scores.shape[1]))
    np.add.at(summed, codes, scores)
    factor = n_groups / (n_groups - 1.0) * (n - 1.0) / (n - n_params)
    return factor * (summed.T @ summed)


def cluster_sums(scores: np.ndarray, codes: np.ndarray | None) -> np.ndarray:
    """Per-cluster column sums of an n x p score matrix (the rows themselves if no clusters)."""
    if codes is None:
        return scores
    return np.column_stack([np.bincount(codes, weights=scores[:, c])
                            for c in range(scores.shape[1])])


def variance_label(weights_col: str | None, cluster_col: str | None,
                   codes: np.ndarray | None) -> str:
    """Plain words for the variance used, for the ``method`` column."""
    parts = []
    if weights_col is not None:
        parts.append(f"weights {weights_col!r}")
    if cluster_col is not None and codes is not None:
        parts.append(f"cluster-robust on {cluster_col!r} ({int(codes.max()) + 1} clusters, CR1)")
    else:
        parts.append("robust (HC0)")
    return ", ".join(parts)


# --------------------------------------------------------------------------- survival inputs
def durations(df: pd.DataFrame, col: str) -> np.ndarray:
    """Follow-up times: finite and >= 0, or a ValueError naming the rows."""
    t = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    bad = df.index[~(np.isfinite(t) & (t >= 0))]
    if len(bad):
        raise ValueError(f"duration column {col!r} must be finite and >= 0; "
                         f"rows {rows_text(bad)} are not")
    return t


def finite_column(df: pd.DataFrame, col: str, role: str) -> np.ndarray:
    """A numeric column as floats: KeyError if it is absent, ValueError if any value is missing
    or not a number (the competing-risks and Fine-Gray inputs)."""
    if col not in df.columns:
        raise KeyError(f"{role} column {col!r} is not in the frame")
    x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{role} column {col!r} has missing or non-numeric values")
    return x


def survival_inputs(df: pd.DataFrame, *, duration_col: str, event_col: str,
                    weights_col: str | None, cluster_col: str | None,
                    extra: Sequence[str | None] = ()):
    """Checked arrays (time, event, weight, cluster codes or None)."""
    check_columns(df, [duration_col, event_col, weights_col, cluster_col, *extra])
    t = durations(df, duration_col)
    e = binary_array(df, event_col, "event")
    w = weight_array(df, weights_col)
    return t, e, w, cluster_codes(df, cluster_col)


# --------------------------------------------------------------------------- regression
def regression_design(df: pd.DataFrame, treatment_col: str,
                      covariates: Sequence[str] | None) -> pd.DataFrame:
    """Intercept, treatment, then covariates (categorical ones one-hot coded, first level dropped)."""
    X = pd.DataFrame({"const": 1.0, treatment_col: treatment_values(df, treatment_col)},
                     index=df.index)
    if covariates:
        cov = df[list(covariates)]
        cat = [c for c in cov.columns if not pd.api.types.is_numeric_dtype(cov[c])
               or pd.api.types.is_bool_dtype(cov[c])]
        cov = pd.get_dummies(cov, columns=cat, drop_first=True, dtype=float)
        X = pd.concat([X, cov.astype(float)], axis=1)
    rank = np.linalg.matrix_rank(X.to_numpy())
    if rank < X.shape[1]:
        raise ValueError(
            f"the design (intercept, {treatment_col!r}, covariates {list(covariates or [])}) is "
            f"collinear (rank {rank} < {X.shape[1]} columns); drop a redundant covariate"
        )
    return X


def glm_cov_args(codes: np.ndarray | None) -> dict:
    """statsmodels ``fit`` arguments: HC0 without clusters, CR1 cluster-robust with them."""
    if codes is None:
        return {"cov_type": "HC0"}
    return {"cov_type": "cluster", "cov_kwds": {"groups": codes}}


def fit_glm(y, X, family, offset, w, codes):
    """statsmodels GLM with ``var_weights`` and a robust sandwich (see estimators/counts.py)."""
    from statsmodels.genmod.generalized_linear_model import GLM

    with warnings.catch_warnings():
        # measured: var_weights + HC0/cluster is the pweight sandwich (counts.py docstring)
        warnings.filterwarnings("ignore", message="cov_type not fully supported with var_weights")
        model = GLM(y, X, family=family, offset=offset, var_weights=w)
        return model.fit(**glm_cov_args(codes))
