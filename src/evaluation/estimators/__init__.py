"""Effect estimators: each wraps lifelines or statsmodels and returns a tidy frame."""
