"""API output of the registry reads. NIK and KK fields are already masked where the caller may
not see them (see ``Principal.nik`` / ``Principal.kk``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from tepat.web.types import UtcDateTime

_NIK = "NIK, full or masked (`3201********0001`) depending on your role."
_KK = "No. KK, full or masked depending on your role."


class HouseholdSummary(BaseModel):
    """One household in a list."""

    id: int = Field(examples=[42])
    kk_number: str | None = Field(description=_KK, examples=["1112********0003"])
    village_code: str = Field(examples=["11.12.01.2001"])
    village_name: str | None = Field(examples=["Keude Siblah"])
    address: str | None = Field(examples=["RT 001 RW 002 NO. 17"])
    head_name: str | None = Field(description="Name of the current head (open membership).")
    members: int = Field(description="People with an open membership.", examples=[4])
    status: str = Field(examples=["active"])


class Member(BaseModel):
    """A person with an open membership of the household."""

    person_id: int
    full_name: str
    nik: str | None = Field(description=_NIK)
    sex: str = Field(examples=["F"])
    birth_date: date | None
    status: str = Field(examples=["alive"])
    role: str = Field(examples=["head"])
    relationship_code: int = Field(description="r409: 1 head, 2 spouse, 3 child, ...")
    line_number: int | None
    since: date | None


class SourceSummary(BaseModel):
    """Which source supplied which fields of the record (current provenance)."""

    source: str = Field(examples=["regsosek"])
    records: int = Field(description="Source records that supplied fields.")
    fields: list[str]
    observed_on: date | None = Field(description="Latest observation date among them.")


class HouseholdDetail(BaseModel):
    """A household: place, status, Regsosek attributes, members and provenance."""

    id: int
    kk_number: str | None = Field(description=_KK)
    province_code: str
    regency_code: str
    district_code: str
    village_code: str
    village_name: str | None
    address: str | None
    rt: str | None
    rw: str | None
    urban: bool | None
    status: str
    formed_on: date | None
    dissolved_on: date | None
    attributes: dict[str, Any] = Field(
        description="Regsosek blocks III and V (codes as in docs/DATA-MODEL.md)."
    )
    members: list[Member]
    provenance: list[SourceSummary]
    version: int = Field(description="Optimistic-locking version: send it back when editing.")


class Residence(BaseModel):
    """The household a person belongs to now (or last belonged to)."""

    household_id: int
    village_code: str
    role: str
    relationship_code: int
    since: date | None
    until: date | None = Field(description="Set when the membership has ended.")


class PersonDetail(BaseModel):
    """A person: identity, Regsosek block IV attributes, household and provenance."""

    id: int
    nik: str | None = Field(description=_NIK)
    full_name: str
    sex: str
    birth_date: date | None
    birth_place: str | None
    mother_name: str | None = Field(description="Hidden (null) for roles without identity access.")
    status: str
    died_on: date | None
    attributes: dict[str, Any] = Field(description="Regsosek block IV items.")
    household: Residence | None
    provenance: list[SourceSummary]
    version: int


class HouseholdAsOf(HouseholdDetail):
    """A household as it was on a date: attributes of the version in effect, members then.

    ``version`` is the version in effect on that date; ``provenance`` is left empty (read the
    household without ``as_of`` for the current sources).
    """

    as_of: date
    valid_from: date | None = Field(description="Start of the version shown (null: first known).")
    valid_to: date | None = Field(description="End of the version shown (null: still valid).")
    event_id: str | None = Field(description="The event that made this version (null: none).")


class HistoryEvent(BaseModel):
    """The event that made a version."""

    event_id: str
    type: str
    effective_date: date
    source: str
    actor: str
    recorded_at: UtcDateTime
    reason: str | None


class HistoryEntry(BaseModel):
    """One version of the household, in the order they were recorded."""

    version: int
    valid_from: date | None = Field(description="Effective date it holds from (null: first known).")
    valid_to: date | None = Field(description="Effective date it ends (null: still valid).")
    recorded_at: UtcDateTime
    event: HistoryEvent | None = Field(description="Null for the state before the first event.")
    changed_fields: list[str]
    changes: dict[str, Any] = Field(
        description="The values the event set (all of them for a household it created; empty for "
        "the state before the first event). NIK/KK masked for some roles."
    )
    member_changes: list[dict[str, Any]] = Field(
        description="People who joined or left, and heads named: `{person_id, change, ...}`."
    )


class MembershipPeriod(BaseModel):
    """A period a person spent in the household in one role."""

    person_id: int
    full_name: str
    role: str
    relationship_code: int
    start_date: date | None
    end_date: date | None
    end_reason: str | None


class HouseholdHistory(BaseModel):
    """The timeline of a household: every version with its event, and every membership."""

    household_id: int
    version: int = Field(description="The current version.")
    entries: list[HistoryEntry]
    memberships: list[MembershipPeriod]


class EntityVersion(BaseModel):
    """A household or person the event created or changed, and its version afterwards."""

    id: int
    version: int
    created: bool = False


class NewHead(BaseModel):
    """A head named or chosen because the previous one died or left."""

    household_id: int
    person_id: int
    rule: Literal["named", "eldest_adult"]


class Handover(BaseModel):
    """A household or person handed over to a region the actor does not hold."""

    from_region: str | None
    to_region: str


class EventResult(BaseModel):
    """What applying an event did. A replay of the same event returns it again."""

    event_id: str
    type: str
    effective_date: date
    applied_at: UtcDateTime
    source: str
    duplicate: bool = Field(default=False, description="True when this is a replay.")
    household_id: int | None = Field(description="The household the event is about.")
    household_version: int | None = Field(description="Its version after the event.")
    households: list[EntityVersion]
    people: list[EntityVersion]
    new_heads: list[NewHead] = Field(default_factory=list)
    dissolved: list[int] = Field(default_factory=list, description="Households left empty.")
    handover: Handover | None = None
    needs_reranking: bool = False


class EventRecord(BaseModel):
    """A recorded event: who sent it, what it said, what it did."""

    event_id: str
    type: str
    effective_date: date
    source: str
    actor: str
    role: str
    recorded_at: UtcDateTime
    region_code: str | None
    to_region_code: str | None
    payload: dict[str, Any] = Field(description="As sent (NIK/KK masked for some roles).")
    result: EventResult


class RejectedLine(BaseModel):
    """A line of a batch that was not applied, and why."""

    line: int
    event_id: str | None
    code: str
    reason: str


class BatchSummary(BaseModel):
    """What a batch did: lines received, applied, already applied, and rejected."""

    received: int
    applied: int
    duplicates: int
    rejected: list[RejectedLine]
