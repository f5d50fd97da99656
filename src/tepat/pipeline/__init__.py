"""Pipelines: the batch steps chained into runs (integration now; ranking and releases later)."""
