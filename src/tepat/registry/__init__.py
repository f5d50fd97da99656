"""The registry: golden households, people, memberships and per-field provenance."""
