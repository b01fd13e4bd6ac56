"""Comparison-group design: propensity scores, matching, weighting, balance, overlap, power.

Everything here is decided before outcomes are looked at (the design stage).
"""

from evaluation.design.balance import balance_status, balance_summary, balance_table, common_support
from evaluation.design.matching import NearestNeighbourMatcher
from evaluation.design.power import minimum_detectable_effect, minimum_detectable_hazard_ratio
from evaluation.design.propensity import PropensityModel
from evaluation.design.weighting import IPTWeighter, effective_sample_size

__all__ = [
    "IPTWeighter",
    "NearestNeighbourMatcher",
    "PropensityModel",
    "balance_status",
    "balance_summary",
    "balance_table",
    "common_support",
    "effective_sample_size",
    "minimum_detectable_effect",
    "minimum_detectable_hazard_ratio",
]
