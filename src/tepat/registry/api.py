"""JSON routes of registry reads: households and people, limited to the caller's regions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from tepat.registry import service
from tepat.registry.schemas import HouseholdDetail, HouseholdSummary, PersonDetail
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
def get_household(household_id: HouseholdId, db: DbSession, caller: Caller) -> HouseholdDetail:
    """A household with its current members, Regsosek attributes and where its data came from."""
    return service.household_detail(
        db=db, principal=caller.principal, purpose=caller.purpose, household_id=household_id
    )


@router.get("/people/{person_id}", summary="Read a person", responses=_REFUSALS)
def get_person(person_id: PersonId, db: DbSession, caller: Caller) -> PersonDetail:
    """A person with their current (or last) household and Regsosek block IV attributes."""
    return service.person_detail(
        db=db, principal=caller.principal, purpose=caller.purpose, person_id=person_id
    )
