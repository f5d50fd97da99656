"""JSON routes of registry reads: households and people, limited to the caller's regions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from tepat.registry import history, service
from tepat.registry.events_api import router as events_router
from tepat.registry.schemas import (
    HouseholdAsOf,
    HouseholdDetail,
    HouseholdHistory,
    HouseholdSummary,
    PersonDetail,
)
from tepat.web.deps import Caller, DbSession
from tepat.web.pagination import Page, Pagination

router = APIRouter(tags=["registry"])

MAX_ID = 2**63 - 1
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the token is expired or revoked."},
    404: {"description": "No such record in your regions."},
}

HouseholdId = Annotated[int, Path(ge=1, le=MAX_ID, description="Household id.", examples=[42])]
PersonId = Annotated[int, Path(ge=1, le=MAX_ID, description="Person id.", examples=[101])]


@router.get(
    "/households",
    summary="Search households",
    responses={
        401: _REFUSALS[401],
        403: {"description": "The village is outside your regions, or NIK search not allowed."},
        422: {"description": "A malformed village code, query or page."},
    },
)
def list_households(
    db: DbSession,
    caller: Caller,
    paging: Pagination,
    village: Annotated[
        str | None,
        Query(
            max_length=20,
            description="Only this village (PP.KK.CC.DDDD); it must be in your regions.",
            examples=["11.12.01.2001"],
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="A name (part of a current member's name, 2+ characters) or a 16-digit "
            "NIK / KK number (exact).",
            examples=["siti"],
        ),
    ] = None,
) -> Page[HouseholdSummary]:
    """Households in your regions, by id; the total counts only what you may see."""
    items, total = service.search_households(
        db=db,
        principal=caller.principal,
        purpose=caller.purpose,
        village=village,
        q=q,
        offset=paging.offset,
        limit=paging.size,
    )
    return Page(items=items, total=total, page=paging.page, size=paging.size)


@router.get("/households/{household_id}", summary="Read a household", responses=_REFUSALS)
def get_household(
    household_id: HouseholdId,
    db: DbSession,
    caller: Caller,
    as_of: Annotated[
        date | None,
        Query(
            description="Show the household as it was on this date (YYYY-MM-DD): the attributes "
            "then and the members then. Same as /households/{id}/as-of/{date}.",
            examples=["2025-01-31"],
        ),
    ] = None,
) -> HouseholdDetail | HouseholdAsOf:
    """A household with its current members, Regsosek attributes and where its data came from."""
    if as_of is not None:
        return history.household_as_of(
            db=db,
            principal=caller.principal,
            purpose=caller.purpose,
            household_id=household_id,
            on=as_of,
        )
    return service.household_detail(
        db=db, principal=caller.principal, purpose=caller.purpose, household_id=household_id
    )


@router.get(
    "/households/{household_id}/as-of/{on}",
    summary="Read a household as it was on a date",
    responses={**_REFUSALS, 404: {"description": "Not in your regions, or not formed yet then."}},
)
def get_household_as_of(
    household_id: HouseholdId,
    on: Annotated[date, Path(description="The date (YYYY-MM-DD).", examples=["2025-01-31"])],
    db: DbSession,
    caller: Caller,
) -> HouseholdAsOf:
    """The household's attributes and members in effect on that date (effective dates of the
    events, not when they were recorded)."""
    return history.household_as_of(
        db=db, principal=caller.principal, purpose=caller.purpose, household_id=household_id, on=on
    )


@router.get(
    "/households/{household_id}/history",
    summary="The timeline of a household",
    responses=_REFUSALS,
)
def get_household_history(
    household_id: HouseholdId, db: DbSession, caller: Caller
) -> HouseholdHistory:
    """Every version of the household (from the state before the first event) with the event
    that made it, and every membership period of its members."""
    return history.household_history(
        db=db, principal=caller.principal, purpose=caller.purpose, household_id=household_id
    )


@router.get("/people/{person_id}", summary="Read a person", responses=_REFUSALS)
def get_person(person_id: PersonId, db: DbSession, caller: Caller) -> PersonDetail:
    """A person with their current (or last) household and Regsosek block IV attributes."""
    return service.person_detail(
        db=db, principal=caller.principal, purpose=caller.purpose, person_id=person_id
    )


router.include_router(events_router)
