"""The district office's (Dinas Sosial) approval queue: verified proposals waiting for a decision
and submitted ones waiting for a facilitator, oldest first with their age against the deadline;
one proposal with the claimed data and the ground-check evidence side by side; assign, approve
or reject with a reason.

An approval applies the change to the registry in the same request (provenance
``field_verification``); a refusal (e.g. a verdict that was not ``confirmed``, a KK registered
meanwhile) is rolled back and shown on the page in the user's language.
"""

from __future__ import annotations

from typing import Any

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
    FIELD_TEXT,
    FormValues,
    attempt,
    decision_form,
    service_message,
)
from tepat.web.deps import DbSession
from tepat.web.errors import status_for
from tepat.web.pagination import Pagination
from tepat.workflow import decisions, proposals
from tepat.workflow.common import facilitators_of, open_tasks
from tepat.workflow.ground_check import QUESTIONS
from tepat.workflow.outputs import ProposalOut
from tepat.workflow.schemas import AssignIn

router = APIRouter()


@router.get("/persetujuan")
def approval_queue(request: Request, user: PageUser, db: DbSession, paging: Pagination) -> Response:
    """Verified proposals waiting for a decision, and submitted ones waiting for assignment."""
    require_page_role(user, *DECIDERS)
    args: dict[str, Any] = {"db": db, "principal": user, "purpose": user.default_purpose}
    waiting, w_total = proposals.search(
        **args, state="verified", offset=paging.offset, limit=paging.size
    )
    unassigned, u_total = proposals.search(
        **args, state="submitted", offset=paging.offset, limit=paging.size
    )
    return render(
        request,
        "workflow/approvals.html",
        {
            "waiting": proposals.summaries(waiting),
            "unassigned": proposals.summaries(unassigned),
            "w_total": w_total,
            "u_total": u_total,
            "page": paging.page,
            "size": paging.size,
            "total": max(w_total, u_total),
        },
    )


def _facilitators(db: Any, village: str) -> list[tuple[str, int]]:
    names = facilitators_of(db, village)
    load = open_tasks(db, names) if names else {}
    return [(n, load.get(n, 0)) for n in names]


def _page(
    request: Request,
    db: Any,
    user: Principal,
    item: ProposalOut,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    detail: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "workflow/approval.html",
        {
            "p": item,
            "values": values or {},
            "errors": errors or {},
            "problem": problem,
            "detail": detail,
            "done": done,
            "facilitators": _facilitators(db, item.village_code)
            if "assign" in item.allowed_actions
            else [],
            "questions": QUESTIONS,
            "field_text": FIELD_TEXT,
        },
        status_code=status_code,
    )


def _read(db: Any, user: Principal, number: str) -> ProposalOut:
    return proposals.get(db=db, principal=user, purpose=user.default_purpose, number=number[:40])


@router.get("/persetujuan/{number}")
def approval_page(
    request: Request, number: str, user: PageUser, db: DbSession, selesai: str | None = None
) -> Response:
    """A proposal and its verification evidence side by side, with the decision forms."""
    require_page_role(user, *DECIDERS)
    done = selesai if selesai in ("assign", "approve", "reject") else None
    return _page(request, db, user, _read(db, user, number), done=done)


def _refused(
    request: Request,
    db: Any,
    user: Principal,
    number: str,
    refused: TepatError,
    values: dict[str, str],
) -> Response:
    t = translator(request_lang(request))
    message = service_message(refused, t)
    errors = {refused.field: message} if refused.field else {}
    return _page(
        request,
        db,
        user,
        _read(db, user, number),
        values=values,
        errors=errors,
        problem=message,
        detail=refused.message,
        status_code=status_for(refused),
    )


@router.post("/persetujuan/{number}/tugaskan")
def assign(
    request: Request, number: str, user: PageUser, db: DbSession, values: FormValues
) -> Response:
    """Assign a facilitator of the village (or let the system pick the least busy one)."""
    check_csrf(request, values.get("csrf"))
    require_page_role(user, *DECIDERS)
    t = translator(request_lang(request))
    who = values.get("facilitator", "").strip() or None
    try:
        body = AssignIn(facilitator=who, note=values.get("note", "").strip() or None)
    except ValidationError:
        item = _read(db, user, number)
        message = t("workflow.msg.invalid")
        return _page(
            request,
            db,
            user,
            item,
            values=values,
            errors={"note": message},
            problem=message,
            status_code=422,
        )
    _, refused = attempt(
        db,
        lambda: decisions.assign(
            db=db, principal=user, purpose=user.default_purpose, number=number[:40], body=body
        ),
    )
    if refused is not None:
        return _refused(request, db, user, number, refused, values)
    return RedirectResponse(f"/persetujuan/{number[:40]}?selesai=assign", status_code=303)


@router.post("/persetujuan/{number}/putuskan")
def decide(
    request: Request, number: str, user: PageUser, db: DbSession, values: FormValues
) -> Response:
    """Approve (the change enters the registry) or reject, with the reason."""
    check_csrf(request, values.get("csrf"))
    require_page_role(user, *DECIDERS)
    t = translator(request_lang(request))
    decision, body, errors = decision_form(values, ("approve", "reject"), t)
    if errors or body is None:
        return _page(
            request,
            db,
            user,
            _read(db, user, number),
            values=values,
            errors=errors,
            problem=t("workflow.msg.fix_marked"),
            status_code=422,
        )
    act = decisions.approve if decision == "approve" else decisions.reject
    _, refused = attempt(
        db,
        lambda: act(
            db=db, principal=user, purpose=user.default_purpose, number=number[:40], body=body
        ),
    )
    if refused is not None:
        return _refused(request, db, user, number, refused, values)
    return RedirectResponse(f"/persetujuan/{number[:40]}?selesai={decision}", status_code=303)
