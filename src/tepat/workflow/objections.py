"""Objections (sanggah), the staff side: read, list, assign, verify, uphold or dismiss.

Citizens file them through ``citizen``. An upheld objection flags the recipient household
``exclude`` for the next cycle. The deadline is ``Settings.objection_days`` after filing; open
objections past it are listed as overdue with the days late. Services flush, never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import Conflict, InvalidInput, NotFound
from tepat.registry.models import Person
from tepat.registry.service import check_village
from tepat.workflow.common import (
    SEES_OBJECTOR,
    ages,
    audited_page,
    choose_facilitator,
    flag_household,
    histories,
    require_reader,
    step,
    utcnow,
)
from tepat.workflow.decisions import verification_record
from tepat.workflow.models import Objection
from tepat.workflow.outputs import ObjectionOut, ObjectionSummary, Objector
from tepat.workflow.proposals import current_members
from tepat.workflow.rules import format_number, parse_number
from tepat.workflow.schemas import AssignIn, DecisionIn, GroundCheckIn
from tepat.workflow.states import OBJECTION, actions_for, describe_allowed, next_state, require_role


def number_of(row: Objection) -> str:
    """The objection's number (SGH-<village>-<year>-<id>)."""
    return format_number("objection", row.village_code, row.created_at.year, row.id)


def find(db: Session, number: str) -> Objection | None:
    """The objection with this number, regardless of scope (None when there is none)."""
    parsed = parse_number("objection", number)
    if parsed is None:
        return None
    village, year, item_id = parsed
    row = db.get(Objection, item_id)
    if row is None or row.village_code != village or row.created_at.year != year:
        return None
    return row


def not_found(number: str) -> NotFound:
    """The one answer for a missing, malformed or out-of-scope objection number."""
    return NotFound(f"objection {number} not found", code="objection_not_found")


def load(db: Session, principal: Principal, number: str, *, acting: bool = False) -> Objection:
    """The objection in the caller's scope (facilitators: reads only of their own tasks)."""
    row = find(db, number)
    if row is None or not principal.covers(row.village_code):
        raise not_found(number)
    if principal.role == "facilitator" and not acting and row.assignee != principal.username:
        raise not_found(number)
    return row


def _summary(row: Objection, now: Any) -> dict[str, Any]:
    return {
        "number": number_of(row),
        "state": row.state,
        "village_code": row.village_code,
        "household_id": row.household_id,
        "reason_code": row.reason_code,
        "assignee": row.assignee,
        "verdict": row.verdict,
        **ages(row, OBJECTION, now),
    }


def to_out(db: Session, principal: Principal, rows: list[Objection]) -> list[ObjectionOut]:
    """Full outputs; the objector is shown only to roles in ``SEES_OBJECTOR``."""
    now = utcnow()
    steps = histories(db, "objection", [r.id for r in rows])
    names: dict[int, str] = {}
    if principal.role in SEES_OBJECTOR:
        ids = [r.objector_person_id for r in rows if r.objector_person_id is not None]
        names = dict(
            db.execute(select(Person.id, Person.full_name).where(Person.id.in_(ids))).all()
        )
    out = []
    for row in rows:
        objector = None
        if principal.role in SEES_OBJECTOR:
            pid = row.objector_person_id
            objector = Objector(person_id=pid, name=names.get(pid) if pid else None)
        actions = actions_for(OBJECTION, row.state, principal.role)
        if principal.role == "facilitator" and row.assignee != principal.username:
            actions = [a for a in actions if a != "verify"]
        out.append(
            ObjectionOut(
                **_summary(row, now),
                reason_text=row.reason_text,
                programs=list(row.programs),
                release_id=row.release_id,
                photos=list(row.photos),
                latitude=row.latitude,
                longitude=row.longitude,
                objector=objector,
                verification=row.verification,
                resolution_note=row.resolution_note,
                allowed_actions=actions,
                history=steps[row.id],
            )
        )
    return out


def _audit(
    db: Session,
    principal: Principal,
    purpose: str | None,
    row: Objection,
    action: str,
    **detail: Any,
) -> ObjectionOut:
    audit.record(
        db,
        principal,
        action=f"workflow.objection.{action}",
        purpose=purpose,
        entity="objection",
        entity_id=number_of(row),
        region_code=row.village_code,
        detail={"state": row.state, "household_id": row.household_id, **detail},
    )
    return to_out(db, principal, [row])[0]


def get(*, db: Session, principal: Principal, purpose: str | None, number: str) -> ObjectionOut:
    """One objection with its evidence and history."""
    require_reader(principal)
    row = load(db, principal, number)
    return _audit(db, principal, purpose, row, "read")


def search(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    state: str | None = None,
    village: str | None = None,
    overdue: bool | None = None,
    mine: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Objection], int]:
    """Objections in the caller's scope (oldest first), and the total."""
    require_reader(principal)
    conditions: list[Any] = [principal.sql_scope(Objection.village_code)]
    if village is not None:
        conditions.append(Objection.village_code == check_village(principal, village))
    if principal.role == "facilitator" or mine:
        conditions.append(Objection.assignee == principal.username)
    if state is not None:
        conditions.append(Objection.state == state)
    if overdue is not None:
        late = Objection.state.not_in(sorted(OBJECTION.final)) & (
            Objection.due_on < utcnow().date()
        )
        conditions.append(late if overdue else ~late)
    rows, total = audited_page(
        db,
        principal,
        model=Objection,
        entity="objection",
        conditions=conditions,
        order_by=Objection.id,
        offset=offset,
        limit=limit,
        purpose=purpose,
        village=village,
        detail={"state": state},
    )
    return rows, total


def summaries(rows: list[Objection]) -> list[ObjectionSummary]:
    """List items of some objections."""
    now = utcnow()
    return [ObjectionSummary(**_summary(r, now)) for r in rows]


def _move(db: Session, principal: Principal, row: Objection, action: str, note: str | None) -> None:
    target = next_state(OBJECTION, row.state, action, label=f"objection {number_of(row)}")
    now = utcnow()
    step(
        db,
        item="objection",
        item_id=row.id,
        action=action,
        from_state=row.state,
        to_state=target,
        principal=principal,
        note=note,
        at=now,
    )
    row.state, row.updated_at = target, now
    db.flush()


def _start(db: Session, principal: Principal, number: str, action: str) -> Objection:
    require_role(OBJECTION, action, principal.role)
    row = load(db, principal, number, acting=True)
    next_state(OBJECTION, row.state, action, label=f"objection {number_of(row)}")
    return row


def assign(
    *, db: Session, principal: Principal, purpose: str | None, number: str, body: AssignIn
) -> ObjectionOut:
    """Assign a facilitator who holds the village (named, or chosen by the system)."""
    row = _start(db, principal, number, "assign")
    who, how = choose_facilitator(db, row.village_code, body.facilitator)
    row.assignee = who
    _move(db, principal, row, "assign", "; ".join(filter(None, [f"{how}: {who}", body.note])))
    return _audit(db, principal, purpose, row, "assign", assignee=who)


def verify(
    *, db: Session, principal: Principal, purpose: str | None, number: str, body: GroundCheckIn
) -> ObjectionOut:
    """The assigned facilitator records the ground check of the recipient household."""
    row = _start(db, principal, number, "verify")
    if row.assignee != principal.username:
        raise Conflict(
            f"objection {number_of(row)} is assigned to {row.assignee}, not to you: only the "
            f"assigned facilitator may verify it; allowed actions: "
            f"{describe_allowed(OBJECTION, row.state)}",
            code="not_assigned_to_you",
        )
    known = set(current_members(db, row.household_id)) if row.household_id else set()
    for i, member in enumerate(body.members):
        if member.person_id is None or member.person_id not in known:
            raise InvalidInput(
                "an objection's member checks name current members by person_id",
                code="not_a_member",
                field=f"members.{i}.person_id",
            )
    row.verification = verification_record(principal, body, {})
    row.verdict = body.verdict
    _move(db, principal, row, "verify", f"verdict {body.verdict}: {body.notes or ''}".strip(": "))
    return _audit(db, principal, purpose, row, "verify", verdict=body.verdict)


def uphold(
    *, db: Session, principal: Principal, purpose: str | None, number: str, body: DecisionIn
) -> ObjectionOut:
    """The district office upholds the objection: the household is flagged ``exclude``."""
    row = _start(db, principal, number, "uphold")
    row.resolution_note = body.reason
    _move(db, principal, row, "uphold", body.reason)
    if row.household_id is not None:
        flag_household(
            db,
            household_id=row.household_id,
            village=row.village_code,
            kind="exclude",
            source="objection",
            reference=number_of(row),
            note=body.reason,
            at=utcnow(),
        )
    return _audit(db, principal, purpose, row, "uphold")


def dismiss(
    *, db: Session, principal: Principal, purpose: str | None, number: str, body: DecisionIn
) -> ObjectionOut:
    """The district office dismisses the objection, with the reason."""
    row = _start(db, principal, number, "dismiss")
    row.resolution_note = body.reason
    _move(db, principal, row, "dismiss", body.reason)
    return _audit(db, principal, purpose, row, "dismiss")
