"""JSON routes of objections (sanggah), notices of loss and appeals (banding), staff side."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from tepat.web.deps import AppSettings, Caller, DbSession
from tepat.web.pagination import Page, Pagination
from tepat.workflow import appeals, objections
from tepat.workflow.api import ACTION_REFUSALS, REFUSALS, VillageQuery, page_of
from tepat.workflow.notices import get_notice, search_notices
from tepat.workflow.outputs import AppealOut, NoticeOut, ObjectionOut, ObjectionSummary
from tepat.workflow.schemas import AppealIn, AssignIn, DecisionIn, GroundCheckIn, NoteIn

router = APIRouter(tags=["workflow"])

ObjectionNumber = Annotated[
    str,
    Path(
        max_length=40,
        description="The objection's number.",
        examples=["SGH-11.12.01.2006-2026-000045"],
    ),
]
AppealNumber = Annotated[
    str,
    Path(
        max_length=40,
        description="The appeal's number.",
        examples=["BDG-11.12.01.2006-2026-000007"],
    ),
]
NoticeId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Notice id.")]
ObjectionState = Literal["filed", "assigned", "verified", "upheld", "dismissed"]


@router.get("/objections", summary="List objections", responses=REFUSALS)
def list_objections(
    db: DbSession,
    caller: Caller,
    paging: Pagination,
    state: ObjectionState | None = None,
    village: VillageQuery = None,
    overdue: Annotated[bool | None, Query(description="Only overdue (or on-time) ones.")] = None,
) -> Page[ObjectionSummary]:
    """Objections in your regions, oldest first, with their deadline (`due_on`) and
    `days_overdue`. Facilitators see those assigned to them."""
    rows, total = objections.search(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        state=state,
        village=village,
        overdue=overdue,
        offset=paging.offset,
        limit=paging.size,
    )
    return page_of(objections.summaries(rows), total, paging)


@router.get("/objections/tasks", summary="My objection checks (facilitator)", responses=REFUSALS)
def objection_tasks(db: DbSession, caller: Caller, paging: Pagination) -> Page[ObjectionOut]:
    """Objections assigned to you and waiting for your ground check."""
    rows, total = objections.search(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        state="assigned",
        mine=True,
        offset=paging.offset,
        limit=paging.size,
    )
    return page_of(objections.to_out(db, caller.principal, rows), total, paging)


@router.get("/objections/queue", summary="Objections to resolve (district)", responses=REFUSALS)
def objection_queue(
    db: DbSession, caller: Caller, paging: Pagination, village: VillageQuery = None
) -> Page[ObjectionOut]:
    """Verified objections waiting to be upheld or dismissed, with the evidence."""
    rows, total = objections.search(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        state="verified",
        village=village,
        offset=paging.offset,
        limit=paging.size,
    )
    return page_of(objections.to_out(db, caller.principal, rows), total, paging)


@router.get("/objections/{number}", summary="Read an objection", responses=REFUSALS)
def get_objection(number: ObjectionNumber, db: DbSession, caller: Caller) -> ObjectionOut:
    """One objection with its evidence, verification, resolution and history. Who objected is
    shown to district, province and national accounts only."""
    return objections.get(db=db, principal=caller.principal, purpose=caller.purpose, number=number)


@router.post(
    "/objections/{number}/assign", summary="Assign a facilitator", responses=ACTION_REFUSALS
)
def assign_objection(
    number: ObjectionNumber, body: AssignIn, db: DbSession, caller: Caller
) -> ObjectionOut:
    """The district office assigns a facilitator who holds the village (or lets the system)."""
    return objections.assign(
        db=db, principal=caller.principal, purpose=caller.purpose, number=number, body=body
    )


@router.post(
    "/objections/{number}/verify", summary="Record the ground check", responses=ACTION_REFUSALS
)
def verify_objection(
    number: ObjectionNumber, body: GroundCheckIn, db: DbSession, caller: Caller
) -> ObjectionOut:
    """The assigned facilitator records the ground check of the recipient household."""
    return objections.verify(
        db=db, principal=caller.principal, purpose=caller.purpose, number=number, body=body
    )


@router.post("/objections/{number}/uphold", summary="Uphold", responses=ACTION_REFUSALS)
def uphold_objection(
    number: ObjectionNumber, body: DecisionIn, db: DbSession, caller: Caller
) -> ObjectionOut:
    """The district office upholds the objection: the recipient household is flagged
    `exclude` for the next cycle."""
    return objections.uphold(
        db=db, principal=caller.principal, purpose=caller.purpose, number=number, body=body
    )


@router.post("/objections/{number}/dismiss", summary="Dismiss", responses=ACTION_REFUSALS)
def dismiss_objection(
    number: ObjectionNumber, body: DecisionIn, db: DbSession, caller: Caller
) -> ObjectionOut:
    """The district office dismisses the objection, with the reason."""
    return objections.dismiss(
        db=db, principal=caller.principal, purpose=caller.purpose, number=number, body=body
    )


@router.get("/notices", summary="List notices of loss", responses=REFUSALS)
def list_notices(
    db: DbSession,
    caller: Caller,
    paging: Pagination,
    village: VillageQuery = None,
    program: Annotated[str | None, Query(max_length=30)] = None,
    release_id: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[NoticeOut]:
    """Families in your regions that lost a program in a new release, newest first, with the
    reason and the appeal window."""
    items, total = search_notices(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        village=village,
        program=program,
        release_id=release_id,
        offset=paging.offset,
        limit=paging.size,
    )
    return page_of(items, total, paging)


@router.get("/notices/{notice_id}", summary="Read a notice", responses=REFUSALS)
def read_notice(notice_id: NoticeId, db: DbSession, caller: Caller) -> NoticeOut:
    """One notice of loss and its appeal, if any."""
    return get_notice(
        db=db, principal=caller.principal, purpose=caller.purpose, notice_id=notice_id
    )


@router.post(
    "/notices/{notice_id}/appeal", status_code=201, summary="Appeal", responses=ACTION_REFUSALS
)
def appeal_notice(
    notice_id: NoticeId, body: AppealIn, db: DbSession, caller: Caller, settings: AppSettings
) -> AppealOut:
    """The village operator appeals a notice on the family's behalf, within the window."""
    return appeals.appeal_notice(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        notice_id=notice_id,
        reason=body.reason,
        days=settings.proposal_days,
    )


@router.get("/appeals", summary="List appeals", responses=REFUSALS)
def list_appeals(
    db: DbSession,
    caller: Caller,
    paging: Pagination,
    state: Literal["filed", "under_review", "upheld", "dismissed"] | None = None,
    village: VillageQuery = None,
) -> Page[AppealOut]:
    """Appeals in your regions, oldest first."""
    items, total = appeals.search(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        state=state,
        village=village,
        offset=paging.offset,
        limit=paging.size,
    )
    return page_of(items, total, paging)


@router.get("/appeals/{number}", summary="Read an appeal", responses=REFUSALS)
def get_appeal(number: AppealNumber, db: DbSession, caller: Caller) -> AppealOut:
    """One appeal and its history."""
    return appeals.get(db=db, principal=caller.principal, purpose=caller.purpose, number=number)


@router.post("/appeals/{number}/review", summary="Start the review", responses=ACTION_REFUSALS)
def review_appeal(number: AppealNumber, body: NoteIn, db: DbSession, caller: Caller) -> AppealOut:
    """The district office takes the appeal under review."""
    return appeals.act(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        number=number,
        action="review",
        body=body,
    )


@router.post("/appeals/{number}/uphold", summary="Uphold", responses=ACTION_REFUSALS)
def uphold_appeal(
    number: AppealNumber, body: DecisionIn, db: DbSession, caller: Caller
) -> AppealOut:
    """The district office upholds the appeal: the household is flagged `reverify`."""
    return appeals.act(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        number=number,
        action="uphold",
        body=body,
    )


@router.post("/appeals/{number}/dismiss", summary="Dismiss", responses=ACTION_REFUSALS)
def dismiss_appeal(
    number: AppealNumber, body: DecisionIn, db: DbSession, caller: Caller
) -> AppealOut:
    """The district office dismisses the appeal, with the reason."""
    return appeals.act(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        number=number,
        action="dismiss",
        body=body,
    )
