"""Full history of households and people: versions in effective time, and the as-of reads.

Every change an event makes to a household or person row adds a version row
(``household_versions`` / ``person_versions``) valid over ``[valid_from, valid_to)``, where
``valid_from`` is the event's effective date, holding the fields the event set (``data``, and
their names in ``changed_fields``); a household whose members alone changed gets a version
with no fields. A ``whole`` version holds the entire state: the state before the first event
that changed an attribute (``valid_from`` null, no event; written then, so the original stays
reproducible), or the entity as an event created it. Memberships carry their own
``start_date`` / ``end_date``.

The state on a day is the fold of the versions effective by then, in effective order (by
``valid_from``, then ``version``), or the current row when no attribute ever changed. So an
event that arrives late (a birth registered months after it happened) takes its place at its
date without rewriting anything, and a field it sets stays overridden by any later-dated event
that set it too, in the current row as well. A household as of a day is that state, with the
memberships open on that day (``start_date <= day < end_date``) and each member's own state
then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Date, or_, select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import InvalidInput, NotFound
from tepat.registry.fields import HOUSEHOLD_ITEMS
from tepat.registry.models import (
    Household,
    HouseholdVersion,
    Membership,
    Person,
    PersonVersion,
    RegistryEvent,
    unwrap_fields,
    wrap_fields,
)
from tepat.registry.schemas import (
    HistoryEntry,
    HistoryEvent,
    HouseholdAsOf,
    HouseholdHistory,
    Member,
    MembershipPeriod,
)
from tepat.registry.service import _village_name, household_scope
from tepat.registry.working import BOOKKEEPING, ENTITY_TABLE, TABLES, VERSION_TABLE, Row, Store

_DATE_COLUMNS = {
    name: frozenset(c.name for c in TABLES[name].columns if isinstance(c.type, Date))
    for name in ("households", "people")
}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def snapshot(row: Row) -> dict[str, Any]:
    """A row's data for a whole-state version: every column but the bookkeeping ones that is
    not null (a missing key is null), dates as ISO text."""
    out = {k: v for k, v in row.items() if v is not None and k not in BOOKKEEPING}
    for k, v in out.items():
        if isinstance(v, date):
            out[k] = v.isoformat()
    return out


def restore(table: str, data: dict[str, Any]) -> dict[str, Any]:
    """A version's data with its dates as dates again."""
    dates = _DATE_COLUMNS[table]
    return {
        k: date.fromisoformat(v) if k in dates and isinstance(v, str) else v
        for k, v in data.items()
    }


def _start(version: Any) -> date:
    value = version["valid_from"] if isinstance(version, dict) else version.valid_from
    return value or date.min


def _number(version: Any) -> int:
    return int(version["version"] if isinstance(version, dict) else version.version)


def effective_order(versions: Iterable[Any]) -> list[Any]:
    """Versions (rows or dicts) by valid_from (null first), then version."""
    return sorted(versions, key=lambda v: (_start(v), _number(v)))


def state_on(versions: Iterable[Any], on: date) -> tuple[dict[str, Any], Any] | None:
    """The fold of the versions effective by ``on`` and the last of them (None: none yet)."""
    state: dict[str, Any] = {}
    last = None
    for v in effective_order(versions):
        if _start(v) > on:
            break
        state.update(v["data"] if isinstance(v, dict) else v.data)
        last = v
    return None if last is None else (state, last)


def _version_row(kind: str, entity_id: int, **values: Any) -> Row:
    row = {f"{kind}_id": entity_id, "whole": False, **values}
    if kind == "household":
        row.setdefault("member_changes", None)
    return row


def record_created(
    store: Store, kind: str, entity_id: int, *, on: date, event_id: str, members: Any = None
) -> None:
    """Record the first version of an entity an event created (valid from its effective date)."""
    row = store.rows[ENTITY_TABLE[kind]][entity_id]
    data = snapshot(row)
    extra = {"member_changes": members} if kind == "household" else {}
    store.add_version(
        kind,
        _version_row(
            kind,
            entity_id,
            version=row["version"],
            valid_from=on,
            valid_to=None,
            event_id=event_id,
            changed_fields=wrap_fields(list(data)),
            whole=True,
            data=data,
            **extra,
        ),
    )


def record_change(
    store: Store,
    kind: str,
    entity_id: int,
    *,
    on: date,
    delta: dict[str, Any],
    event_id: str,
    members: list[dict[str, Any]] | None = None,
) -> None:
    """Apply ``delta`` to a household or person effective ``on``, bump its version, record it.

    An empty ``delta`` still makes a version (a household whose members changed). A field that
    a later-dated version already set keeps that value in the current row.
    """
    table = ENTITY_TABLE[kind]
    row = store.rows[table][entity_id]
    versions = store.versions(kind, entity_id)
    data = {k: v for k, v in delta.items() if k not in BOOKKEEPING}
    whole = next((v for v in versions if v["whole"]), None)
    if whole is None and data:  # the first attribute change: keep the state before it
        base = _version_row(
            kind,
            entity_id,
            version=min((v["version"] for v in versions), default=row["version"] + 1) - 1,
            valid_from=None,
            valid_to=versions[0]["valid_from"] if versions else None,
            event_id=None,
            changed_fields=wrap_fields([]),
            whole=True,
            data=snapshot(row),
        )
        whole = store.add_version(kind, base)
        versions = store.versions(kind, entity_id)
    if whole is not None and _start(whole) > on:
        raise InvalidInput(
            f"effective_date {on} is before {kind} {entity_id} existed (from "
            f"{whole['valid_from']})",
            code="before_existence",
            field="effective_date",
        )
    later = [v for v in versions if _start(v) > on]
    blocked = {f for v in later for f in unwrap_fields(v["changed_fields"])} & data.keys()
    current = {k: v for k, v in delta.items() if k not in blocked}
    store.update(table, entity_id, {**current, "version": row["version"] + 1})
    if len(later) < len(versions):  # the version in effect on that day ends there
        covering = versions[len(versions) - len(later) - 1]
        store.update(VERSION_TABLE[kind], covering["id"], {"valid_to": on})
    ends = later[0]["valid_from"] if later else None
    extra = {"member_changes": members or None} if kind == "household" else {}
    store.add_version(
        kind,
        _version_row(
            kind,
            entity_id,
            version=row["version"],
            valid_from=on,
            valid_to=ends,
            event_id=event_id,
            changed_fields=wrap_fields(list(data)),
            data={k: _json(v) for k, v in data.items()},
            **extra,
        ),
    )


# -- reads ----------------------------------------------------------------------------------


def _household_in_scope(db: Session, principal: Principal, household_id: int) -> Household:
    household = db.scalar(
        select(Household).where(Household.id == household_id, household_scope(principal))
    )
    if household is None:
        raise NotFound(f"household {household_id} not found", code="household_not_found")
    return household


def _columns(obj: Any, table: str) -> dict[str, Any]:
    return {c.name: getattr(obj, c.name) for c in TABLES[table].columns}


def household_as_of(
    *,
    db: Session,
    principal: Principal,
    household_id: int,
    on: date,
    purpose: str | None = None,
) -> HouseholdAsOf:
    """The household as it was on ``on``: the attributes then, the members then (404 if none)."""
    household = _household_in_scope(db, principal, household_id)
    versions = list(
        db.scalars(select(HouseholdVersion).where(HouseholdVersion.household_id == household_id))
    )
    folded = state_on(versions, on)
    version = None if folded is None else folded[1]
    data: dict[str, Any] | None
    if any(v.whole for v in versions):
        data = None if folded is None else restore("households", folded[0])
    else:  # only its members changed: the attributes are the current ones
        data = _columns(household, "households")
    formed = None if data is None else data.get("formed_on")
    if data is None or (formed is not None and on < formed):
        raise NotFound(
            f"household {household_id} did not exist yet on {on}", code="household_not_yet_formed"
        )
    if version is not None:
        shown = version.version
    else:  # before the first version: the version it had then
        shown = min((v.version for v in versions), default=household.version + 1) - 1
    members = _members_as_of(db, principal, household_id, on)
    attributes = {name: data.get(name) for name in HOUSEHOLD_ITEMS}
    attributes["programs_received"] = data.get("programs_received")
    result = HouseholdAsOf(
        id=household.id,
        kk_number=principal.kk(data.get("kk_number")),
        province_code=data["province_code"],
        regency_code=data["regency_code"],
        district_code=data["district_code"],
        village_code=data["village_code"],
        village_name=_village_name(data["village_code"]),
        address=data.get("address"),
        rt=data.get("rt"),
        rw=data.get("rw"),
        urban=data.get("urban"),
        status=data["status"],
        formed_on=data.get("formed_on"),
        dissolved_on=data.get("dissolved_on"),
        attributes=attributes,
        members=members,
        provenance=[],
        version=shown,
        as_of=on,
        valid_from=None if version is None else version.valid_from,
        valid_to=None if version is None else version.valid_to,
        event_id=None if version is None else version.event_id,
    )
    audit.record(
        db,
        principal,
        action="registry.household.read_as_of",
        read=True,
        purpose=purpose,
        entity="household",
        entity_id=household.id,
        region_code=household.village_code,
        detail={"as_of": on.isoformat(), "members": [m.person_id for m in members]},
    )
    return result


def _members_as_of(db: Session, principal: Principal, household_id: int, on: date) -> list[Member]:
    rows = db.execute(
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.household_id == household_id,
            or_(Membership.start_date.is_(None), Membership.start_date <= on),
            or_(Membership.end_date.is_(None), Membership.end_date > on),
        )
        .order_by(Membership.relationship_code, Membership.line_number, Person.id)
    ).all()
    by_person: dict[int, list[PersonVersion]] = {}
    if rows:
        for v in db.scalars(
            select(PersonVersion).where(PersonVersion.person_id.in_([p.id for _, p in rows]))
        ):
            by_person.setdefault(v.person_id, []).append(v)
    members = []
    for m, p in rows:
        person = _columns(p, "people")
        history = by_person.get(p.id, [])
        then = state_on(history, on) if any(v.whole for v in history) else None
        if then is not None:  # a key missing from the versions is null
            person = dict.fromkeys(person) | restore("people", then[0])
        members.append(
            Member(
                person_id=p.id,
                full_name=person["full_name"],
                nik=principal.nik(person["nik"]),
                sex=person["sex"],
                birth_date=person["birth_date"],
                status=person["status"],
                role=m.role,
                relationship_code=m.relationship_code,
                line_number=m.line_number,
                since=m.start_date,
            )
        )
    return members


def _visible(principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    if principal.may_see_identity:
        return data
    masked: dict[str, Any] = audit.scrub(data)
    return masked


def household_history(
    *, db: Session, principal: Principal, household_id: int, purpose: str | None = None
) -> HouseholdHistory:
    """Every version of the household with the event that made it, and every membership."""
    household = _household_in_scope(db, principal, household_id)
    rows = db.execute(
        select(HouseholdVersion, RegistryEvent)
        .outerjoin(RegistryEvent, RegistryEvent.event_id == HouseholdVersion.event_id)
        .where(HouseholdVersion.household_id == household_id)
        .order_by(HouseholdVersion.version)
    ).all()
    entries = [
        HistoryEntry(
            version=v.version,
            valid_from=v.valid_from,
            valid_to=v.valid_to,
            recorded_at=v.recorded_at,
            event=None
            if e is None
            else HistoryEvent(
                event_id=e.event_id,
                type=e.type,
                effective_date=e.effective_date,
                source=e.source,
                actor=e.actor,
                recorded_at=e.recorded_at,
                reason=(e.payload or {}).get("reason"),
            ),
            changed_fields=unwrap_fields(v.changed_fields),
            changes={} if e is None else _visible(principal, v.data),
            member_changes=v.member_changes or [],
        )
        for v, e in rows
    ]
    periods = [
        MembershipPeriod(
            person_id=m.person_id,
            full_name=name,
            role=m.role,
            relationship_code=m.relationship_code,
            start_date=m.start_date,
            end_date=m.end_date,
            end_reason=m.end_reason,
        )
        for m, name in db.execute(
            select(Membership, Person.full_name)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.household_id == household_id)
            .order_by(Membership.start_date.is_not(None), Membership.start_date, Membership.id)
        )
    ]
    audit.record(
        db,
        principal,
        action="registry.household.history",
        read=True,
        purpose=purpose,
        entity="household",
        entity_id=household.id,
        region_code=household.village_code,
        detail={"versions": len(entries), "people": sorted({p.person_id for p in periods})},
    )
    return HouseholdHistory(
        household_id=household.id, version=household.version, entries=entries, memberships=periods
    )
