"""Workflow tables: proposals, objections, notices, appeals, their steps, and household flags.

Who did what is kept as usernames (not foreign keys to ``users``), so the history outlives the
accounts. Households and people are referenced with ``ON DELETE SET NULL`` (or CASCADE for
flags): only a wipe of the registry deletes them. See docs/WORKFLOW.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from tepat.db.base import Base
from tepat.workflow.states import APPEAL, OBJECTION, PROPOSAL

BigId = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...] | frozenset[str]) -> str:
    return f"{column} in (" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


PROPOSAL_KINDS = ("new_family", "update", "removal")
CHANNELS = ("operator", "citizen")
OBJECTION_REASONS = (
    "well_off",
    "deceased",
    "moved",
    "unknown_at_address",
    "excluded_occupation",
    "duplicate",
    "other",
)
FLAG_KINDS = ("rerank", "exclude", "reverify")
FLAG_SOURCES = ("proposal", "objection", "appeal")
VERDICT_CHECK = "verdict is null or verdict in ('confirmed', 'not_confirmed', 'not_found')"


class _Item:
    """Columns every workflow item has: state, place, assignee, evidence, times, version."""

    # sort_order: these come first in the table, before the subclass's own columns.
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True, sort_order=-3)
    state: Mapped[str] = mapped_column(String(16), sort_order=-2)
    village_code: Mapped[str] = mapped_column(String(13), index=True, sort_order=-1)
    created_at: Mapped[datetime] = mapped_column(DateTime, comment="UTC")
    updated_at: Mapped[datetime] = mapped_column(DateTime, comment="UTC, last transition")
    due_on: Mapped[date] = mapped_column(Date, comment="deadline of the decision")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # A concurrent transition of the same item fails (StaleDataError -> 409).
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Proposal(_Item, Base):
    """A proposal (usulan): a new family, a data update or a removal, for one village."""

    __tablename__ = "proposals"

    kind: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(8))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    applicant_nik: Mapped[str | None] = mapped_column(
        String(16), index=True, comment="the citizen, or the head of a new family"
    )
    applicant_name: Mapped[str | None] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the proposed data")
    reason: Mapped[str | None] = mapped_column(Text)
    minutes_number: Mapped[str | None] = mapped_column(String(60), comment="musdes/muskel")
    minutes_date: Mapped[date | None] = mapped_column(Date)
    proposer: Mapped[str] = mapped_column(String(64))
    proposer_role: Mapped[str] = mapped_column(String(24))
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    verdict: Mapped[str | None] = mapped_column(String(16))
    decision_note: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(64), comment="registry event applied")
    result_household_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint(_in("state", PROPOSAL.states), name="state"),
        CheckConstraint(_in("kind", PROPOSAL_KINDS), name="kind"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(VERDICT_CHECK, name="verdict"),
        Index("ix_proposals_state_village", "state", "village_code"),
    )


class Objection(_Item, Base):
    """An objection (sanggah) by a resident against a listed recipient of the same village."""

    __tablename__ = "objections"

    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    objector_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    release_id: Mapped[str | None] = mapped_column(String(40))
    programs: Mapped[list[Any]] = mapped_column(JSON, comment="the recipient's programs then")
    reason_code: Mapped[str] = mapped_column(String(24))
    reason_text: Mapped[str] = mapped_column(Text)
    photos: Mapped[list[Any]] = mapped_column(JSON)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    verdict: Mapped[str | None] = mapped_column(String(16))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("state", OBJECTION.states), name="state"),
        CheckConstraint(_in("reason_code", OBJECTION_REASONS), name="reason_code"),
        CheckConstraint(VERDICT_CHECK, name="verdict"),
        Index("ix_objections_state_village", "state", "village_code"),
    )


class Notice(Base):
    """A notice to a family that lost a program between two releases, with its appeal window."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(String(40), comment="the release that dropped it")
    previous_release_id: Mapped[str] = mapped_column(String(40))
    family_id: Mapped[str] = mapped_column(String(80))
    household_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    village_code: Mapped[str] = mapped_column(String(13), index=True)
    program: Mapped[str] = mapped_column(String(30))
    reason_code: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    old_desil: Mapped[int | None] = mapped_column(SmallInteger)
    new_desil: Mapped[int | None] = mapped_column(SmallInteger)
    appeal_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, comment="UTC")

    __table_args__ = (UniqueConstraint("release_id", "family_id", "program"),)


class Appeal(_Item, Base):
    """An appeal (banding) against a notice, by the village operator or the family itself."""

    __tablename__ = "appeals"

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.id", ondelete="CASCADE"), unique=True
    )
    channel: Mapped[str] = mapped_column(String(8))
    filed_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    decision_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("state", APPEAL.states), name="state"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
    )


class WorkflowStep(Base):
    """One transition of a proposal, objection or appeal: who, when, from, to, and a note."""

    __tablename__ = "workflow_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(DateTime, comment="UTC")
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("item in ('proposal', 'objection', 'appeal')", name="item"),
        Index("ix_workflow_steps_item", "item", "item_id"),
    )


class HouseholdFlag(Base):
    """A mark the next cycle reads: rank this household again, exclude it, or re-verify it.

    Open while ``cleared_at`` is null; the cycle clears the flags it used (``cleared_by`` names
    its release).
    """

    __tablename__ = "household_flags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    village_code: Mapped[str] = mapped_column(String(13))
    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(40), comment="the proposal/objection number")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, comment="UTC")
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(40), comment="release id")

    __table_args__ = (
        CheckConstraint(_in("kind", FLAG_KINDS), name="kind"),
        CheckConstraint(_in("source", FLAG_SOURCES), name="source"),
        Index("ix_household_flags_open", "cleared_at", "kind"),
    )
