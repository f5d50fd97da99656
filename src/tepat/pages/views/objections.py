"""Objections (sanggahan) for the district office: the list of its regency with the 14-day
deadlines (overdue highlighted), one objection with its evidence and the ground check, assign a
facilitator, and resolve (uphold or dismiss) with a reason.

The facilitator records the ground check from ``/tugas/{number}``; who objected is shown only to
the roles the service shows it to (never to the village office or the facilitator).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from tepat.access.principal import Principal
from tepat.errors import TepatError
from tepat.pages.i18n import translator
from tepat.pages.render import render, request_lang
from tepat.pages.session import PageUser, check_csrf, require_page_role
from tepat.pages.workflow_forms import (
    DECIDERS,
    READERS,
    FormValues,
    attempt,
    decision_form,
    service_message,
)
from tepat.web.deps import DbSession
from tepat.web.errors import status_for
from tepat.web.pagination import Pagination
from tepat.workflow import objections
from tepat.workflow.common import facilitators_of, open_tasks
from tepat.workflow.ground_check import QUESTIONS
from tepat.workflow.outputs import ObjectionOut
from tepat.workflow.schemas import AssignIn

router = APIRouter()

State = Literal["filed", "assigned", "verified", "upheld", "dismissed"]
STATES: tuple[str, ...] = ("filed", "assigned", "verified", "upheld", "dismissed")


@router.get("/sanggahan")
def objection_list(
    request: Request,
    user: PageUser,
    db: DbSession,
    paging: Pagination,
    state: State | None = None,
    terlambat: int = 0,
) -> Response:
    """Objections of the user's regions, oldest first, with their deadlines."""
    require_page_role(user, *READERS)
    rows, total = objections.search(
        db=db,
        principal=user,
        purpose=user.default_purpose,
        state=state,
        overdue=True if terlambat else None,
        offset=paging.offset,
        limit=paging.size,
    )
    query = "&".join(
        f"{k}={v}" for k, v in (("state", state), ("terlambat", 1 if terlambat else None)) if v
    )
    return render(
        request,
        "workflow/objections.html",
        {
            "items": objections.summaries(rows),
            "total": total,
            "page": paging.page,
            "size": paging.size,
            "base": "/sanggahan" + (f"?{query}" if query else ""),
            "state": state,
            "overdue_only": bool(terlambat),
            "states": STATES,
        },
    )


def _read(db: Any, user: Principal, number: str) -> ObjectionOut:
    return objections.get(db=db, principal=user, purpose=user.default_purpose, number=number[:40])


def _page(
    request: Request,
    db: Any,
    user: Principal,
    item: ObjectionOut,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    detail: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    facilitators: list[tuple[str, int]] = []
    if "assign" in item.allowed_actions:
        names = facilitators_of(db, item.village_code)
        load = open_tasks(db, names) if names else {}
        facilitators = [(n, load.get(n, 0)) for n in names]
    return render(
        request,
        "workflow/objection.html",
        {
            "o": item,
            "values": values or {},
            "errors": errors or {},
            "problem": problem,
            "detail": detail,
            "done": done,
            "facilitators": facilitators,
            "questions": QUESTIONS,
        },
        status_code=status_code,
    )


@router.get("/sanggahan/{number}")
def objection_page(
    request: Request, number: str, user: PageUser, db: DbSession, selesai: str | None = None
) -> Response:
    """One objection: reason, evidence, ground check, history and the actions allowed now."""
    require_page_role(user, *READERS)
    done = selesai if selesai in ("assign", "uphold", "dismiss") else None
    return _page(request, db, user, _read(db, user, number), done=done)


def _refused(
    request: Request,
    db: Any,
    user: Principal,
    number: str,
    refused: TepatError,
    values: dict[str, str],
) -> Response:
    message = service_message(refused, translator(request_lang(request)))
    return _page(
        request,
        db,
        user,
        _read(db, user, number),
        values=values,
        errors={refused.field: message} if refused.field else {},
        problem=message,
        detail=refused.message,
        status_code=status_for(refused),
    )


@router.post("/sanggahan/{number}/tugaskan")
def assign(
    request: Request, number: str, user: PageUser, db: DbSession, values: FormValues
) -> Response:
    """Assign a facilitator of the village to verify the objection."""
    check_csrf(request, values.get("csrf"))
    require_page_role(user, *DECIDERS)
    t = translator(request_lang(request))
    try:
        body = AssignIn(
            facilitator=values.get("facilitator", "").strip() or None,
            note=values.get("note", "").strip() or None,
        )
    except ValidationError:
        message = t("workflow.msg.invalid")
        item = _read(db, user, number)
        return _page(
            request, db, user, item, values=values, errors={"note": message}, status_code=422
        )
    _, refused = attempt(
        db,
        lambda: objections.assign(
            db=db, principal=user, purpose=user.default_purpose, number=number[:40], body=body
        ),
    )
    if refused is not None:
        return _refused(request, db, user, number, refused, values)
    return RedirectResponse(f"/sanggahan/{number[:40]}?selesai=assign", status_code=303)


@router.post("/sanggahan/{number}/putuskan")
def resolve(
    request: Request, number: str, user: PageUser, db: DbSession, values: FormValues
) -> Response:
    """Uphold (the household is flagged for exclusion) or dismiss, with the reason."""
    check_csrf(request, values.get("csrf"))
    require_page_role(user, *DECIDERS)
    t = translator(request_lang(request))
    decision, body, errors = decision_form(values, ("uphold", "dismiss"), t)
    if errors or body is None:
        item = _read(db, user, number)
        problem = t("workflow.msg.fix_marked")
        return _page(
            request,
            db,
            user,
            item,
            values=values,
            errors=errors,
            problem=problem,
            status_code=422,
        )
    act = objections.uphold if decision == "uphold" else objections.dismiss
    _, refused = attempt(
        db,
        lambda: act(
            db=db, principal=user, purpose=user.default_purpose, number=number[:40], body=body
        ),
    )
    if refused is not None:
        return _refused(request, db, user, number, refused, values)
    return RedirectResponse(f"/sanggahan/{number[:40]}?selesai={decision}", status_code=303)
