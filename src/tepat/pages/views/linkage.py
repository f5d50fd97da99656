"""Clerical review of uncertain record pairs: ``/tautan`` (district offices, national admins).

The list shows the pending pairs of the user's regions, most uncertain first; a pair's page shows
the two source records side by side with the differing fields highlighted, and accept (same
person), reject (different people) and undo. Decisions go through ``tepat.linkage.review`` (who
and when are kept in ``link_review_events``; the next integration applies them) and are written
to the audit log, as is every reading of the records.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tepat.access import audit
from tepat.access.principal import Principal
from tepat.access.roles import Role
from tepat.errors import Conflict, NotFound
from tepat.linkage import review as queue
from tepat.linkage.models import LinkReview, LinkReviewEvent
from tepat.pages import pairs
from tepat.pages.jobs import registry
from tepat.pages.render import render
from tepat.pages.session import PageUser, check_csrf, require_page_role
from tepat.reference.regions import regions
from tepat.web.deps import AppSettings, DbSession

router = APIRouter()

ROLES: Final[tuple[Role, ...]] = ("district_office", "national_admin")
PAGE_SIZE: Final = 25
RECENT: Final = 10
MAX_ID: Final = 2**62
# Fields shown side by side (and compared), in this order.
SHOWN: Final = (
    "full_name",
    "nik",
    "kk",
    "sex",
    "birth_date",
    "birth_place",
    "mother_name",
    "relationship",
    "marital_status",
    "village_code",
    "address",
    "rt",
    "rw",
    "observed_on",
)


def _records_file(request: Request, db: Session, data_dir: Any) -> Any:
    """The records file of the current queue, or None while a job prepares it."""
    fp, files = pairs.fingerprint(db, data_dir)
    path = pairs.records_path(data_dir, fp)
    if path.exists():
        return path
    keys = pairs.review_keys(db)
    job = registry(request.app).submit(
        "pairs", lambda: pairs.build_records(path, keys, files), owner=None, key=f"pairs-{fp}"
    )
    return None if job.pending or job.state == "failed" else path


def _in_scope(user: Principal, villages: dict[str, str], review: Any) -> bool:
    """A pair is the user's when one of its records lies in the user's regions."""
    if user.is_national:
        return True
    return any(
        user.covers(villages[k]) for k in (review.left_key, review.right_key) if k in villages
    )


def _village_name(code: str | None) -> str:
    found = regions().find(code) if code else None
    return found.display_name if found is not None else (code or "-")


def _summaries(path: Any, rows: list[Any]) -> list[dict[str, Any]]:
    found = pairs.records(path, [k for r in rows for k in (r.left_key, r.right_key)])
    out = []
    for r in rows:
        left, right = found.get(r.left_key, {}), found.get(r.right_key, {})
        out.append(
            {
                "review": r,
                "left_name": left.get("full_name"),
                "right_name": right.get("full_name"),
                "village": _village_name(left.get("village_code") or right.get("village_code")),
            }
        )
    return out


@router.get("/tautan")
def review_list(
    request: Request, user: PageUser, db: DbSession, settings: AppSettings, page: int = 1
) -> Response:
    """The pending pairs of the user's regions, most uncertain first, and recent decisions."""
    require_page_role(user, *ROLES)
    path = _records_file(request, db, settings.data_dir)
    if path is None:
        return render(request, "linkage/list.html", {"preparing": True})
    villages = pairs.villages(path)
    pending = db.execute(
        select(
            LinkReview.id,
            LinkReview.left_key,
            LinkReview.right_key,
            LinkReview.match_probability,
        ).where(LinkReview.status == "pending")
    ).all()
    mine = [r for r in pending if _in_scope(user, villages, r)]
    mine.sort(key=lambda r: (abs((r.match_probability or 0.5) - 0.5), r.id))
    page = max(1, page)
    shown = mine[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    decided = db.execute(
        select(
            LinkReview.id,
            LinkReview.left_key,
            LinkReview.right_key,
            LinkReview.match_probability,
            LinkReview.status,
            LinkReview.decided_by,
            LinkReview.decided_at,
        )
        .where(LinkReview.status != "pending", LinkReview.decided_at.is_not(None))
        .order_by(LinkReview.decided_at.desc(), LinkReview.id.desc())
        .limit(200)
    ).all()
    recent = [r for r in decided if _in_scope(user, villages, r)][:RECENT]
    items = _summaries(path, shown)
    recent_items = _summaries(path, recent)
    if items or recent_items:
        audit.record(
            db,
            user,
            action="linkage.review.list",
            purpose=None,
            entity="link_review",
            detail={"reviews": [i["review"].id for i in items + recent_items]},
        )
    context = {
        "preparing": False,
        "items": items,
        "recent": recent_items,
        "total": len(mine),
        "page": page,
        "size": PAGE_SIZE,
    }
    return render(request, "linkage/list.html", context)


def _review(db: Session, user: Principal, path: Any, review_id: int) -> LinkReview:
    """The review, if it exists and is in the user's regions (404 otherwise, like missing)."""
    review = db.get(LinkReview, review_id) if 0 < review_id < MAX_ID else None
    if review is None or path is None or not _in_scope(user, pairs.villages(path), review):
        raise NotFound(f"review {review_id} does not exist", code="review_not_found")
    return review


def _show(value: Any, field: str, user: Principal) -> str:
    if value is None or value == "":
        return ""
    text = str(value)
    if field == "nik":
        return user.nik(text) or ""
    if field == "kk":
        return user.kk(text) or ""
    if field == "village_code":
        return f"{_village_name(text)} ({text})"
    return text


def _pair_context(db: Session, user: Principal, path: Any, review: LinkReview) -> dict[str, Any]:
    found = pairs.records(path, [review.left_key, review.right_key])
    left, right = found.get(review.left_key), found.get(review.right_key)
    rows = []
    for name in SHOWN:
        a = _show((left or {}).get(name), name, user)
        b = _show((right or {}).get(name), name, user)
        raw_a, raw_b = (left or {}).get(name), (right or {}).get(name)
        differs = (raw_a or "") != (raw_b or "") if name != "village_code" else raw_a != raw_b
        rows.append({"field": name, "left": a, "right": b, "differs": differs})
    events = db.scalars(
        select(LinkReviewEvent)
        .where(LinkReviewEvent.review_id == review.id)
        .order_by(LinkReviewEvent.id)
    ).all()
    return {
        "review": review,
        "left": left,
        "right": right,
        "rows": rows,
        "events": events,
        "differing": sum(1 for r in rows if r["differs"]),
        "error": None,
        "reason": "",
        "done": None,
    }


def _audit_read(db: Session, user: Principal, review: LinkReview, context: dict[str, Any]) -> None:
    village = (context["left"] or context["right"] or {}).get("village_code")
    audit.record(
        db,
        user,
        action="linkage.review.read",
        purpose=None,
        entity="link_review",
        entity_id=review.id,
        region_code=village,
        detail={"left": review.left_key, "right": review.right_key},
    )


@router.get("/tautan/{review_id}")
def review_pair(
    review_id: int,
    request: Request,
    user: PageUser,
    db: DbSession,
    settings: AppSettings,
    selesai: str | None = None,
) -> Response:
    """One pair side by side, with the decision buttons."""
    require_page_role(user, *ROLES)
    path = _records_file(request, db, settings.data_dir)
    if path is None:
        return render(request, "linkage/list.html", {"preparing": True})
    review = _review(db, user, path, review_id)
    context = _pair_context(db, user, path, review)
    context["done"] = selesai if selesai in ACTIONS.values() else None
    _audit_read(db, user, review, context)
    return render(request, "linkage/pair.html", context)


ACTIONS: Final = {"terima": "accept", "tolak": "reject", "batal": "undo"}


@router.post("/tautan/{review_id}/{action}")
def review_decide(
    review_id: int,
    action: str,
    request: Request,
    user: PageUser,
    db: DbSession,
    settings: AppSettings,
    csrf: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    version: Annotated[int, Form(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """Accept, reject or undo; back to the pair (with a message) or on to the next pair."""
    check_csrf(request, csrf)
    require_page_role(user, *ROLES)
    verb = ACTIONS.get(action)
    if verb is None:
        raise NotFound("no such action", code="not_found")
    path = _records_file(request, db, settings.data_dir)
    if path is None:
        return RedirectResponse("/tautan", status_code=303)
    review = _review(db, user, path, review_id)
    note = reason.strip() or None
    try:
        if version and version != review.version:
            raise Conflict("the pair was changed by someone else", code="stale")
        if verb == "undo":
            queue.undo(db, review.id, actor=user.username, reason=note)
        else:
            queue.decide(db, review.id, accept=verb == "accept", actor=user.username, reason=note)
    except Conflict as exc:
        db.refresh(review)
        context = _pair_context(db, user, path, review)
        context.update(error="stale" if exc.code == "stale" else f"conflict_{verb}", reason=reason)
        return render(request, "linkage/pair.html", context, status_code=409)
    village = None
    found = pairs.records(path, [review.left_key])
    if found:
        village = next(iter(found.values())).get("village_code")
    audit.record(
        db,
        user,
        action=f"linkage.review.{verb}",
        purpose=None,
        entity="link_review",
        entity_id=review.id,
        region_code=village,
        detail={"left": review.left_key, "right": review.right_key, "status": review.status},
    )
    return RedirectResponse(f"/tautan/{review.id}?selesai={verb}", status_code=303)
