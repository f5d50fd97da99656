"""Helpers shared by the workflow services: time, roles, history, ages, facilitators, flags."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.models import User, UserRegion
from tepat.access.principal import Principal
from tepat.access.roles import Role, code_covers
from tepat.errors import Conflict, Forbidden, InvalidInput
from tepat.registry.models import Household
from tepat.workflow.models import HouseholdFlag, Objection, Proposal, WorkflowStep
from tepat.workflow.outputs import StepOut
from tepat.workflow.rules import days_overdue
from tepat.workflow.states import SYSTEM, Machine

# Roles that may read the workflow of their regions (program managers and calling systems see
# aggregates and releases, not case files).
READERS: Final[frozenset[Role]] = frozenset(
    {
        "village_operator",
        "facilitator",
        "district_office",
        "province_office",
        "national_admin",
        "auditor",
    }
)
# Roles that see who objected (protects objectors from their neighbours and village office).
SEES_OBJECTOR: Final[frozenset[Role]] = frozenset(
    {"district_office", "province_office", "national_admin", "auditor"}
)


def utcnow() -> datetime:
    """Now, as naive UTC (how the tables store times)."""
    return datetime.now(UTC).replace(tzinfo=None)


def require_reader(principal: Principal) -> None:
    """403 for roles that do not read workflow case files."""
    if principal.role not in READERS:
        raise Forbidden(
            f"proposals, objections and appeals are open to {', '.join(sorted(READERS))} "
            f"accounts; yours is {principal.role}",
            code="role_not_allowed",
        )


def step(
    db: Session,
    *,
    item: str,
    item_id: int,
    action: str,
    from_state: str | None,
    to_state: str,
    principal: Principal | None,
    note: str | None,
    at: datetime,
) -> None:
    """Record one transition (``principal`` None: the system)."""
    db.add(
        WorkflowStep(
            item=item,
            item_id=item_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor=SYSTEM if principal is None else principal.username,
            role=SYSTEM if principal is None else principal.role,
            at=at,
            note=note,
        )
    )


def histories(db: Session, item: str, item_ids: Iterable[int]) -> dict[int, list[StepOut]]:
    """The transitions of some items, oldest first, by item id."""
    ids = sorted(set(item_ids))
    out: dict[int, list[StepOut]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = db.scalars(
        select(WorkflowStep)
        .where(WorkflowStep.item == item, WorkflowStep.item_id.in_(ids))
        .order_by(WorkflowStep.id)
    )
    for r in rows:
        out[r.item_id].append(
            StepOut(
                action=r.action,
                from_state=r.from_state,
                to_state=r.to_state,
                actor=r.actor,
                role=r.role,
                at=r.at,
                note=r.note,
            )
        )
    return out


def ages(row: Any, machine: Machine, now: datetime) -> dict[str, Any]:
    """The age and deadline fields of a proposal, objection or appeal."""
    today = now.date()
    still_open = machine.is_open(row.state)
    late = days_overdue(row.due_on, today, still_open=still_open)
    return {
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "due_on": row.due_on,
        "age_days": (today - row.created_at.date()).days,
        "days_in_state": (today - row.updated_at.date()).days,
        "overdue": late > 0,
        "days_overdue": late,
    }


def facilitators_of(db: Session, village: str) -> list[str]:
    """Usernames of the active facilitator accounts that hold ``village``."""
    rows = db.execute(
        select(User.username, UserRegion.region_code)
        .join(UserRegion, UserRegion.user_id == User.id)
        .where(User.role == "facilitator", User.active.is_(True))
    )
    return sorted({name for name, code in rows if code_covers(code, village)})


def open_tasks(db: Session, usernames: Iterable[str]) -> dict[str, int]:
    """Open assigned proposals and objections per facilitator (their caseload)."""
    names = list(usernames)
    proposals = select(Proposal.assignee.label("who")).where(
        Proposal.assignee.in_(names), Proposal.state == "assigned"
    )
    objections = select(Objection.assignee.label("who")).where(
        Objection.assignee.in_(names), Objection.state == "assigned"
    )
    both = union_all(proposals, objections).subquery()
    counts: dict[str, int] = dict(
        db.execute(select(both.c.who, func.count()).group_by(both.c.who)).all()
    )
    return {n: int(counts.get(n, 0)) for n in names}


def choose_facilitator(db: Session, village: str, wanted: str | None) -> tuple[str, str]:
    """The facilitator to assign and how they were chosen (422/409 when none fits)."""
    holders = facilitators_of(db, village)
    if wanted is not None:
        if wanted not in holders:
            raise InvalidInput(
                f"{wanted} is not an active facilitator account holding village {village}; "
                f"those that do: {', '.join(holders) or 'none'}",
                code="not_a_facilitator_of_village",
                field="facilitator",
            )
        return wanted, "assigned by the district office"
    if not holders:
        raise Conflict(
            f"no active facilitator account holds village {village}: create one "
            "(tepat users add NAME --role facilitator --region ...) or assign by name",
            code="no_facilitator",
        )
    load = open_tasks(db, holders)
    chosen = min(holders, key=lambda n: (load[n], n))
    return chosen, f"assigned by the system (fewest open tasks: {load[chosen]})"


def flag_household(
    db: Session,
    *,
    household_id: int,
    village: str,
    kind: str,
    source: str,
    reference: str,
    note: str | None,
    at: datetime,
) -> None:
    """Mark a household for the next cycle (see docs/WORKFLOW.md, "The flag the cycle reads").

    A household no longer in the registry (a release can name one) is not flagged.
    """
    if db.get(Household, household_id) is None:
        return
    db.add(
        HouseholdFlag(
            household_id=household_id,
            village_code=village,
            kind=kind,
            source=source,
            reference=reference,
            note=note,
            created_at=at,
        )
    )


def open_flags(db: Session, *, kinds: Iterable[str] | None = None) -> list[HouseholdFlag]:
    """Flags the next cycle has not used yet."""
    query = select(HouseholdFlag).where(HouseholdFlag.cleared_at.is_(None))
    if kinds is not None:
        query = query.where(HouseholdFlag.kind.in_(list(kinds)))
    return list(db.scalars(query.order_by(HouseholdFlag.id)))


def clear_flags(db: Session, *, flag_ids: Iterable[int], release_id: str) -> int:
    """Mark flags as used by the cycle that produced ``release_id``; returns how many."""
    ids = list(flag_ids)
    if not ids:
        return 0
    now = utcnow()
    flags = db.scalars(
        select(HouseholdFlag).where(HouseholdFlag.id.in_(ids), HouseholdFlag.cleared_at.is_(None))
    ).all()
    for flag in flags:
        flag.cleared_at, flag.cleared_by = now, release_id
    db.flush()
    return len(flags)


def due(created: datetime, days: int) -> date:
    """The deadline ``days`` after ``created``."""
    return created.date() + timedelta(days=days)


def audited_page(
    db: Session,
    principal: Principal,
    *,
    model: Any,
    entity: str,
    conditions: list[Any],
    order_by: Any,
    offset: int,
    limit: int,
    purpose: str | None,
    village: str | None,
    detail: dict[str, Any] | None = None,
) -> tuple[list[Any], int]:
    """One page of ``model`` rows matching ``conditions`` and their total, with the search's
    audit entry (``workflow.<entity>.search``, the ids read)."""
    total = db.scalar(select(func.count(model.id)).where(*conditions)) or 0
    rows = list(
        db.scalars(select(model).where(*conditions).order_by(order_by).offset(offset).limit(limit))
    )
    audit.record(
        db,
        principal,
        action=f"workflow.{entity}.search",
        read=True,
        purpose=purpose,
        entity=entity,
        region_code=village,
        detail={"ids": [r.id for r in rows], **(detail or {}), "total": total},
    )
    return rows, total
