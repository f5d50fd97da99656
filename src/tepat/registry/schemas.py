"""API output of the registry reads. NIK and KK fields are already masked where the caller may
not see them (see ``Principal.nik`` / ``Principal.kk``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

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
