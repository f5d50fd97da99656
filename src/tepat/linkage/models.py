"""The clerical review queue: uncertain record pairs and reviewers' decisions.

Pairs are keyed by their records' stable keys (``source:record_id``), not by a run's uids, so a
decision made once is honoured by every later run. Every change is kept in ``link_review_events``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tepat.db.base import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class LinkReview(Base):
    """One pair of records a person must judge (or has judged)."""

    __tablename__ = "link_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    left_key: Mapped[str] = mapped_column(String(120), comment="source:record_id, the smaller")
    right_key: Mapped[str] = mapped_column(String(120))
    match_probability: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    first_seen_run: Mapped[str | None] = mapped_column(String(64))
    last_seen_run: Mapped[str | None] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API
    __table_args__ = (
        UniqueConstraint("left_key", "right_key", name="uq_link_reviews_pair"),
        CheckConstraint("status in ('pending', 'accepted', 'rejected')", name="status"),
        CheckConstraint("left_key < right_key", name="ordered"),
    )


class LinkReviewEvent(Base):
    """The history of a review: queued, accepted, rejected, undone."""

    __tablename__ = "link_review_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("link_reviews.id"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str | None] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    reason: Mapped[str | None] = mapped_column(Text)
    match_probability: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("action in ('queued', 'accepted', 'rejected', 'undone')", name="action"),
    )
