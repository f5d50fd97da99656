"""Write what the rules changed in a :class:`~tepat.registry.working.Store`, in bulk.

Inserts and updates go out as ``executemany`` statements, grouped by the set of columns that
changed, in an order the constraints accept (memberships are ended before new ones open). Every
update of a household or person has ``AND version = <the version read>`` in its ``WHERE``: a
row changed by another transaction meanwhile makes the write fail with a 409 (optimistic
locking). Every field an event set gets a provenance row naming the event's source; the
current provenance rows that named those fields are superseded (the rest of their fields are
carried over to a copy), so each field keeps exactly one current source.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import JSON, Table, bindparam, insert, update

from tepat.errors import Conflict
from tepat.registry.models import Provenance, RegistryEvent, unwrap_fields, wrap_fields
from tepat.registry.working import ENTITY_OF, TABLES, Row, Store, chunks, utcnow

_VERSIONED = frozenset({"households", "people"})
_NOT_COMPARED = frozenset({"id", "version", "created_at", "updated_at"})
_EVENTS = cast(Table, RegistryEvent.__table__)
_PROVENANCE = cast(Table, Provenance.__table__)


def write(store: Store) -> None:
    """Write every insert and update of ``store`` in the session's transaction."""
    now = utcnow()
    _insert(store, "households")
    _insert(store, "people")
    _update(store, "households", now)
    _update(store, "people", now)
    _update(store, "memberships", now)  # ends first: one open membership per person
    _insert(store, "memberships")
    if store.events:
        insert_rows(store, _EVENTS, store.events)
    for table in ("household_versions", "person_versions"):
        _insert(store, table)
        _update(store, table, now)
    _provenance(store, now)


def _insert(store: Store, table: str) -> None:
    if store.new[table]:
        rows = [store.rows[table][i] for i in sorted(store.new[table])]
        insert_rows(store, TABLES[table], rows)


def insert_rows(store: Store, table: Table, rows: list[Row]) -> None:
    """Insert rows that all have the same keys: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if not store.postgres:
        store.conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    as_json = [c for c in columns if isinstance(table.c[c].type, JSON)]
    names = ", ".join(f'"{c}"' for c in columns)
    dumps = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
    raw: Any = store.conn.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            if as_json:
                row = dict(row)
                for c in as_json:
                    if row[c] is not None:
                        row[c] = dumps(row[c])
            copy.write_row(list(row.values()))


def _update(store: Store, table: str, now: datetime) -> None:
    groups: dict[tuple[str, ...], list[Row]] = defaultdict(list)
    versioned = table in _VERSIONED
    for row_id in sorted(store.dirty[table] - store.new[table]):
        row, orig = store.rows[table][row_id], store.orig[table][row_id]
        maybe = store.set_columns[table].get(row_id, ())
        cols = tuple(sorted(k for k in maybe if k not in _NOT_COMPARED and row[k] != orig[k]))
        if not cols and (not versioned or row["version"] == orig["version"]):
            continue
        params = {"b_id": row_id, **{f"v_{k}": row[k] for k in cols}}
        if versioned:
            params |= {"b_version": orig["version"], "v_version": row["version"]}
        groups[cols].append(params)
    t = TABLES[table]
    for cols, params_list in groups.items():
        if store.postgres:
            done = _update_values(store, t, cols, params_list, versioned, now)
        else:
            values: dict[str, Any] = {k: bindparam(f"v_{k}") for k in cols}
            where = [t.c.id == bindparam("b_id")]
            if versioned:
                values |= {"version": bindparam("v_version"), "updated_at": now}
                where.append(t.c.version == bindparam("b_version"))
            done = store.conn.execute(update(t).where(*where).values(values), params_list).rowcount
        if versioned and done != len(params_list):
            raise Conflict(
                f"a {ENTITY_OF[table]} changed in another transaction while this one was "
                "applied; nothing was written: retry",
                code="stale_version",
            )


def _update_values(
    store: Store,
    table: Table,
    cols: tuple[str, ...],
    rows: list[Row],
    versioned: bool,
    now: datetime,
) -> int:
    """PostgreSQL: one ``UPDATE ... FROM unnest(arrays)`` for all rows; rows updated.

    Every value travels as text in one array per column and is cast back to its column's
    type, so the statement stays small whatever the number of rows.
    """
    keys = ["b_id", *(["b_version", "v_version"] if versioned else []), *(f"v_{c}" for c in cols)]
    dialect = store.conn.dialect
    kinds = {c: table.c[c].type.compile(dialect=dialect) for c in cols}
    as_json = {f"v_{c}" for c in cols if isinstance(table.c[c].type, JSON)}
    sets = [f'"{c}" = CAST(v."v_{c}" AS {kinds[c]})' for c in cols]
    where = "t.id = CAST(v.b_id AS BIGINT)"
    params: list[Any] = []
    if versioned:
        sets += ["version = CAST(v.v_version AS INTEGER)", "updated_at = %s"]
        where += " AND t.version = CAST(v.b_version AS INTEGER)"
        params.append(now)
    for key in keys:
        params.append([_text(row[key], key in as_json) for row in rows])
    names = ", ".join(f'"{k}"' for k in keys)
    arrays = ", ".join(["%s::text[]"] * len(keys))
    sql = (
        f"UPDATE {table.name} AS t SET {', '.join(sets)} "
        f"FROM unnest({arrays}) AS v({names}) WHERE {where}"
    )
    raw: Any = store.conn.connection.dbapi_connection
    with raw.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _text(value: Any, as_json: bool) -> str | None:
    if value is None:
        return None
    if as_json:
        return json.dumps(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _provenance(store: Store, now: datetime) -> None:
    new_rows: list[Row] = []
    changed: dict[str, dict[int, set[str]]] = defaultdict(dict)
    for (table, row_id), noted in store.field_event.items():
        row, orig = store.rows[table][row_id], store.orig[table].get(row_id)
        by_event: dict[str, list[str]] = defaultdict(list)
        for name, event_id in noted.items():
            if orig is None or row[name] != orig[name]:
                by_event[event_id].append(name)
        entity = ENTITY_OF[table]
        for event_id, names in by_event.items():
            source, record, on = store.event_info[event_id]
            new_rows.append(_row(entity, row_id, names, source, record or event_id, on))
            if orig is not None:
                changed[entity].setdefault(row_id, set()).update(names)
    superseded: list[int] = []
    pr = _PROVENANCE
    for entity, by_id in changed.items():
        current = store.select_in(
            pr, "entity_id", by_id, pr.c.entity == entity, pr.c.superseded_at.is_(None)
        )
        for p in current:
            hit = _fields(p["fields"]) & by_id[p["entity_id"]]
            if not hit:
                continue
            superseded.append(p["id"])
            rest = _rest(p["fields"], frozenset(hit))
            if rest:  # the other fields still come from that record
                new_rows.append(
                    {
                        "entity": entity,
                        "entity_id": p["entity_id"],
                        "fields": rest,
                        "source": p["source"],
                        "source_record_id": p["source_record_id"],
                        "observed_on": p["observed_on"],
                    }
                )
    for chunk in chunks(superseded, 10_000):
        store.conn.execute(update(pr).where(store.match(pr.c.id, chunk)).values(superseded_at=now))
    insert_rows(store, pr, new_rows)


# Loaded rows share a few long field lists (one per source and entity): parse each once.
@lru_cache(maxsize=4096)
def _fields(wrapped: str) -> frozenset[str]:
    return frozenset(unwrap_fields(wrapped))


@lru_cache(maxsize=4096)
def _rest(wrapped: str, hit: frozenset[str]) -> str | None:
    rest = _fields(wrapped) - hit
    return wrap_fields(list(rest)) if rest else None


def _row(
    entity: str,
    entity_id: int,
    fields: Iterable[str],
    source: str,
    record: str | None,
    observed_on: date | None,
) -> Row:
    return {
        "entity": entity,
        "entity_id": entity_id,
        "fields": wrap_fields(list(fields)),
        "source": source[:24],
        "source_record_id": None if record is None else record[:64],
        "observed_on": observed_on,
    }
