"""The cohort: who is eligible, who is in the comparison pool, their covariates at the index
date, and the attrition ledger that counts every exclusion with its reason."""
