"""E-values: how strong would unmeasured confounding have to be to explain the effect away?

Why: matching balances only what the extract records (not motivation, family, housing...). The
E-value (VanderWeele & Ding 2017, Ann Intern Med 167:268-274) is the minimum strength of
association, on the risk-ratio scale, that an unmeasured confounder would need with both the
programme and reoffending to move the estimate to the null; for the confidence limit closer to
the null, to make the interval include it. It needs no model and reads next to the headline.

Formulas (as in the R package EValue, ``evalues.RR/HR/OR``):
- RR >= 1: E = RR + sqrt(RR (RR - 1)); RR < 1: apply to 1/RR.
- CI: the limit closer to 1, same formula; E = 1 if the interval includes 1.
- HR or OR with a rare outcome (< 15% at the end of follow-up): taken as an RR.
- HR, common outcome: RR ~ (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)) (VanderWeele 2020).
- OR, common outcome: RR ~ sqrt(OR).
- RD: converted to an RR with the comparison group's risk p0, RR = (p0 + RD) / p0 (p0 held
  fixed). This is an approximation; EValue's ``evalues.RD`` instead works from the 2x2 counts.
``true`` shifts the null (E-value to move the estimate to ``true`` rather than 1; ratio measures).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MEASURES = ("RR", "HR", "OR", "RD")
COMMON_OUTCOME_THRESHOLD = 0.15  # EValue's rule: rare if < 15% at end of follow-up


def _e_from_rr(rr: float) -> float:
    """E-value of a risk ratio (already divided by the null value)."""
    if rr < 1:
        rr = 1 / rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def _hr_to_rr_common(hr: float) -> float:
    return float((1 - 0.5 ** np.sqrt(hr)) / (1 - 0.5 ** np.sqrt(1 / hr)))


def _resolve_rare(measure: str, rare: bool | None, outcome_prevalence: float | None) -> bool:
    if rare is not None and outcome_prevalence is not None:
        expected = outcome_prevalence < COMMON_OUTCOME_THRESHOLD
        if bool(rare) != expected:
            raise ValueError(
                f"rare={rare} contradicts outcome_prevalence={outcome_prevalence} (rare means "
                f"< {COMMON_OUTCOME_THRESHOLD:.0%}); give one of them"
            )
    if rare is not None:
        return bool(rare)
    if outcome_prevalence is not None:
        if not 0 <= outcome_prevalence <= 1:
            raise ValueError(f"outcome_prevalence must be a proportion, got {outcome_prevalence}")
        return outcome_prevalence < COMMON_OUTCOME_THRESHOLD
    raise ValueError(
        f"measure={measure!r} needs rare=True/False or outcome_prevalence (the share reoffending "
        "by the end of follow-up; reoffending is usually common, > 15%)"
    )


def e_value(
    estimate: float,
    lower: float | None = None,
    upper: float | None = None,
    measure: str = "RR",
    rare: bool | None = None,
    outcome_prevalence: float | None = None,
    baseline_risk: float | None = None,
    true: float = 1.0,
) -> pd.Series:
    """E-values for a point estimate and its confidence interval.

    Returns a Series: the measure, the estimate and limits on the risk-ratio scale after any
    conversion (``rr``, ``rr_lower``, ``rr_upper``), ``e_value`` (point) and ``e_value_ci``
    (limit closer to ``true``; 1 if the interval includes it; NaN if no interval given).
    ``rare``/``outcome_prevalence`` are needed for HR and OR; ``baseline_risk`` for RD.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    if (lower is None) != (upper is None):
        raise ValueError("give both confidence limits or neither")
    values = [v for v in (estimate, lower, upper) if v is not None]
    if any(not np.isfinite(v) for v in values):
        raise ValueError(f"estimate and limits must be finite, got {values}")
    if lower is not None and not lower <= estimate <= upper:
        raise ValueError(f"the estimate {estimate} is not inside its interval [{lower}, {upper}]")

    if measure == "RD":
        if baseline_risk is None or not 0 < baseline_risk < 1:
            raise ValueError("measure='RD' needs baseline_risk, the comparison group's risk in (0, 1)")
        convert = lambda v: (baseline_risk + v) / baseline_risk  # noqa: E731
        for v in values:
            if not -baseline_risk < v < 1 - baseline_risk:
                raise ValueError(f"risk difference {v} is impossible with baseline_risk "
                                 f"{baseline_risk}")
        note = "RD converted to RR with baseline risk held fixed"
    else:
        if any(v <= 0 for v in values):
            raise ValueError(f"a {measure} and its limits must be > 0, got {values}")
        if measure == "RR":
            convert, note = float, "risk ratio"
        elif _resolve_rare(measure, rare, outcome_prevalence):
            convert, note = float, f"{measure} taken as RR (rare outcome)"
        elif measure == "HR":
            convert, note = _hr_to_rr_common, "HR converted to RR (common outcome, sqrt rule)"
        else:
            convert, note = (lambda v: float(np.sqrt(v))), "OR converted to RR by sqrt (common)"
    if true <= 0:
        raise ValueError(f"true must be > 0 on the ratio scale, got {true}")
    if measure == "RD" and true != 1:
        raise ValueError("a non-null `true` is supported for ratio measures only")
    # `true` is on the scale of the measure given; convert it like the estimate.
    true_rr = 1.0 if true == 1 else float(convert(true))

    rr = float(convert(estimate))
    out = {"measure": measure, "conversion": note, "rr": rr, "rr_lower": np.nan,
           "rr_upper": np.nan, "e_value": _e_from_rr(rr / true_rr), "e_value_ci": np.nan}
    if lower is not None:
        lo, hi = float(convert(lower)), float(convert(upper))
        out["rr_lower"], out["rr_upper"] = lo, hi
        if lo <= true_rr <= hi:
            out["e_value_ci"] = 1.0
        elif lo > true_rr:
            out["e_value_ci"] = _e_from_rr(lo / true_rr)
        else:
            out["e_value_ci"] = _e_from_rr(hi / true_rr)
    return pd.Series(out, dtype=object)
