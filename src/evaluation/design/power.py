"""Minimum detectable effects, computed at the design stage before outcomes are looked at.

Binary outcome: statsmodels ``NormalIndPower`` solved for Cohen's effect size
h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0)) (the variance-stabilising scale, so the baseline rate
enters once), then turned back into the comparison rate p1, a risk difference and a ratio.
Time to event: Schoenfeld (1983): with D events and a share ``allocation`` in one group, a
two-sided test of the Cox coefficient has power 1-beta when
|log HR| = (z_{1-alpha/2} + z_{1-beta}) / sqrt(D a (1-a)).
``design_effect`` (from matching with replacement, clustering or weights, e.g. n / Kish ESS)
divides the sample size (or the number of events) before the calculation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.power import NormalIndPower


def _check(alpha: float, power: float, design_effect: float) -> None:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError(f"alpha and power must lie in (0, 1); got alpha={alpha}, power={power}")
    if not design_effect >= 1:
        raise ValueError(f"design_effect must be >= 1, got {design_effect}")


def minimum_detectable_effect(
    *,
    n_treated: int,
    n_comparison: int,
    baseline_rate: float,
    alpha: float = 0.05,
    power: float = 0.8,
    design_effect: float = 1.0,
) -> pd.DataFrame:
    """Smallest reduction (and increase) in a reoffending rate detectable with these numbers.

    One row per direction: comparison rate ``baseline_rate``, detectable programme rate,
    risk difference (programme - comparison), relative risk, Cohen's h, and the group sizes
    (``n_treated``, ``n_comparison``). Keyword-only: two group sizes must not swap silently.
    """
    _check(alpha, power, design_effect)
    if not 0 < baseline_rate < 1:
        raise ValueError(f"baseline_rate must lie in (0, 1), got {baseline_rate}")
    if n_treated < 2 or n_comparison < 2:
        raise ValueError(f"need at least 2 people per group, got {n_treated} and {n_comparison}")
    n1 = n_treated / design_effect
    h = float(NormalIndPower().solve_power(effect_size=None, nobs1=n1, alpha=alpha, power=power,
                                           ratio=n_comparison / n_treated,
                                           alternative="two-sided"))
    phi0 = np.arcsin(np.sqrt(baseline_rate))
    rows = []
    for direction, sign in (("decrease", -1.0), ("increase", 1.0)):
        phi1 = phi0 + sign * h / 2
        p1 = float(np.sin(phi1) ** 2) if 0 <= phi1 <= np.pi / 2 else np.nan
        rows.append({"direction": direction, "baseline_rate": baseline_rate,
                     "detectable_rate": p1, "risk_difference": p1 - baseline_rate,
                     "relative_risk": p1 / baseline_rate, "cohens_h": sign * h,
                     "n_treated": n_treated, "n_comparison": n_comparison, "alpha": alpha,
                     "power": power, "design_effect": design_effect})
    return pd.DataFrame(rows)


def minimum_detectable_hazard_ratio(
    n_events: float | None = None,
    *,
    n: int | None = None,
    event_probability: float | None = None,
    allocation: float = 0.5,
    alpha: float = 0.05,
    power: float = 0.8,
    design_effect: float = 1.0,
) -> pd.DataFrame:
    """Schoenfeld minimum detectable hazard ratio, from the expected number of events.

    Give ``n_events`` or both ``n`` (people) and ``event_probability`` (expected share with a
    reoffence in the follow-up, e.g. the comparison rate). ``allocation`` is the treated share.
    """
    _check(alpha, power, design_effect)
    if n_events is None:
        if n is None or event_probability is None:
            raise ValueError("give n_events, or both n and event_probability")
        if not 0 < event_probability <= 1:
            raise ValueError(f"event_probability must lie in (0, 1], got {event_probability}")
        n_events = n * event_probability
    if not n_events > 0:
        raise ValueError(f"the expected number of events must be positive, got {n_events}")
    if not 0 < allocation < 1:
        raise ValueError(f"allocation (treated share) must lie in (0, 1), got {allocation}")
    d = n_events / design_effect
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    log_hr = z / np.sqrt(d * allocation * (1 - allocation))
    return pd.DataFrame(
        [{"direction": direction, "hazard_ratio": float(np.exp(sign * log_hr)),
          "n_events": n_events, "allocation": allocation, "alpha": alpha, "power": power,
          "design_effect": design_effect}
         for direction, sign in (("decrease", -1.0), ("increase", 1.0))]
    )
