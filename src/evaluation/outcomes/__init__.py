"""Outcome derivation: proven reoffending (MoJ), survival, custody exposure, costs, before/during.

Method choices are recorded in docs/decisions/0001-0009; the module docstrings repeat the rules.
"""

from .before_during import before_during, before_during_table
from .costs import check_unit_costs, load_unit_costs
from .reoffending import (
    OutcomeSpec,
    PreparedOffences,
    derive_outcomes,
    prepared_offences,
    proven_mask,
    restrict_to_readout,
)

__all__ = [
    "OutcomeSpec",
    "PreparedOffences",
    "prepared_offences",
    "before_during",
    "before_during_table",
    "check_unit_costs",
    "derive_outcomes",
    "load_unit_costs",
    "proven_mask",
    "restrict_to_readout",
]
