"""Tables of users, their regions, API tokens and the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tepat.access.roles import ROLES
from tepat.db.base import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")
GENESIS_HASH = "0" * 64  # what the first audit entry chains to

_ROLE_CHECK = "role in (" + ", ".join(f"'{r}'" for r in ROLES) + ")"


class User(Base):
    """An account: a person working in one role over one or more regions."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), comment="argon2id, PHC string")
    role: Mapped[str] = mapped_column(String(24))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    regions: Mapped[list[UserRegion]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserRegion.region_code"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)


class UserRegion(Base):
    """A region a user holds: a village, district, regency or province code, or ``ID``."""

    __tablename__ = "user_regions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(String(13), primary_key=True)

    user: Mapped[User] = relationship(back_populates="regions")


class ApiToken(Base):
    """An opaque bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 hex")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime, comment="UTC")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AuditEntry(Base):
    """One append-only audit entry; ``hash`` chains it to the entry before (``prev_hash``).

    Ids are dense (assigned from :class:`AuditChain`, not a sequence), so a missing id is a
    deleted entry. ``at`` is naive UTC.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime, index=True, comment="UTC")
    actor: Mapped[str] = mapped_column(String(64), index=True, comment="username or anonymous")
    role: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(64), comment="e.g. registry.household.read")
    entity: Mapped[str | None] = mapped_column(String(24))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(13))
    purpose: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, comment="never a full NIK or KK")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class AuditChain(Base):
    """The single row holding the head of the audit chain (id 1); appenders lock it."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_hash: Mapped[str] = mapped_column(String(64))
