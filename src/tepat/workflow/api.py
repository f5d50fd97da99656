"""JSON routes of proposals (usulan) and the workflow's form and dashboard summary.

Objections, notices and appeals are in ``api_cases``; the citizens' endpoints in ``public_api``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query

from tepat.web.deps import AppSettings, Caller, DbSession
from tepat.web.pagination import Page, Pagination
from tepat.workflow import decisions, ground_check, proposals, summary
from tepat.workflow.outputs import ProposalOut, ProposalSummary
from tepat.workflow.schemas import AssignIn, DecisionIn, GroundCheckIn, NoteIn, ProposalIn
from tepat.workflow.summary import SummaryOut

router = APIRouter(tags=["workflow"])

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the token is expired or revoked."},
    403: {"description": "Your role may not do this, or the region is not yours."},
    404: {"description": "No such item in your regions."},
}
ACTION_REFUSALS: dict[int | str, dict[str, Any]] = {
    **REFUSALS,
    409: {"description": "Not allowed in the item's state: the message names the allowed actions."},
    422: {"description": "Invalid input; `field` names it."},
}
ProposalNumber = Annotated[
    str,
    Path(
        max_length=40,
        description="The proposal's number.",
        examples=["USL-11.12.01.2006-2026-000123"],
    ),
]
ProposalState = Literal[
    "submitted", "assigned", "verified", "approved", "applied", "rejected", "withdrawn"
]
VillageQuery = Annotated[
    str | None,
    Query(
        max_length=20,
        description="Only this village (in your regions).",
        examples=["11.12.01.2006"],
    ),
]
_NEW_FAMILY = {
    "kind": "new_family",
    "village": "11.12.01.2006",
    "kk_number": "1112011501200009",
    "address": "Dusun Mawar RT 001 RW 002",
    "attributes": {"floor_material": 8, "wall_material": 6, "has_fridge": False},
    "members": [
        {
            "full_name": "Rahmat Hidayat",
            "nik": "1112010507850003",
            "sex": "M",
            "birth_date": "1985-07-05",
            "relationship_code": 1,
        }
    ],
    "minutes": {"number": "140/12/MUSDES/2026", "date": "2026-11-20"},
}


@router.post(
    "/proposals", status_code=201, summary="Submit a proposal (usulan)", responses=ACTION_REFUSALS
)
def create_proposal(
    data: Annotated[ProposalIn, Body(openapi_examples={"new family": {"value": _NEW_FAMILY}})],
    db: DbSession,
    caller: Caller,
    settings: AppSettings,
) -> ProposalOut:
    """A village operator proposes, for its village, a new family (`new_family`), a data update
    of a registered household (`update`) or a removal (`removal`: deceased, moved, no longer
    eligible), each with the musdes/muskel minutes (number and date). The proposal starts as
    `submitted` and gets a number to follow it by."""
    return proposals.create(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        data=data,
        days=settings.proposal_days,
    )


def page_of(rows: list[Any], total: int, paging: Any) -> Page[Any]:
    return Page(items=rows, total=total, page=paging.page, size=paging.size)


@router.get("/proposals", summary="List proposals", responses=REFUSALS)
def list_proposals(
    db: DbSession,
    caller: Caller,
    paging: Pagination,
    state: ProposalState | None = None,
    village: VillageQuery = None,
    kind: Literal["new_family", "update", "removal"] | None = None,
    channel: Literal["operator", "citizen"] | None = None,
) -> Page[ProposalSummary]:
    """Proposals in your regions by state, village, kind and channel, oldest first, with their
    age and deadline (`age_days`, `days_in_state`, `due_on`, `overdue`, `days_overdue`).
    Facilitators see the proposals assigned to them."""
    rows, total = proposals.search(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        state=state,
        village=village,
        kind=kind,
        channel=channel,
        offset=paging.offset,
        limit=paging.size,
    )
    return page_of(proposals.summaries(rows), total, paging)


@router.get("/proposals/tasks", summary="My ground-check tasks (facilitator)", responses=REFUSALS)
def proposal_tasks(db: DbSession, caller: Caller, paging: Pagination) -> Page[ProposalOut]:
    """The proposals assigned to you and waiting for your ground check, with their data."""
    rows, total = proposals.search(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        state="assigned",
        mine=True,
        offset=paging.offset,
        limit=paging.size,
    )
    return page_of(proposals.to_out(db, caller.principal, rows), total, paging)


@router.get("/proposals/queue", summary="The approval queue (district office)", responses=REFUSALS)
def proposal_queue(
    db: DbSession, caller: Caller, paging: Pagination, village: VillageQuery = None
) -> Page[ProposalOut]:
    """Verified proposals waiting for approval or rejection, with the verification evidence
    (answers, photos, GPS, verdict, differences from the claimed data)."""
    rows, total = proposals.search(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        state="verified",
        village=village,
        offset=paging.offset,
        limit=paging.size,
    )
    return page_of(proposals.to_out(db, caller.principal, rows), total, paging)


@router.get("/proposals/{number}", summary="Read a proposal and its history", responses=REFUSALS)
def get_proposal(number: ProposalNumber, db: DbSession, caller: Caller) -> ProposalOut:
    """One proposal: its data, evidence, decision, the actions you may take, and every
    transition (who, when, note)."""
    return proposals.get(db=db, principal=caller.principal, purpose=caller.purpose, number=number)


@router.post(
    "/proposals/{number}/assign", summary="Assign a facilitator", responses=ACTION_REFUSALS
)
def assign_proposal(
    number: ProposalNumber, body: AssignIn, db: DbSession, caller: Caller
) -> ProposalOut:
    """The district office assigns a facilitator who holds the village; without `facilitator`
    the system picks the one with the fewest open tasks."""
    return decisions.assign(
        db=db, principal=caller.principal, purpose=caller.purpose, number=number, body=body
    )


@router.post(
    "/proposals/{number}/verify", summary="Record the ground check", responses=ACTION_REFUSALS
)
def verify_proposal(
    number: ProposalNumber, body: GroundCheckIn, db: DbSession, caller: Caller
) -> ProposalOut:
    """The assigned facilitator records the ground-check form (see
    `GET /api/v1/workflow/ground-check-form`), photo metadata, the visit's GPS and a verdict."""
    return decisions.verify(
        db=db, principal=caller.principal, purpose=caller.purpose, number=number, body=body
    )


@router.post("/proposals/{number}/approve", summary="Approve and apply", responses=ACTION_REFUSALS)
def approve_proposal(
    number: ProposalNumber, body: DecisionIn, db: DbSession, caller: Caller
) -> ProposalOut:
    """The district office approves a verified (confirmed) proposal: the change enters the
    registry at once as a registry event with provenance `field_verification`, and the household
    is flagged for the next cycle. The proposal ends `applied`."""
    return decisions.approve(
        db=db, principal=caller.principal, purpose=caller.purpose, number=number, body=body
    )


@router.post("/proposals/{number}/reject", summary="Reject", responses=ACTION_REFUSALS)
def reject_proposal(
    number: ProposalNumber, body: DecisionIn, db: DbSession, caller: Caller
) -> ProposalOut:
    """The district office rejects a verified proposal, with the reason."""
    return decisions.reject(
        db=db, principal=caller.principal, purpose=caller.purpose, number=number, body=body
    )


@router.post("/proposals/{number}/withdraw", summary="Withdraw", responses=ACTION_REFUSALS)
def withdraw_proposal(
    number: ProposalNumber, body: NoteIn, db: DbSession, caller: Caller
) -> ProposalOut:
    """The village office withdraws a proposal that is not verified yet."""
    return decisions.withdraw(
        db=db, principal=caller.principal, purpose=caller.purpose, number=number, body=body
    )


@router.get(
    "/workflow/ground-check-form", summary="The ground-check form", responses={401: REFUSALS[401]}
)
def ground_check_form(caller: Caller) -> list[dict[str, Any]]:
    """The 39 questions of the ground check: id, block, text, answer kind and range."""
    return ground_check.form()


@router.get("/workflow/summary", summary="Counts by state and age", responses=REFUSALS)
def workflow_summary(db: DbSession, caller: Caller, village: VillageQuery = None) -> SummaryOut:
    """Proposals, objections and appeals in your regions counted by state, age (days since
    submission: 0-7, 8-30, 31-90, 91+) and overdue, for dashboards."""
    return summary.summarise(
        db=db, principal=caller.principal, purpose=caller.purpose, village=village
    )
