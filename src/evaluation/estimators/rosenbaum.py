"""Rosenbaum bounds: how much hidden bias would it take to explain a matched-pairs result away?

Why: matching balances only what the extract records. Rosenbaum's model (Observational Studies,
2nd ed. 2002, ch. 4; Design of Observational Studies 2010, ch. 3) lets two people in a matched
pair differ in their odds of joining the programme by at most a factor Gamma because of
something unrecorded. For each Gamma the one-sided p-value is no longer a number but an
interval; its upper end is the honest p-value if bias of that size might be present. The
*sensitivity value* is the largest Gamma at which the upper bound stays below 0.05. Unlike the
E-value (sensitivity.py) it uses the matched pairs themselves and needs no outcome model.

Under no effect and bias at most Gamma, each informative pair favours the programme
independently with probability at most p+ = Gamma / (1 + Gamma), so the upper bound is a tail
probability of a sum of independent Bernoulli(p+) terms:
- binary outcome (McNemar): among D discordant pairs, T = pairs where only the comparison
  member reoffended; bound = P(Binomial(D, p+) >= T), exact.
- continuous outcome (Wilcoxon signed rank): d = comparison - programme outcome per pair, zeros
  dropped, average ranks q of |d|; T = sum of q over d > 0; bound = P(sum q_s B_s >= T) with
  B_s ~ Bernoulli(p+), exact by convolution (ranks doubled to integers), or Rosenbaum's normal
  approximation (mean p+ sum q, variance p+(1 - p+) sum q^2).
- time to reoffence with censoring: the pair score of who reoffended first (Gehan): +1 if the
  comparison member's reoffence was observed before the programme member's time, -1 the other
  way round, 0 if censoring hides the order or the days tie; then the sign-test bound above.
Direction: T counts pairs that favour the programme (fewer / later reoffences); the bound is
for the claim "the programme reduced reoffending" (``direction="increase"`` for the claim that
it raised it, e.g. when the estimate points to harm).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_GAMMAS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
EXACT_MAX_PAIRS = 300
RESULT_COLUMNS = ["term", "estimate", "std_error", "lower", "upper", "p_value", "method", "n"]


def _p_plus(gamma: float) -> float:
    if not gamma >= 1:
        raise ValueError(f"Gamma must be >= 1, got {gamma}")
    return gamma / (1.0 + gamma)


def sign_test_bound(n_informative: int, n_favouring: int, gamma: float) -> float:
    """Upper bound on the one-sided p-value: P(Binomial(n_informative, p+) >= n_favouring)."""
    if not 0 <= n_favouring <= n_informative:
        raise ValueError("need 0 <= n_favouring <= n_informative")
    return float(stats.binom.sf(n_favouring - 1, n_informative, _p_plus(gamma)))


def _bound_frame(stat, n, gammas, pvals, lows, method, n_label):
    return pd.DataFrame({
        "term": [f"Gamma = {g:g}" for g in gammas], "gamma": list(gammas),
        "estimate": float(stat), "std_error": np.nan, "lower": np.nan, "upper": np.nan,
        "p_value": pvals, "p_value_lower": lows, "method": method, "n": n,
        "n_informative": n_label})


def mcnemar_bounds(n_discordant: int, n_favouring: int,
                   gammas: Sequence[float] = DEFAULT_GAMMAS) -> pd.DataFrame:
    """Bounds on the one-sided McNemar p-value for each Gamma (from the discordant counts).

    ``n_favouring``: discordant pairs in which only the comparison member had the outcome.
    ``p_value`` is the upper bound; ``p_value_lower`` uses p- = 1 / (1 + Gamma).
    """
    up = [sign_test_bound(n_discordant, n_favouring, g) for g in gammas]
    low = [float(stats.binom.sf(n_favouring - 1, n_discordant, 1 / (1 + g))) for g in gammas]
    return _bound_frame(n_favouring, n_discordant, gammas, up, low,
                        "Rosenbaum bound, McNemar (exact binomial)", n_discordant)


def _pairs(df, pair_col, treatment_col, value_cols):
    missing = [c for c in [pair_col, treatment_col, *value_cols] if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {missing}")
    sizes = df.groupby(pair_col)[treatment_col].agg(["size", "sum"])
    bad = sizes.index[(sizes["size"] != 2) | (sizes["sum"] != 1)]
    if len(bad):
        raise ValueError(f"every {pair_col!r} must hold one programme (1) and one comparison (0) "
                         f"member; {len(bad)} pairs do not, e.g. {list(bad[:5])}")
    wide = df.pivot(index=pair_col, columns=treatment_col, values=list(value_cols))
    return {c: (wide[(c, 1)].to_numpy(dtype=float), wide[(c, 0)].to_numpy(dtype=float))
            for c in value_cols}


def _direction_sign(direction: str) -> int:
    if direction not in ("reduction", "increase"):
        raise ValueError("direction must be 'reduction' (the programme lowers reoffending) or "
                         "'increase'")
    return 1 if direction == "reduction" else -1


def binary_pair_bounds(df: pd.DataFrame, *, pair_col: str, outcome_col: str,
                       treatment_col: str = "treated",
                       gammas: Sequence[float] = DEFAULT_GAMMAS,
                       direction: str = "reduction") -> pd.DataFrame:
    """McNemar bounds from a long frame of 1:1 matched pairs with a 0/1 outcome (1 = reoffended)."""
    y_t, y_c = _pairs(df, pair_col, treatment_col, [outcome_col])[outcome_col]
    favour = int(np.sum((y_c == 1) & (y_t == 0)))
    against = int(np.sum((y_t == 1) & (y_c == 0)))
    if _direction_sign(direction) < 0:
        favour, against = against, favour
    return mcnemar_bounds(favour + against, favour, gammas).assign(n=2 * len(y_t))


def _signed_rank_parts(d: np.ndarray):
    d = np.asarray(d, dtype=float)
    d = d[d != 0]
    q = stats.rankdata(np.abs(d))  # average ranks for ties
    return q, float(q[d > 0].sum())


def _exact_upper_tail(q: np.ndarray, t: float, p: float) -> float:
    """P(sum q_s B_s >= t), B_s iid Bernoulli(p): convolution on doubled (integer) ranks."""
    q2 = np.rint(2 * q).astype(int)
    dist = np.zeros(int(q2.sum()) + 1)
    dist[0] = 1.0
    top = 0
    for r in q2:
        new = dist * (1 - p)
        new[r:top + r + 1] += dist[:top + 1] * p
        dist, top = new, top + r
    return float(dist[int(np.rint(2 * t)):].sum())


def signed_rank_bounds(differences: Sequence[float], gammas: Sequence[float] = DEFAULT_GAMMAS,
                       method: str = "auto", direction: str = "reduction") -> pd.DataFrame:
    """Bounds on the one-sided Wilcoxon signed-rank p-value for matched-pair differences.

    ``differences``: comparison minus programme outcome (positive favours the programme, e.g.
    fewer offences on the programme). ``method``: "exact", "normal" (Rosenbaum's large-sample
    approximation, no continuity correction, as R DOS::senWilcox) or "auto" (exact up to
    ``EXACT_MAX_PAIRS`` non-zero pairs: the convolution costs O(n^3)).
    """
    q, t = _signed_rank_parts(_direction_sign(direction) * np.asarray(differences, dtype=float))
    if len(q) == 0:
        raise ValueError("all differences are zero: no informative pairs")
    if method == "auto":
        method = "exact" if len(q) <= EXACT_MAX_PAIRS else "normal"
    up, low = [], []
    for g in gammas:
        for p, out in ((_p_plus(g), up), (1 / (1 + g), low)):
            if method == "exact":
                out.append(_exact_upper_tail(q, t, p))
            elif method == "normal":
                z = (t - p * q.sum()) / np.sqrt(p * (1 - p) * np.sum(q ** 2))
                out.append(float(stats.norm.sf(z)))
            else:
                raise ValueError("method must be 'exact' or 'normal'")
    return _bound_frame(t, len(np.asarray(differences)), gammas, up, low,
                        f"Rosenbaum bound, Wilcoxon signed rank ({method})", len(q))


def pair_differences(df: pd.DataFrame, *, pair_col: str, outcome_col: str,
                     treatment_col: str = "treated") -> np.ndarray:
    """Comparison minus programme outcome, one value per 1:1 matched pair (in pair order)."""
    y_t, y_c = _pairs(df, pair_col, treatment_col, [outcome_col])[outcome_col]
    return y_c - y_t


def censored_pair_scores(df: pd.DataFrame, *, pair_col: str, duration_col: str,
                         event_col: str, treatment_col: str = "treated") -> np.ndarray:
    """Who reoffended first, per pair: +1 comparison first, -1 programme first, 0 unknown/tie."""
    parts = _pairs(df, pair_col, treatment_col, [duration_col, event_col])
    (t_t, t_c), (e_t, e_c) = parts[duration_col], parts[event_col]
    comparison_first = (e_c == 1) & (t_c < t_t)
    programme_first = (e_t == 1) & (t_t < t_c)
    return comparison_first.astype(int) - programme_first.astype(int)


def survival_pair_bounds(df: pd.DataFrame, *, pair_col: str, duration_col: str, event_col: str,
                         treatment_col: str = "treated",
                         gammas: Sequence[float] = DEFAULT_GAMMAS,
                         direction: str = "reduction") -> pd.DataFrame:
    """Sign-test bounds on who reoffended first in each matched pair, censoring-aware."""
    s = censored_pair_scores(df, pair_col=pair_col, duration_col=duration_col,
                             event_col=event_col, treatment_col=treatment_col)
    s = _direction_sign(direction) * s
    out = mcnemar_bounds(int(np.sum(s != 0)), int(np.sum(s == 1)), gammas)
    return out.assign(n=2 * len(s), method="Rosenbaum bound, censored pairs: who reoffended "
                      "first (Gehan pair score, exact binomial)")


def sensitivity_value(p_upper, alpha: float = 0.05, gamma_max: float = 100.0,
                      tol: float = 1e-6) -> float:
    """Largest Gamma with upper-bound p-value <= ``alpha`` (bisection on log Gamma).

    ``p_upper``: a function Gamma -> upper-bound p-value (increasing in Gamma), e.g.
    ``lambda g: sign_test_bound(D, T, g)``. Returns 1.0 if not significant even at Gamma = 1,
    and ``gamma_max`` if still significant there.
    """
    if p_upper(1.0) > alpha:
        return 1.0
    if p_upper(gamma_max) <= alpha:
        return float(gamma_max)
    lo, hi = 0.0, float(np.log(gamma_max))
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if p_upper(float(np.exp(mid))) <= alpha:
            lo = mid
        else:
            hi = mid
    return float(np.exp(lo))


def sensitivity_sentence(gamma: float, alpha: float = 0.05, programme: str = "the programme",
                         outcome: str = "reoffending") -> str:
    """Plain-English reading of a sensitivity value (from ``sensitivity_value``).

    Gamma bounds the *odds* ratio of being on the programme for two matched people; "times as
    likely" is the lay reading (close to the odds for the small probabilities of selection).
    """
    level = f"{100 * (1 - alpha):.0f}%"
    if gamma <= 1.0:
        return (f"The difference in {outcome} is not statistically significant even if the "
                f"matching removed all bias, so there is no result for hidden bias to explain away.")
    verdict = ("This is fragile: a modest unrecorded difference between the groups could "
               "account for it." if gamma < 1.5 else
               "This is moderately robust." if gamma < 2.5 else
               "This is robust: only a large unrecorded difference could account for it.")
    return (f"To explain away the difference in {outcome}, an unmeasured factor would have to "
            f"make people {gamma:.2f} times as likely to be on {programme} as the matched person "
            f"they were compared with, and also predict {outcome}. Beyond that the result is no "
            f"longer significant at the {level} level. {verdict}")
