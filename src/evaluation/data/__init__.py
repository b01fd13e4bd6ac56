"""The extract: its contract, the schemas that enforce it, reading it and validating it.

Nothing here knows about programmes or estimators; every layer above reads the extract through
``evaluation.data.io`` and trusts it only after ``evaluation.data.validate`` has passed it.
"""
