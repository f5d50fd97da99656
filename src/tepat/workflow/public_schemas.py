"""API input and output of the public (citizen) endpoints: minimal disclosure only.

No output here carries a NIK, a KK number or another person's full name.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import model_validator as after

from tepat.registry.event_schemas import Id, Name, Reason
from tepat.workflow.models import OBJECTION_REASONS
from tepat.workflow.rules import point_problem
from tepat.workflow.schemas import KkStr, NewFamilyData, NikStr, Photo, UpdateData

MAX_OBJECTION_PHOTOS = 5
ObjectionReason = Literal[
    "well_off",
    "deceased",
    "moved",
    "unknown_at_address",
    "excluded_occupation",
    "duplicate",
    "other",
]
assert set(ObjectionReason.__args__) == set(OBJECTION_REASONS)  # type: ignore[attr-defined]


class Identity(BaseModel):
    """Who asks: a NIK and the name as on the KTP/KK (both must match the registry)."""

    model_config = ConfigDict(extra="forbid")

    nik: NikStr = Field(examples=["1112014505900001"])
    name: Name = Field(examples=["Siti Aminah"])


class StatusIn(Identity):
    """A status check."""


class PublicProposal(BaseModel):
    """A pending proposal about the family: its number and state, nothing else."""

    number: str
    kind: str
    state: str
    submitted_on: date


class PublicNotice(BaseModel):
    """A notice of loss for the family and its appeal."""

    id: int
    program: str
    reason: str
    appeal_until: date
    appeal_open: bool
    appeal_number: str | None
    appeal_state: str | None


class StatusOut(BaseModel):
    """Registered or not; if registered, the desil band and programs of the current release."""

    registered: bool
    village_code: str | None = None
    release_id: str | None = None
    desil_band: str | None = Field(default=None, examples=["desil 1-4"])
    programs: list[str] = Field(default_factory=list, examples=[["PKH", "BPNT"]])
    proposals: list[PublicProposal] = Field(default_factory=list)
    notices: list[PublicNotice] = Field(default_factory=list)
    message: str


class CitizenUpdate(UpdateData):
    """Changed household items of the citizen's own family (member changes go via the village)."""

    @after(mode="after")
    def _household_only(self) -> CitizenUpdate:
        if self.person_changes:
            raise ValueError(
                "citizens propose changes of household items; changes of members go through "
                "the village office"
            )
        return self


class CitizenProposalIn(Identity):
    """A citizen's own proposal (usul): a new family including them, or an update of theirs."""

    proposal: Annotated[NewFamilyData | CitizenUpdate, Field(discriminator="kind")]


class PublicProposalOut(BaseModel):
    """The number to follow a proposal with."""

    number: str
    kind: str
    state: str
    submitted_on: date
    message: str


class ObjectionIn(Identity):
    """An objection (sanggah) against a listed recipient of the objector's own village."""

    household_id: Id | None = Field(default=None, description="From GET /api/v1/public/recipients.")
    kk_number: KkStr | None = Field(default=None, description="Or the recipient's KK number.")
    reason_code: ObjectionReason
    reason_text: Reason
    photos: list[Photo] = Field(min_length=1, max_length=MAX_OBJECTION_PHOTOS)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)

    @after(mode="after")
    def _one_target(self) -> ObjectionIn:
        if (self.household_id is None) == (self.kk_number is None):
            raise ValueError("give either household_id or kk_number of the recipient")
        problem = point_problem(self.latitude, self.longitude)
        if problem:
            raise ValueError(f"GPS {problem}")
        return self


class PublicObjectionOut(BaseModel):
    """An objection as its objector may follow it."""

    number: str
    state: str
    filed_on: date
    deadline: date
    overdue: bool
    days_overdue: int
    outcome: str | None = Field(description="upheld or dismissed, once resolved.")
    message: str


class Recipient(BaseModel):
    """A listed recipient household, its head's name masked as Cek Bansos shows it."""

    household_id: int
    name: str = Field(examples=["SI*** AM***"])
    programs: list[str]


class RecipientsOut(BaseModel):
    """The recipients of the current release in the caller's own village."""

    village_code: str
    village_name: str | None
    release_id: str | None
    items: list[Recipient]
    total: int
    page: int
    size: int


class PublicAppealIn(Identity):
    """A family member's appeal against a notice."""

    reason: Reason


class PublicAppealOut(BaseModel):
    """The number to follow an appeal with."""

    number: str
    state: str
    message: str
