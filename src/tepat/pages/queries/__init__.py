"""Read-only aggregate queries behind the pages (SQLAlchemy Core, bounded, scoped)."""
