"""Proposals (usulan): create, read and list them, in the caller's regions, audited.

The transitions (assign, verify, approve -> apply, reject, withdraw) are in ``decisions``.
Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.errors import Conflict, Forbidden, InvalidInput, NotFound
from tepat.registry.models import Household, Membership, Person
from tepat.registry.service import check_village, household_scope
from tepat.workflow.common import ages, audited_page, due, histories, require_reader, step, utcnow
from tepat.workflow.models import Proposal
from tepat.workflow.outputs import ProposalOut, ProposalSummary
from tepat.workflow.rules import format_number, parse_number
from tepat.workflow.schemas import (
    NewFamilyData,
    NewFamilyIn,
    ProposalIn,
    RemovalIn,
    UpdateData,
    UpdateIn,
)
from tepat.workflow.states import PROPOSAL, actions_for

_OPEN = Membership.end_date.is_(None)


def number_of(row: Proposal) -> str:
    """The proposal's number (USL-<village>-<year>-<id>)."""
    return format_number("proposal", row.village_code, row.created_at.year, row.id)


def not_found(number: str) -> NotFound:
    """The one answer for a missing, malformed or out-of-scope proposal number."""
    return NotFound(f"proposal {number} not found", code="proposal_not_found")


def load(db: Session, principal: Principal, number: str, *, acting: bool = False) -> Proposal:
    """The proposal in the caller's scope (facilitators: reads only of their own tasks)."""
    parsed = parse_number("proposal", number)
    if parsed is None:
        raise not_found(number)
    village, year, item_id = parsed
    row = db.scalar(
        select(Proposal).where(
            Proposal.id == item_id,
            Proposal.village_code == village,
            principal.sql_scope(Proposal.village_code),
        )
    )
    if row is None or row.created_at.year != year:
        raise not_found(number)
    if principal.role == "facilitator" and not acting and row.assignee != principal.username:
        raise not_found(number)
    return row


def current_members(db: Session, household_id: int) -> dict[int, str]:
    """Person id -> name of a household's current members."""
    rows = db.execute(
        select(Person.id, Person.full_name)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.household_id == household_id, _OPEN)
    )
    return {int(pid): name for pid, name in rows}


def scoped_household(db: Session, principal: Principal, household_id: int) -> Household:
    """An active household in the caller's scope (404 / 409 otherwise)."""
    household = db.scalar(
        select(Household).where(Household.id == household_id, household_scope(principal))
    )
    if household is None:
        raise NotFound(f"household {household_id} not found", code="household_not_found")
    if household.status != "active":
        raise Conflict(
            f"household {household_id} is {household.status}: only an active household can be "
            "updated or removed",
            code="household_not_active",
            field="household_id",
        )
    return household


def check_new_family(db: Session, data: NewFamilyData, *, strict: bool) -> None:
    """Refuse a KK already proposed; with ``strict`` (office channel) also NIK/KK in use."""
    pending = db.scalar(
        select(Proposal)
        .where(
            Proposal.kind == "new_family",
            Proposal.state.in_(sorted(set(PROPOSAL.states) - PROPOSAL.final)),
            Proposal.payload["kk_number"].as_string() == data.kk_number,
        )
        .limit(1)
    )
    if pending is not None:
        raise Conflict(
            f"proposal {number_of(pending)} already proposes this KK and is {pending.state}",
            code="duplicate_proposal",
            field="kk_number",
        )
    if not strict:
        return
    kk_used = db.scalar(
        select(func.count())
        .select_from(Household)
        .where(Household.kk_number == data.kk_number, Household.status == "active")
    )
    if kk_used:
        raise Conflict(
            "this KK number is already registered to an active household: propose an update "
            "of that family instead",
            code="kk_in_use",
            field="kk_number",
        )
    niks = [m.nik for m in data.members]
    used = db.scalars(
        select(Person.nik).where(Person.nik.in_(niks), Person.status != "deceased")
    ).all()
    if used:
        i = niks.index(str(used[0]))
        raise Conflict(
            f"members.{i}.nik is already registered to a living person: propose an update of "
            "that person's family instead",
            code="nik_in_use",
            field=f"members.{i}.nik",
        )


def check_people(members: dict[int, str], person_ids: list[int], field: str) -> None:
    """422 unless every id is a current member of the household."""
    for i, pid in enumerate(person_ids):
        if pid not in members:
            raise InvalidInput(
                f"person {pid} is not a current member of the household",
                code="not_a_member",
                field=field.format(i=i),
            )


def insert(
    db: Session,
    *,
    principal: Principal,
    channel: str,
    kind: str,
    village: str,
    household_id: int | None,
    payload: dict[str, Any],
    reason: str | None,
    applicant: tuple[str, str] | None,
    minutes: tuple[str, Any] | None,
    note: str | None,
    days: int,
) -> Proposal:
    """Add a proposal in state submitted with its first step; flushes (the id makes the number)."""
    now = utcnow()
    row = Proposal(
        kind=kind,
        channel=channel,
        state=PROPOSAL.initial,
        village_code=village,
        household_id=household_id,
        applicant_nik=None if applicant is None else applicant[0],
        applicant_name=None if applicant is None else applicant[1],
        payload=payload,
        reason=reason,
        minutes_number=None if minutes is None else minutes[0],
        minutes_date=None if minutes is None else minutes[1],
        proposer=principal.username,
        proposer_role=principal.role,
        created_at=now,
        updated_at=now,
        due_on=due(now, days),
    )
    db.add(row)
    db.flush()
    step(
        db,
        item="proposal",
        item_id=row.id,
        action="submit",
        from_state=None,
        to_state=row.state,
        principal=principal,
        note=note,
        at=now,
    )
    db.flush()
    return row


def create(
    *, db: Session, principal: Principal, purpose: str | None, data: ProposalIn, days: int
) -> ProposalOut:
    """A village operator proposes a new family, an update or a removal for its village."""
    if principal.role != "village_operator":
        raise Forbidden(
            f"proposals are submitted by village_operator accounts; yours is {principal.role}",
            code="role_not_allowed",
        )
    household_id: int | None = None
    applicant = None
    payload = data.model_dump(mode="json", exclude={"kind", "minutes", "note", "household_id"})
    if isinstance(data, NewFamilyIn):
        village = check_village(principal, data.village)
        payload["village"] = village
        check_new_family(db, data, strict=True)
        head = data.head()
        applicant = (head.nik, head.full_name)
        reason = None
    else:
        assert isinstance(data, UpdateIn | RemovalIn)
        household = scoped_household(db, principal, data.household_id)
        village, household_id, reason = household.village_code, household.id, data.reason
        members = current_members(db, household.id)
        if isinstance(data, UpdateData):
            ids = [c.person_id for c in data.person_changes]
            check_people(members, ids, "person_changes.{i}.person_id")
        elif data.person_id is not None:
            check_people(members, [data.person_id], "person_id")
    row = insert(
        db,
        principal=principal,
        channel="operator",
        kind=data.kind,
        village=village,
        household_id=household_id,
        payload=payload,
        reason=reason,
        applicant=applicant,
        minutes=(data.minutes.number, data.minutes.date),
        note=data.note,
        days=days,
    )
    audit.record(
        db,
        principal,
        action="workflow.proposal.create",
        purpose=purpose,
        entity="proposal",
        entity_id=number_of(row),
        region_code=village,
        detail={"kind": row.kind, "household_id": household_id},
    )
    return to_out(db, principal, [row])[0]


def summary(row: Proposal, now: datetime) -> dict[str, Any]:
    """The list fields of a proposal."""
    return {
        "number": number_of(row),
        "kind": row.kind,
        "channel": row.channel,
        "state": row.state,
        "village_code": row.village_code,
        "household_id": row.household_id,
        "applicant_name": row.applicant_name,
        "proposer": row.proposer,
        "assignee": row.assignee,
        "verdict": row.verdict,
        **ages(row, PROPOSAL, now),
    }


def allowed(principal: Principal, row: Proposal) -> list[str]:
    """The actions the caller may take on the proposal now."""
    actions = actions_for(PROPOSAL, row.state, principal.role)
    if principal.role == "facilitator" and row.assignee != principal.username:
        actions = [a for a in actions if a != "verify"]
    return actions if principal.covers(row.village_code) else []


def to_out(db: Session, principal: Principal, rows: list[Proposal]) -> list[ProposalOut]:
    """Full outputs (data, evidence, history), NIKs as the caller may see them."""
    now = utcnow()
    steps = histories(db, "proposal", [r.id for r in rows])
    out = []
    for row in rows:
        payload = row.payload if principal.may_see_identity else audit.scrub(row.payload)
        out.append(
            ProposalOut(
                **summary(row, now),
                payload=payload,
                reason=row.reason,
                minutes_number=row.minutes_number,
                minutes_date=row.minutes_date,
                verification=row.verification,
                decision_note=row.decision_note,
                event_id=row.event_id,
                result_household_id=row.result_household_id,
                allowed_actions=allowed(principal, row),
                history=steps[row.id],
            )
        )
    return out


def get(*, db: Session, principal: Principal, purpose: str | None, number: str) -> ProposalOut:
    """One proposal with its history (404 when missing or outside the caller's scope)."""
    require_reader(principal)
    row = load(db, principal, number)
    audit.record(
        db,
        principal,
        action="workflow.proposal.read",
        purpose=purpose,
        entity="proposal",
        entity_id=number_of(row),
        region_code=row.village_code,
    )
    return to_out(db, principal, [row])[0]


def search(
    *,
    db: Session,
    principal: Principal,
    purpose: str | None,
    state: str | None = None,
    village: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    mine: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Proposal], int]:
    """Proposals in the caller's scope matching the filters (oldest first), and the total."""
    require_reader(principal)
    conditions: list[Any] = [principal.sql_scope(Proposal.village_code)]
    if village is not None:
        conditions.append(Proposal.village_code == check_village(principal, village))
    if principal.role == "facilitator" or mine:
        conditions.append(Proposal.assignee == principal.username)
    for column, value in ((Proposal.state, state), (Proposal.kind, kind)):
        if value is not None:
            conditions.append(column == value)
    if channel is not None:
        conditions.append(Proposal.channel == channel)
    rows, total = audited_page(
        db,
        principal,
        model=Proposal,
        entity="proposal",
        conditions=conditions,
        order_by=Proposal.id,
        offset=offset,
        limit=limit,
        purpose=purpose,
        village=village,
        detail={"state": state},
    )
    return rows, total


def summaries(rows: list[Proposal]) -> list[ProposalSummary]:
    """List items of some proposals."""
    now = utcnow()
    return [ProposalSummary(**summary(r, now)) for r in rows]
