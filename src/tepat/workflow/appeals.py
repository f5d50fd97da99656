"""Appeals (banding) against notices: file (village office or the family), review, decide.

An upheld appeal flags the household ``reverify`` for the next cycle. Services flush, never
commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import Conflict, Forbidden, NotFound
from tepat.registry.service import check_village
from tepat.workflow.common import (
    ages,
    audited_page,
    due,
    flag_household,
    histories,
    require_reader,
    step,
    utcnow,
)
from tepat.workflow.models import Appeal, Notice
from tepat.workflow.notices import load_notice
from tepat.workflow.outputs import AppealOut
from tepat.workflow.rules import format_number, parse_number
from tepat.workflow.schemas import DecisionIn, NoteIn
from tepat.workflow.states import APPEAL, actions_for, next_state, require_role


def number_of(row: Appeal) -> str:
    """The appeal's number (BDG-<village>-<year>-<id>)."""
    return format_number("appeal", row.village_code, row.created_at.year, row.id)


def file_appeal(
    db: Session,
    *,
    principal: Principal,
    notice: Notice,
    channel: str,
    reason: str,
    days: int,
) -> Appeal:
    """Add an appeal against ``notice`` (409 when the window closed or one exists)."""
    now = utcnow()
    if now.date() > notice.appeal_until:
        raise Conflict(
            f"the appeal window of notice {notice.id} closed on {notice.appeal_until}",
            code="appeal_window_closed",
        )
    existing = db.scalar(select(Appeal).where(Appeal.notice_id == notice.id))
    if existing is not None:
        raise Conflict(
            f"notice {notice.id} was already appealed: appeal {number_of(existing)} is "
            f"{existing.state}",
            code="already_appealed",
        )
    row = Appeal(
        notice_id=notice.id,
        state=APPEAL.initial,
        village_code=notice.village_code,
        channel=channel,
        filed_by=principal.username,
        reason=reason,
        created_at=now,
        updated_at=now,
        due_on=due(now, days),
    )
    db.add(row)
    db.flush()
    step(
        db,
        item="appeal",
        item_id=row.id,
        action="file",
        from_state=None,
        to_state=row.state,
        principal=principal,
        note=reason,
        at=now,
    )
    db.flush()
    return row


def to_out(db: Session, principal: Principal, rows: list[Appeal]) -> list[AppealOut]:
    """Full outputs with the notice's program and household."""
    now = utcnow()
    steps = histories(db, "appeal", [r.id for r in rows])
    notices = {
        n.id: n
        for n in db.scalars(select(Notice).where(Notice.id.in_([r.notice_id for r in rows])))
    }
    return [
        AppealOut(
            number=number_of(r),
            notice_id=r.notice_id,
            state=r.state,
            village_code=r.village_code,
            channel=r.channel,
            filed_by=r.filed_by,
            reason=r.reason,
            decision_note=r.decision_note,
            program=notices[r.notice_id].program,
            household_id=notices[r.notice_id].household_id,
            allowed_actions=actions_for(APPEAL, r.state, principal.role),
            history=steps[r.id],
            **ages(r, APPEAL, now),
        )
        for r in rows
    ]


def _audit(
    db: Session, principal: Principal, purpose: str | None, row: Appeal, action: str
) -> AppealOut:
    audit.record(
        db,
        principal,
        action=f"workflow.appeal.{action}",
        purpose=purpose,
        entity="appeal",
        entity_id=number_of(row),
        region_code=row.village_code,
        detail={"state": row.state, "notice_id": row.notice_id},
    )
    return to_out(db, principal, [row])[0]


def appeal_notice(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    notice_id: int,
    reason: str,
    days: int,
) -> AppealOut:
    """The village office appeals a notice on the family's behalf."""
    if principal.role != "village_operator":
        raise Forbidden(
            f"village_operator accounts appeal on a family's behalf; yours is {principal.role}",
            code="role_not_allowed",
        )
    notice = load_notice(db, principal, notice_id)
    row = file_appeal(
        db, principal=principal, notice=notice, channel="operator", reason=reason, days=days
    )
    return _audit(db, principal, purpose, row, "file")


def load(db: Session, principal: Principal, number: str) -> Appeal:
    """The appeal in the caller's scope (404 otherwise)."""
    parsed = parse_number("appeal", number)
    row = None if parsed is None else db.get(Appeal, parsed[2])
    if (
        parsed is None
        or row is None
        or row.village_code != parsed[0]
        or row.created_at.year != parsed[1]
        or not principal.covers(row.village_code)
    ):
        raise NotFound(f"appeal {number} not found", code="appeal_not_found")
    return row


def get(*, db: Session, principal: Principal, purpose: str | None, number: str) -> AppealOut:
    """One appeal with its history."""
    require_reader(principal)
    return _audit(db, principal, purpose, load(db, principal, number), "read")


def search(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    state: str | None = None,
    village: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AppealOut], int]:
    """Appeals in the caller's scope (oldest first), and the total."""
    require_reader(principal)
    conditions: list[Any] = [principal.sql_scope(Appeal.village_code)]
    if village is not None:
        conditions.append(Appeal.village_code == check_village(principal, village))
    if state is not None:
        conditions.append(Appeal.state == state)
    rows, total = audited_page(
        db,
        principal,
        model=Appeal,
        entity="appeal",
        conditions=conditions,
        order_by=Appeal.id,
        offset=offset,
        limit=limit,
        purpose=purpose,
        village=village,
    )
    return to_out(db, principal, rows), total


def act(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    number: str,
    action: str,
    body: NoteIn | DecisionIn,
) -> AppealOut:
    """review / uphold / dismiss an appeal (district office)."""
    require_role(APPEAL, action, principal.role)
    row = load(db, principal, number)
    target = next_state(APPEAL, row.state, action, label=f"appeal {number_of(row)}")
    note = body.reason if isinstance(body, DecisionIn) else body.note
    now = utcnow()
    step(
        db,
        item="appeal",
        item_id=row.id,
        action=action,
        from_state=row.state,
        to_state=target,
        principal=principal,
        note=note,
        at=now,
    )
    row.state, row.updated_at = target, now
    if isinstance(body, DecisionIn):
        row.decision_note = body.reason
    notice = db.get(Notice, row.notice_id)
    if target == "upheld" and notice is not None and notice.household_id is not None:
        flag_household(
            db,
            household_id=notice.household_id,
            village=row.village_code,
            kind="reverify",
            source="appeal",
            reference=number_of(row),
            note=f"{notice.program}: {note}",
            at=now,
        )
    db.flush()
    return _audit(db, principal, purpose, row, action)
