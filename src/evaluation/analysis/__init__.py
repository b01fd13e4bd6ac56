"""The analysis of one programme: outcomes for the matched set, every effect, read-outs,
sensitivity, before/during and the design bootstrap; ``evaluate_programme`` chains them.

Names are re-exported lazily (PEP 562), so a light module such as ``analysis.reasons`` can be
imported without loading the estimators.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ProgrammeEvaluation": "programme",
    "evaluate_programme": "programme",
    "derive_analysis_outcomes": "derive",
    "estimate_effects": "effects",
    "frequency_effect": "effects",
    "numeric_covariates": "effects",
    "jdl_gate": "effects",
    "holm_by_question": "multiplicity",
    "comparison_risk_at": "sensitivity",
    "readout_balance_summary": "programme",
    "readouts": "readouts",
    "headline_sensitivity": "sensitivity",
    "before_during_analysis": "before_during",
    "bootstrap_design": "bootstrap",
    "DesignReplicate": "bootstrap",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
