"""Clerical review of uncertain pairs: queue, decide, undo. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.errors import Conflict, NotFound
from tepat.linkage.link import Decision
from tepat.linkage.models import LinkReview, LinkReviewEvent


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def queue_pairs(session: Session, pairs: Iterable[tuple[str, str, float]], *, run_id: str) -> int:
    """Queue uncertain pairs (keys and probability); returns how many are newly pending.

    A pair already decided keeps its decision (and is not queued again); a pending pair gets the
    new probability.
    """
    new = 0
    existing = {(r.left_key, r.right_key): r for r in session.scalars(select(LinkReview))}
    for a, b, probability in pairs:
        left, right = _ordered(a, b)
        review = existing.get((left, right))
        if review is None:
            review = LinkReview(
                left_key=left,
                right_key=right,
                match_probability=probability,
                first_seen_run=run_id,
                last_seen_run=run_id,
            )
            session.add(review)
            session.flush()
            session.add(
                LinkReviewEvent(review_id=review.id, action="queued", match_probability=probability)
            )
            existing[(left, right)] = review
            new += 1
        elif review.status == "pending":
            review.match_probability = probability
            review.last_seen_run = run_id
    session.flush()
    return new


def _get(session: Session, review_id: int) -> LinkReview:
    review = session.get(LinkReview, review_id)
    if review is None:
        raise NotFound(f"review {review_id} does not exist")
    return review


def decide(
    session: Session, review_id: int, *, accept: bool, actor: str, reason: str | None = None
) -> LinkReview:
    """Record a reviewer's verdict on a pending pair."""
    review = _get(session, review_id)
    if review.status != "pending":
        raise Conflict(f"review {review_id} was already {review.status}; undo it first")
    review.status = "accepted" if accept else "rejected"
    review.decided_by, review.decided_at, review.reason = actor, datetime.now(), reason
    session.add(
        LinkReviewEvent(
            review_id=review.id,
            action=review.status,
            actor=actor,
            reason=reason,
            match_probability=review.match_probability,
        )
    )
    session.flush()
    return review


def split(
    session: Session, left_key: str, right_key: str, *, actor: str, reason: str
) -> LinkReview:
    """Undo a merge: the two records must not be linked, whether a reviewer or the model did it."""
    left, right = _ordered(left_key, right_key)
    review = session.scalar(
        select(LinkReview).where(LinkReview.left_key == left, LinkReview.right_key == right)
    )
    if review is None:
        review = LinkReview(left_key=left, right_key=right, status="rejected")
        session.add(review)
        session.flush()
    elif review.status == "rejected":
        return review
    action = "undone" if review.status == "accepted" else "rejected"
    review.status = "rejected"
    review.decided_by, review.decided_at, review.reason = actor, datetime.now(), reason
    session.add(
        LinkReviewEvent(
            review_id=review.id,
            action=action,
            actor=actor,
            reason=reason,
            match_probability=review.match_probability,
        )
    )
    session.flush()
    return review


def undo(session: Session, review_id: int, *, actor: str, reason: str | None = None) -> LinkReview:
    """Take back a reviewer's verdict: the pair is pending again (an ``undone`` event records
    who and when). Unlike :func:`split`, this does not decide the opposite."""
    review = _get(session, review_id)
    if review.status == "pending":
        raise Conflict(f"review {review_id} is pending: there is no decision to undo")
    review.status = "pending"
    review.decided_by, review.decided_at, review.reason = None, None, None
    session.add(
        LinkReviewEvent(
            review_id=review.id,
            action="undone",
            actor=actor,
            reason=reason,
            match_probability=review.match_probability,
        )
    )
    session.flush()
    return review


def pending(session: Session, *, limit: int = 100) -> list[LinkReview]:
    """Pairs waiting for a reviewer, most uncertain (closest to 0.5) first."""
    rows = session.scalars(select(LinkReview).where(LinkReview.status == "pending")).all()
    return sorted(rows, key=lambda r: abs((r.match_probability or 0.5) - 0.5))[:limit]


def decisions(session: Session) -> list[Decision]:
    """Every accepted or rejected pair, for the next linkage run."""
    rows = session.scalars(select(LinkReview).where(LinkReview.status != "pending"))
    return [Decision(r.left_key, r.right_key, r.status == "accepted") for r in rows]
