"""API input of the staff workflow: proposals, verification, decisions, appeals.

Inputs are validated as typed (NIK and KK rules, dates, Regsosek codes, GPS, list sizes), so a
bad value is a 422 naming the field before anything is written. Outputs are in ``outputs``;
public (citizen) schemas in ``public_schemas``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic import model_validator as after
from sqlalchemy import Table

from tepat.reference.kk import InvalidKk, parse_kk
from tepat.reference.nik import InvalidNik, parse_nik
from tepat.registry.event_schemas import (
    ECONOMIC_HOUSEHOLD,
    ECONOMIC_PERSON,
    UPDATE_HOUSEHOLD,
    UPDATE_PERSON,
    Address,
    AnyCode,
    Clean,
    Day,
    Id,
    Name,
    PersonChange,
    Reason,
    RtRw,
    Sex,
    Village,
    check_changes,
)
from tepat.registry.models import Household, Person
from tepat.workflow import ground_check
from tepat.workflow.rules import point_problem

_HOUSEHOLDS: Table = Household.__table__  # type: ignore[assignment]
_PEOPLE: Table = Person.__table__  # type: ignore[assignment]
MAX_GC_PHOTOS = 10
MAX_MEMBERS = 30


def _nik(value: str) -> str:
    try:
        return parse_nik(value).nik
    except InvalidNik as exc:
        raise ValueError(exc.message) from None


def _kk(value: str) -> str:
    try:
        return parse_kk(value).kk
    except InvalidKk as exc:
        raise ValueError(exc.message) from None


def _not_future(value: date) -> date:
    if value > date.today():
        raise ValueError(f"{value} is in the future")
    return value


NikStr = Annotated[str, StringConstraints(max_length=40), AfterValidator(_nik)]
KkStr = Annotated[str, StringConstraints(max_length=40), AfterValidator(_kk)]
PastDay = Annotated[Day, AfterValidator(_not_future)]
Note = Annotated[Clean, StringConstraints(strip_whitespace=True, max_length=1000)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Minutes(_In):
    """The signed minutes (berita acara) of the village deliberation (musdes/muskel)."""

    number: Annotated[Clean, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    date: PastDay


class Photo(_In):
    """A photo's metadata (the file itself is kept by the field app)."""

    file_name: Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=r"^[^/\\]+$")]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
    taken_at: datetime
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)

    @after(mode="after")
    def _valid(self) -> Photo:
        self.sha256 = self.sha256.lower()
        problem = point_problem(self.latitude, self.longitude)
        if problem:
            raise ValueError(f"photo GPS {problem}")
        taken = self.taken_at if self.taken_at.tzinfo else self.taken_at.replace(tzinfo=UTC)
        if taken > datetime.now(UTC) + timedelta(minutes=10):
            raise ValueError("taken_at is in the future")
        return self


class Visit(_In):
    """Where and when the facilitator visited."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    visited_on: PastDay

    @after(mode="after")
    def _in_indonesia(self) -> Visit:
        problem = point_problem(self.latitude, self.longitude)
        if problem:
            raise ValueError(f"visit GPS {problem}")
        return self


class MemberCheck(_In):
    """The block IV checks of one member: ``person_id`` (a registered member) or ``line``."""

    person_id: Id | None = None
    line: int | None = Field(default=None, ge=1, le=MAX_MEMBERS, description="1-based, new family")
    answers: dict[str, bool | int | None]

    @field_validator("answers")
    @classmethod
    def _answers(cls, value: dict[str, Any]) -> dict[str, Any]:
        return ground_check.check_member(value)

    @after(mode="after")
    def _valid(self) -> MemberCheck:
        if (self.person_id is None) == (self.line is None):
            raise ValueError("give either person_id or line (new family)")
        return self


class GroundCheckIn(_In):
    """The facilitator's ground check: the form's answers, photos, GPS and a verdict."""

    answers: dict[str, bool | int | None] = Field(
        description="Blocks I, III and V by question id (GET /api/v1/workflow/ground-check-form)."
    )
    members: list[MemberCheck] = Field(default_factory=list, max_length=MAX_MEMBERS)
    photos: list[Photo] = Field(min_length=1, max_length=MAX_GC_PHOTOS)
    visit: Visit
    verdict: Literal["confirmed", "not_confirmed", "not_found"]
    notes: Note | None = None

    @field_validator("answers")
    @classmethod
    def _answers(cls, value: dict[str, Any]) -> dict[str, Any]:
        return ground_check.check_answers(value)


class ProposedMember(_In):
    """A member of a proposed new family."""

    full_name: Name
    nik: NikStr
    sex: Sex
    birth_date: PastDay
    relationship_code: AnyCode
    marital_status: int | None = Field(default=None, ge=1, le=4)
    mother_name: Name | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, description="Block IV items.")

    @after(mode="after")
    def _valid(self) -> ProposedMember:
        info = parse_nik(self.nik, recorded_birth_date=self.birth_date, recorded_sex=self.sex)
        for warning in info.warnings:
            if warning.code in ("nik_birth_date_mismatch", "nik_sex_mismatch"):
                raise ValueError(warning.message)
        return self

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_changes(_PEOPLE, value, ECONOMIC_PERSON, "attributes")


class NewFamilyData(_In):
    """A family not yet in the registry, with its members and Regsosek attributes."""

    kind: Literal["new_family"]
    village: Village = Field(examples=["11.12.01.2006"])
    kk_number: KkStr
    address: Address | None = None
    rt: RtRw | None = None
    rw: RtRw | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, description="Blocks III and V.")
    members: list[ProposedMember] = Field(min_length=1, max_length=MAX_MEMBERS)

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[ProposedMember]) -> list[ProposedMember]:
        if sum(m.relationship_code == 1 for m in value) != 1:
            raise ValueError("exactly one member must have relationship_code 1 (the head)")
        niks = [m.nik for m in value]
        if len(niks) != len(set(niks)):
            raise ValueError("a NIK is listed twice")
        return value

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_changes(_HOUSEHOLDS, value, ECONOMIC_HOUSEHOLD, "attributes")

    def head(self) -> ProposedMember:
        """The member with relationship code 1."""
        return next(m for m in self.members if m.relationship_code == 1)


class UpdateData(_In):
    """Changed attributes of a registered household (and of its members), with the reason."""

    kind: Literal["update"]
    household_changes: dict[str, Any] = Field(default_factory=dict)
    person_changes: list[PersonChange] = Field(default_factory=list, max_length=MAX_MEMBERS)
    reason: Reason

    @field_validator("household_changes")
    @classmethod
    def _household(cls, value: dict[str, Any]) -> dict[str, Any]:
        value = check_changes(_HOUSEHOLDS, value, UPDATE_HOUSEHOLD, "household_changes")
        if value.get("kk_number") is not None:
            value["kk_number"] = _kk(value["kk_number"])
        return value

    @field_validator("person_changes")
    @classmethod
    def _people(cls, value: list[PersonChange]) -> list[PersonChange]:
        for change in value:
            change.changes = check_changes(_PEOPLE, change.changes, UPDATE_PERSON, "changes")
            if change.changes.get("nik") is not None:
                change.changes["nik"] = _nik(change.changes["nik"])
        ids = [c.person_id for c in value]
        if len(ids) != len(set(ids)):
            raise ValueError("person_changes lists a person twice")
        return value

    @after(mode="after")
    def _valid(self) -> UpdateData:
        if not self.household_changes and not self.person_changes:
            raise ValueError("nothing to change: give household_changes or person_changes")
        return self


class RemovalData(_In):
    """A household (or one member: ``person_id``) to take off the registry or the programs."""

    kind: Literal["removal"]
    removal_reason: Literal["deceased", "moved", "not_eligible"]
    person_id: Id | None = Field(default=None, description="Only this member.")
    died_on: PastDay | None = Field(default=None, description="For a deceased member.")
    reason: Reason

    @after(mode="after")
    def _valid(self) -> RemovalData:
        if self.removal_reason == "deceased" and self.person_id is not None and not self.died_on:
            raise ValueError("died_on is required for a deceased member")
        if self.removal_reason == "not_eligible" and self.person_id is not None:
            raise ValueError("not_eligible applies to the whole household (omit person_id)")
        return self


class NewFamilyIn(NewFamilyData):
    """A new family proposed by the village office."""

    minutes: Minutes
    note: Note | None = None


class UpdateIn(UpdateData):
    """A data update proposed by the village office."""

    household_id: Id
    minutes: Minutes
    note: Note | None = None


class RemovalIn(RemovalData):
    """A removal proposed by the village office."""

    household_id: Id
    minutes: Minutes
    note: Note | None = None


ProposalIn = Annotated[NewFamilyIn | UpdateIn | RemovalIn, Field(discriminator="kind")]


class AssignIn(_In):
    """Whom to assign; without ``facilitator`` the system picks the least busy one."""

    facilitator: Username | None = None
    note: Note | None = None


class NoteIn(_In):
    """An optional note for the history."""

    note: Note | None = None


class DecisionIn(_In):
    """A decision's reason (kept in the history and shown to the proposer)."""

    reason: Reason


class AppealIn(_In):
    """Why the family disagrees with the notice."""

    reason: Reason
