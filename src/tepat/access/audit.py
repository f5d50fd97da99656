"""The append-only, hash-chained audit log.

Every entry's ``hash`` is the SHA-256 of the canonical JSON of its fields (id, at, actor, role,
action, entity, entity_id, region_code, purpose, detail) together with ``prev_hash``, the hash of
the entry before it; the first entry chains to :data:`GENESIS_HASH`. Ids are dense: appenders
take the next id from the single ``audit_chain`` row, whose ``UPDATE`` also serialises them (a
row lock on PostgreSQL, the write lock on SQLite) until the caller's transaction ends. So an
altered row breaks its own hash, and a deleted row leaves a gap in the ids.

The lock is held from that ``UPDATE`` to the end of the transaction, so a request must not take
it early: in a session marked with :func:`defer_to_commit` (the service's request sessions),
:func:`record` only notes the entry, and the notes are appended just before the commit, in the
same transaction. Hundreds of concurrent status checks then hold the chain for the few
statements before their commits, instead of for the whole request (response serialisation and
thread hand-offs included), which had serialised them to a few dozen per second.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, event, func, insert, select, update
from sqlalchemy.orm import Session

from tepat.access.models import GENESIS_HASH, AuditChain, AuditEntry
from tepat.access.principal import Principal
from tepat.errors import ConfigurationError
from tepat.reference.nik import mask_nik

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
_CHAIN_ROW = 1
_DEFER = "tepat.audit.defer"
_PENDING = "tepat.audit.pending"
_READS = "tepat.audit.reads"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def mask_identifiers(text: str) -> str:
    """Mask every run of exactly 16 digits (a NIK or KK) in ``text``."""
    return _SIXTEEN_DIGITS.sub(lambda m: mask_nik(m.group(0)), text)


def scrub(value: Any) -> Any:
    """``value`` (JSON-like) with every 16-digit number in its strings masked."""
    if isinstance(value, str):
        return mask_identifiers(value)
    if isinstance(value, Mapping):
        return {str(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return mask_identifiers(str(value))


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of an entry's fields and the previous entry's hash."""
    payload = dict(fields)
    payload["prev_hash"] = prev_hash
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


_HASHED = (
    "id",
    "at",
    "actor",
    "role",
    "action",
    "entity",
    "entity_id",
    "region_code",
    "purpose",
    "detail",
)


def _fields_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields of an entry given as column values (``at`` as ISO text)."""
    fields = {name: row[name] for name in _HASHED}
    fields["at"] = row["at"].isoformat(timespec="microseconds")
    return fields


def _fields(entry: Any) -> dict[str, Any]:
    """The hashed fields of a stored entry."""
    return _fields_of({name: getattr(entry, name) for name in _HASHED})


def _row(
    *,
    actor: str,
    role: str,
    action: str,
    entity: str | None = None,
    entity_id: str | int | None = None,
    region_code: str | None = None,
    purpose: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """An entry's column values (identifiers masked, lengths clipped), without id and hashes."""
    return {
        "at": at if at is not None else _now(),
        "actor": actor[:64],
        "role": role[:24],
        "action": action[:64],
        "entity": entity,
        "entity_id": None if entity_id is None else mask_identifiers(str(entity_id))[:64],
        "region_code": region_code,
        "purpose": None if purpose is None else mask_identifiers(purpose)[:200],
        "detail": scrub(dict(detail or {})),
    }


def append_rows(db: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chain ``rows`` after the log's last entry and insert them: three statements in all.

    The ``UPDATE ... RETURNING`` comes first: it takes the chain's lock before the head is read,
    so two transactions can never chain to the same predecessor.
    """
    if not rows:
        return []
    chain = cast(Table, AuditChain.__table__)
    bumped = db.execute(
        update(chain)
        .where(chain.c.id == _CHAIN_ROW)
        .values(last_id=chain.c.last_id + len(rows))
        .returning(chain.c.last_id, chain.c.last_hash)
    ).first()
    if bumped is None:
        raise ConfigurationError("the audit_chain row is missing: run `tepat db upgrade`")
    next_id, prev_hash = int(bumped.last_id) - len(rows) + 1, str(bumped.last_hash)
    for offset, row in enumerate(rows):
        row["id"] = next_id + offset
        row["prev_hash"] = prev_hash
        row["hash"] = prev_hash = entry_hash(_fields_of(row), prev_hash)
    db.execute(insert(cast(Table, AuditEntry.__table__)), rows)
    db.execute(update(chain).where(chain.c.id == _CHAIN_ROW).values(last_hash=prev_hash))
    return rows


def append(
    db: Session,
    *,
    actor: str,
    role: str,
    action: str,
    entity: str | None = None,
    entity_id: str | int | None = None,
    region_code: str | None = None,
    purpose: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (written at once; the caller commits).

    Holds the chain's lock until the transaction ends, so keep such transactions short. Returns
    the entry as written (not attached to the session).
    """
    db.flush()  # the session's own pending changes go first, as they did through the ORM
    row = _row(
        actor=actor,
        role=role,
        action=action,
        entity=entity,
        entity_id=entity_id,
        region_code=region_code,
        purpose=purpose,
        detail=detail,
        at=at,
    )
    [written] = append_rows(db, [row])
    return AuditEntry(**written)


def record(
    db: Session,
    principal: Principal,
    *,
    action: str,
    purpose: str | None,
    entity: str | None = None,
    entity_id: str | int | None = None,
    region_code: str | None = None,
    detail: Mapping[str, Any] | None = None,
    read: bool = False,
) -> None:
    """Log an action of ``principal`` (actor and role from it, purpose defaulting per role).

    Appended at once, or, in a session marked with :func:`defer_to_commit`, just before its
    commit (a rollback drops it with the rest of the transaction). ``read=True`` says the action
    changed nothing but this log: the service may then append it after the commit, batched with
    other requests' reads (:mod:`tepat.access.audit_writer`), before it answers.
    """
    row = _row(
        actor=principal.username,
        role=principal.role,
        action=action,
        entity=entity,
        entity_id=entity_id,
        region_code=region_code,
        purpose=purpose or principal.default_purpose,
        detail=detail,
    )
    if db.info.get(_DEFER):
        db.info.setdefault(_READS if read else _PENDING, []).append(row)
        return
    db.flush()
    append_rows(db, [row])


def take_reads(db: Session) -> list[dict[str, Any]]:
    """The read entries noted in ``db`` (removed from it): the caller appends them."""
    rows: list[dict[str, Any]] = db.info.pop(_READS, None) or []
    return rows


def defer_to_commit(db: Session) -> None:
    """Make :func:`record` in ``db`` append its entries just before the commit."""
    db.info[_DEFER] = True


@event.listens_for(Session, "before_commit")
def _append_pending(db: Session) -> None:
    # Reads nobody took (no writer: SQLite, tests) go into the transaction like the rest.
    pending = (db.info.pop(_PENDING, None) or []) + (db.info.pop(_READS, None) or [])
    if pending:
        db.flush()
        append_rows(db, pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)
    db.info.pop(_READS, None)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """Result of :func:`verify`: ``ok``, the entries checked, and the first problem found."""

    ok: bool
    entries: int
    bad_id: int | None = None
    problem: str | None = None


def _walk(rows: Iterable[Any], head: tuple[int, str] | None) -> ChainCheck:
    expected_id, prev_hash, count = 1, GENESIS_HASH, 0
    for entry in rows:
        if entry.id != expected_id:
            missing = (
                f"entry {expected_id}"
                if entry.id == expected_id + 1
                else f"entries {expected_id}-{entry.id - 1}"
            )
            return ChainCheck(False, count, entry.id, f"{missing} missing before entry {entry.id}")
        if entry.prev_hash != prev_hash:
            return ChainCheck(
                False,
                count,
                entry.id,
                f"entry {entry.id}: prev_hash does not match its predecessor",
            )
        if entry_hash(_fields(entry), entry.prev_hash) != entry.hash:
            return ChainCheck(
                False, count, entry.id, f"entry {entry.id}: hash does not match (row altered)"
            )
        expected_id, prev_hash, count = entry.id + 1, entry.hash, count + 1
    if head is not None and (head[0] != count or head[1] != prev_hash):
        last = head[0]
        where = f"entries {count + 1}-{last}" if last > count + 1 else f"entry {last}"
        if last > count:
            return ChainCheck(False, count, last, f"{where} missing at the end of the log")
        return ChainCheck(False, count, count, "the chain head does not match the last entry")
    return ChainCheck(True, count)


def verify(db: Session, *, batch: int = 5000) -> ChainCheck:
    """Walk the whole chain in id order; the first altered, reordered or missing entry fails it."""
    head_row = db.execute(
        select(AuditChain.last_id, AuditChain.last_hash).where(AuditChain.id == _CHAIN_ROW)
    ).one_or_none()
    head = None if head_row is None else (int(head_row[0]), str(head_row[1]))
    # Plain rows, not ORM objects: the check must see the table, not the session's copies.
    table = AuditEntry.__table__
    rows = db.execute(select(table).order_by(table.c.id).execution_options(yield_per=batch))
    return _walk(rows, head)


def list_entries(
    db: Session,
    *,
    offset: int,
    limit: int,
    actor: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEntry], int]:
    """Entries matching the filters, newest first, and their total count."""
    conditions = []
    if actor:
        conditions.append(AuditEntry.actor == actor)
    if action:
        conditions.append(AuditEntry.action.startswith(action, autoescape=True))
    if entity:
        conditions.append(AuditEntry.entity == entity)
    if entity_id:
        conditions.append(AuditEntry.entity_id == entity_id)
    if since:
        conditions.append(AuditEntry.at >= _naive_utc(since))
    if until:
        conditions.append(AuditEntry.at < _naive_utc(until))
    total = db.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    rows = db.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
