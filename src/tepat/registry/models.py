"""Registry tables: one schema for SQLite and PostgreSQL.

Codes follow the Regsosek 2022 questionnaire (REGSOSEK22-K); the column comment names the item
(e.g. ``r303`` floor material) and ``tepat.synth.codes`` holds the code lists. See
``docs/DATA-MODEL.md``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tepat.db.base import Base

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _code(comment: str) -> Mapped[int | None]:
    return mapped_column(SmallInteger, nullable=True, comment=comment)


def _flag(comment: str) -> Mapped[bool | None]:
    return mapped_column(Boolean, nullable=True, comment=comment)


class Household(Base):
    """A family as registered under one KK (Regsosek's unit), with blocks I, III and V."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kk_number: Mapped[str | None] = mapped_column(String(16), index=True, comment="r114 No. KK")
    family_key: Mapped[str | None] = mapped_column(
        String(80), index=True, comment="the integration's family id (source:household key)"
    )
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    regency_code: Mapped[str] = mapped_column(String(5), index=True, comment="PP.KK")
    district_code: Mapped[str] = mapped_column(String(8), index=True, comment="PP.KK.CC")
    village_code: Mapped[str] = mapped_column(String(13), index=True, comment="PP.KK.CC.DDDD")
    address: Mapped[str | None] = mapped_column(Text, comment="r107 street, dusun, house number")
    rt: Mapped[str | None] = mapped_column(String(3))
    rw: Mapped[str | None] = mapped_column(String(3))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    urban: Mapped[bool | None] = mapped_column(Boolean, comment="kelurahan / urban village")
    status: Mapped[str] = mapped_column(String(12), default="active", server_default="active")
    formed_on: Mapped[date | None] = mapped_column(Date)
    dissolved_on: Mapped[date | None] = mapped_column(Date)

    # Block III: housing
    building_ownership: Mapped[int | None] = _code("r301a building ownership (1-5)")
    land_title: Mapped[int | None] = _code("r301b land title (1-6)")
    floor_area_m2: Mapped[int | None] = mapped_column(SmallInteger, comment="r302 floor area m2")
    floor_material: Mapped[int | None] = _code("r303 floor (1-9)")
    wall_material: Mapped[int | None] = _code("r304 wall (1-7)")
    roof_material: Mapped[int | None] = _code("r305 roof (1-8)")
    drinking_water: Mapped[int | None] = _code("r306a drinking-water source (1-11)")
    sewage_distance_ok: Mapped[bool | None] = _flag("r306b well/spring >= 10 m from sewage")
    lighting: Mapped[int | None] = _code("r307a lighting (1-4)")
    power_va: Mapped[int | None] = _code("r307b power of the main meter (1-5: 450..>2200 VA)")
    cooking_fuel: Mapped[int | None] = _code("r308 cooking fuel (0-10)")
    toilet_facility: Mapped[int | None] = _code("r309a toilet facility (1-6)")
    toilet_type: Mapped[int | None] = _code("r309b toilet type (1-4)")
    excreta_disposal: Mapped[int | None] = _code("r310 excreta disposal (1-6)")

    # Block V: assets, land, livestock, connectivity
    has_lpg_tank: Mapped[bool | None] = _flag("r502a LPG tank >= 5.5 kg")
    has_fridge: Mapped[bool | None] = _flag("r502b refrigerator")
    has_ac: Mapped[bool | None] = _flag("r502c air conditioner")
    has_water_heater: Mapped[bool | None] = _flag("r502d water heater")
    has_landline: Mapped[bool | None] = _flag("r502e landline phone")
    has_flat_tv: Mapped[bool | None] = _flag("r502f flat TV >= 30 inch")
    has_gold: Mapped[bool | None] = _flag("r502g gold/jewellery >= 10 g")
    has_computer: Mapped[bool | None] = _flag("r502h PC/laptop")
    has_motorbike: Mapped[bool | None] = _flag("r502i motorbike")
    has_bicycle: Mapped[bool | None] = _flag("r502j bicycle")
    has_car: Mapped[bool | None] = _flag("r502k car")
    has_boat: Mapped[bool | None] = _flag("r502l boat")
    has_motorboat: Mapped[bool | None] = _flag("r502m motorboat")
    has_smartphone: Mapped[bool | None] = _flag("r502n smartphone")
    land_elsewhere: Mapped[bool | None] = _flag("r503a land elsewhere")
    house_elsewhere: Mapped[bool | None] = _flag("r503b house elsewhere")
    cattle: Mapped[int | None] = mapped_column(SmallInteger, comment="r504a cattle")
    buffalo: Mapped[int | None] = mapped_column(SmallInteger, comment="r504b buffalo")
    horses: Mapped[int | None] = mapped_column(SmallInteger, comment="r504c horses")
    pigs: Mapped[int | None] = mapped_column(SmallInteger, comment="r504d pigs")
    goats: Mapped[int | None] = mapped_column(SmallInteger, comment="r504e goats/sheep")
    internet_access: Mapped[bool | None] = _flag("r505 internet access")
    bank_account: Mapped[bool | None] = _flag("r506 bank account or e-wallet")
    programs_received: Mapped[int | None] = _code(
        "r501a-g bitmask, order in codes.PROGRAMS_RECEIVED"
    )
    needs_reranking: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="an event changed a ranking input since the last ranking",
    )

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )

    memberships: Mapped[list[Membership]] = relationship(back_populates="household")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API
    __table_args__ = (
        CheckConstraint("status in ('active', 'moved_out', 'dissolved')", name="status"),
    )


class Person(Base):
    """One individual (keyed by NIK where known), with the block IV items."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    nik: Mapped[str | None] = mapped_column(String(16), index=True, comment="r403 NIK")
    full_name: Mapped[str] = mapped_column(String(120), comment="r402 name as on KTP/KK")
    sex: Mapped[str] = mapped_column(String(1), comment="r405: M or F")
    birth_date: Mapped[date | None] = mapped_column(Date, comment="r406")
    birth_place: Mapped[str | None] = mapped_column(String(80))
    mother_name: Mapped[str | None] = mapped_column(String(120), comment="DTKS mother's name")
    marital_status: Mapped[int | None] = _code("r408 marital status (1-4)")
    pregnant: Mapped[bool | None] = _flag("r410 pregnant")
    id_documents: Mapped[int | None] = _code("r411 bitmask: 1 birth cert, 2 KIA, 4 KTP")
    school_participation: Mapped[int | None] = _code("r412 school participation (0-2)")
    education_level: Mapped[int | None] = _code("r413 highest level (1-23)")
    grade: Mapped[int | None] = _code("r414 highest grade")
    diploma: Mapped[int | None] = _code("r415 highest diploma (0-7)")
    worked_last_week: Mapped[bool | None] = _flag("r416a worked last week")
    work_hours: Mapped[int | None] = mapped_column(SmallInteger, comment="r416b hours/week")
    industry: Mapped[int | None] = _code("r417 industry of main job (1-26)")
    employment_status: Mapped[int | None] = _code("r418 employment status (1-8)")
    occupation_group: Mapped[str | None] = mapped_column(
        String(16), comment="asn, tni, polri, bumn, village_official: program exclusions"
    )
    has_npwp: Mapped[bool | None] = _flag("r419 tax number")
    has_business: Mapped[bool | None] = _flag("r420 own business")
    business_turnover: Mapped[int | None] = _code("r425 monthly turnover class (1-7)")
    disability: Mapped[int | None] = _code("r428 worst functional difficulty (1 none .. 4)")
    disability_domains: Mapped[int | None] = _code("r428a-j bitmask of domains with difficulty")
    chronic_disease: Mapped[int | None] = _code("r430 chronic disease (0 none, 1-18)")
    health_insurance: Mapped[int | None] = _code("r431a bitmask: 1 PBI-JKN, 2 self, 4 employer")
    prakerja: Mapped[bool | None] = _flag("r431b Kartu Prakerja")
    kur: Mapped[bool | None] = _flag("r431c KUR credit")
    umi: Mapped[bool | None] = _flag("r431d UMi credit")
    pip: Mapped[bool | None] = _flag("r431e PIP")
    status: Mapped[str] = mapped_column(String(12), default="alive", server_default="alive")
    died_on: Mapped[date | None] = mapped_column(Date)

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )

    memberships: Mapped[list[Membership]] = relationship(back_populates="person")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API
    __table_args__ = (
        CheckConstraint("sex in ('M', 'F')", name="sex"),
        CheckConstraint("status in ('alive', 'deceased', 'moved_out', 'unknown')", name="status"),
    )


class Membership(Base):
    """A person's membership of a household over a period; open while ``end_date`` is null."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    role: Mapped[str] = mapped_column(String(8), comment="head or member")
    relationship_code: Mapped[int] = mapped_column(SmallInteger, comment="r409 (1 head .. 8)")
    line_number: Mapped[int | None] = mapped_column(SmallInteger, comment="r401")
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(24))

    person: Mapped[Person] = relationship(back_populates="memberships")
    household: Mapped[Household] = relationship(back_populates="memberships")

    __table_args__ = (
        CheckConstraint("role in ('head', 'member')", name="role"),
        CheckConstraint("(role = 'head') = (relationship_code = 1)", name="head_code"),
        CheckConstraint(
            "end_date is null or start_date is null or end_date >= start_date", name="period"
        ),
        # One head per household and one open household per person, at any time.
        Index(
            "uq_memberships_one_head",
            "household_id",
            unique=True,
            sqlite_where=text("role = 'head' AND end_date IS NULL"),
            postgresql_where=text("role = 'head' AND end_date IS NULL"),
        ),
        Index(
            "uq_memberships_one_open",
            "person_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
    )


class Provenance(Base):
    """Where the current values of some fields of one entity came from.

    One row names a source record and the fields whose values it supplied, so a person built
    from one Regsosek row and one DTKS row has two rows, and every field appears in exactly one
    current row. ``fields`` is a comma-wrapped list (``,name,sex,``) so ``LIKE '%,sex,%'`` finds
    the source of a field on any database.
    """

    __tablename__ = "provenance"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(12), comment="household, person or membership")
    entity_id: Mapped[int] = mapped_column(BigInteger)
    fields: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(24), comment="dtks, regsosek, p3ke, synthetic, ...")
    source_record_id: Mapped[str | None] = mapped_column(String(64))
    observed_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_provenance_entity", "entity", "entity_id"),
        CheckConstraint("entity in ('household', 'person', 'membership')", name="entity"),
    )


class RegistryEvent(Base):
    """A life event or registry change applied to the registry (see docs/EVENTS.md).

    ``event_id`` is the client's idempotency key; ``payload_hash`` the SHA-256 of the validated
    event, so the same id with another payload is refused; ``result`` is what applying it
    answered, returned again on a replay.
    """

    __tablename__ = "registry_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True, comment="client's key")
    type: Mapped[str] = mapped_column(String(24))
    effective_date: Mapped[date] = mapped_column(Date, comment="when it happened")
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"),
        index=True,
        comment="the household it was about",
    )
    region_code: Mapped[str | None] = mapped_column(
        String(13), comment="village of that household before the event"
    )
    to_region_code: Mapped[str | None] = mapped_column(
        String(13), comment="receiving village of a hand-over"
    )
    source: Mapped[str] = mapped_column(String(24), comment="operator, dukcapil, ...")
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload_hash: Mapped[str] = mapped_column(String(64), comment="sha256 of the payload")
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, comment="UTC")


_WHOLE = "data holds the whole state (before the first event, or as created)"


class HouseholdVersion(Base):
    """One version of a household row, valid over ``[valid_from, valid_to)`` in effective time.

    ``version`` equals ``households.version`` after the change. ``data`` holds the fields the
    event set, dates as ISO strings; a ``whole`` version holds every column but the bookkeeping
    ones (null ones left out): the state before the first event that changed an attribute
    (``event_id`` null), or the household as an event created it.
    """

    __tablename__ = "household_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date, comment="null: since first recorded")
    valid_to: Mapped[date | None] = mapped_column(Date, comment="null: still valid")
    event_id: Mapped[str | None] = mapped_column(
        ForeignKey("registry_events.event_id"), index=True, comment="null: before any event"
    )
    changed_fields: Mapped[str] = mapped_column(Text, comment="comma-wrapped, like provenance")
    whole: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), comment=_WHOLE
    )
    member_changes: Mapped[list[Any] | None] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (UniqueConstraint("household_id", "version"),)


class PersonVersion(Base):
    """One version of a person row, valid over ``[valid_from, valid_to)`` in effective time."""

    __tablename__ = "person_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date, comment="null: since first recorded")
    valid_to: Mapped[date | None] = mapped_column(Date, comment="null: still valid")
    event_id: Mapped[str | None] = mapped_column(
        ForeignKey("registry_events.event_id"), index=True, comment="null: before any event"
    )
    changed_fields: Mapped[str] = mapped_column(Text, comment="comma-wrapped, like provenance")
    whole: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), comment=_WHOLE
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    __table_args__ = (UniqueConstraint("person_id", "version"),)


def wrap_fields(names: list[str] | tuple[str, ...]) -> str:
    """Encode field names for ``Provenance.fields`` (sorted, comma-wrapped)."""
    return "," + ",".join(sorted(set(names))) + ","


def unwrap_fields(value: str) -> list[str]:
    """Decode ``Provenance.fields`` into a list of field names."""
    return [f for f in value.split(",") if f]
