"""The citizens' endpoints (``/api/v1/public/...``): no token, rate-limited per client IP.

They live in the workflow package (not a separate ``citizen`` package) because every one of
them starts or follows a workflow item. The limiter is in-process (``ratelimit``): see there
for multi-worker deployments. :func:`install` registers the 429 handler on the app.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse

from tepat.config import Settings
from tepat.web.deps import AppSettings, DbSession, PublicCaller
from tepat.web.errors import error_body
from tepat.web.pagination import Pagination
from tepat.workflow import citizen, citizen_objections
from tepat.workflow.public_schemas import (
    CitizenProposalIn,
    Identity,
    ObjectionIn,
    PublicAppealIn,
    PublicAppealOut,
    PublicObjectionOut,
    PublicProposalOut,
    RecipientsOut,
    StatusIn,
    StatusOut,
)
from tepat.workflow.ratelimit import RateLimited, RateLimiter
from tepat.workflow.schemas import NikStr

_LOCK = threading.Lock()


async def limit_public(request: Request, settings: AppSettings) -> None:
    """The dependency of every public route: :func:`count_public` (async: no thread hop)."""
    count_public(request, settings)


def count_public(request: Request, settings: Settings) -> None:
    """Count the request against its client IP's budget (429 with Retry-After when over)."""
    state = request.app.state
    with _LOCK:
        limiter: RateLimiter | None = getattr(state, "public_limiter", None)
        if limiter is None or limiter.limit != settings.status_check_rate_per_minute:
            limiter = state.public_limiter = RateLimiter(settings.status_check_rate_per_minute)
    limiter.check(request.client.host if request.client else "unknown", "public")


router = APIRouter(prefix="/public", tags=["public"], dependencies=[Depends(limit_public)])

PUBLIC_REFUSALS: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input; `field` names it."},
    429: {
        "description": "Too many requests from your address: wait `Retry-After` seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No registered family member matches the NIK and name."}
}
_ID = {"nik": "1112014505900001", "name": "Siti Aminah"}


@router.post("/status", summary="Check my registration (Cek Bansos)", responses=PUBLIC_REFUSALS)
def check_status(body: StatusIn, db: DbSession, caller: PublicCaller) -> StatusOut:
    """With your NIK and name as on the KTP/KK: whether your family is registered and, if so,
    its desil band in the current release (e.g. "desil 1-4"), the programs it receives, pending
    proposals about it (number and state) and notices of loss with their appeal window. A
    wrong name is answered exactly like an unknown NIK."""
    return citizen.status(
        db=db, principal=caller.principal, purpose=caller.purpose, nik=body.nik, name=body.name
    )


@router.post(
    "/proposals",
    status_code=201,
    summary="Propose my family (usul)",
    responses={**PUBLIC_REFUSALS, **_NOT_FOUND, 409: {"description": "Already registered."}},
)
def propose(
    body: CitizenProposalIn, db: DbSession, caller: PublicCaller, settings: AppSettings
) -> PublicProposalOut:
    """Your own family's data: a new family that includes you (`new_family`), or changed
    household items of your registered family (`update`). It starts as `submitted` (channel
    `citizen`) and is verified like the village office's proposals."""
    return citizen.propose(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        body=body,
        days=settings.proposal_days,
    )


@router.get(
    "/recipients",
    summary="Recipients in my village",
    responses={**PUBLIC_REFUSALS, **_NOT_FOUND},
)
def list_recipients(
    nik: Annotated[NikStr, Query(description="Your NIK.", examples=[_ID["nik"]])],
    name: Annotated[str, Query(min_length=1, max_length=120, description="Your name.")],
    db: DbSession,
    caller: PublicCaller,
    paging: Pagination,
) -> RecipientsOut:
    """The households of your own village that receive a program in the current release,
    with the head's name masked as Cek Bansos shows it (`SI*** AM***`), their household id
    (to object with) and programs."""
    return citizen_objections.recipients(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        nik=nik,
        name=name,
        offset=paging.offset,
        limit=paging.size,
    )


@router.post(
    "/objections",
    status_code=201,
    summary="Object to a recipient (sanggah)",
    responses={
        **PUBLIC_REFUSALS,
        **_NOT_FOUND,
        403: {"description": "Not a listed recipient of your own village."},
        409: {"description": "You already object to this recipient."},
    },
)
def file_objection(
    body: ObjectionIn, db: DbSession, caller: PublicCaller, settings: AppSettings
) -> PublicObjectionOut:
    """A resident objects to a listed recipient of the same village (household id from the
    recipient list, or the KK number), with a reason, photo metadata and GPS. The region
    verifies it within `objection_days` (14)."""
    return citizen_objections.file_objection(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        body=body,
        days=settings.objection_days,
    )


@router.post(
    "/objections/{number}/status",
    summary="Follow my objection",
    responses={**PUBLIC_REFUSALS, 404: {"description": "No such objection of yours."}},
)
def objection_status(
    number: Annotated[str, Path(max_length=40, examples=["SGH-11.12.01.2006-2026-000045"])],
    body: Identity,
    db: DbSession,
    caller: PublicCaller,
) -> PublicObjectionOut:
    """The objector (NIK and name) sees its objection's state, deadline and outcome."""
    return citizen_objections.objection_status(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        number=number,
        nik=body.nik,
        name=body.name,
    )


@router.post(
    "/notices/{notice_id}/appeal",
    status_code=201,
    summary="Appeal a notice of loss",
    responses={**PUBLIC_REFUSALS, 404: {"description": "No such notice for your family."}},
)
def appeal_notice(
    notice_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    body: PublicAppealIn,
    db: DbSession,
    caller: PublicCaller,
    settings: AppSettings,
) -> PublicAppealOut:
    """A member of the family appeals a notice of loss within its window."""
    return citizen.appeal(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        notice_id=notice_id,
        body=body,
        days=settings.proposal_days,
    )


async def _rate_limited(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    return JSONResponse(
        error_body(exc.code, exc.message),
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
    )


def install(app: FastAPI) -> None:
    """Register the 429 answer of :class:`RateLimited` on ``app``."""
    app.add_exception_handler(RateLimited, _rate_limited)
