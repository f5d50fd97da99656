"""name search: a trigram index on people's lower-cased names (PostgreSQL only)

The registry's name search is ``lower(full_name) LIKE '%term%'``: without this index PostgreSQL
reads every person (about 0.4 s at 1,000,000 people). ``pg_trgm`` ships with PostgreSQL; when the
database user may not create the extension, the index is skipped with a warning and search still
works, only slower. SQLite has no such index (the embedded registry is small).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("tepat.migrate")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).first()
    if available is None:
        log.warning("pg_trgm is not available: name search stays a sequential scan")
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        log.warning("cannot create extension pg_trgm: name search stays a sequential scan")
        return
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_people_full_name_trgm ON people "
        "USING gin (lower(full_name) gin_trgm_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_people_full_name_trgm")
