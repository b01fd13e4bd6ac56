"""Why people are left out of particular analyses: stable codes, English wording in one table.

Compute code refers to a reason by its code; the wording (what the report prints) is looked up
here, so changing a sentence never touches the numbers and the numbers never depend on wording.
"""

from __future__ import annotations

from typing import Any

# code -> (the analyses it affects, the reason; a template filled from the configuration)
EXCLUSION_REASONS: dict[str, tuple[str, str]] = {
    "readout_incomplete": (
        "reoffending rate, frequency and cost",
        "index date too late for the {window_days}-day read-out "
        "(kept in the survival analysis, censored)",
    ),
    "no_time_at_risk": (
        "frequency",
        "in custody for the whole follow-up (no time at risk)",
    ),
}


def exclusion_row(code: str, treated: int, comparison: int, **values: Any) -> dict[str, Any]:
    """One row of the exclusions table: analyses, reason in words, count per group."""
    try:
        analyses, template = EXCLUSION_REASONS[code]
    except KeyError:
        raise KeyError(f"unknown exclusion reason {code!r}; known: "
                       f"{', '.join(EXCLUSION_REASONS)}") from None
    return {"analysis": analyses, "reason": template.format(**values),
            "treated": int(treated), "comparison": int(comparison)}
