"""Subgroup effects declared in configuration (``subgroups: [sex, age_band, area]``; decision 0412).

Why this shape: subgroup results are where chance findings hide. So they are declared before
outcomes are seen, estimated inside the same matched or weighted design as the headline (never
a new comparison group), never the headline, gated by the Justice Data Lab minimum, and adjusted
for multiplicity across the whole subgroup family (Holm; 0403).

- Measure: the hazard ratio of time to first proven reoffence (Cox, the design's weights,
  clustered as the headline), because it uses everyone (censoring, no read-out subset) and is
  the scale on which a programme that cuts offending by a factor has one effect for everyone;
  a risk difference differs between groups with different baseline risks even then.
- Level of a row: the person's own value. Not the level of the matched set's participant:
  matching is on the propensity, not within levels, so a 36-year-old participant's pair can be
  28, and that age gap biased the level's estimate on the shipped data (decision 0412). A pair
  split across levels keeps its cluster, so the robust variance still sees it.
- A level is estimated when each group has at least two people and one event; its significance
  is read only when each group has at least 60 people and 30 events (``JDL_MIN_*``). The
  heterogeneity test per variable is Cochran's Q on the log hazard ratios of those levels (the
  Wald test of treatment x level when levels are independent), k - 1 degrees of freedom.
- Holm across the family: the heterogeneity tests (one per variable) are adjusted together, and
  so are the per-level tests (every gated level of every variable); per-level intervals are
  also given at the adjusted level alpha * p / p_adjusted, as in 0403.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.analysis.effects import JDL_MIN_EVENTS, JDL_MIN_PEOPLE
from evaluation.config import ProgrammeConfig
from evaluation.estimators.cox import cox_effect
from evaluation.estimators.multiplicity import holm_adjust

ALPHA = 0.05
# Age bands at the index date (completed years): MoJ publishes 18-20, 21-24, 25-29, ...; three
# bands keep the levels large enough for programmes of a few hundred people.
AGE_BANDS = ((0, 25, "under 25"), (25, 35, "25 to 34"), (35, 200, "35 and over"))
LEVEL_COLUMNS = ["variable", "level", "n_treated", "n_comparison", "events_treated",
                 "events_comparison", "estimable", "jdl_minimum_met", "estimate", "std_error",
                 "lower", "upper", "p_value", "p_adjusted", "lower_adjusted", "upper_adjusted",
                 "significant"]


def age_band(age: pd.Series) -> pd.Series:
    """Band of each age (years); unknown ages stay unknown."""
    out = pd.Series(pd.NA, index=age.index, dtype=object)
    for low, high, label in AGE_BANDS:
        out[(age >= low) & (age < high)] = label
    return out


def subgroup_values(frame: pd.DataFrame, variable: str) -> pd.Series:
    """Each row's own value of a subgroup variable."""
    if variable == "age_band":
        return age_band(frame["age_at_index"])
    return frame[variable].astype(object)


def _order(value: object) -> tuple[int, str]:
    """Age bands youngest first, other levels alphabetically."""
    bands = [label for _, _, label in AGE_BANDS]
    return (bands.index(value), "") if value in bands else (len(bands), str(value))


def _level_row(sub: pd.DataFrame, variable: str, level: str, weights: str | None,
               cluster: str | None) -> dict:
    treated = sub["treated"] == 1
    ev = sub["event"].astype(int)
    row = {"variable": variable, "level": str(level), "n_treated": int(treated.sum()),
           "n_comparison": int((~treated).sum()), "events_treated": int(ev[treated].sum()),
           "events_comparison": int(ev[~treated].sum())}
    row["jdl_minimum_met"] = bool(min(row["n_treated"], row["n_comparison"]) >= JDL_MIN_PEOPLE
                                  and min(row["events_treated"], row["events_comparison"])
                                  >= JDL_MIN_EVENTS)
    nan = dict.fromkeys(("estimate", "std_error", "lower", "upper", "p_value"), np.nan)
    row.update(nan, estimable=False)
    if min(row["n_treated"], row["n_comparison"]) < 2 or min(
            row["events_treated"], row["events_comparison"]) < 1:
        return row
    try:
        hr = cox_effect(sub, duration_col="duration_days", event_col="event",
                        treatment_col="treated", weights_col=weights,
                        cluster_col=cluster).iloc[0]
    except (ValueError, np.linalg.LinAlgError):  # a level the model cannot fit: not estimable
        return row
    if not np.isfinite(hr["std_error"]) or hr["std_error"] <= 0:
        return row
    row.update({k: float(hr[k]) for k in nan}, estimable=True)
    return row


def heterogeneity_q(log_hr: np.ndarray, se: np.ndarray) -> tuple[float, int, float]:
    """Cochran's Q, its degrees of freedom and p-value for independent log hazard ratios."""
    w = 1.0 / se**2
    pooled = float((w * log_hr).sum() / w.sum())
    q = float((w * (log_hr - pooled) ** 2).sum())
    df = len(log_hr) - 1
    return q, df, float(stats.chi2.sf(q, df))


def subgroup_effects(analysis: pd.DataFrame, config: ProgrammeConfig, weights: str | None,
                     cluster: str | None, alpha: float = ALPHA) -> dict[str, pd.DataFrame]:
    """``levels`` (one row per variable and level) and ``heterogeneity`` (one per variable);
    empty tables when the configuration declares no subgroups."""
    rows, tests = [], []
    for variable in config.subgroups:
        level = subgroup_values(analysis, variable)
        unknown = int(level.isna().sum())
        for value in sorted(level.dropna().unique(), key=_order):
            rows.append(_level_row(analysis.loc[level == value], variable, value, weights,
                                   cluster))
        gated = [r for r in rows if r["variable"] == variable and r["estimable"]
                 and r["jdl_minimum_met"]]
        test = {"variable": variable, "levels": sum(r["variable"] == variable for r in rows),
                "levels_tested": len(gated), "n_unknown": unknown, "q": np.nan, "df": 0,
                "p_value": np.nan}
        if len(gated) >= 2:
            q, df, p = heterogeneity_q(np.log([r["estimate"] for r in gated]),
                                       np.array([r["std_error"] for r in gated]))
            test.update(q=q, df=df, p_value=p)
        tests.append(test)
    levels = pd.DataFrame(rows, columns=[c for c in LEVEL_COLUMNS if c not in (
        "p_adjusted", "lower_adjusted", "upper_adjusted", "significant")])
    heterogeneity = pd.DataFrame(tests, columns=["variable", "levels", "levels_tested",
                                                 "n_unknown", "q", "df", "p_value"])
    heterogeneity["p_adjusted"] = _holm(heterogeneity["p_value"])
    heterogeneity["significant"] = heterogeneity["p_adjusted"] <= alpha
    return {"levels": _adjust_levels(levels, alpha), "heterogeneity": heterogeneity}


def _holm(p: pd.Series) -> pd.Series:
    """Holm over the finite p-values; NaN (no test) stays NaN."""
    out = pd.Series(np.nan, index=p.index, dtype=float)
    ok = p.notna()
    if ok.any():
        out[ok] = holm_adjust(p[ok].to_numpy(dtype=float))
    return out


def _adjust_levels(levels: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Holm across every gated level of the family, with intervals at the adjusted level."""
    out = levels.copy()
    tested = out["estimable"] & out["jdl_minimum_met"]
    out["p_adjusted"] = _holm(out["p_value"].where(tested))
    with np.errstate(divide="ignore", invalid="ignore"):
        level = alpha * np.minimum(1.0, out["p_value"] / out["p_adjusted"])
    level = level.where(out["p_adjusted"] > 0, alpha / max(int(tested.sum()), 1))
    z = stats.norm.ppf(1 - level / 2)
    log_hr = np.log(out["estimate"])
    out["lower_adjusted"] = np.where(tested, np.exp(log_hr - z * out["std_error"]), np.nan)
    out["upper_adjusted"] = np.where(tested, np.exp(log_hr + z * out["std_error"]), np.nan)
    out["significant"] = tested & (out["p_adjusted"] <= alpha)
    return out[LEVEL_COLUMNS]
