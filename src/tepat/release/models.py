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
