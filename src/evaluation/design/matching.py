"""Greedy nearest-neighbour matching on the logit propensity score (MatchIt's rules, re-stated).

Rules (decision record docs/decisions/0103-matching-rules.md):
- distance: |logit(e_t) - logit(e_c)|, one dimension;
- caliper: ``caliper`` x SD of the distance over ALL units given to ``fit`` (n-1 denominator), as
  MatchIt's ``std.caliper`` does; a comparison person at distance <= caliper is acceptable;
- order: treated people are taken in decreasing propensity ("largest", MatchIt's default for
  logistic scores); equal scores keep row order (stable sort). "smallest" and "data" also exist;
- 1:k: matching runs in k rounds: every treated person receives a first match before anyone
  receives a second (a treated person who found none in a round gets no later matches);
- tie rule: among comparison people at the same distance the one earlier in row order wins (also
  between the nearest one below and above);
- without replacement a comparison person is used at most once (tested); with replacement any
  may serve several treated people but never twice in the same set;
- exact strata: matching runs separately within each combination of the ``exact`` columns.

Why a loop: greedy matching without replacement is sequential by definition (each choice changes
what is available next). The loop is over treated people only and each step is O(alpha(n)) with
two union-find "next available" pointers over the sorted comparison people, so 100,000 treated
against 1,000,000 comparison people takes seconds (benchmarks/bench_matching.py).

Weights follow MatchIt (ATT): matched treated 1; a comparison person gets 1/(comparison people in
the set) for each set it belongs to, then comparison weights are scaled to sum to the number of
matched comparison people.

``estimand="ATC"`` swaps the roles, as MatchIt does: each comparison person is matched to
programme people, who get the 1/k weights. Swapping means the treatment indicator becomes 1 - T
and the score 1 - e (logit -> -logit): the distances and the caliper are unchanged, and the
default order "largest" (of the focal group's own score) is MatchIt's ATC default "smallest" e.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaluation.cohort.attrition import Attrition
from evaluation.frames import check_columns, rows_text, treatment_array

REASON_NO_STRATUM = "no comparison person in the exact-matching stratum"
REASON_EXHAUSTED = "every comparison person in the stratum already used"
REASON_CALIPER = "no comparison person within the caliper"
REASON_NOT_SELECTED = "comparison person not selected as a match"

_ORDERS = ("largest", "smallest", "data")
ESTIMANDS = ("ATT", "ATC")


def _reason(text: str, estimand: str) -> str:
    """The ATT wording, with the roles swapped for the ATC (programme people are the pool)."""
    return text if estimand == "ATT" else text.replace("comparison person", "programme person")


def _find(parent: list[int], i: int) -> int:
    """Union-find root with path halving: the next available slot at or beyond i."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _match_stratum(
    t_rows: np.ndarray,
    t_vals: np.ndarray,
    c_rows: np.ndarray,
    c_vals: np.ndarray,
    ratio: int,
    replace: bool,
    caliper: float,
) -> tuple[list[tuple[int, int, float]], dict[int, str]]:
    """Match the focal rows (already in matching order) to the pool rows in one stratum.

    Returns pairs (focal_row, pool_row, distance) in matching order, and a reason for every
    focal row that received no match.
    """
    srt = np.lexsort((c_rows, c_vals))  # by value, then row order (the tie rule)
    vals = c_vals[srt]
    rows = c_rows[srt]
    m = len(vals)
    new_block = np.r_[True, vals[1:] != vals[:-1]]
    run_start_arr = np.maximum.accumulate(np.where(new_block, np.arange(m), 0))
    pos_arr = np.searchsorted(vals, t_vals, side="left")
    pairs: list[tuple[int, int, float]] = []
    failed: dict[int, str] = {}
    vals_l = vals.tolist()
    rows_l = rows.tolist()

    if not replace:
        right = list(range(m + 1))  # right[i]: next available >= i (m = none)
        left = list(range(m + 1))  # left[i+1]: next available <= i, as i+1 (0 = none)
        run_start = run_start_arr.tolist()
        active = list(range(len(t_rows)))
        for rnd in range(ratio):
            still = []
            for k in active:
                x = float(t_vals[k])
                p = int(pos_arr[k])
                jr = _find(right, p)
                ql = _find(left, p)
                best = -1
                best_d = np.inf
                if ql > 0:
                    jl = _find(right, run_start[ql - 1])  # lowest row in the nearest block
                    best, best_d = jl, x - vals_l[jl]
                if jr < m:
                    d = vals_l[jr] - x
                    if best < 0 or d < best_d or (d == best_d and rows_l[jr] < rows_l[best]):
                        best, best_d = jr, d
                if best < 0 or best_d > caliper:
                    if rnd == 0:  # a later round only leaves the set short of k matches
                        failed[int(t_rows[k])] = REASON_EXHAUSTED if best < 0 else REASON_CALIPER
                    continue
                right[best] = best + 1
                left[best + 1] = best
                pairs.append((int(t_rows[k]), rows_l[best], float(best_d)))
                still.append(k)
            active = still
        return pairs, failed

    # with replacement treated people do not compete, so rounds change nothing: each independently takes the k nearest by (distance, row).
    # The k nearest by value lie in [pos-k, pos+k); widening to whole equal-value blocks makes
    # the tie rule exact (a tie at the k-th distance can only extend a block already touched).
    block_id = np.cumsum(new_block) - 1
    block_end = np.r_[np.flatnonzero(new_block)[1:], m]
    run_end_arr = block_end[block_id]
    for k in range(len(t_rows)):
        p = int(pos_arr[k])
        lo = int(run_start_arr[max(p - ratio, 0)])
        hi = int(run_end_arr[min(p + ratio, m) - 1])
        d = np.abs(vals[lo:hi] - t_vals[k])
        r = rows[lo:hi]
        take = np.lexsort((r, d))[:ratio]
        ok = take[d[take] <= caliper]
        if len(ok) == 0:
            failed[int(t_rows[k])] = REASON_CALIPER
            continue
        for j in ok:
            pairs.append((int(t_rows[k]), int(r[j]), float(d[j])))
    return pairs, failed


class NearestNeighbourMatcher:
    """Greedy k:1 nearest-neighbour matching on the logit propensity, with caliper and strata.

    ``fit(df, propensity_col=..., treatment_col=...)`` matches; ``transform(df)`` returns the
    frame with ``weight``, ``match_set`` and ``matched`` columns; ``pairs_`` holds one row per
    (treated, comparison) pair and ``unmatched_`` one row per unmatched focal person (treated for
    the ATT, comparison for the ATC) with a reason.
    """

    def __init__(
        self,
        caliper: float | None = 0.2,
        caliper_scale: str = "sd_logit",
        ratio: int = 1,
        replace: bool = False,
        exact: Sequence[str] = (),
        order: str = "largest",
        estimand: str = "ATT",
    ) -> None:
        self.caliper = caliper
        self.caliper_scale = caliper_scale
        self.ratio = ratio
        self.replace = replace
        self.exact = exact
        self.order = order
        self.estimand = estimand

    def _validate(self) -> None:
        if self.estimand not in ESTIMANDS:
            raise ValueError(f"estimand must be one of {ESTIMANDS} for matching, got "
                             f"{self.estimand!r} (use IPTWeighter for the ATE)")
        if self.order not in _ORDERS:
            raise ValueError(f"order must be one of {_ORDERS}, got {self.order!r}")
        if self.caliper_scale not in ("sd_logit", "raw"):
            raise ValueError(f"caliper_scale must be 'sd_logit' or 'raw', got {self.caliper_scale!r}")
        if self.caliper is not None and not self.caliper > 0:
            raise ValueError(f"caliper must be positive or None, got {self.caliper!r}")
        if int(self.ratio) != self.ratio or self.ratio < 1:
            raise ValueError(f"ratio must be a positive integer, got {self.ratio!r}")

    def fit(
        self,
        df: pd.DataFrame,
        *,
        propensity_col: str = "propensity",
        treatment_col: str = "treated",
        distance_col: str | None = None,
        attrition: Attrition | None = None,
    ) -> NearestNeighbourMatcher:
        """Match. ``distance_col`` (optional) gives a ready-made distance (e.g. the logit).

        If ``attrition`` is given, unmatched focal people are recorded with their reason and
        unselected pool people as not selected (stage "matching").
        """
        self._validate()
        if not df.index.is_unique:
            raise ValueError("the frame index must be unique (one row per person-index)")
        t = treatment_array(df, treatment_col)
        score_col = distance_col if distance_col is not None else propensity_col
        check_columns(df, [score_col, *self.exact])
        s = pd.to_numeric(df[score_col], errors="coerce").to_numpy(dtype=float)
        if distance_col is None:
            bad = df.index[~((s > 0) & (s < 1))]
            if len(bad):
                raise ValueError(
                    f"propensity column {propensity_col!r} must lie strictly between 0 and 1; "
                    f"rows {rows_text(bad)} do not"
                )
            s = np.log(s / (1.0 - s))
        if not np.isfinite(s).all():
            raise ValueError(f"distance {score_col!r} is not finite at rows "
                             f"{rows_text(df.index[~np.isfinite(s)])}")
        if self.caliper is None:
            cal = np.inf
        elif self.caliper_scale == "sd_logit":
            cal = float(self.caliper) * float(np.std(s, ddof=1))
        else:
            cal = float(self.caliper)
        self.caliper_ = cal
        self.distance_ = pd.Series(s, index=df.index, name="distance")
        # focal = the group whose members each receive matches (module docstring)
        atc = self.estimand == "ATC"
        focal = 1 - t if atc else t
        if atc:
            s = -s

        if self.exact:
            strata = df.groupby(list(self.exact), sort=True, dropna=False).ngroup().to_numpy()
        else:
            strata = np.zeros(len(df), dtype=int)
        n = len(df)
        rowpos = np.arange(n)
        if self.order == "largest":
            order = np.argsort(-s, kind="stable")
        elif self.order == "smallest":
            order = np.argsort(s, kind="stable")
        else:
            order = rowpos
        t_order = order[focal[order] == 1]  # focal rows in matching order
        rank = np.empty(n, dtype=np.int64)
        rank[t_order] = np.arange(len(t_order))

        all_pairs: list[tuple[int, int, float]] = []
        failed: dict[int, str] = {}
        is_c = focal == 0
        t_strata = strata[t_order]
        for g in np.unique(t_strata):
            tr = t_order[t_strata == g]
            cr = rowpos[is_c & (strata == g)]
            if len(cr) == 0:
                failed.update(dict.fromkeys(tr.tolist(), _reason(REASON_NO_STRATUM,
                                                                  self.estimand)))
                continue
            pairs, f = _match_stratum(tr, s[tr], cr, s[cr], int(self.ratio),
                                      bool(self.replace), cal)
            all_pairs += pairs
            failed.update({r: _reason(why, self.estimand) for r, why in f.items()})

        pairs = pd.DataFrame(all_pairs, columns=["t_row", "c_row", "distance"]).astype(
            {"t_row": "int64", "c_row": "int64", "distance": "float64"})  # typed when empty
        pairs["_rank"] = rank[pairs["t_row"].to_numpy()]
        pairs["_seq"] = np.arange(len(pairs))
        pairs = pairs.sort_values(["_rank", "_seq"], kind="stable")
        # sets numbered 1.. in matching order (invariant to row permutation when scores differ)
        set_of_rank = {r: i + 1 for i, r in enumerate(pd.unique(pairs["_rank"]))}
        pairs["match_set"] = pairs["_rank"].map(set_of_rank).astype(int)
        pairs = pairs.reset_index(drop=True)
        idx = df.index
        programme_rows, comparison_rows = (("c_row", "t_row") if atc else ("t_row", "c_row"))
        self.pairs_ = pd.DataFrame(
            {
                "match_set": pairs["match_set"].to_numpy(),
                "treated_index": idx[pairs[programme_rows].to_numpy()],
                "comparison_index": idx[pairs[comparison_rows].to_numpy()],
                "distance": pairs["distance"].to_numpy(),
            }
        )
        # ------------------------------------------------ weights (MatchIt; focal 1, pool 1/k)
        w = np.zeros(n)
        mset = np.full(n, -1, dtype=np.int64)
        t_rows = pairs["t_row"].to_numpy()
        c_rows = pairs["c_row"].to_numpy()
        w[t_rows] = 1.0
        size = pairs.groupby("match_set")["c_row"].transform("size").to_numpy()
        np.add.at(w, c_rows, 1.0 / size)
        matched_c = np.unique(c_rows)
        if len(matched_c):
            w[matched_c] *= len(matched_c) / w[matched_c].sum()
        mset[t_rows] = pairs["match_set"].to_numpy()
        # a pool person used in several sets (with replacement) is given their first set
        first = pairs.drop_duplicates("c_row", keep="first")
        mset[first["c_row"].to_numpy()] = first["match_set"].to_numpy()
        self.weights_ = pd.Series(w, index=idx, name="weight")
        self.match_set_ = pd.Series(pd.array(np.where(mset < 0, None, mset), dtype="Int64"),
                                    index=idx, name="match_set")
        self.matched_ = pd.Series(w > 0, index=idx, name="matched")

        un_rows = np.array(sorted(failed, key=lambda r: rank[r]), dtype=np.int64)
        self.unmatched_ = pd.DataFrame(
            {
                "index": idx[un_rows],
                "reason": [failed[r] for r in un_rows.tolist()],
            }
        )
        if self.exact:
            for col in self.exact:
                self.unmatched_[col] = df[col].to_numpy()[un_rows]
        # focal people with fewer than k matches (k > 1) are matched, so not in unmatched_
        n_t = int(focal.sum())
        n_short = int((pairs.groupby("match_set").size() < int(self.ratio)).sum())
        one, other = ("comparison", "treated") if atc else ("treated", "comparison")
        self.summary_ = pd.DataFrame(
            {
                "quantity": [one, f"{one} matched", f"{one} unmatched",
                             f"{one} matched to fewer than {int(self.ratio)} {other} people",
                             f"{other} pool", f"{other} matched", "caliper (distance units)"],
                "value": [n_t, int((w[focal == 1] > 0).sum()), len(un_rows), n_short,
                          int(is_c.sum()), len(matched_c), cal],
            }
        )
        self.unmatched_reasons_ = (
            self.unmatched_.groupby("reason").size().rename("n").reset_index()
            if len(un_rows) else pd.DataFrame({"reason": [], "n": []})
        )
        self.treatment_col_ = treatment_col
        if attrition is not None:
            self._record(df, focal, attrition)
        return self

    def _record(self, df: pd.DataFrame, focal: np.ndarray, attrition: Attrition) -> None:
        frame = df
        reason_of = pd.Series(pd.NA, index=df.index, dtype="object")
        if len(self.unmatched_):
            reason_of.loc[self.unmatched_["index"].to_numpy()] = self.unmatched_["reason"].to_numpy()
        for reason in (REASON_NO_STRATUM, REASON_EXHAUSTED, REASON_CALIPER):
            reason = _reason(reason, self.estimand)
            mask = (reason_of.loc[frame.index] == reason).fillna(False).astype(bool)
            if mask.any():
                frame = attrition.exclude(frame, mask, reason=reason, stage="matching")
        mask = pd.Series((focal == 0) & ~self.matched_.to_numpy(), index=df.index).loc[frame.index]
        if mask.any():
            attrition.exclude(frame, mask, reason=_reason(REASON_NOT_SELECTED, self.estimand),
                              stage="matching")

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """Copy of ``df`` with ``weight``, ``match_set`` (Int64, NA if unmatched), ``matched``."""
        if not hasattr(self, "weights_"):
            raise ValueError("NearestNeighbourMatcher is not fitted; call fit(df) first")
        if not df.index.equals(self.weights_.index):
            raise ValueError("transform needs the same frame (same index, same order) given to fit")
        out = df.copy()
        out["weight"] = self.weights_.to_numpy()
        out["match_set"] = self.match_set_.to_numpy()
        out["matched"] = self.matched_.to_numpy()
        return out

    def matched_data(self, df: pd.DataFrame) -> pd.DataFrame:
        """Only the matched rows (weight > 0) of ``transform(df)``."""
        out = self.transform(df)
        return out.loc[out["matched"]]
