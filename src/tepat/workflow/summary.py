"""Dashboard counts: proposals, objections and appeals by state, age bucket and overdue."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from tepat.access.principal import Principal
from tepat.registry.service import check_village
from tepat.web.types import UtcDateTime
from tepat.workflow.common import require_reader, utcnow
from tepat.workflow.models import Appeal, Objection, Proposal
from tepat.workflow.states import APPEAL, OBJECTION, PROPOSAL, Machine

AGE_BUCKETS = ((7, "0-7"), (30, "8-30"), (90, "31-90"))
OLDEST = "91+"


class StateCount(BaseModel):
    """How many items are in a state, how old they are, and how many are overdue."""

    total: int
    overdue: int
    by_age: dict[str, int] = Field(description="Days since submission: 0-7, 8-30, 31-90, 91+.")


class SummaryOut(BaseModel):
    """Counts in the caller's regions (facilitators: their own tasks)."""

    as_of: UtcDateTime
    proposals: dict[str, StateCount]
    objections: dict[str, StateCount]
    appeals: dict[str, StateCount]


def _count(
    db: Session, principal: Principal, model: Any, machine: Machine, village: str | None
) -> dict[str, StateCount]:
    now = utcnow()
    today = now.date()
    start_of_today = datetime(today.year, today.month, today.day)
    bucket = case(
        *[
            (model.created_at >= start_of_today - timedelta(days=days), label)
            for days, label in AGE_BUCKETS
        ],
        else_=OLDEST,
    )
    late = case((and_(model.state.not_in(sorted(machine.final)), model.due_on < today), 1), else_=0)
    conditions: list[Any] = [principal.sql_scope(model.village_code)]
    if village is not None:
        conditions.append(model.village_code == village)
    if principal.role == "facilitator" and hasattr(model, "assignee"):
        conditions.append(model.assignee == principal.username)
    rows = db.execute(
        select(model.state, bucket, func.count(), func.sum(late))
        .where(*conditions)
        .group_by(model.state, bucket)
    ).all()
    out = {
        s: StateCount(total=0, overdue=0, by_age={label: 0 for _, label in AGE_BUCKETS})
        for s in machine.states
    }
    for state, label, n, overdue in rows:
        entry = out[state]
        entry.total += int(n)
        entry.overdue += int(overdue or 0)
        entry.by_age[label] = entry.by_age.get(label, 0) + int(n)
    for entry in out.values():
        entry.by_age.setdefault(OLDEST, 0)
    return out


def summarise(
    *, db: Session, principal: Principal, purpose: str | None, village: str | None = None
) -> SummaryOut:
    """Counts by state and age of the workflow items in the caller's scope."""
    require_reader(principal)
    if village is not None:
        village = check_village(principal, village)
    # Counts only: no personal data, so no audit entry.
    return SummaryOut(
        as_of=utcnow(),
        proposals=_count(db, principal, Proposal, PROPOSAL, village),
        objections=_count(db, principal, Objection, OBJECTION, village),
        appeals=_count(db, principal, Appeal, APPEAL, village),
    )
