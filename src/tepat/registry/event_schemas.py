"""API input of registry events: one pydantic model per event type, discriminated by ``type``.
See docs/EVENTS.md for what each type does; the outputs are in ``registry.schemas``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Annotated, Any, Literal, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)
from sqlalchemy import Boolean, Float, SmallInteger, String, Table, Text

from tepat.registry.fields import HOUSEHOLD_ITEMS, PERSON_ITEMS
from tepat.registry.models import Household, Person
from tepat.synth.codes import OCCUPATION_GROUPS

MAX_ID = 2**63 - 1
_HOUSEHOLDS = cast(Table, Household.__table__)
_PEOPLE = cast(Table, Person.__table__)
EARLIEST = date(1900, 1, 1)


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL in text, and control characters have no place in a register.
    if any(ord(c) < 32 and c not in "\t\n" for c in value):
        raise ValueError("must not contain control characters")
    return value


_PRINTABLE = AfterValidator(_printable)
Clean = Annotated[str, _PRINTABLE]  # text without control characters (used by other schemas)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
EventId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@/-]*$"),
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), _PRINTABLE
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500), _PRINTABLE
]
Number = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), _PRINTABLE
]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), _PRINTABLE]
RtRw = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,3}$")]
Village = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), _PRINTABLE
]
Day = Annotated[date, Field(ge=EARLIEST, le=date(2999, 12, 31))]
Sex = Literal["M", "F"]
MemberCode = Annotated[int, Field(ge=2, le=8, description="r409: 2 spouse, 3 child .. 8 other")]
AnyCode = Annotated[int, Field(ge=1, le=8, description="r409: 1 head, 2 spouse, 3 child, ...")]

# What an attribute change may set. Identity fields (NIK, KK) are checked by the rules.
_HOUSEHOLD_RANKING = (*HOUSEHOLD_ITEMS, "programs_received")
ECONOMIC_HOUSEHOLD = frozenset(_HOUSEHOLD_RANKING)
ECONOMIC_PERSON = frozenset(PERSON_ITEMS)
UPDATE_HOUSEHOLD = frozenset(
    {*_HOUSEHOLD_RANKING, "address", "rt", "rw", "postal_code", "latitude", "longitude"}
    | {"kk_number", "urban"}
)
UPDATE_PERSON = frozenset(
    {*PERSON_ITEMS, "full_name", "nik", "birth_place", "mother_name", "marital_status"}
)
RANKING_FIELDS = frozenset({*_HOUSEHOLD_RANKING, *PERSON_ITEMS, "marital_status"})


def _check_value(table: Table, name: str, value: Any) -> Any:
    kind = table.c[name].type
    if value is None:
        return None
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise ValueError(f"{name} takes true, false or null")
    elif isinstance(kind, SmallInteger):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 32767:
            raise ValueError(f"{name} takes a whole number 0-32767 or null")
    elif isinstance(kind, Float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} takes a number or null")
        limit = 90 if name == "latitude" else 180
        if not -limit <= value <= limit:
            raise ValueError(f"{name} must be between -{limit} and {limit}")
        value = float(value)
    elif isinstance(kind, String | Text):
        if not isinstance(value, str):
            raise ValueError(f"{name} takes text or null")
        value = _printable(" ".join(value.split()))
        length = getattr(kind, "length", None)
        if length and len(value) > length:
            raise ValueError(f"{name} takes at most {length} characters")
        if name == "occupation_group" and value not in OCCUPATION_GROUPS:
            raise ValueError(f"occupation_group must be one of {', '.join(OCCUPATION_GROUPS)}")
        if name in ("rt", "rw") and not (value.isdigit() and len(value) <= 3):
            raise ValueError(f"{name} takes 1-3 digits")
        if name in ("rt", "rw"):
            value = value.zfill(3)
    return value


def check_changes(
    table: Table, changes: Mapping[str, Any], allowed: Iterable[str], where: str
) -> dict[str, Any]:
    """``changes`` with every key allowed and every value of its column's kind (else ValueError)."""
    allowed = frozenset(allowed)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValueError(
            f"{where} cannot change {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    return {name: _check_value(table, name, value) for name, value in changes.items()}


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: EventId = Field(
        description="Your idempotency key (a UUID, or the civil-registry record id): sending the "
        "same event again changes nothing and returns the first result.",
        examples=["dukcapil-2026-000123"],
    )
    effective_date: Day = Field(
        description="When it happened (the birth, death, move...): may be in the past, not in the "
        "future. As-of views use it.",
        examples=["2026-11-02"],
    )
    expected_version: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The `version` of the household you read; if it changed meanwhile the event "
        "is refused with 409. Omit it only for feeds that cannot know it.",
    )
    reason: Reason | None = Field(default=None, description="Free text: why, on what evidence.")
    source_record_id: Annotated[str, StringConstraints(max_length=64), _PRINTABLE] | None = Field(
        default=None, description="The record in the source (e.g. a Dukcapil document number)."
    )


class Birth(_Event):
    """A child is born into a household."""

    type: Literal["birth"]
    household_id: Id
    full_name: Name
    sex: Sex
    nik: Number | None = Field(default=None, description="Optional: a newborn may have none yet.")
    mother_id: Id | None = None
    father_id: Id | None = None
    relationship_code: MemberCode = 3
    birth_place: Annotated[str, StringConstraints(max_length=80), _PRINTABLE] | None = None
    mother_name: Name | None = Field(default=None, description="Default: the mother's name.")


class Death(_Event):
    """A person died on ``effective_date``."""

    type: Literal["death"]
    person_id: Id
    new_head_id: Id | None = Field(
        default=None, description="When the head died: who heads the family now."
    )


class Move(_Event):
    """A household (``household_id``) or one person (``person_id``) moves."""

    type: Literal["move"]
    household_id: Id | None = None
    person_id: Id | None = None
    to_village: Village | None = Field(default=None, examples=["11.12.01.2007"])
    to_household_id: Id | None = Field(default=None, description="A person joins this household.")
    relationship_code: MemberCode | None = Field(
        default=None, description="In the household joined (default 8, other)."
    )
    new_kk: Number | None = Field(default=None, description="The KK after the move, if new.")
    address: Address | None = None
    rt: RtRw | None = None
    rw: RtRw | None = None
    new_head_id: Id | None = Field(default=None, description="When the head leaves.")

    @model_validator(mode="after")
    def _one_mover(self) -> Move:
        if (self.household_id is None) == (self.person_id is None):
            raise ValueError("give either household_id (the family moves) or person_id")
        if self.household_id is not None and (
            self.to_village is None or self.to_household_id is not None
        ):
            raise ValueError("a household moves to_village (not to_household_id)")
        if self.person_id is not None and (self.to_village is None) == (
            self.to_household_id is None
        ):
            raise ValueError("a person moves either to_household_id or to_village (a new family)")
        return self


class Marriage(_Event):
    """Two people marry; optionally the spouse joins the person's household."""

    type: Literal["marriage"]
    person_id: Id
    spouse_id: Id
    spouse_joins: bool = False
    new_head_id: Id | None = Field(
        default=None, description="When the joining spouse headed their household: who now."
    )


class Divorce(_Event):
    """Two married people divorce (cerai hidup)."""

    type: Literal["divorce"]
    person_id: Id
    spouse_id: Id


class MemberIn(BaseModel):
    """A member of a new household: an existing person (``person_id``) or a new one."""

    model_config = ConfigDict(extra="forbid")

    relationship_code: AnyCode
    person_id: Id | None = None
    full_name: Name | None = None
    sex: Sex | None = None
    birth_date: Day | None = None
    nik: Number | None = None
    marital_status: int | None = Field(default=None, ge=1, le=4)
    mother_name: Name | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, description="Block IV items.")

    @model_validator(mode="after")
    def _existing_or_new(self) -> MemberIn:
        new = (self.full_name, self.sex, self.birth_date)
        if self.person_id is not None:
            if any(v is not None for v in (*new, self.nik, self.marital_status, self.mother_name)):
                raise ValueError("an existing person (person_id) takes no identity fields")
            if self.attributes:
                raise ValueError("an existing person (person_id) takes no attributes")
        elif any(v is None for v in new):
            raise ValueError("a new person needs full_name, sex and birth_date")
        self.attributes = check_changes(_PEOPLE, self.attributes, ECONOMIC_PERSON, "attributes")
        return self


def _one_head(members: list[Any]) -> None:
    heads = [m for m in members if m.relationship_code == 1]
    if len(heads) != 1:
        raise ValueError("exactly one member must have relationship_code 1 (the head)")
    ids = [m.person_id for m in members if m.person_id is not None]
    if len(ids) != len(set(ids)):
        raise ValueError("a person is listed twice")


class SplitMember(BaseModel):
    """A member leaving with the new family, and their relationship to its head."""

    model_config = ConfigDict(extra="forbid")

    person_id: Id
    relationship_code: AnyCode


class Split(_Event):
    """Some members leave to form a new household with a new KK."""

    type: Literal["split"]
    household_id: Id
    members: list[SplitMember] = Field(min_length=1, max_length=50)
    new_kk: Number
    to_village: Village | None = Field(default=None, description="Default: the same village.")
    address: Address | None = None
    rt: RtRw | None = None
    rw: RtRw | None = None
    remaining_head_id: Id | None = Field(
        default=None, description="When the head leaves: who heads the old household."
    )

    @model_validator(mode="after")
    def _heads(self) -> Split:
        _one_head(self.members)
        return self


class PersonChange(BaseModel):
    """New values for some attributes of one member."""

    model_config = ConfigDict(extra="forbid")

    person_id: Id
    changes: dict[str, Any] = Field(min_length=1)


class _Changes(_Event):
    household_id: Id
    household_changes: dict[str, Any] = Field(default_factory=dict)
    person_changes: list[PersonChange] = Field(default_factory=list, max_length=50)
    reason: Reason

    def _check(self, household: frozenset[str], person: frozenset[str]) -> None:
        if not self.household_changes and not self.person_changes:
            raise ValueError("nothing to change: give household_changes or person_changes")
        self.household_changes = check_changes(
            _HOUSEHOLDS, self.household_changes, household, "household_changes"
        )
        for change in self.person_changes:
            change.changes = check_changes(_PEOPLE, change.changes, person, "person_changes")
        ids = [c.person_id for c in self.person_changes]
        if len(ids) != len(set(ids)):
            raise ValueError("person_changes lists a person twice")


class EconomicChange(_Changes):
    """The family's economic situation changed (job lost, house damaged, new business...)."""

    type: Literal["economic_change"]

    @model_validator(mode="after")
    def _allowed(self) -> EconomicChange:
        self._check(ECONOMIC_HOUSEHOLD, ECONOMIC_PERSON)
        return self


class UpdateHousehold(_Changes):
    """Corrections of household or member attributes (e.g. after field verification)."""

    type: Literal["update_household"]

    @model_validator(mode="after")
    def _allowed(self) -> UpdateHousehold:
        self._check(UPDATE_HOUSEHOLD, UPDATE_PERSON)
        return self


class NewHousehold(_Event):
    """A family newly registered (e.g. after verification), with its members."""

    type: Literal["new_household"]
    village: Village
    kk_number: Number
    address: Address | None = None
    rt: RtRw | None = None
    rw: RtRw | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, description="Blocks III and V.")
    members: list[MemberIn] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _valid(self) -> NewHousehold:
        if self.expected_version is not None:
            raise ValueError("expected_version does not apply to a new household")
        _one_head(self.members)
        self.attributes = check_changes(
            _HOUSEHOLDS, self.attributes, ECONOMIC_HOUSEHOLD, "attributes"
        )
        return self


class RemoveHousehold(_Event):
    """The household is removed from the registry (dissolved): it does not exist as listed."""

    type: Literal["remove_household"]
    household_id: Id
    reason: Reason


class RemoveMember(_Event):
    """A listed person is not (or no longer) a member ("bukan keluarga")."""

    type: Literal["remove_member"]
    household_id: Id
    person_id: Id
    reason: Reason
    new_head_id: Id | None = None


EventIn = Annotated[
    Birth
    | Death
    | Move
    | Marriage
    | Divorce
    | Split
    | EconomicChange
    | UpdateHousehold
    | NewHousehold
    | RemoveHousehold
    | RemoveMember,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[EventIn] = TypeAdapter(EventIn)
EVENT_TYPES = (
    "birth",
    "death",
    "move",
    "marriage",
    "divorce",
    "split",
    "economic_change",
    "update_household",
    "new_household",
    "remove_household",
    "remove_member",
)
