"""Propensity score model: P(treated | covariates) by maximum-likelihood logistic regression.

Why statsmodels ``Logit`` (Newton, tight tolerance) and not scikit-learn's default
``LogisticRegression``: the latter penalises (C=1) and stops at tol 1e-4 on unscaled inputs, so it
does not reproduce R ``glm`` beyond the second decimal (domain-facts §7). An unpenalised Newton fit
agrees with R to about 1e-7 (tests/reference/matchit).

The design matrix is built here, explicitly, so the same columns can be rebuilt for ``predict``:
numeric covariates as they are; ``categorical`` as 0/1 indicators with the first (sorted) level as
reference; ``splines`` as a cubic B-spline basis (scikit-learn ``SplineTransformer``, knots at
quantiles, first basis column dropped because the basis sums to one); ``interactions`` as products
of two numeric covariates.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.preprocessing import SplineTransformer
from statsmodels.discrete.discrete_model import Logit
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from evaluation.frames import check_columns, rows_text, treatment_array

__all__ = ["PropensityModel", "check_columns", "design_rank", "treatment_array"]  # checks re-exported for plots

_EPS = 1e-8  # fitted probabilities closer than this to 0 or 1 mean (quasi-)separation


class PropensityModel:
    """Logistic propensity model; ``fit`` returns self, fitted state ends in ``_``.

    Parameters
    ----------
    covariates : numeric covariates entered linearly.
    categorical : covariates entered as indicators (reference = first sorted level).
    splines : numeric covariates entered as a cubic B-spline (``n_knots`` quantile knots).
    interactions : pairs of numeric covariates whose product is added.
    """

    def __init__(
        self,
        covariates: Sequence[str] = (),
        categorical: Sequence[str] = (),
        splines: Sequence[str] = (),
        interactions: Sequence[tuple[str, str]] = (),
        n_knots: int = 4,
        maxiter: int = 100,
    ) -> None:
        self.covariates = covariates
        self.categorical = categorical
        self.splines = splines
        self.interactions = interactions
        self.n_knots = n_knots
        self.maxiter = maxiter

    # ------------------------------------------------------------------ design matrix
    def _all_columns(self) -> list[str]:
        cols = list(self.covariates) + list(self.categorical) + list(self.splines)
        for a, b in self.interactions:
            cols += [a, b]
        return list(dict.fromkeys(cols))

    def _design(self, df: pd.DataFrame, fitting: bool) -> pd.DataFrame:
        check_columns(df, self._all_columns())
        parts: list[pd.DataFrame] = [pd.DataFrame({"const": 1.0}, index=df.index)]
        for c in self.covariates:
            values = pd.to_numeric(df[c], errors="coerce")
            bad = df.index[values.isna().to_numpy()]
            if len(bad):
                raise ValueError(
                    f"covariate {c!r} is not numeric at rows {rows_text(bad)}; "
                    "list it under categorical= if it is a category"
                )
            parts.append(values.astype(float).to_frame(c))
        if fitting:
            self.levels_ = {c: sorted(df[c].astype(str).unique()) for c in self.categorical}
            self.spline_transformers_ = {}
        for c in self.categorical:
            levels = self.levels_[c]
            values = df[c].astype(str)
            unknown = df.index[~values.isin(levels).to_numpy()]
            if len(unknown):
                raise ValueError(
                    f"categorical covariate {c!r} has levels not seen in fitting at rows "
                    f"{rows_text(unknown)}: {sorted(values[~values.isin(levels)].unique())}"
                )
            for level in levels[1:]:
                parts.append((values == level).astype(float).to_frame(f"{c}[{level}]"))
        for c in self.splines:
            x = df[[c]].astype(float).to_numpy()
            if fitting:
                st = SplineTransformer(n_knots=self.n_knots, degree=3, knots="quantile",
                                       extrapolation="linear")
                self.spline_transformers_[c] = st.fit(x)
            basis = self.spline_transformers_[c].transform(x)[:, 1:]
            names = [f"{c}[bs{j}]" for j in range(1, basis.shape[1] + 1)]
            parts.append(pd.DataFrame(basis, index=df.index, columns=names))
        for a, b in self.interactions:
            prod = df[a].astype(float) * df[b].astype(float)
            parts.append(prod.to_frame(f"{a}:{b}"))
        X = pd.concat(parts, axis=1)
        if fitting:
            self.design_columns_ = list(X.columns)
        return X[self.design_columns_]

    def _check_separation_by_level(self, df: pd.DataFrame, t: np.ndarray) -> None:
        """A category level with only treated (or only comparison) people separates perfectly."""
        for c in self.categorical:
            tab = pd.crosstab(df[c].astype(str), t)
            for level, row in tab.iterrows():
                if (row == 0).any():
                    only = "treated" if row.get(0, 0) == 0 else "comparison"
                    rows = df.index[(df[c].astype(str) == level).to_numpy()]
                    raise ValueError(
                        f"perfect separation: level {level!r} of {c!r} holds only {only} people "
                        f"(rows {rows_text(rows)}); merge the level, match exactly on {c!r}, "
                        "or exclude those rows through the attrition ledger"
                    )

    # ------------------------------------------------------------------ API
    def fit(self, df: pd.DataFrame, *, treatment_col: str = "treated") -> PropensityModel:
        t = treatment_array(df, treatment_col)
        X = self._design(df, fitting=True)
        self._check_separation_by_level(df, t)
        values = X.to_numpy(dtype=float)
        X_fit, back = _standardise(values, X.index, X.columns)
        rank = design_rank(X_fit.to_numpy())
        if rank < X.shape[1]:
            raise ValueError(
                f"the propensity design matrix is rank deficient ({rank} < {X.shape[1]} columns "
                f"{self.design_columns_}); drop a collinear covariate"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # separation is checked explicitly below
            try:
                res = _fit_standardised(t, X_fit, self.maxiter)
            except Exception as exc:  # statsmodels raises on exact separation
                raise ValueError(f"perfect separation in the propensity model: {exc}") from exc
            p = np.asarray(res.predict(X_fit))
        # A treated person with a fitted propensity of (almost) 1 has no counterpart in the
        # comparison group: the effect on the treated cannot be estimated for them, so stop.
        # Comparison people with a propensity of (almost) 0 (e.g. far heavier offending than
        # anyone treated) are merely never chosen; they are counted in ``n_extreme_``.
        extreme = df.index[(t == 1) & (p > 1 - _EPS)]
        if len(extreme):
            raise ValueError(
                f"(quasi-)perfect separation: fitted propensity within {_EPS} of 1 for treated "
                f"rows {rows_text(extreme)}; these people have no counterpart in the comparison "
                "group (check covariates that define eligibility) - exclude them through the "
                "attrition ledger or simplify the model"
            )
        self.n_extreme_ = int(((p < _EPS) | (p > 1 - _EPS)).sum())
        if not _converged(res):
            raise ValueError(f"the propensity model did not converge in {self.maxiter} iterations")
        self.result_ = res
        coef = back @ np.asarray(res.params)
        cov = back @ np.asarray(res.cov_params()) @ back.T
        se = np.sqrt(np.diag(cov))
        self.coef_ = pd.Series(coef, index=self.design_columns_, name="coef")
        self.summary_ = pd.DataFrame(
            {
                "term": self.design_columns_,
                "coef": coef,
                "std_error": se,
                "z": coef / se,
                "p_value": 2 * stats.norm.sf(np.abs(coef / se)),
            }
        )
        self.logit_ = pd.Series(values @ self.coef_.to_numpy(), index=df.index, name="logit")
        self.propensity_ = pd.Series(p, index=df.index, name="propensity")
        self.treatment_col_ = treatment_col
        return self

    def predict(self, df: pd.DataFrame) -> pd.Series:
        """Propensity for new rows with the fitted coefficients."""
        lin = self.predict_logit(df)
        return pd.Series(1.0 / (1.0 + np.exp(-lin.to_numpy())), index=df.index, name="propensity")

    def predict_logit(self, df: pd.DataFrame) -> pd.Series:
        if not hasattr(self, "coef_"):
            raise ValueError("PropensityModel is not fitted; call fit(df) first")
        X = self._design(df, fitting=False)
        return pd.Series(X.to_numpy() @ self.coef_.to_numpy(), index=df.index, name="logit")


def _converged(res) -> bool:
    """Convergence flag of a statsmodels Logit (``mle_retvals``) or GLM (``converged``) fit."""
    if hasattr(res, "mle_retvals") and res.mle_retvals is not None:
        return bool(res.mle_retvals.get("converged", True))
    return bool(getattr(res, "converged", True))


def design_rank(values: np.ndarray) -> int:
    """``np.linalg.matrix_rank(values)`` of the standardised design, with a cheap exit for the
    usual full-rank case.

    The SVD of an n x k matrix costs about 1 s at 1M rows; the eigenvalues of X'X cost 0.03 s.
    When they show a condition far from the SVD's rank tolerance (smallest / largest eigenvalue
    > 1e-10, i.e. singular values more than 1e-5 apart, against a tolerance of about
    n * 2.2e-16, and far above the Gram matrix's rounding) the SVD would find full rank too;
    anything closer to singular is decided by the SVD itself.
    """
    if values.shape[0] > values.shape[1] and values.shape[1] > 0:
        eig = np.linalg.eigvalsh(values.T @ values)
        if np.isfinite(eig).all() and eig[0] > 1e-10 * eig[-1] > 0:
            return values.shape[1]
    return int(np.linalg.matrix_rank(values))


def _standardise(values: np.ndarray, index: pd.Index,
                 columns: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """Centred and scaled columns, for a well-conditioned Newton solve (and rank check).

    Raw covariates mix scales (index year ~2015, day counts, 0/1 flags), which makes Newton's
    Hessian nearly singular and the fit fail to converge. Scaling changes nothing in the fitted
    probabilities; ``back`` maps the scaled coefficients (and their covariance) back to the
    original columns: beta_j = b_j / sd_j and intercept = b_0 - sum_j b_j mean_j / sd_j.
    """
    const = np.all(values == values[0], axis=0)
    # centring is only a reparameterisation when the model has an intercept
    mean = np.where(const, 0.0, values.mean(axis=0)) if const.any() else np.zeros(len(const))
    sd = np.where(const, 1.0, values.std(axis=0, ddof=0))
    sd[sd == 0] = 1.0
    # a frame, as before: statsmodels then sees the same memory layout (bit-identical fits)
    X_fit = pd.DataFrame((values - mean) / sd, index=index, columns=columns)
    back = np.diag(1.0 / sd)
    for i in np.flatnonzero(const):
        back[i, :] = -mean / sd
        back[i, i] = 1.0 / sd[i] if sd[i] else 1.0
    return X_fit, back


def _fit_standardised(t: np.ndarray, X_fit: pd.DataFrame, maxiter: int):
    """statsmodels Logit (Newton) on the standardised design, then GLM IRLS when Newton's
    coefficient test never passes."""
    # the rank is checked before (fit); statsmodels' own QR check costs more than the fit at
    # 1M rows and changes nothing else (same Newton steps, bit for bit)
    res = Logit(t, X_fit, check_rank=False).fit(method="newton", maxiter=maxiter, tol=1e-10,
                                                   disp=False)
    if not _converged(res):
        # Quasi-separation on the comparison side (e.g. a 0/1 covariate that is 1 only for some
        # comparison people) sends one coefficient towards -inf: Newton's test on the
        # coefficients never passes although the fitted probabilities have settled. R's glm
        # judges convergence on the deviance instead; so does statsmodels' GLM IRLS.
        res = GLM(t, X_fit, family=families.Binomial()).fit(
            method="IRLS", maxiter=max(maxiter, 100), tol=1e-10)
    return res
