"""What every bulk load of the registry shares: emptying it, inserting in chunks, and moving
PostgreSQL's id sequences past explicitly inserted ids. The caller owns the transaction.

Bulk inserts go below the ORM: PostgreSQL gets ``COPY ... FROM STDIN`` through psycopg, SQLite
``executemany`` on its own connection, both inside the caller's transaction. Values are turned
into what SQLAlchemy itself would store (dates as ISO text and booleans as 0/1 on SQLite, JSON
as text), and columns left out get their Python-side scalar defaults, so rows read back through
the ORM exactly as if they had been inserted by it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from itertools import chain, islice
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Connection, Date, DateTime, delete, func, select, text

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


def _json(value: Any) -> Any:
    return None if value is None else json.dumps(value)


def _sqlite_date(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _sqlite_datetime(value: Any) -> Any:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _sqlite_bool(value: Any) -> Any:
    return None if value is None else int(bool(value))


def _converter(column: Column[Any], dialect: str) -> Callable[[Any], Any] | None:
    """How a Python value of ``column`` is written by the raw driver (None: as it is)."""
    kind = column.type
    if isinstance(kind, JSON):
        return _json
    if dialect != "sqlite":
        return None  # psycopg adapts dates, datetimes and booleans itself
    if isinstance(kind, DateTime):
        return _sqlite_datetime
    if isinstance(kind, Date):
        return _sqlite_date
    if isinstance(kind, Boolean):
        return _sqlite_bool
    return None


def _scalar_defaults(model: type, given: set[str]) -> dict[str, Any]:
    """Python-side scalar defaults of the columns the rows leave out (server defaults apply
    by themselves)."""
    out: dict[str, Any] = {}
    for column in model.__table__.columns:  # type: ignore[attr-defined]
        default = column.default
        if column.name in given or default is None or not getattr(default, "is_scalar", False):
            continue
        out[column.name] = default.arg
    return out


def _tuples(
    rows: Iterable[dict[str, Any]],
    names: list[str],
    defaults: dict[str, Any],
    converters: list[Callable[[Any], Any] | None],
) -> Iterator[tuple[Any, ...]]:
    """Rows as tuples in ``names`` order: values picked in C, then only the columns that need
    it converted (a per-value Python loop over every column costs more than the insert)."""
    given = [n for n in names if n not in defaults]
    pick = itemgetter(*given)
    converted = [(i, f) for i, f in enumerate(converters) if f is not None]
    fill = tuple(defaults[n] for n in names if n in defaults)
    single = len(given) == 1
    for row in rows:
        picked = (pick(row),) if single else pick(row)
        values = picked + fill if fill else picked
        if converted:
            listed = list(values)
            for i, convert in converted:
                listed[i] = convert(listed[i])
            values = tuple(listed)
        yield values


def insert_chunked(conn: Connection, model: type, rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts by column name) into ``model``'s table in bulk; returns the count.

    Every row must have the keys of the first one. Runs in the caller's transaction.
    """
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    table = model.__table__  # type: ignore[attr-defined]
    dialect = conn.dialect.name
    defaults = _scalar_defaults(model, set(first))
    names = [*first, *(n for n in defaults if n not in first)]
    converters = [_converter(table.columns[n], dialect) for n in names]
    values = _tuples(chain((first,), iterator), names, defaults, converters)
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
    raw: Any = conn.connection.driver_connection
    count = 0
    if dialect == "postgresql":
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy,
        ):
            for row in values:
                copy.write_row(row)
                count += 1
        return count
    marks = ", ".join("?" for _ in names)
    statement = f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})"
    cursor = raw.cursor()
    try:
        while batch := list(islice(values, CHUNK)):
            cursor.executemany(statement, batch)
            count += len(batch)
    finally:
        cursor.close()
    return count


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
