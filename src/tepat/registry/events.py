"""Apply registry events one at a time: :func:`apply_event` (``POST /api/v1/events``, and other
services such as the approval of a verified proposal) and :func:`get_event`. Batches are in
``event_batch``. See docs/EVENTS.md.

An event is applied whole or not at all, in one savepoint: the rule checks it and changes rows
in memory (``working.Store``), then everything is written in bulk (``event_writer``) with the
versions that keep the history, the event row and one audit entry. Its ``event_id`` makes it
idempotent. Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date
from typing import Any, Final, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.access.roles import Role
from tepat.errors import Conflict, Forbidden, InvalidInput, NotFound
from tepat.registry.event_context import Ctx
from tepat.registry.event_schemas import EventIn
from tepat.registry.event_writer import write
from tepat.registry.history import record_change, record_created
from tepat.registry.household_rules import RULES
from tepat.registry.models import Household, Membership, Person, RegistryEvent
from tepat.registry.schemas import EventRecord, EventResult
from tepat.registry.working import Store, utcnow

WRITER_ROLES: Final[frozenset[Role]] = frozenset(
    {"village_operator", "district_office", "national_admin"}
)
_EVENTS = cast(Table, RegistryEvent.__table__)


def require_writer(principal: Principal) -> None:
    """Only village operators, district offices and national administrators record events."""
    if principal.role not in WRITER_ROLES:
        raise Forbidden(
            f"events are recorded by {', '.join(sorted(WRITER_ROLES))} accounts; yours is "
            f"{principal.role}",
            code="role_not_allowed",
        )


def payload_of(event: EventIn) -> tuple[dict[str, Any], str]:
    """The event as JSON, and the SHA-256 that identifies its content."""
    payload = event.model_dump(mode="json")
    return payload, hashlib.sha256(audit.canonical_json(payload).encode()).hexdigest()


def sees_event(principal: Principal, row: Any) -> bool:
    return principal.covers(row.region_code) or (
        row.to_region_code is not None and principal.covers(row.to_region_code)
    )


def existing_events(db: Session, event_ids: Iterable[str]) -> dict[str, Any]:
    ids = sorted(set(event_ids))
    found: dict[str, Any] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        query = select(_EVENTS).where(_EVENTS.c.event_id.in_(chunk))
        found.update({r.event_id: r for r in db.connection().execute(query)})
    return found


def reused_error(event_id: str) -> Conflict:
    return Conflict(
        f"event_id {event_id} was already used for a different event: give a new event a new "
        "event_id (a UUID, or the source's record number)",
        code="event_id_reused",
        field="event_id",
    )


def _replay(row: Any, digest: str, principal: Principal) -> EventResult:
    if row.payload_hash != digest or not sees_event(principal, row):
        raise reused_error(row.event_id)
    return EventResult.model_validate({**row.result, "duplicate": True})


def plan(
    store: Store, principal: Principal, event: EventIn, source: str, today: date
) -> dict[str, Any]:
    """Check ``event`` and apply it to ``store`` (undone there if it raises); its result."""
    payload, digest = payload_of(event)
    return plan_event(store, principal, event, source, today, payload, digest)


def plan_event(
    store: Store,
    principal: Principal,
    event: EventIn,
    source: str,
    today: date,
    payload: dict[str, Any],
    digest: str,
) -> dict[str, Any]:
    """Like :func:`plan`, with the event's payload and hash already computed."""
    with store.attempt(event.event_id, source, event.source_record_id, event.effective_date):
        if event.effective_date > today:
            raise InvalidInput(
                f"effective_date {event.effective_date} is in the future (today is {today}): "
                f"a {event.type.replace('_', ' ')} is recorded once it has happened",
                code="future_date",
                field="effective_date",
            )
        ctx = Ctx(store, principal, event, source, today)
        RULES[event.type](ctx)
        return finish(ctx, payload=payload, digest=digest)


def finish(ctx: Ctx, *, payload: dict[str, Any], digest: str) -> dict[str, Any]:
    """Record every version, queue the event row, and return the result (the JSON of an
    :class:`~tepat.registry.schemas.EventResult`)."""
    store, event_id, on = ctx.store, ctx.event.event_id, ctx.on
    for hid, touch in ctx.households.items():
        if touch.created:
            record_created(
                store, "household", hid, on=on, event_id=event_id, members=touch.members or None
            )
        else:
            record_change(
                store,
                "household",
                hid,
                on=on,
                delta=touch.delta,
                event_id=event_id,
                members=touch.members,
            )
    for pid, touch in ctx.people.items():
        if touch.created:
            record_created(store, "person", pid, on=on, event_id=event_id)
        elif touch.delta:
            record_change(store, "person", pid, on=on, delta=touch.delta, event_id=event_id)
    households, people = store.rows["households"], store.rows["people"]
    now = utcnow()
    result = {
        "event_id": event_id,
        "type": ctx.event.type,
        "effective_date": on.isoformat(),
        "applied_at": now.replace(tzinfo=UTC).isoformat(),
        "source": ctx.source,
        "duplicate": False,
        "household_id": ctx.primary,
        "household_version": None if ctx.primary is None else households[ctx.primary]["version"],
        "households": [
            {"id": h, "version": households[h]["version"], "created": t.created}
            for h, t in sorted(ctx.households.items())
        ],
        "people": [
            {"id": p, "version": people[p]["version"], "created": t.created}
            for p, t in sorted(ctx.people.items())
        ],
        "new_heads": ctx.new_heads,
        "dissolved": ctx.dissolved,
        "handover": ctx.handover,
        "needs_reranking": ctx.rerank,
    }
    store.add_event(
        {
            "event_id": event_id,
            "type": ctx.event.type,
            "effective_date": on,
            "household_id": ctx.primary,
            "region_code": ctx.region_code,
            "to_region_code": None if ctx.handover is None else ctx.handover["to_region"],
            "source": ctx.source[:24],
            "actor": ctx.principal.username[:64],
            "role": ctx.principal.role,
            "payload": payload,
            "payload_hash": digest,
            "result": result,
            "recorded_at": now,
        }
    )
    return result


def expire_touched(db: Session, store: Store) -> None:
    # Objects the caller loaded before are stale now: reload them on next access.
    touched: dict[type, set[int]] = {
        Household: store.touched("households"),
        Person: store.touched("people"),
        Membership: store.touched("memberships"),
    }
    for obj in list(db.identity_map.values()):
        if isinstance(obj, Household | Person | Membership) and obj.id in touched[type(obj)]:
            db.expire(obj)


def apply_event(
    *,
    db: Session,
    principal: Principal,
    event: EventIn,
    source: str = "operator",
    purpose: str | None = None,
) -> EventResult:
    """Apply one event in one savepoint, or raise a domain error and change nothing.

    ``source`` becomes the provenance source of every value the event sets (``operator``,
    ``dukcapil``, ``field_verification``...). An ``event_id`` seen before with the same content
    returns the first result (``duplicate`` true); with other content it is a 409.
    """
    require_writer(principal)
    db.flush()  # the caller's pending changes first: the rules read the database directly
    found = existing_events(db, [event.event_id]).get(event.event_id)
    if found is not None:
        return _replay(found, payload_of(event)[1], principal)
    store = Store(db)
    with db.begin_nested():
        result = EventResult.model_validate(plan(store, principal, event, source, date.today()))
        write(store)
        audit.record(
            db,
            principal,
            action=f"registry.event.{event.type}",
            purpose=purpose,
            entity="household",
            entity_id=result.household_id,
            region_code=store.events[0]["region_code"],
            detail=audit_detail([store.events[0]["result"]], source),
        )
    expire_touched(db, store)
    return result


def audit_detail(results: list[dict[str, Any]], source: str, *, ids: bool = True) -> dict[str, Any]:
    """What an audit entry says about applied events (their results, as JSON).

    Without ``ids`` (a batch chunk) the households and people are counted, not listed: each
    event's own row (``registry_events``) names them.
    """
    households = {h["id"] for r in results for h in r["households"]}
    people = {p["id"] for r in results for p in r["people"]}
    return {
        "source": source,
        "events": [r["event_id"] for r in results],
        "types": dict(Counter(r["type"] for r in results)),
        "households": sorted(households) if ids else len(households),
        "people": sorted(people) if ids else len(people),
        "handovers": [r["handover"] for r in results if r["handover"]],
    }


def get_event(
    *, db: Session, principal: Principal, event_id: str, purpose: str | None = None
) -> EventRecord:
    """A recorded event, if its household's region (or a hand-over's) is the caller's."""
    row = db.connection().execute(select(_EVENTS).where(_EVENTS.c.event_id == event_id)).first()
    if row is None or not sees_event(principal, row):
        raise NotFound(f"event {event_id} not found", code="event_not_found")
    payload = row.payload if principal.may_see_identity else audit.scrub(row.payload)
    record = EventRecord(
        event_id=row.event_id,
        type=row.type,
        effective_date=row.effective_date,
        source=row.source,
        actor=row.actor,
        role=row.role,
        recorded_at=row.recorded_at,
        region_code=row.region_code,
        to_region_code=row.to_region_code,
        payload=payload,
        result=EventResult.model_validate(row.result),
    )
    audit.record(
        db,
        principal,
        action="registry.event.read",
        purpose=purpose,
        entity="event",
        entity_id=row.event_id,
        region_code=row.region_code,
    )
    return record
