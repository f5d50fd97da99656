"""Database plumbing: engine and sessions, declarative base, Alembic migrations."""
