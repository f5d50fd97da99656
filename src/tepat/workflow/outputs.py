"""API output of the staff workflow: proposals, objections, appeals and notices, with their
ages and deadlines (for dashboards) and their history of transitions."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from tepat.web.types import UtcDateTime


class StepOut(BaseModel):
    """One transition: who did what, when, with which note."""

    action: str
    from_state: str | None
    to_state: str
    actor: str
    role: str
    at: UtcDateTime
    note: str | None


class Ages(BaseModel):
    """How old an item is and whether it is late (for dashboards)."""

    created_at: UtcDateTime
    updated_at: UtcDateTime
    due_on: date = Field(description="Deadline of the decision.")
    age_days: int
    days_in_state: int
    overdue: bool
    days_overdue: int


class ProposalSummary(Ages):
    """A proposal in a list."""

    number: str = Field(examples=["USL-11.12.01.2006-2026-000123"])
    kind: str
    channel: str
    state: str
    village_code: str
    household_id: int | None
    applicant_name: str | None
    proposer: str
    assignee: str | None
    verdict: str | None


class ProposalOut(ProposalSummary):
    """A proposal with its data, evidence, decision and history."""

    payload: dict[str, Any]
    reason: str | None
    minutes_number: str | None
    minutes_date: date | None
    verification: dict[str, Any] | None
    decision_note: str | None
    event_id: str | None
    result_household_id: int | None
    allowed_actions: list[str] = Field(description="What you may do with it now.")
    history: list[StepOut]


class Objector(BaseModel):
    """Who objected (district office and national accounts only)."""

    person_id: int | None
    name: str | None


class ObjectionSummary(Ages):
    """An objection in a list."""

    number: str = Field(examples=["SGH-11.12.01.2006-2026-000045"])
    state: str
    village_code: str
    household_id: int | None
    reason_code: str
    assignee: str | None
    verdict: str | None


class ObjectionOut(ObjectionSummary):
    """An objection with its evidence, verification, resolution and history."""

    reason_text: str
    programs: list[str]
    release_id: str | None
    photos: list[dict[str, Any]]
    latitude: float
    longitude: float
    objector: Objector | None = Field(description="Hidden from village and facilitator roles.")
    verification: dict[str, Any] | None
    resolution_note: str | None
    allowed_actions: list[str]
    history: list[StepOut]


class AppealOut(Ages):
    """An appeal against a notice."""

    number: str = Field(examples=["BDG-11.12.01.2006-2026-000007"])
    notice_id: int
    state: str
    village_code: str
    channel: str
    filed_by: str
    reason: str
    decision_note: str | None
    program: str
    household_id: int | None
    allowed_actions: list[str]
    history: list[StepOut]


class NoticeOut(BaseModel):
    """A family's loss of a program between two releases, and its appeal window."""

    id: int
    release_id: str
    previous_release_id: str
    family_id: str
    household_id: int | None
    village_code: str
    program: str
    reason_code: str
    reason: str
    old_desil: int | None
    new_desil: int | None
    appeal_until: date
    appeal_open: bool
    appeal_number: str | None
    appeal_state: str | None
    created_at: UtcDateTime
