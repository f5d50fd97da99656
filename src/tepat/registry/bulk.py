"""What every bulk load of the registry shares: emptying it, inserting in chunks, and moving
PostgreSQL's id sequences past explicitly inserted ids. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text

from tepat.errors import Conflict
from tepat.registry.models import Household, Membership, Person, Provenance

CHUNK = 5_000
_TABLES = (Provenance, Membership, Person, Household)  # children first


def empty_registry(conn: Connection, *, replace: bool) -> None:
    """Refuse to load over existing households unless ``replace``; then delete them all."""
    existing = conn.execute(select(func.count()).select_from(Household)).scalar_one()
    if existing and not replace:
        raise Conflict(f"the registry already holds {existing:,} households; use --replace")
    if existing:
        for table in _TABLES:
            conn.execute(delete(table))


def insert_chunked(conn: Connection, model: type, rows: Iterable[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``model``'s table in chunks of ``CHUNK``."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            conn.execute(insert(model), batch)
            batch = []
    if batch:
        conn.execute(insert(model), batch)


def reset_sequences(conn: Connection) -> None:
    """After inserting explicit ids, let PostgreSQL's sequences continue after the largest."""
    if conn.dialect.name != "postgresql":
        return
    for model in _TABLES:
        name = model.__tablename__
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
            )
        )
