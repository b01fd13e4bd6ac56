"""reoffending-evaluation: did a programme really reduce reoffending?

The library behind the notebooks: data contract and validation, synthetic data, outcome
derivation, comparison groups, effect estimators and report helpers.
"""

__version__ = "0.1.0"
