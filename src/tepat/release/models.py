"""Releases in the registry database: which release is current, each household's desil in it and
each program's beneficiaries. The release files stay the record; these tables serve queries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tepat.db.base import Base

_BigId = BigInteger().with_variant(Integer(), "sqlite")


class Release(Base):
    """One published release."""

    __tablename__ = "releases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, comment="R<data cut>-<hash>")
    data_cut: Mapped[date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(60))
    rules_version: Mapped[str] = mapped_column(Text)
    previous_id: Mapped[str | None] = mapped_column(String(40))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class ReleaseHousehold(Base):
    """A household's rank in a release."""

    __tablename__ = "release_households"
    __table_args__ = (Index("ix_release_households_village", "release_id", "village_code"),)

    release_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True
    )
    family_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    household_id: Mapped[int | None] = mapped_column(_BigId, index=True)
    village_code: Mapped[str] = mapped_column(String(13))
    members: Mapped[int] = mapped_column(SmallInteger)
    desil: Mapped[int] = mapped_column(SmallInteger)
    percentile: Mapped[float] = mapped_column(Float)
    predicted_pce: Mapped[float] = mapped_column(Float)


class ReleaseBeneficiary(Base):
    """A program beneficiary (a household, or a person of it) in a release."""

    __tablename__ = "release_beneficiaries"
    __table_args__ = (Index("ix_release_beneficiaries_family", "release_id", "family_id"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    program: Mapped[str] = mapped_column(String(30))
    family_id: Mapped[str] = mapped_column(String(80))
    person_key: Mapped[str | None] = mapped_column(String(120))
    amount_year: Mapped[int] = mapped_column(BigInteger)


class ReleaseVillageSummary(Base):
    """A release's ranked households of one village and desil, written when the release is loaded
    (:func:`tepat.release.store.summarise_release`): the dashboard sums these rows instead of
    counting households. Each region level has its own column, so every scope is an equality."""

    __tablename__ = "release_village_summary"
    __table_args__ = (
        Index("ix_release_village_summary_province", "release_id", "province_code"),
        Index("ix_release_village_summary_regency", "release_id", "regency_code"),
        Index("ix_release_village_summary_district", "release_id", "district_code"),
    )

    release_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True
    )
    village_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    desil: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2))
    regency_code: Mapped[str] = mapped_column(String(5))
    district_code: Mapped[str] = mapped_column(String(8))
    households: Mapped[int] = mapped_column(Integer, comment="ranked households")
    people: Mapped[int] = mapped_column(Integer, comment="their members")
    reached: Mapped[int] = mapped_column(Integer, comment="households receiving any program")
    cost_year: Mapped[int] = mapped_column(BigInteger, comment="yearly cost of all programs")


class ReleaseProgramSummary(Base):
    """A program of a release in one village: beneficiaries (households or people), households
    reached and yearly cost, written when the release is loaded."""

    __tablename__ = "release_program_summary"
    __table_args__ = (
        Index("ix_release_program_summary_province", "release_id", "province_code"),
        Index("ix_release_program_summary_regency", "release_id", "regency_code"),
        Index("ix_release_program_summary_district", "release_id", "district_code"),
    )

    release_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True
    )
    village_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    program: Mapped[str] = mapped_column(String(30), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2))
    regency_code: Mapped[str] = mapped_column(String(5))
    district_code: Mapped[str] = mapped_column(String(8))
    beneficiaries: Mapped[int] = mapped_column(Integer, comment="households or people paid")
    households: Mapped[int] = mapped_column(Integer, comment="households reached")
    cost_year: Mapped[int] = mapped_column(BigInteger)


class ReleaseDistrictSummary(Base):
    """:class:`ReleaseVillageSummary` summed per district (written with it): the national and
    province dashboards sum these few rows instead of one per village."""

    __tablename__ = "release_district_summary"
    __table_args__ = (
        Index("ix_release_district_summary_province", "release_id", "province_code"),
        Index("ix_release_district_summary_regency", "release_id", "regency_code"),
    )

    release_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True
    )
    district_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    desil: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2))
    regency_code: Mapped[str] = mapped_column(String(5))
    households: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    reached: Mapped[int] = mapped_column(Integer)
    cost_year: Mapped[int] = mapped_column(BigInteger)


class ReleaseDistrictProgramSummary(Base):
    """:class:`ReleaseProgramSummary` summed per district (written with it)."""

    __tablename__ = "release_district_program_summary"
    __table_args__ = (
        Index("ix_release_district_program_summary_province", "release_id", "province_code"),
        Index("ix_release_district_program_summary_regency", "release_id", "regency_code"),
    )

    release_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True
    )
    district_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    program: Mapped[str] = mapped_column(String(30), primary_key=True)
    province_code: Mapped[str] = mapped_column(String(2))
    regency_code: Mapped[str] = mapped_column(String(5))
    beneficiaries: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)
    cost_year: Mapped[int] = mapped_column(BigInteger)
