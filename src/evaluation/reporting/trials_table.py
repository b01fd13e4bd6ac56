"""Intention to treat beside per protocol (decision 0406), as a board reader sees them.

Why a module of its own: the table from ``analysis.trials`` is a tidy results frame at full
precision; the report rounds it like every other table (hazard ratios to 2 decimals, risk
differences per 100 people to 1), says in plain English what each analysis answers, and compares
the two intervals from the numbers rather than asserting which is wider. How the two analyses
are computed is not decided here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.reporting.disclosure import DisclosureRules, apply_to_estimates
from evaluation.reporting.numbers import format_away

# term -> (shown name, scale factor, decimals, null, ratio)
MEASURES = {
    "hazard_ratio": ("hazard ratio", 1.0, 2, 1.0, True),
    "risk_difference": ("risk difference (per 100 people)", 100.0, 1, 0.0, False),
}
ANALYSES = {"intention_to_treat": "intention to treat", "per_protocol": "per protocol"}
WHAT_EACH_ANSWERS = (
    "Intention to treat answers: what is the effect of being adopted in a scoring round, "
    "whatever happened later? Per protocol answers: what is the effect of being adopted now, "
    "against never being adopted during the follow-up? It compares people adopted in a round "
    "with people never adopted during follow-up, with weights for those censored when they "
    "were adopted later.")


def _p(p: float) -> str:
    return "below 0.001" if p < 0.001 else f"{p:.3f}"


def _bounds(row: pd.Series) -> tuple[str, str, str]:
    """(estimate, lower, upper) as shown: scaled, rounded, never rounded onto the null."""
    _, scale, digits, null, _ = MEASURES[row["term"]]
    values = [scale * float(row[c]) for c in ("estimate", "lower", "upper")]
    return tuple(format_away(values, null, digits))


def itt_pp_display(table: pd.DataFrame, rules: DisclosureRules) -> pd.DataFrame:
    """The published table: analysis, measure, estimate, 95% interval, p-value, n; disclosure
    rules applied before rounding (a value from too few people stays ``[c]``)."""
    safe = apply_to_estimates(table, rules, events_col=None)
    rows = []
    for (_, raw), (_, shown) in zip(table.iterrows(), safe.iterrows(), strict=True):
        name = MEASURES[raw["term"]][0]
        row = {"analysis": ANALYSES.get(raw["analysis"], raw["analysis"].replace("_", " ")),
               "measure": name}
        if np.isreal(shown["estimate"]) and np.isfinite(float(raw["estimate"])) \
                and np.isfinite(float(raw["lower"])) and np.isfinite(float(raw["upper"])):
            est, lo, hi = _bounds(raw)
            p = float(raw["p_value"])
            row.update({"estimate": est, "95% CI": f"{lo} to {hi}",
                        "p-value": _p(p) if np.isfinite(p) else "[z]"})
        else:  # suppressed ([c]) or not available ([x])
            mark = shown["estimate"] if isinstance(shown["estimate"], str) else "[x]"
            row.update({"estimate": mark, "95% CI": mark, "p-value": mark})
        row["n"] = shown["n"]
        rows.append(row)
    return pd.DataFrame(rows)


def _width(row: pd.Series) -> float:
    lo, hi = float(row["lower"]), float(row["upper"])
    return float(np.log(hi) - np.log(lo)) if MEASURES[row["term"]][4] else hi - lo


def interval_comparison(table: pd.DataFrame) -> str:
    """Which interval is wider, per measure, from the numbers (log scale for ratios)."""
    by = table.set_index(["analysis", "term"])
    parts = []
    for term, (name, *_rest) in MEASURES.items():
        keys = [("intention_to_treat", term), ("per_protocol", term)]
        if not all(k in by.index for k in keys):
            continue
        itt, pp = by.loc[keys[0]].copy(), by.loc[keys[1]].copy()
        itt["term"] = pp["term"] = term
        if not all(np.isfinite(float(r[c])) for r in (itt, pp) for c in ("lower", "upper")):
            continue
        w_itt, w_pp = _width(itt), _width(pp)
        _, lo_pp, hi_pp = _bounds(pp)
        _, lo_itt, hi_itt = _bounds(itt)
        label = name.split(" (")[0]
        if (lo_pp, hi_pp) == (lo_itt, hi_itt):
            parts.append(f"for the {label} the two intervals are the same ({lo_pp} to {hi_pp})")
        elif np.isclose(w_pp, w_itt, rtol=1e-6, atol=0):
            parts.append(f"for the {label} the two intervals are as wide ({lo_pp} to {hi_pp} "
                         f"and {lo_itt} to {hi_itt})")
        else:
            word = "wider" if w_pp > w_itt else "narrower"
            parts.append(f"for the {label} the per-protocol interval is {word} ({lo_pp} to "
                         f"{hi_pp}, against {lo_itt} to {hi_itt} by intention to treat)")
    if not parts:
        return ""
    text = "; ".join(parts)
    return (f"{text[0].upper()}{text[1:]}. The report's estimates are the intention-to-treat "
            "ones; a wider interval is the less precise answer.")
